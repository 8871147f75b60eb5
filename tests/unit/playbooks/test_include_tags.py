"""How upgrade.yml's includes meet a tag selection.

Ansible gives an include_role or include_tasks task's own tags to the include only: under a tag selection
(`upgrade.yml --tags postgrest`, `--tags postgres`) the included tasks are skipped unless `apply: tags:` carries
a selected tag. An include therefore applies `always` to its tasks, and its own tags decide when it runs:
in a play of tagged roles, the include carries exactly those roles' tags. Tagged `always` instead, upgrade.yml
took a backup set under `--tags upgrade_app` (the stack's host is also the db host) and would drain every app
host from the pools under `--tags upgrade_db`. Read statically from every playbook.
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


def _includes(play):
    for section in ('pre_tasks', 'tasks', 'post_tasks', 'handlers'):
        for task in _tasks(play.get(section)):
            module = next((m for m in INCLUDES if m in task), None)
            if module is not None:
                yield task, (task[module] if isinstance(task[module], dict) else {})


def tag_mistakes(plays):
    """One line per include whose tags would skip its tasks, or select it with another play's roles."""
    out = []
    for play in plays or []:
        role_tags = sorted({t for r in play.get('roles') or [] if isinstance(r, dict) for t in _tags(r.get('tags'))})
        for task, args in _includes(play):
            name, tags = task.get('name', '?'), _tags(task.get('tags'))
            if tags and 'always' not in _tags((args.get('apply') or {}).get('tags')):
                out.append('%s: tagged %s but its tasks are not (apply: tags: [always])' % (name, tags))
            if role_tags and sorted(tags) != role_tags:
                out.append('%s: tagged %s, not with its play\'s roles %s' % (name, tags, role_tags))
    return out


def test_the_rules_see_each_mistake():
    plays = [{'roles': [{'role': 'a', 'tags': ['a']}, {'role': 'b', 'tags': ['b']}],
              'pre_tasks': [
                  {'name': 'bare', 'ansible.builtin.include_role': {'name': 'r'}, 'tags': ['a', 'b']},
                  {'name': 'always', 'ansible.builtin.include_role': {'name': 'r', 'apply': {'tags': ['always']}},
                   'tags': ['always']},
                  {'name': 'right', 'ansible.builtin.include_role': {'name': 'r', 'apply': {'tags': ['always']}},
                   'tags': ['b', 'a']}]},
             {'tasks': [{'name': 'untagged', 'ansible.builtin.include_tasks': 'x.yml'}]}]
    assert [m.split(':')[0] for m in tag_mistakes(plays)] == ['bare', 'always']


@pytest.mark.parametrize('path', PLAYBOOKS, ids=os.path.basename)
def test_includes_run_with_their_play_s_roles(path):
    with open(path, encoding='utf-8') as handle:
        plays = yaml.safe_load(handle)
    assert tag_mistakes(plays) == [], os.path.relpath(path, ROOT)


def test_upgrade_has_its_three_includes():
    with open(os.path.join(ROOT, 'playbooks', 'upgrade.yml'), encoding='utf-8') as handle:
        plays = yaml.safe_load(handle)
    names = [t.get('name') for p in plays for t, _ in _includes(p)]
    assert len(names) == 3, names
