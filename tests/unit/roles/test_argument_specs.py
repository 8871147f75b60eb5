"""Every role's meta/argument_specs.yml against its defaults/main.yml.

- each option has a non-empty description;
- every variable of defaults/main.yml is declared in the spec, and every option the spec gives a
  default for is in defaults/main.yml;
- a required option has no default, neither in the spec nor in defaults/main.yml: Ansible validates
  the spec with the role's defaults in scope, so a default would make "required" always hold;
- an option's type matches its default in defaults/main.yml (templated defaults are left out: their
  type is only known once rendered), and a default the spec states equals the file's;
- a description is not shared verbatim by options about different things: options sharing one must
  have the same subject, the last word of the name that is not generic (port in kong_http_port and
  kong_https_port; host and port differ in gotrue_db_host and gotrue_db_port). This is what generated
  descriptions got wrong (kong_dns_order said "Plugins loaded by Kong", storage_region "Upload limit").
"""
import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
ROLES = sorted(os.path.basename(os.path.dirname(os.path.dirname(p)))
               for p in glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml')))

# Words that name no subject by themselves (gotrue_email_enabled is about email, not "enabled").
GENERIC = {'supabase', 'enabled', 'enable', 'disable', 'disabled', 'name', 'extra', 'default'}

TYPES = {
    'str': (str,),
    'int': (int,),
    'float': (float, int),
    'bool': (bool,),
    'list': (list,),
    'dict': (dict,),
    'path': (str,),
}


def load_yaml(path):
    with open(path, encoding='utf-8') as handle:
        return yaml.safe_load(handle) or {}


def spec_options(role, root=ROOT):
    data = load_yaml(os.path.join(root, 'roles', role, 'meta', 'argument_specs.yml'))
    return data['argument_specs']['main'].get('options') or {}


def defaults(role, root=ROOT):
    path = os.path.join(root, 'roles', role, 'defaults', 'main.yml')
    return load_yaml(path) if os.path.exists(path) else {}


def description_text(option):
    text = option.get('description')
    if isinstance(text, list):
        text = ' '.join(str(t) for t in text)
    return (text or '').strip()


def templated(value):
    if isinstance(value, str):
        return '{{' in value or '{%' in value
    if isinstance(value, dict):
        return any(templated(v) for v in value.values())
    if isinstance(value, list):
        return any(templated(v) for v in value)
    return False


def type_problem(name, option, value):
    """Why `value` (a default from defaults/main.yml) does not fit the option's type, or None."""
    kind = option.get('type', 'str')
    if value is None or templated(value) or kind == 'raw':
        return None
    allowed = TYPES.get(kind)
    if allowed is None:
        return '%s: unknown type %s' % (name, kind)
    if kind in ('int', 'float') and isinstance(value, bool):
        return '%s: type %s but the default is a boolean' % (name, kind)
    if not isinstance(value, allowed):
        return '%s: type %s but the default %r is a %s' % (name, kind, value, type(value).__name__)
    return None


def subject(role, name):
    words = [w for w in name.split('_') if w]
    if words and words[0] == role:
        words = words[1:]
    meaningful = [w for w in words if w not in GENERIC] or words
    return meaningful[-1] if meaningful else name


def shared_part(option):
    """The description without a trailing "Default: ..." sentence (generated text differed only there)."""
    return re.sub(r'\s*Default:? .*$', '', description_text(option)).strip()


def shared_description_problems(role, options):
    by_text = {}
    for name, option in options.items():
        by_text.setdefault(shared_part(option), []).append(name)
    problems = []
    for text, names in by_text.items():
        if len(names) < 2 or not text:
            continue
        if len({subject(role, n) for n in names}) > 1:
            problems.append('%s share the description %r but no subject' % (', '.join(sorted(names)), text[:70]))
    return problems


def problems(role, root=ROOT):
    options = spec_options(role, root)
    defs = defaults(role, root)
    out = []
    for name, option in options.items():
        if not description_text(option):
            out.append('%s: no description' % name)
    for name in defs:
        if name not in options:
            out.append('%s: in defaults/main.yml but not in the spec' % name)
    for name, option in options.items():
        if option.get('required') and (name in defs or 'default' in option):
            out.append('%s: required, but given a default (so the requirement always holds)' % name)
    for name, option in options.items():
        if 'default' in option and name not in defs:
            out.append('%s: the spec states a default that defaults/main.yml does not have' % name)
    for name, option in options.items():
        if name in defs:
            problem = type_problem(name, option, defs[name])
            if problem:
                out.append(problem)
            if 'default' in option and not templated(defs[name]) and option['default'] != defs[name]:
                out.append('%s: spec default %r differs from defaults/main.yml %r' % (name, option['default'], defs[name]))
    out.extend(shared_description_problems(role, options))
    for name, option in options.items():
        # ansible-doc ends C(...) at the first ")": C(x | default(y)) renders as "x | default(y".
        for markup in re.findall(r'\b[CVIOPLEMBU]\((?:[^()]|\([^()]*\))*\)', description_text(option)):
            if '(' in markup[2:-1]:
                out.append('%s: %s nests parentheses, which ansible-doc cuts at the first ")"' % (name, markup))
    return out


def test_every_role_has_specs():
    assert len(ROLES) >= 15, ROLES
    for role in os.listdir(os.path.join(ROOT, 'roles')):
        assert role in ROLES, '%s has no meta/argument_specs.yml' % role


@pytest.mark.parametrize('role', ROLES)
def test_specs_match_defaults_and_describe_each_option(role):
    found = problems(role)
    assert not found, '%s/meta/argument_specs.yml:\n  ' % role + '\n  '.join(found)


# The checks themselves, on small specs, so that each rule is seen to reject what it is for.
def _write(tmp_path, role, spec, defs):
    base = tmp_path / 'roles' / role
    (base / 'meta').mkdir(parents=True)
    (base / 'defaults').mkdir()
    (base / 'meta' / 'argument_specs.yml').write_text(yaml.safe_dump({'argument_specs': {'main': {'options': spec}}}))
    (base / 'defaults' / 'main.yml').write_text(yaml.safe_dump(defs))
    return str(tmp_path)


def test_rejects_a_description_shared_by_different_subjects(tmp_path):
    # The description kong_dns_order had before it was written by hand.
    spec = {
        'kong_plugins': {'type': 'list', 'elements': 'str', 'description': 'Plugins loaded by Kong (KONG_PLUGINS).'},
        'kong_dns_order': {'type': 'str', 'description': 'Plugins loaded by Kong (KONG_PLUGINS).'},
    }
    root = _write(tmp_path, 'kong', spec, {'kong_plugins': ['cors'], 'kong_dns_order': 'LAST,A'})
    assert any('kong_dns_order, kong_plugins share' in p for p in problems('kong', root))


def test_accepts_a_description_shared_by_one_subject(tmp_path):
    spec = {
        'kong_http_port': {'type': 'int', 'description': 'A port.'},
        'kong_https_port': {'type': 'int', 'description': 'A port.'},
    }
    root = _write(tmp_path, 'kong', spec, {'kong_http_port': 8000, 'kong_https_port': 8443})
    assert problems('kong', root) == []


def test_rejects_a_description_shared_by_one_group_of_different_subjects(tmp_path):
    # storage_region said "Upload limit in bytes" like storage_file_size_limit.
    spec = {
        'storage_file_size_limit': {'type': 'int', 'description': 'Upload limit in bytes (50 MiB).'},
        'storage_region': {'type': 'str', 'description': 'Upload limit in bytes (50 MiB).'},
    }
    root = _write(tmp_path, 'storage', spec, {'storage_file_size_limit': 1, 'storage_region': 'local'})
    assert any('storage_file_size_limit, storage_region share' in p for p in problems('storage', root))


def test_rejects_a_required_option_with_a_default(tmp_path):
    spec = {
        'supabase_jwt_secret': {'type': 'str', 'required': True, 'no_log': True, 'description': 'The JWT secret.'},
        'kong_admin_password': {'type': 'str', 'required': True, 'default': 'x', 'no_log': True,
                                'description': 'A password.'},
    }
    root = _write(tmp_path, 'kong', spec, {'supabase_jwt_secret': "{{ supabase_x | default('') }}", 'kong_admin_password': 'x'})
    found = problems('kong', root)
    assert 'supabase_jwt_secret: required, but given a default (so the requirement always holds)' in found
    assert 'kong_admin_password: required, but given a default (so the requirement always holds)' in found
    root = _write(tmp_path / 'ok', 'kong', {'supabase_jwt_secret': spec['supabase_jwt_secret']}, {})
    assert problems('kong', root) == []


def test_rejects_nested_parentheses_in_markup(tmp_path):
    spec = {'kong_config_dir': {'type': 'str', 'description': 'Config. Default: C(supabase_base_dir | default(/opt/supabase)/kong).'}}
    root = _write(tmp_path, 'kong', spec, {})
    assert any('nests parentheses' in p for p in problems('kong', root))


def test_rejects_type_mismatch_undeclared_and_missing_description(tmp_path):
    spec = {
        'x_port': {'type': 'int', 'description': 'A port.'},
        'x_flag': {'type': 'int', 'description': 'A flag.'},
        'x_nodoc': {'type': 'str'},
        'x_gone': {'type': 'str', 'default': 'a', 'description': 'Not in defaults.'},
    }
    root = _write(tmp_path, 'x', spec, {'x_port': '80', 'x_flag': True, 'x_nodoc': 'a', 'x_extra': 1})
    found = problems('x', root)
    assert any(p.startswith('x_port: type int') for p in found), found
    assert any(p.startswith('x_flag: type int but the default is a boolean') for p in found), found
    assert 'x_nodoc: no description' in found
    assert 'x_extra: in defaults/main.yml but not in the spec' in found
    assert any(p.startswith('x_gone: the spec states a default') for p in found), found


ROW = re.compile(r'^\|\s*`([a-z_][a-z0-9_]*)`')


def readme_problems(role, root=ROOT):
    """A role README points to ansible-doc for its inputs and keeps no copy of them (copies drifted)."""
    with open(os.path.join(root, 'roles', role, 'README.md'), encoding='utf-8') as handle:
        text = handle.read()
    out = []
    if 'ansible-doc -t role selfhost.supabase.%s' % role not in text:
        out.append('README.md does not point to ansible-doc -t role selfhost.supabase.%s' % role)
    options = spec_options(role, root)
    header = ''
    for line in text.splitlines():
        if not line.startswith('|'):
            header = ''
            continue
        if not header:
            header = line.lower()  # the first row of a table
            continue
        match = ROW.match(line)
        # A table with a type or default column copies the spec (the secrets role's table of secret rules does not).
        if match and match.group(1) in options and ('default' in header or 'type' in header):
            out.append('README.md has a table row for the input %s (the spec is the one list)' % match.group(1))
    return out


@pytest.mark.parametrize('role', ROLES)
def test_readme_points_to_ansible_doc(role):
    found = readme_problems(role)
    assert not found, '\n'.join(found)


def test_readme_check_rejects_a_variable_table(tmp_path):
    root = _write(tmp_path, 'kong', {'kong_upstreams': {'type': 'dict', 'description': 'Upstream URLs.'}}, {})
    (tmp_path / 'roles' / 'kong' / 'README.md').write_text(
        'ansible-doc -t role selfhost.supabase.kong\n\n| name | type | default | description |\n| --- | --- | --- | --- |\n'
        '| `kong_upstreams` | dict | `{auth: http:/` | ... |\n')
    assert readme_problems('kong', root) == [
        'README.md has a table row for the input kong_upstreams (the spec is the one list)']
