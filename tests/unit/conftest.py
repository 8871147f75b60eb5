# Make the checkout importable as ansible_collections.selfhost.supabase when pytest
# runs from the repo root (ansible-test sets this up by itself), through Ansible's own collection
# loader, so that role templates rendered in the tests also find the collection's filters.
import importlib.util
import os
import sys

_COLLECTIONS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), 'collections')
try:
    from ansible.plugins.loader import init_plugin_loader
    init_plugin_loader([_COLLECTIONS])
except Exception:  # noqa: BLE001  (already initialised, or an Ansible without it: fall back to sys.path)
    pass
try:
    _FOUND = importlib.util.find_spec('ansible_collections.selfhost.supabase') is not None
except ImportError:
    _FOUND = False
if not _FOUND and os.path.isdir(_COLLECTIONS):
    sys.path.insert(0, _COLLECTIONS)
