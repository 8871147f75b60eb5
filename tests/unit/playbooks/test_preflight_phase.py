"""The shape of the validation phase (playbooks/preflight.yml), read statically (no ansible-playbook run).

What keeps the phase at a few seconds: one validate_inputs task per role for the roles the phase checks,
no module run (no connection, no fact gathering), the secret facts shared in one task, and the printed
duration at the end. The behaviour (fails in the phase, nothing changed, the variable named) is
tests/unit/playbooks/test_bad_inputs.py's.
"""

import os

import yaml

from ansible_collections.selfhost.supabase.plugins.filter import validation as v

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
PREFLIGHT = os.path.join(ROOT, 'playbooks', 'preflight.yml')
# Actions the phase may run on a stack host or the controller: none sends a module anywhere.
CONTROLLER_ONLY = {'ansible.builtin.set_fact', 'ansible.builtin.assert', 'ansible.builtin.debug', 'ansible.builtin.fail',
                   'ansible.builtin.include_role', 'ansible.builtin.include_tasks', 'selfhost.supabase.validate_inputs'}


def _plays():
    with open(PREFLIGHT) as handle:
        return yaml.safe_load(handle)


def _tasks(items):
    for task in items or []:
        if 'block' in task:
            for sub in _tasks(task['block']):
                yield sub
        else:
            yield task


def _action(task):
    return next(k for k in task if '.' in k and k.split('.')[0] in ('ansible', 'selfhost', 'community'))


def _role_tiers():
    play = next(p for p in _plays() if p['name'].startswith('Validate - every role'))
    return play['vars']['__supabase_tier_roles']


def test_share_copies_every_secret_in_one_task():
    play = next(p for p in _plays() if p['name'].startswith('Validate - every role'))
    share = [t for t in play['tasks'] if t['name'].startswith('Share - ')]
    assert len(share) == 1 and 'loop' not in share[0]
    facts = share[0]['ansible.builtin.set_fact']
    assert sorted(facts) == v.supabase_secret_names()
    for name, value in facts.items():
        assert value == "{{ hostvars['localhost'].%s | default(omit) }}" % name
    assert share[0]['no_log'] is True


def test_each_checked_role_validates_in_one_task_without_contacting_the_host():
    roles = sorted(set(r for tier in _role_tiers().values() for r in tier['roles']))
    assert 'postgres' in roles and 'caddy' in roles
    for role in roles:
        with open(os.path.join(ROOT, 'roles', role, 'tasks', 'preflight.yml')) as handle:
            tasks = list(_tasks(yaml.safe_load(handle)))
        validate = [t for t in tasks if 'selfhost.supabase.validate_inputs' in t]
        assert len(validate) == 1, role
        assert validate[0]['selfhost.supabase.validate_inputs']['role_path'] == '{{ role_path }}', role
        assert 'validate_argument_spec' not in str(tasks), role
        for task in tasks:
            action = _action(task)
            if action not in CONTROLLER_ONLY:
                # Anything else needs the host: skipped in the validation phase as one task.
                assert "not (__supabase_preflight_only | default(false))" in str(task.get('when')), (role, task['name'])
                assert 'loop' not in task, (role, task['name'])


def test_one_task_per_host_validates_every_role():
    play = next(p for p in _plays() if p['name'].startswith('Validate - every role'))
    actions = [_action(t) for t in play['tasks']]
    assert actions.count('selfhost.supabase.validate_inputs') == 1
    assert 'ansible.builtin.include_role' not in actions
    task = next(t for t in play['tasks'] if 'selfhost.supabase.validate_inputs' in t)
    assert task['selfhost.supabase.validate_inputs'] == {'roles': '{{ __supabase_my_roles }}'}
    assert task['vars'] == {'__supabase_preflight_only': True}


def test_the_phase_runs_no_module_and_prints_its_duration():
    plays = _plays()
    for play in plays:
        assert play.get('gather_facts') is False, play['name']
        for task in _tasks(play.get('tasks', []) + play.get('post_tasks', [])):
            assert _action(task) in CONTROLLER_ONLY, (play['name'], task['name'])
    last = plays[-1]['tasks']
    printer = [t for t in last if t['name'] == 'Print how long the validation phase took']
    assert len(printer) == 1
    assert 'Validation phase: ' in printer[0]['ansible.builtin.debug']['msg']
    assert '__supabase_validation_start' in printer[0]['ansible.builtin.debug']['msg']
    first = next(_tasks(plays[0]['tasks']))
    assert '__supabase_validation_start' in first['ansible.builtin.set_fact'], 'the clock starts with the first task'
