# Template-rendering tests: helpers live in rendering.py and doctables.py (plain modules, imported
# by name), so this conftest only puts this folder on sys.path for them.
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
