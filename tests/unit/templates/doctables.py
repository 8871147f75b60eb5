"""Read the env tables of docs/components/<role>.md: rows of (VARIABLE, where it is set from).

Shared by the unit tests (tests/unit/templates) and the Molecule `services` verify step.
"""
import os
import re

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))), 'docs', 'components')
ROW = re.compile(r'^\|\s*`([A-Z][A-Z0-9_]*)`\s*\|\s*([^|]+?)\s*\|')


def table(role):
    with open(os.path.join(DOCS, role + '.md'), encoding='utf-8') as handle:
        return [match.groups() for match in map(ROW.match, handle) if match]


def expectations(role, given):
    """(variable, expected value or None) for every row that is always set.

    A row whose source is `secret \\`x\\`` (and not a built URL) must equal the secret; `constant \\`v\\`` must equal v.
    """
    out = []
    for var, source in table(role):
        if 'only when' in source:
            continue
        secret = re.search(r'secret `(supabase_[a-z_]+)`', source)
        constant = re.match(r'^constant `(.*)`$', source)
        if secret and not source.startswith('built'):
            out.append((var, given[secret.group(1)]))
        elif constant:
            out.append((var, constant.group(1)))
        else:
            out.append((var, None))
    return out
