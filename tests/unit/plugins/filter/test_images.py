"""Unit tests of plugins/filter/images.py: the registry mirror prefix, digests, the floating-tag rule."""

import glob
import os

import pytest
import yaml

from ansible.errors import AnsibleFilterError
from ansible_collections.selfhost.supabase.plugins.filter import images as im
from ansible_collections.selfhost.supabase.plugins.filter import validation as v

ROOT = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..')
ROLES = os.path.join(ROOT, 'roles')
DIGEST = 'sha256:' + 'ab' * 32
OTHER = 'sha256:' + 'cd' * 32


def test_filters_registered():
    names = im.FilterModule().filters()
    for name in ['supabase_image_parse', 'supabase_image_ref', 'supabase_image_floating', 'supabase_image_problems']:
        assert callable(names[name])


@pytest.mark.parametrize('image,registry,repository,tag,digest,explicit', [
    ('redis:7.2.3-alpine', 'docker.io', 'library/redis', '7.2.3-alpine', '', False),
    ('redis', 'docker.io', 'library/redis', '', '', False),
    ('supabase/gotrue:v2.99.0', 'docker.io', 'supabase/gotrue', 'v2.99.0', '', False),
    ('docker.io/library/redis:7', 'docker.io', 'library/redis', '7', '', True),
    ('quay.io/org/team/app:1.2.3', 'quay.io', 'org/team/app', '1.2.3', '', True),
    ('mirror.internal:5000/supabase/postgres:15.1.0.147', 'mirror.internal:5000', 'supabase/postgres',
     '15.1.0.147', '', True),
    ('localhost/app:1.0.0', 'localhost', 'app', '1.0.0', '', True),
    ('127.0.0.1:5000/selfhost-supabase/redis:offline', '127.0.0.1:5000', 'selfhost-supabase/redis', 'offline', '', True),
    ('redis@' + DIGEST, 'docker.io', 'library/redis', '', DIGEST, False),
    ('kong:3.4.2@' + DIGEST, 'docker.io', 'library/kong', '3.4.2', DIGEST, False),
    ('registry:5000/app', 'registry:5000', 'app', '', '', True),
])
def test_parse_reads_references_as_docker_does(image, registry, repository, tag, digest, explicit):
    assert im.supabase_image_parse(image) == {'registry': registry, 'repository': repository, 'tag': tag,
                                              'digest': digest, 'explicit_registry': explicit}


@pytest.mark.parametrize('image', ['', 'Redis:7.2.3', 'redis:7 2', 'redis@sha256:abc', 'redis:bad/tag:1',
                                   'redis:-x', 'supabase//gotrue:v1.0.0'])
def test_parse_refuses_malformed_references(image):
    with pytest.raises(AnsibleFilterError):
        im.supabase_image_parse(image)


@pytest.mark.parametrize('image,registry,digest,expect', [
    # No prefix: the image as written, its own registry.
    ('redis:7.2.3-alpine', '', '', 'redis:7.2.3-alpine'),
    ('quay.io/org/app:1.2.3', '', '', 'quay.io/org/app:1.2.3'),
    ('redis:7.2.3-alpine', '', DIGEST, 'redis@' + DIGEST),
    # Docker Hub official images live under library/ on a mirror.
    ('redis:7.2.3-alpine', '127.0.0.1:5000', '', '127.0.0.1:5000/library/redis:7.2.3-alpine'),
    ('docker.io/library/redis:7.2.3', 'mirror:5000', '', 'mirror:5000/library/redis:7.2.3'),
    ('supabase/gotrue:v2.99.0', 'mirror.example.internal', '', 'mirror.example.internal/supabase/gotrue:v2.99.0'),
    # A registry written in the image is replaced, host:port included.
    ('quay.io/org/app:1.2.3', 'mirror:5000', '', 'mirror:5000/org/app:1.2.3'),
    ('other.registry:443/supabase/postgres:15.1.0.147', 'mirror:5000', '',
     'mirror:5000/supabase/postgres:15.1.0.147'),
    ('localhost/app:1.0.0', 'mirror:5000', '', 'mirror:5000/app:1.0.0'),
    # A prefix with a path (a project on the mirror), a trailing slash tolerated.
    ('supabase/studio:20231123-64a766a', 'harbor.corp/supabase-proxy/', '',
     'harbor.corp/supabase-proxy/supabase/studio:20231123-64a766a'),
    # Already under the mirror: unchanged (the harness's offline images).
    ('127.0.0.1:5000/selfhost-supabase/redis:offline', '127.0.0.1:5000', '',
     '127.0.0.1:5000/selfhost-supabase/redis:offline'),
    ('selfhost-supabase/redis:offline', '127.0.0.1:5000', '', '127.0.0.1:5000/selfhost-supabase/redis:offline'),
    # Digests: the one given wins over one written in the image; the tag is left out beside it.
    ('kong:3.4.2', 'mirror:5000', DIGEST, 'mirror:5000/library/kong@' + DIGEST),
    ('kong:3.4.2@' + DIGEST, 'mirror:5000', '', 'mirror:5000/library/kong@' + DIGEST),
    ('kong:3.4.2@' + DIGEST, '', OTHER, 'kong@' + OTHER),
    ('mirror:5000/app:1.0.0', '', DIGEST, 'mirror:5000/app@' + DIGEST),
    ('kong@' + DIGEST, 'mirror:5000', '', 'mirror:5000/library/kong@' + DIGEST),
    ('[fd00::1]:5000/app:1.0.0', '[fd00::2]:5000', '', '[fd00::2]:5000/app:1.0.0'),
])
def test_ref_composes_mirror_and_digest(image, registry, digest, expect):
    assert im.supabase_image_ref(image, registry, digest) == expect


@pytest.mark.parametrize('registry,digest', [('https://mirror:5000', ''), ('mirror:5000/Up', ''), ('', 'sha256:12'),
                                             ('', 'md5:' + 'a' * 32), ('mirror :5000', '')])
def test_ref_refuses_bad_prefix_or_digest(registry, digest):
    with pytest.raises(AnsibleFilterError):
        im.supabase_image_ref('redis:7.2.3', registry, digest)


@pytest.mark.parametrize('image', ['redis', 'redis:latest', 'redis:7', 'redis:7-alpine', 'caddy:2-alpine', 'kong:3.4',
                                   'postgrest/postgrest:v14.5', 'nginx:stable-alpine', 'nginx:mainline',
                                   'redis:alpine', 'supabase/studio:latest', 'mirror:5000/library/redis:7.2',
                                   'node:20-bookworm-slim', 'app:LATEST'])
def test_floating_tags(image):
    assert im.supabase_image_floating(image) != ''


@pytest.mark.parametrize('image', ['redis:7.2.3-alpine', 'caddy:2.7.5-alpine', 'kong:3.4.2', 'kong:2.8.1',
                                   'supabase/postgres:15.1.0.147', 'supabase/studio:20231123-64a766a',
                                   'supabase/studio:2026.02.16-sha-26c615c',
                                   'minio/minio:RELEASE.2024-01-16T16-07-38Z', 'supabase/gotrue:v2.99.0',
                                   'selfhost-supabase/redis:offline', 'redis@' + DIGEST, 'redis:latest@' + DIGEST])
def test_pinned_tags(image):
    assert im.supabase_image_floating(image) == ''


def test_a_digest_input_pins_a_floating_tag():
    assert im.supabase_image_floating('redis:7-alpine', DIGEST) == ''


def test_problems_name_the_variable_and_the_way_out():
    problems = im.supabase_image_problems({'redis_image': 'redis:7-alpine', 'caddy_image': 'caddy:2.7.5-alpine'})
    assert len(problems) == 1
    assert problems[0].startswith('redis_image: redis:7-alpine uses a floating tag')
    assert 'redis_image_digest' in problems[0] and 'supabase_allow_floating_tags' in problems[0]


def test_problems_digest_and_opt_out():
    assert im.supabase_image_problems({'redis_image': 'redis:7-alpine', 'redis_image_digest': DIGEST}) == []
    assert im.supabase_image_problems({'redis_image': 'redis:latest'}, allow_floating=True) == []
    bad = im.supabase_image_problems({'redis_image': 'redis:7.2.3', 'redis_image_digest': 'sha256:123'})
    assert len(bad) == 1 and bad[0].startswith('redis_image_digest ')


def test_problems_refuse_a_bad_registry_prefix_and_malformed_images():
    problems = im.supabase_image_problems({'supabase_image_registry': 'http://mirror:5000',
                                           'kong_image': 'Kong:3.4.2'})
    assert any(p.startswith('supabase_image_registry ') for p in problems)
    assert any(p.startswith('kong_image: ') for p in problems)
    assert im.supabase_image_problems({'supabase_image_registry': '127.0.0.1:5000'}) == []


def test_spec_documents_are_read_like_option_dicts():
    doc = {'argument_specs': {'main': {'options': {'redis_image': {'type': 'str', 'default': 'redis:7-alpine'}}}}}
    assert len(im.supabase_image_problems({}, [doc])) == 1


def test_problems_check_the_spec_defaults_and_tag_inputs():
    specs = [{'redis_image': {'type': 'str', 'default': 'redis:7-alpine'},
              'minio_image': {'type': 'str', 'description': 'defaults to minio/minio:{{ minio_version }}'},
              'postgres_pgbackrest_image': {'type': 'str', 'default': ''},
              'container_image': {'type': 'str', 'required': True}}]
    problems = im.supabase_image_problems({}, specs)
    assert problems == [p for p in problems if p.startswith('redis_image: redis:7-alpine')] and len(problems) == 1
    problems = im.supabase_image_problems({'redis_image': 'redis:7.2.3-alpine', 'minio_version': 'latest'}, specs)
    assert len(problems) == 1 and problems[0].startswith('minio_version: minio/minio:latest')
    assert im.supabase_image_problems({'redis_image': 'redis:7.2.3-alpine',
                                       'minio_image': 'minio/minio:RELEASE.2024-01-16T16-07-38Z',
                                       'minio_version': 'latest'}, specs) == []


def _role_defaults():
    out = {}
    for path in glob.glob(os.path.join(ROLES, '*', 'defaults', 'main.yml')):
        with open(path, encoding='utf-8') as f:
            out.update(yaml.safe_load(f) or {})
    return out


def test_every_role_default_image_is_pinned():
    """The roles' own defaults pass the rule the validation phase applies to the inventory."""
    defaults = _role_defaults()
    images = {k: val for k, val in defaults.items() if k.endswith('_image') and isinstance(val, str)}
    assert {'redis_image', 'caddy_image', 'kong_image', 'postgres_image', 'storage_imgproxy_image'} <= set(images)
    images['minio_image'] = images['minio_image'].replace('{{ minio_version }}', defaults['minio_version'])
    specs = list(v.supabase_role_specs(ROLES).values())
    assert len(im._image_options(specs)) >= 15
    assert im.supabase_image_problems(images, specs) == []
    assert im.supabase_image_problems({}, specs) == []  # the spec defaults too


def test_every_image_input_has_a_digest_input_and_is_composed():
    """Each role image variable: a <variable>_digest default and spec entry, and the role runs the composed one."""
    defaults = _role_defaults()
    specs = v.supabase_role_specs(ROLES)
    checked = []
    for role, spec in specs.items():
        options = im._spec_options(spec)
        for name in options:
            # Prebuilt derived images: already on the host, never pulled (no registry, no digest).
            if not name.endswith('_image') or name in im.NOT_INPUTS or name in ('postgres_pgbackrest_image', 'postgres_ha_image'):
                continue
            assert defaults.get(name + '_digest') == '' or name == 'backup_archive_image', name
            assert name + '_digest' in options, (role, name)
            assert 'supabase_image_registry' in options, role
            with open(os.path.join(ROLES, role, 'vars', 'main.yml'), encoding='utf-8') as f:
                role_vars = f.read()
            assert ("%s | selfhost.supabase.supabase_image_ref(supabase_image_registry | default(''), %s_digest)"
                    % (name, name)) in role_vars, (role, name)
            checked.append(name)
    assert len(checked) >= 14, checked


def test_the_offline_image_set_passes_without_the_opt_out():
    with open(os.path.join(ROOT, 'molecule', 'resources', 'vars', 'offline-images.yml'), encoding='utf-8') as f:
        offline = yaml.safe_load(f)
    assert 'supabase_allow_floating_tags' not in offline
    standin = offline['offline_standin_image']
    images = {k: (standin if '{{' in str(val) else val) for k, val in offline.items() if k.endswith('_image')}
    assert im.supabase_image_problems(images) == []


# The per-host image rule and the preload programs moved out of playbooks/.

class _Vars(dict):
    def __getitem__(self, name):
        if name.startswith('boom'):
            raise AssertionError('%s was read' % name)
        return dict.__getitem__(self, name)


def test_hosts_image_problems_per_host_and_its_own_opt_out():
    hostvars = {'a': _Vars(redis_image='redis:7-alpine', boom=1),
                'b': _Vars(redis_image='redis:7-alpine', supabase_allow_floating_tags='yes'),
                'c': _Vars(redis_image='redis:7.2.3', redis_image_digest='sha256:123', minio_version='latest')}
    out = im.supabase_hosts_image_problems(hostvars, ['a', 'b', 'c', 'a'])
    assert out[0].startswith('a: redis_image: redis:7-alpine uses a floating tag')
    assert sorted(p.split(' ', 2)[1] for p in out[1:]) == ['minio_version:', 'redis_image_digest']
    assert all(p.startswith('c: ') for p in out[1:]) and len(out) == 3
    assert im.supabase_hosts_image_problems(hostvars, ['b']) == []
    assert im.supabase_hosts_image_problems(hostvars, []) == []
    with pytest.raises(KeyError):
        im.supabase_hosts_image_problems(hostvars, ['nohost'])


def _manifest_result(path, *entries):
    import json
    return {'item': {'path': path}, 'stdout': json.dumps(list(entries))}


def test_preload_archives():
    results = [
        _manifest_result('/img/a.tar', {'Config': 'blobs/sha256/' + 'ab' * 32, 'RepoTags': ['x:1', 'x:latest']}),
        _manifest_result('/img/b.tar', {'Config': 'cd' * 32 + '.json', 'RepoTags': None},
                         {'Config': 'ef' * 32 + '.json', 'RepoTags': ['y:2']}),
    ]
    assert im.preload_archives(results) == [
        {'path': '/img/a.tar', 'name': 'a.tar', 'id': DIGEST, 'tags': ['x:1', 'x:latest']},
        {'path': '/img/b.tar', 'name': 'b.tar', 'id': OTHER, 'tags': []},
        {'path': '/img/b.tar', 'name': 'b.tar', 'id': 'sha256:' + 'ef' * 32, 'tags': ['y:2']},
    ]
    assert im.preload_archives([]) == []


@pytest.mark.parametrize('results,words', [
    ([{'item': {}, 'stdout': '[]'}], 'without item.path'),
    ([{'item': {'path': '/a.tar'}, 'stdout': 'not json'}], '/a.tar: manifest.json is not JSON'),
    ([{'item': {'path': '/a.tar'}, 'stdout': '{}'}], 'is not a list'),
    ([{'item': {'path': '/a.tar'}, 'stdout': '[{"RepoTags": []}]'}], 'without Config'),
])
def test_preload_archives_bad_input(results, words):
    with pytest.raises(AnsibleFilterError, match=words):
        im.preload_archives(results)


def test_preload_needed():
    archives = [{'path': '/a.tar', 'id': DIGEST, 'tags': ['x:1']},
                {'path': '/b.tar', 'id': OTHER, 'tags': ['y:1', 'y:2']},
                {'path': '/b.tar', 'id': 'sha256:' + 'ef' * 32, 'tags': []}]
    # Nothing present: every archive, each once.
    assert im.preload_needed(archives, []) == ['/a.tar', '/b.tar']
    present = [{'Id': DIGEST, 'RepoTags': ['x:1']}, {'Id': OTHER, 'RepoTags': ['y:1', 'y:2']},
               {'Id': 'sha256:' + 'ef' * 32, 'RepoTags': None}]
    assert im.preload_needed(archives, present) == []
    # A tag missing, a tag naming another image, the id missing.
    assert im.preload_needed(archives, [present[0], {'Id': OTHER, 'RepoTags': ['y:1']}, present[2]]) == ['/b.tar']
    assert im.preload_needed(archives, [{'Id': OTHER, 'RepoTags': ['x:1']}] + present[1:]) == ['/a.tar']
    assert im.preload_needed(archives, [{'Id': DIGEST, 'RepoTags': []}] + present[1:]) == ['/a.tar']
