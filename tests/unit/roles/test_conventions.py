"""The one convention of every role (docs/architecture.md, Conventions), checked on the roles themselves:

- each stage of tasks/main.yml is tagged [<role>, <role>_<stage>], and the preflight stage also `always`;
- one name for the wait (<role>_wait_timeout) and for public addresses (<role>_allow_public_ports);
- publishing is decided by an address (empty: not published), never by a boolean option.
"""
import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
# The internal container role has no stages of its own (it runs inside the calling role's container stage).
ROLES = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
               for p in glob.glob(os.path.join(ROOT, 'roles', '*', 'tasks', 'main.yml'))
               if '/roles/container/' not in p)


def _load(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle) or []


def stage_problems(role, tasks):
    """Why the stages (tasks of tasks/main.yml) of ``role`` break the tag convention."""
    out = []
    preflight = False
    for task in tasks:
        name = task.get('name', '?')
        tags = task.get('tags') or []
        tags = [tags] if isinstance(tags, str) else list(tags)
        if len(tags) < 2 or tags[0] != role or not all(re.match(r'^%s_[a-z_]+$' % role, t) for t in tags[1:] if t != 'always'):
            out.append('%s: %r is tagged %s, not [%s, %s_<stage>]' % (role, name, tags, role, role))
        applied = ((task.get('ansible.builtin.include_tasks') or {}).get('apply') or {}).get('tags')
        if applied is not None and list(applied) != tags:
            out.append('%s: %r applies tags %s, not its own %s' % (role, name, applied, tags))
        if '%s_preflight' % role in tags:
            preflight = True
            if 'always' not in tags:
                out.append('%s: the preflight stage %r does not carry always' % (role, name))
    if not preflight:
        out.append('%s: no stage tagged %s_preflight' % (role, role))
    return out


def test_roles_found():
    assert {'postgres', 'redis', 'minio', 'kong', 'gotrue', 'studio', 'host', 'docker'} <= set(ROLES)


@pytest.mark.parametrize('role', ROLES)
def test_stages_are_tagged_role_and_role_stage(role):
    found = stage_problems(role, _load(os.path.join(ROOT, 'roles', role, 'tasks', 'main.yml')))
    assert not found, '\n'.join(found)


def test_the_tag_rule_rejects_bare_stage_tags_and_a_preflight_without_always():
    assert stage_problems('kong', [{'name': 'Check', 'tags': ['kong', 'preflight', 'always']}]) == [
        "kong: 'Check' is tagged ['kong', 'preflight', 'always'], not [kong, kong_<stage>]",
        'kong: no stage tagged kong_preflight']
    assert stage_problems('redis', [{'name': 'Check', 'tags': ['redis', 'redis_preflight']}]) == [
        "redis: the preflight stage 'Check' does not carry always"]
    assert stage_problems('redis', [{'name': 'Check', 'tags': ['redis', 'redis_preflight', 'always']},
                                    {'name': 'Run', 'tags': ['redis', 'redis_container']}]) == []


def _options():
    for path in sorted(glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml'))):
        role = os.path.basename(os.path.dirname(os.path.dirname(path)))
        for entry in (_load(path).get('argument_specs') or {}).values():
            for name, option in ((entry or {}).get('options') or {}).items():
                yield role, name, option or {}


def test_one_name_for_waiting_public_addresses_and_publishing():
    problems = []
    for role, name, option in _options():
        if re.search(r'_(healthcheck_timeout|allow_public_bind)$', name):
            problems.append('%s: %s (the name is <role>_wait_timeout / <role>_allow_public_ports)' % (role, name))
        if name.endswith('_timeout') and 'wait' in name and name != '%s_wait_timeout' % role:
            problems.append('%s: %s (the wait is %s_wait_timeout)' % (role, name, role))
        if name.endswith('_allow_public_ports') and name != '%s_allow_public_ports' % role:
            problems.append('%s: %s (public addresses are allowed by %s_allow_public_ports)' % (role, name, role))
        if re.search(r'_publish(_|$)', name) and option.get('type') == 'bool':
            problems.append('%s: %s is a boolean; a port is published on its address, "" publishes nothing' % (role, name))
    assert not problems, '\n'.join(problems)


# Ansible's union, intersect, difference and symmetric_difference go through a Python set: their order follows the
# interpreter's string hashing, which changes from run to run. A file rendered from one changes on a re-run
# (the postgres recipe did: tests/unit/templates/test_postgres_recipe.py), so in a template the result is sorted.
_SET_FILTER = re.compile(r'\|\s*(union|intersect|difference|symmetric_difference)\s*\(')


def unordered_set_filters(text):
    """The set filters in ``text`` whose result is not passed to sort right after the call."""
    out = []
    for match in _SET_FILTER.finditer(text):
        depth, i = 0, match.end() - 1
        while i < len(text):
            depth += {'(': 1, ')': -1}.get(text[i], 0)
            if depth == 0:
                break
            i += 1
        if not re.match(r'\s*\|\s*sort\b', text[i + 1:]):
            out.append(text[match.start():i + 1])
    return out


def test_the_set_filter_rule_sees_an_unsorted_result_and_passes_a_sorted_one():
    assert unordered_set_filters("{{ a | union(b) | join(' ') }}") == ['| union(b)']
    assert unordered_set_filters("{{ a | difference(b | map('x')) | join(' ') }}") == ["| difference(b | map('x'))"]
    assert unordered_set_filters("{{ a | union(b) | sort | join(' ') }}") == []
    assert unordered_set_filters("{{ (a + b) | join(' ') }}") == []


def test_templates_render_set_filters_in_a_stable_order():
    found = []
    for path in sorted(glob.glob(os.path.join(ROOT, 'roles', '*', 'templates', '**', '*.j2'), recursive=True)
                       + glob.glob(os.path.join(ROOT, 'playbooks', 'templates', '**', '*.j2'), recursive=True)):
        with open(path, encoding='utf-8') as handle:
            found += ['%s: %s' % (os.path.relpath(path, ROOT), f) for f in unordered_set_filters(handle.read())]
    assert not found, 'set filters without | sort in templates (their order changes between runs):\n' + '\n'.join(found)
