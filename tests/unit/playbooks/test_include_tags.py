"""An include that a playbook tags `always` must apply `always` to what it includes.

Ansible gives an include_role or include_tasks task's own tags to the include only: under a tag selection
(`upgrade.yml --tags postgrest`, `--tags postgres`) the included tasks are skipped unless `apply: tags:` carries
the tag. upgrade.yml's drain from the edges' pools, its return to the pools and its backup before the db tier
were skipped that way. Read statically from every playbook.
"""
import glob
import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PLAYBOOKS = sorted(glob.glob(os.path.join(ROOT, 'playbooks', '*.yml')))
INCLUDES = ('ansible.builtin.include_role', 'ansible.builtin.include_tasks', 'include_role', 'include_tasks')


def _tags(value):
    return [value] if isinstance(value, str) else list(value or [])


def _tasks(items):
    for task in items or []:
        if not isinstance(task, dict):
            continue
        yield task
        for key in ('block', 'rescue', 'always'):
            yield from _tasks(task.get(key))


def unapplied_always(plays):
    """Names of the includes tagged always whose apply does not tag the included tasks always."""
    out = []
    for play in plays or []:
        for section in ('pre_tasks', 'tasks', 'post_tasks', 'handlers'):
            for task in _tasks(play.get(section)):
                module = next((m for m in INCLUDES if m in task), None)
                if module is None or 'always' not in _tags(task.get('tags')):
                    continue
                args = task[module] if isinstance(task[module], dict) else {}
                if 'always' not in _tags((args.get('apply') or {}).get('tags')):
                    out.append(task.get('name', module))
    return out


def test_the_rule_sees_an_include_without_apply():
    plays = [{'tasks': [{'name': 'bare', 'ansible.builtin.include_role': {'name': 'r'}, 'tags': ['always']},
                        {'name': 'applied', 'ansible.builtin.include_role': {'name': 'r', 'apply': {'tags': ['always']}},
                         'tags': ['always']},
                        {'name': 'untagged', 'ansible.builtin.include_tasks': 'x.yml'}]}]
    assert unapplied_always(plays) == ['bare']


@pytest.mark.parametrize('path', PLAYBOOKS, ids=os.path.basename)
def test_includes_tagged_always_apply_always(path):
    with open(path, encoding='utf-8') as handle:
        plays = yaml.safe_load(handle)
    assert unapplied_always(plays) == [], '%s: add apply: {tags: [always]}' % os.path.relpath(path, ROOT)


def test_upgrade_has_its_three_always_includes():
    with open(os.path.join(ROOT, 'playbooks', 'upgrade.yml'), encoding='utf-8') as handle:
        plays = yaml.safe_load(handle)
    names = [t.get('name') for p in plays for s in ('pre_tasks', 'post_tasks') for t in _tasks(p.get(s))
             if any(m in t for m in INCLUDES)]
    assert len(names) == 3, names
