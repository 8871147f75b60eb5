"""galaxy.yml and requirements.yml list exactly the collections the content uses, and the Ansible
version claimed is the one tested.

"Used" is every FQCN (namespace.collection.name) in roles/, playbooks/, plugins/ and molecule/ (YAML,
templates, Python imports of ansible_collections.*) whose namespace.collection is an installed collection
or a declared dependency, leaving out ansible.builtin / ansible.legacy (ansible-core) and this collection.
"""
import glob
import os
import re

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOPS = ('roles', 'playbooks', 'plugins', 'molecule')
SUFFIXES = ('.yml', '.yaml', '.j2', '.py', '.cfg')
FQCN = re.compile(r'(?<![\w.-])(?:ansible_collections\.)?([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\.[a-z_][a-z0-9_]*\b')
CORE = {'ansible.builtin', 'ansible.legacy', 'selfhost.supabase'}
# Python packages of ansible-core that look like FQCNs in imports (ansible.module_utils.basic, ...).
CORE_PACKAGES = {'ansible.module_utils', 'ansible.plugins', 'ansible.parsing', 'ansible.errors', 'ansible.template',
                 'ansible.cli', 'ansible.utils', 'ansible.executor', 'ansible.playbook', 'ansible.vars',
                 'ansible.inventory', 'ansible.config', 'ansible.galaxy', 'ansible.release', 'ansible.constants'}


def installed_collections():
    import ansible_collections  # noqa: F401  (the `ansible` package's bundled collections)
    found = set()
    for base in list(ansible_collections.__path__):
        for path in glob.glob(os.path.join(base, '*', '*')):
            if os.path.isdir(path):
                found.add('%s.%s' % tuple(path.split(os.sep)[-2:]))
    return found


def galaxy_dependencies(root=ROOT):
    with open(os.path.join(root, 'galaxy.yml'), encoding='utf-8') as handle:
        return set((yaml.safe_load(handle).get('dependencies') or {}).keys())


def requirements(root=ROOT):
    with open(os.path.join(root, 'requirements.yml'), encoding='utf-8') as handle:
        return {item['name'] for item in yaml.safe_load(handle).get('collections') or []}


def used_collections(known, root=ROOT):
    used = {}
    for top in TOPS:
        for dirpath, dirs, files in os.walk(os.path.join(root, top)):
            dirs[:] = [d for d in dirs if d not in ('.molecule', '__pycache__')]
            for name in files:
                if not name.endswith(SUFFIXES):
                    continue
                path = os.path.join(dirpath, name)
                with open(path, encoding='utf-8', errors='replace') as handle:
                    text = handle.read()
                for match in FQCN.finditer(text):
                    pair = '%s.%s' % match.groups()
                    if pair in CORE or pair in CORE_PACKAGES or pair not in known:
                        continue
                    used.setdefault(pair, os.path.relpath(path, root))
    return used


def test_galaxy_lists_exactly_the_collections_used():
    declared = galaxy_dependencies()
    used = used_collections(installed_collections() | declared)
    missing = sorted(set(used) - declared)
    unused = sorted(declared - set(used))
    assert not missing, 'used but not in galaxy.yml dependencies: %s' % {k: used[k] for k in missing}
    assert not unused, 'in galaxy.yml dependencies but used nowhere: %s' % unused


def test_requirements_yml_matches_galaxy():
    assert requirements() == galaxy_dependencies()


def test_the_scan_sees_a_collection_it_was_not_told_about(tmp_path):
    (tmp_path / 'roles' / 'x' / 'tasks').mkdir(parents=True)
    (tmp_path / 'roles' / 'x' / 'tasks' / 'main.yml').write_text(
        '- name: A module from a collection nobody declared\n  community.crypto.openssl_privatekey:\n    path: /k\n'
        '- name: Core\n  ansible.builtin.debug:\n    msg: "{{ lookup(\'community.general.filetree\', \'/x\') }}"\n')
    used = used_collections({'community.crypto', 'community.general', 'community.docker'}, root=str(tmp_path))
    assert set(used) == {'community.crypto', 'community.general'}


def test_requires_ansible_is_the_tested_version():
    """meta/runtime.yml and every role's min_ansible_version claim the ansible-core the venv pins."""
    with open(os.path.join(ROOT, 'requirements-dev.txt'), encoding='utf-8') as handle:
        pinned = re.search(r'^ansible-core==(\d+\.\d+)\.\d+', handle.read(), re.M).group(1)
    with open(os.path.join(ROOT, 'meta', 'runtime.yml'), encoding='utf-8') as handle:
        claimed = yaml.safe_load(handle)['requires_ansible']
    assert re.match(r'^>=%s(\.0)?$' % re.escape(pinned), claimed), (claimed, pinned)
    for path in glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'main.yml')):
        with open(path, encoding='utf-8') as handle:
            info = yaml.safe_load(handle).get('galaxy_info') or {}
        assert str(info.get('min_ansible_version')) == pinned, (path, info.get('min_ansible_version'), pinned)
