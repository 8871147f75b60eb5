# Make the checkout importable as ansible_collections.selfhost.supabase when pytest
# runs from the repo root (ansible-test sets this up by itself).
import os
import sys

_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'collections')
try:
    import ansible_collections.selfhost.supabase  # noqa: F401
except ImportError:
    if os.path.isdir(_COLLECTIONS):
        sys.path.insert(0, _COLLECTIONS)
