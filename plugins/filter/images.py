#!/usr/bin/python3
# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""Image references: one registry prefix for every image (a private mirror), digests, floating tags."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# Each filter is documented in plugins/filter/<name>.yml (a file-level DOCUMENTATION here would
# shadow them in ansible-doc).

import json
import os
import re

from ansible.errors import AnsibleFilterError

DIGEST = re.compile(r'^sha256:[0-9a-f]{64}$')
# A registry prefix: host[:port] (name or IPv4 or [IPv6]) and an optional path, no scheme, no tag.
REGISTRY = re.compile(r'^(?:\[[0-9a-fA-F:]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)(?::[0-9]{1,5})?'
                      r'(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$')
PATH_COMPONENT = re.compile(r'^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$')
TAG = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$')
# Tags that name a release line rather than a release: a major or major.minor version (v-prefixed or not,
# optionally with a variant such as -alpine). Four or fewer digits keep date stamps (20231123-64a766a) out.
FLOATING_VERSION = re.compile(r'^v?[0-9]{1,4}(\.[0-9]+)?(-.+)?$')
# Channel names that move by definition, alone or before a variant (stable-alpine, latest-ubuntu).
FLOATING_WORDS = frozenset(['latest', 'stable', 'edge', 'mainline', 'nightly', 'main', 'master', 'develop',
                            'dev', 'lts', 'current', 'rolling', 'alpine', 'slim'])
DOCKER_HUB = 'docker.io'
# Inputs that are only the tag of an image variable's default: the rule checks the image they make.
TAG_INPUTS = {'minio_version': ('minio_image', 'minio/minio')}
# Image variables of roles that are not an operator's input (the internal container role's own).
NOT_INPUTS = frozenset(['container_image'])


def _text(value):
    return '' if value is None else str(value).strip()


def supabase_image_parse(image):
    """{registry, repository, tag, digest, explicit_registry} of an image reference, as Docker reads it."""
    ref = _text(image)
    if not ref or any(c.isspace() for c in ref):
        raise AnsibleFilterError('not an image reference: %r' % (image,))
    name, _, digest = ref.partition('@')
    if digest and not DIGEST.match(digest):
        raise AnsibleFilterError('%s: the digest must be sha256: and 64 lowercase hex digits' % ref)
    tag = ''
    last = name.rsplit('/', 1)[-1]
    if ':' in last:
        name, tag = name.rsplit(':', 1)
        if not TAG.match(tag):
            raise AnsibleFilterError('%s: %r is not a valid tag' % (ref, tag))
    parts = name.split('/')
    explicit = len(parts) > 1 and ('.' in parts[0] or ':' in parts[0] or parts[0] == 'localhost')
    registry = parts.pop(0) if explicit else DOCKER_HUB
    if explicit and not REGISTRY.match(registry):
        raise AnsibleFilterError('%s: %r is not a registry host[:port]' % (ref, registry))
    if registry == DOCKER_HUB and len(parts) == 1:
        parts.insert(0, 'library')
    if not parts or not all(PATH_COMPONENT.match(p) for p in parts):
        raise AnsibleFilterError('%s: the name must be lowercase path components (a-z, 0-9, . _ -)' % ref)
    return {'registry': registry, 'repository': '/'.join(parts), 'tag': tag, 'digest': digest,
            'explicit_registry': explicit}


def supabase_image_ref(image, registry='', digest=''):
    """The reference to pull and run: the mirror prefix in place of the image's registry, and its digest."""
    registry = _text(registry).rstrip('/')
    digest = _text(digest)
    if registry and not REGISTRY.match(registry):
        raise AnsibleFilterError('supabase_image_registry %r is not a registry prefix (host[:port][/path], '
                                 'no scheme)' % registry)
    if digest and not DIGEST.match(digest):
        raise AnsibleFilterError('the digest %r of %s must be sha256: and 64 lowercase hex digits' % (digest, image))
    parsed = supabase_image_parse(image)
    digest = digest or parsed['digest']
    if registry:
        ref = registry + '/' + parsed['repository']
    else:
        ref = _text(image).partition('@')[0]
        if parsed['tag']:
            ref = ref[:-(len(parsed['tag']) + 1)]
    # With a digest the tag is left out: Docker ignores it then, and community.docker reads name@digest only.
    if digest:
        return ref + '@' + digest
    return ref + (':' + parsed['tag'] if parsed['tag'] else '')


def supabase_image_floating(image, digest=''):
    """Why the image's tag floats ('' when it is pinned): no tag, latest, a major or major.minor line, a channel."""
    if _text(digest):
        return ''
    parsed = supabase_image_parse(image)
    if parsed['digest']:
        return ''
    tag = parsed['tag']
    if not tag:
        return 'no tag (Docker reads it as latest)'
    low = tag.lower()
    if low.split('-', 1)[0] in FLOATING_WORDS:
        return 'the tag %s names a channel, not a release' % tag
    if FLOATING_VERSION.match(low):
        return 'the tag %s names a major or major.minor line, not a release' % tag
    return ''


def _spec_options(spec):
    """The options of a parsed meta/argument_specs.yml (every entry point), or of a plain options dict."""
    spec = spec or {}
    if 'argument_specs' not in spec:
        return spec
    out = {}
    for entry in (spec.get('argument_specs') or {}).values():
        out.update((entry or {}).get('options') or {})
    return out


def _image_options(specs):
    """Image variables the roles declare: {variable: default or None}."""
    out = {}
    for spec in specs or []:
        for name, option in _spec_options(spec).items():
            if name.endswith('_image') and name not in NOT_INPUTS and (option or {}).get('type', 'str') == 'str':
                default = (option or {}).get('default')
                out[name] = default if isinstance(default, str) and '{{' not in default else None
    return out


def supabase_image_problems(given, specs=None, allow_floating=False):
    """Problems of a host's image inputs, each naming the operator's variable.

    given: the host's variables among the image ones (<x>_image, <x>_image_digest, supabase_image_registry,
    and the tag inputs such as minio_version); specs: the roles' argument spec options (their image variables
    and defaults are checked too). allow_floating: supabase_allow_floating_tags.
    """
    given = dict(given or {})
    problems = []
    registry = _text(given.get('supabase_image_registry'))
    if registry and not REGISTRY.match(registry.rstrip('/')):
        problems.append('supabase_image_registry %r is not a registry prefix: host[:port] with an optional path, '
                        'no scheme (e.g. registry.example.internal:5000 or 127.0.0.1:5000)' % registry)
    images = _image_options(specs)
    for name in given:
        if name.endswith('_image') and name not in NOT_INPUTS:
            images.setdefault(name, None)
    for tag_input, (image_var, repository) in TAG_INPUTS.items():
        if tag_input in given and image_var not in given and _text(given[tag_input]):
            given[image_var] = '%s:%s' % (repository, _text(given[tag_input]))
            images[image_var] = None
            given.setdefault('__source_' + image_var, tag_input)
    for name in sorted(images):
        value = given.get(name, images[name])
        value = _text(value)
        if not value or '{{' in value:
            continue
        variable = given.get('__source_' + name, name)
        digest = _text(given.get(name + '_digest'))
        if digest and not DIGEST.match(digest):
            problems.append('%s_digest %r must be sha256: followed by 64 lowercase hex digits (docker images '
                            '--digests, or the registry\'s Docker-Content-Digest)' % (name, digest))
            continue
        try:
            reason = supabase_image_floating(value, digest)
        except AnsibleFilterError as e:
            problems.append('%s: %s' % (variable, e))
            continue
        if reason and not allow_floating:
            problems.append('%s: %s uses a floating tag, %s; pin a release (e.g. redis:7.2.3-alpine), or a '
                            'digest in %s_digest, or set supabase_allow_floating_tags: true'
                            % (variable, value, reason, name))
    return problems


# The image variables of a host the image rule reads.
IMAGE_VARIABLES = r'^([a-z_]+_image(_digest)?|minio_version|supabase_image_registry)$'


def supabase_hosts_image_problems(hostvars, hosts, specs=None):
    """supabase_image_problems of each host's image variables, as 'host: problem' (unique).

    Each host's own supabase_allow_floating_tags says whether floating tags pass.
    """
    from ansible.module_utils.parsing.convert_bool import boolean

    out = []
    for host in hosts or []:
        hv = hostvars[host]
        given = dict((name, hv[name]) for name in list(hv.keys()) if re.match(IMAGE_VARIABLES, str(name)))
        allow = boolean(hv['supabase_allow_floating_tags'], strict=False) if 'supabase_allow_floating_tags' in hv else False
        for problem in supabase_image_problems(given, specs, allow):
            item = '%s: %s' % (host, problem)
            if item not in out:
                out.append(item)
    return out


def preload_archives(results):
    """The images of every archive: {path, name, id, tags} per manifest entry of each ``docker save`` archive.

    ``results``: the registered loop of ``tar -xOf ARCHIVE manifest.json``, each with ``item.path`` and
    ``stdout`` (the manifest, JSON).
    """
    out = []
    for result in results or []:
        path = str(((result or {}).get('item') or {}).get('path') or '')
        if not path:
            raise AnsibleFilterError('preload_archives: a result without item.path')
        try:
            manifest = json.loads(result.get('stdout') or '')
        except ValueError as exc:
            raise AnsibleFilterError('preload_archives: %s: manifest.json is not JSON (%s)' % (path, exc))
        if not isinstance(manifest, list):
            raise AnsibleFilterError('preload_archives: %s: manifest.json is not a list' % path)
        for entry in manifest:
            config = os.path.basename(str((entry or {}).get('Config') or ''))
            if not config:
                raise AnsibleFilterError('preload_archives: %s: a manifest entry without Config' % path)
            out.append({'path': path, 'name': os.path.basename(path),
                        'id': 'sha256:' + re.sub(r'\.json$', '', config),
                        'tags': list(entry.get('RepoTags') or [])})
    return out


def preload_needed(archives, images):
    """Paths of the archives whose images a host lacks (``images``: docker_image_info's images).

    An archive is needed when its image id is absent, or one of its tags is absent or names another image.
    """
    have = {}
    for image in images or []:
        for tag in image.get('RepoTags') or []:
            have[tag] = image['Id']
        have[image['Id']] = image['Id']
    out = []
    for archive in archives or []:
        if (have.get(archive['id']) != archive['id']
                or any(have.get(tag) != archive['id'] for tag in archive.get('tags') or [])):
            if archive['path'] not in out:
                out.append(archive['path'])
    return out


class FilterModule(object):
    def filters(self):
        return {
            'supabase_image_parse': supabase_image_parse,
            'supabase_image_ref': supabase_image_ref,
            'supabase_image_floating': supabase_image_floating,
            'supabase_image_problems': supabase_image_problems,
            'supabase_hosts_image_problems': supabase_hosts_image_problems,
            'preload_archives': preload_archives,
            'preload_needed': preload_needed,
        }
