"""tree_digest / tree_files over find results: built in Python from a tmp tree, and from the real ansible.builtin.find."""
import hashlib
import json
import os
import subprocess
import sys

import pytest

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter.tree_digest import tree_digest
from ansible_collections.selfhost.supabase.plugins.filter.tree_files import tree_files


def sha256(path):
    with open(path, 'rb') as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def find(root):
    """What ansible.builtin.find with recurse, hidden, get_checksum sha256 returns (the parts the filter reads)."""
    files = []
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            path = os.path.join(dirpath, name)
            files.append({'path': path, 'checksum': sha256(path)})
    return {'files': files, 'matched': len(files)}


def loop(*roots):
    return {'results': [dict(find(r), __functions_src=r) for r in roots]}


@pytest.fixture
def tree(tmp_path):
    root = tmp_path / 'functions'
    (root / 'hello').mkdir(parents=True)
    (root / 'hello' / 'index.ts').write_text('export default 1\n')
    (root / 'main').mkdir()
    (root / 'main' / 'index.ts').write_text('router\n')
    (root / '.env').write_text('X=1\n')
    return root


def test_files_are_relative_and_sorted(tree, tmp_path):
    router = tmp_path / 'router'
    (router / 'main').mkdir(parents=True)
    (router / 'main' / 'index.ts').write_text('other router\n')
    assert tree_files(loop(str(tree), str(router)), [str(tree), str(router)]) == ['.env', 'hello/index.ts', 'main/index.ts']


def test_digest_is_stable_and_independent_of_order_and_location(tree, tmp_path):
    first = tree_digest(loop(str(tree)), [str(tree)])
    shuffled = loop(str(tree))
    shuffled['results'][0]['files'].reverse()
    assert tree_digest(shuffled, [str(tree)]) == first
    assert tree_digest(find(str(tree)), str(tree)) == first  # a single find result and one root
    moved = tmp_path / 'elsewhere'
    os.rename(str(tree), str(moved))
    assert tree_digest(loop(str(moved)), [str(moved) + '/']) == first


@pytest.mark.parametrize('change', ['edit', 'add', 'remove', 'rename'])
def test_digest_changes_with_the_tree(tree, change):
    before = tree_digest(loop(str(tree)), [str(tree)])
    target = tree / 'hello' / 'index.ts'
    if change == 'edit':
        target.write_text('export default 2\n')
    elif change == 'add':
        (tree / 'hello' / 'util.ts').write_text('\n')
    elif change == 'remove':
        target.unlink()
    else:
        target.rename(tree / 'hello' / 'main.ts')
    assert tree_digest(loop(str(tree)), [str(tree)]) != before


def test_a_file_moving_between_roots_changes_the_digest(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    a.mkdir()
    b.mkdir()
    (a / 'f').write_text('x')
    before = tree_digest(loop(str(a), str(b)), [str(a), str(b)])
    (a / 'f').rename(b / 'f')
    assert tree_digest(loop(str(a), str(b)), [str(a), str(b)]) != before


def test_refuses_results_without_checksums_or_mismatched_roots(tree):
    found = loop(str(tree))
    with pytest.raises(AnsibleFilterError, match='2 roots'):
        tree_digest(found, [str(tree), '/other'])
    del found['results'][0]['files'][0]['checksum']
    with pytest.raises(AnsibleFilterError, match='get_checksum'):
        tree_digest(found, [str(tree)])
    with pytest.raises(AnsibleFilterError, match='skipped'):
        tree_digest({'results': [{'skipped': True}]}, [str(tree)])


def test_against_the_real_find_module(tree):
    """The filter reads what ansible.builtin.find really returns (run as ansible does, through its args file)."""
    args = {'ANSIBLE_MODULE_ARGS': {'paths': [str(tree)], 'recurse': True, 'hidden': True, 'file_type': 'file',
                                    'get_checksum': True, 'checksum_algorithm': 'sha256'}}
    proc = subprocess.run([sys.executable, '-m', 'ansible.modules.find'], input=json.dumps(args),
                          capture_output=True, text=True, check=True)
    real = json.loads(proc.stdout)
    assert tree_files(real, [str(tree)]) == ['.env', 'hello/index.ts', 'main/index.ts']
    assert tree_digest(real, [str(tree)]) == tree_digest(find(str(tree)), [str(tree)])
