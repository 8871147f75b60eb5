"""The derived database image's recipe (roles/postgres/templates/pgbackrest.Dockerfile.j2) and its tag.

The tag is a hash of the base image and the rendered recipe, so the recipe must render to the same bytes in every
run: a recipe that differs between two runs rebuilds the image and recreates the database and etcd containers on
a re-run (the fleet's idempotence failed that way when the recipe's comment came from Ansible's `union`, whose
order follows Python's per-process string hashing). Each rendering below runs in its own interpreter with its own
PYTHONHASHSEED.
"""
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = range(8)

_RENDER = """
import json, sys
sys.path.insert(0, {here!r})
from rendering import render_template, render_var
kw = dict(postgres_ha=True, postgres_wal_archive=True, ansible_managed='managed', inventory_hostname='db1')
recipe = render_template('postgres', 'pgbackrest.Dockerfile.j2', **kw)
packages = render_var('postgres', '__postgres_derived_packages', **kw)
print(json.dumps({{'recipe': recipe, 'packages': packages}}))
"""


def _render(seed):
    env = dict(os.environ, PYTHONHASHSEED=str(seed))
    out = subprocess.run([sys.executable, '-c', _RENDER.format(here=HERE)], env=env, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def test_the_recipe_renders_the_same_under_every_hash_seed():
    runs = {seed: _render(seed) for seed in SEEDS}
    recipes = {r['recipe'] for r in runs.values()}
    assert len(recipes) == 1, 'the recipe differs between interpreters:\n' + '\n----\n'.join(sorted(recipes))
    recipe = recipes.pop()
    assert '# WAL archiving and high availability.' in recipe
    assert 'patroni' in recipe and 'pgbackrest' in recipe
    assert all(r['packages'] == runs[0]['packages'] for r in runs.values())
