"""molecule/resources/vars/offline-images.yml: every stand-in role is told which contract to hold."""
import os

import yaml

import contract
from rendering import ROOT, render_var

with open(os.path.join(ROOT, 'molecule', 'resources', 'vars', 'offline-images.yml'), encoding='utf-8') as handle:
    OFFLINE = yaml.safe_load(handle)

ROLE_OF = {'gotrue': 'gotrue', 'postgrest': 'postgrest', 'realtime': 'realtime', 'storage': 'storage',
           'studio': 'studio', 'functions': 'functions', 'kong': 'kong'}


def test_every_standin_role_gets_its_component():
    standins = sorted(k[:-len('_image')] for k, v in OFFLINE.items()
                      if k.endswith('_image') and v == '{{ offline_standin_image }}')
    assert standins == sorted(contract.COMPONENTS)
    for role in standins:
        env = render_var(role, '%s_extra_env' % role, **{'%s_extra_env' % role: OFFLINE['%s_extra_env' % role]})
        assert env['STANDIN_COMPONENT'] == role
        more = render_var(role, '%s_extra_env' % role, **{'%s_extra_env' % role: OFFLINE['%s_extra_env' % role],
                                                          'offline_%s_extra_env' % role: {'EXTRA': 'x'}})
        assert more == dict(env, EXTRA='x')


def test_minio_is_the_offline_s3_server_and_bootstrap_is_not_disabled():
    assert OFFLINE['minio_image'] == 'selfhost-supabase/minio:offline'
    assert 'minio_bootstrap_buckets' not in OFFLINE
    # never, unless a scenario whose images come from the loopback registry sets offline_container_pull (stack).
    assert OFFLINE['container_pull'] == "{{ offline_container_pull | default('never') }}"
