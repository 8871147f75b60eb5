"""The validate_inputs action: its helpers directly, and the action itself through one ansible-playbook run.

The playbook run (one process, a few seconds) drives the action with passing and failing checks, a loop,
ordered check vars, a `when`, an argument spec of a throwaway role, an expression that cannot be evaluated
(secret and not), and checks that the failure carries every problem at once.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

from ansible_collections.selfhost.supabase.plugins.action import validate_inputs as V

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))


def test_spec_subset_takes_given_and_required_options():
    options = {'a_x': {'type': 'int'}, 'a_y': {'type': 'str', 'required': True}, 'a_z': {'type': 'bool'}}
    assert sorted(V.spec_subset(options, {'a_x', 'other'})) == ['a_x', 'a_y']
    assert V.spec_subset({}, {'a_x'}) == {}


def test_validate_spec_names_the_variable():
    options = {'minio_port': {'type': 'int'}, 'minio_mode': {'type': 'str', 'choices': ['a', 'b']}}
    errors = V.validate_spec(options, {'minio_port': 'lots', 'minio_mode': 'c'})
    text = ' '.join(errors)
    assert 'minio_port' in text and 'minio_mode must be one of: a, b, got: c' in text
    assert V.validate_spec(options, {'minio_port': 9000, 'minio_mode': 'a'}) == []


def test_renamed_problems_name_the_old_and_the_new_variable_of_that_role_only():
    given = {'redis_healthcheck_timeout', 'redis_port', 'postgres_allow_public_bind', 'redis_publish_port'}
    assert V.renamed_problems('redis', given) == [
        'redis_healthcheck_timeout was renamed to redis_wait_timeout: set redis_wait_timeout instead (the old name is ignored)',
        'redis_publish_port was renamed to redis_bind_address (the address Redis is published on; "" publishes nothing):'
        ' set redis_bind_address instead (the old name is ignored)']
    assert [p.split(' ')[0] for p in V.renamed_problems('postgres', given)] == ['postgres_allow_public_bind']
    assert V.renamed_problems('kong', given) == []


def test_load_spec_options_reads_the_main_entry(tmp_path):
    (tmp_path / 'meta').mkdir()
    (tmp_path / 'meta' / 'argument_specs.yml').write_text(
        'argument_specs:\n  main:\n    options:\n      r_port: {type: int, description: x}\n')
    assert V.load_spec_options(str(tmp_path)) == {'r_port': {'type': 'int', 'description': 'x'}}
    assert V.load_spec_options(str(tmp_path / 'none')) == {}


def test_every_real_spec_loads():
    roles = os.path.join(ROOT, 'roles')
    found = [r for r in os.listdir(roles) if V.load_spec_options(os.path.join(roles, r))]
    assert 'postgres' in found and 'caddy' in found


PLAYBOOK = textwrap.dedent('''\
    - hosts: h1
      gather_facts: false
      vars:
        base: 3
      tasks:
        - name: all pass
          selfhost.supabase.validate_inputs:
            checks:
              - that: base == 3
                msg: never
              - that: [base > 1, base < 5]
              - that: nothing_defined_here == 1
                msg: skipped by when
                when: base == 4
          register: r_pass

        - name: several fail, all reported, messages templated only on failure
          selfhost.supabase.validate_inputs:
            role_path: "{{ playbook_dir }}/roles/demo"
            checks:
              - that: base == 4
                msg: "base is {{ base }}, want 4"
              - that: item is number
                msg: "list entry {{ item | to_json }} is not a number"
                loop: [1, "two", 3, "four"]
              - that: __double == 6
                msg: "never: {{ __double }}"
                vars:
                  __single: "{{ base }}"
                  __double: "{{ __single | int * 2 }}"
              - that: secret_value | length > 100
                msg: secret_value is too short (value not shown)
                secret: true
              - that: secret_value.no_such_attr.deeper == 1
                msg: "broken with {{ secret_value }}"
                secret: true
              - that: base.no_such_attr.deeper == 1
                msg: plain broken check
          register: r_fail
          ignore_errors: true

        - name: fail false returns the problems without failing
          selfhost.supabase.validate_inputs:
            checks:
              - that: false
                msg: reported, not failed
            fail: false
          register: r_soft

        - name: keep the results for the test
          ansible.builtin.copy:
            content: "{{ {'pass': r_pass, 'fail': r_fail, 'soft': r_soft} | to_json }}"
            dest: "{{ playbook_dir }}/results.json"
            mode: "0600"
    ''')


@pytest.fixture(scope='module')
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp('validate-inputs')
    role = base / 'roles' / 'demo' / 'meta'
    role.mkdir(parents=True)
    (role / 'argument_specs.yml').write_text(textwrap.dedent('''\
        argument_specs:
          main:
            options:
              demo_port: {type: int, description: a port}
              demo_mode: {type: str, choices: [a, b], description: a mode}
              demo_unset: {type: int, description: not set, not validated}
        '''))
    (base / 'play.yml').write_text(PLAYBOOK)
    (base / 'hosts.yml').write_text(json.dumps({'all': {'hosts': {'h1': {
        'ansible_connection': 'local', 'ansible_python_interpreter': sys.executable,
        'demo_port': 'lots', 'demo_mode': 'c', 'secret_value': 'S3cr3tValue-xyz'}}}}))
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, 'ansible.cfg'),
               ANSIBLE_COLLECTIONS_PATH=os.path.join(ROOT, 'collections'), ANSIBLE_NOCOLOR='1',
               ANSIBLE_STDOUT_CALLBACK='ansible.builtin.default')
    env.pop('ANSIBLE_LOG_PATH', None)
    env['PATH'] = os.path.dirname(sys.executable) + os.pathsep + env.get('PATH', '')
    proc = subprocess.run(['ansible-playbook', '-i', str(base / 'hosts.yml'), str(base / 'play.yml')],
                          capture_output=True, text=True, env=env, cwd=str(base), timeout=300, check=False)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    with open(str(base / 'results.json')) as handle:
        return json.load(handle), out


def test_passing_checks_pass(run):
    result, _out = run
    assert not result['pass'].get('failed'), result['pass']
    assert result['pass']['problems'] == []
    assert result['pass']['checked'] == 3


def test_every_failure_is_reported_at_once(run):
    result, _out = run
    fail = result['fail']
    assert fail['failed'] is True
    problems = fail['problems']
    # The argument spec first: both operator-set options, not the unset one.
    assert any('demo_port' in p for p in problems[:2]), problems
    assert any('demo_mode must be one of: a, b, got: c' in p for p in problems[:2]), problems
    assert not any('demo_unset' in p for p in problems)
    assert 'base is 3, want 4' in problems
    # A loop reports each failing element.
    assert 'list entry "two" is not a number' in problems and 'list entry "four" is not a number' in problems
    assert not any('list entry 1 ' in p for p in problems)
    # Ordered check vars: __double used __single, so this check passed.
    assert not any(p.startswith('never') for p in problems)
    assert 'secret_value is too short (value not shown)' in problems
    assert fail['msg'].startswith('demo: %d bad input(s): ' % len(problems))


def test_an_expression_that_cannot_be_evaluated_is_a_problem_without_the_secret(run):
    result, out = run
    problems = result['fail']['problems']
    broken_secret = [p for p in problems if p.startswith('broken with')]
    assert broken_secret == ['broken with {{ secret_value }} (the check could not be evaluated; values not shown)']
    plain = [p for p in problems if p.startswith('plain broken check')]
    assert len(plain) == 1 and 'could not be evaluated: ' in plain[0]
    assert 'S3cr3tValue-xyz' not in out.replace("'secret_value': 'S3cr3tValue-xyz'", '')


def test_fail_false_only_reports(run):
    result, _out = run
    assert not result['soft'].get('failed')
    assert result['soft']['problems'] == ['reported, not failed']


def test_preflight_checks_finds_the_tasks_in_blocks():
    tasks = [
        {'name': 'a', 'ansible.builtin.setup': {}},
        {'name': 'b', 'selfhost.supabase.validate_inputs': {'role_path': '{{ role_path }}', 'checks': [{'that': 'x'}]}},
        {'name': 'c', 'block': [{'name': 'd', 'selfhost.supabase.validate_inputs': {'checks': [{'that': 'y'}, {'that': 'z'}]}}]},
    ]
    assert V.preflight_checks(tasks) == [(True, [{'that': 'x'}]), (False, [{'that': 'y'}, {'that': 'z'}])]
    assert V.preflight_checks(None) == []


def test_the_roles_option_finds_every_checked_role():
    """What the validation phase's one task per host reads: each role's preflight validate_inputs task."""
    import yaml
    assert os.path.isdir(V.ROLES_DIR)
    for role in ['host', 'docker', 'postgres', 'redis', 'minio', 'gotrue', 'postgrest', 'realtime', 'storage',
                 'functions', 'meta', 'studio', 'kong', 'caddy']:
        with open(os.path.join(V.ROLES_DIR, role, 'tasks', 'preflight.yml')) as handle:
            found = V.preflight_checks(yaml.safe_load(handle))
        assert len(found) == 1 and found[0][0] is True and len(found[0][1]) >= 1, role
        for check in found[0][1]:
            assert set(check) <= V.CHECK_KEYS and 'that' in check, (role, check)
