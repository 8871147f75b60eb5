# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""Filters the secrets role runs in the validation phase instead of modules.

Each module call costs a Python process on the controller (about half a second idle, seconds under
load); these run inside the ansible-playbook process. They use the same code as the jwt_keys module
(plugins/module_utils/jwt.py), so a key passes or fails here exactly as it would there.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# No DOCUMENTATION here: ansible-doc would show a module-level one for every filter of this file.
# Each filter has its own sidecar, plugins/filter/<filter name>.yml.

import os
import stat

from ansible.errors import AnsibleFilterError

from ansible_collections.selfhost.supabase.plugins.module_utils import jwt as J
from ansible_collections.selfhost.supabase.plugins.filter.validation import supabase_secret_problems


def supabase_controller_file(path):
    """{exists, mode, content} of ``path`` on the controller (content as text)."""
    path = str(path or '')
    if not path:
        raise AnsibleFilterError('supabase_controller_file: no path given')
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return {'exists': False, 'mode': '', 'content': ''}
    if not stat.S_ISREG(info.st_mode):
        raise AnsibleFilterError('supabase_controller_file: %s is not a regular file' % path)
    with open(path, 'rb') as handle:
        content = handle.read().decode('utf-8', errors='replace')
    return {'exists': True, 'mode': '%04o' % stat.S_IMODE(info.st_mode), 'content': content}


def _strip(result):
    return {'ok': bool(result['ok']), 'errors': list(result['errors'])}


def supabase_jwt_verification(keys, secret):
    """{role: {ok, errors}} of the given API keys (``keys``: role -> token; empty tokens are left out)."""
    given = dict((role, token) for role, token in (keys or {}).items() if role in J.ROLES and token)
    if not given:
        return {}
    problems = J.check_secret(str(secret or ''))
    if problems:
        raise AnsibleFilterError('supabase_jwt_verification: the JWT secret breaks a rule (%s)' % '; '.join(problems))
    _valid, results = J.verify_key_set(given, secret=str(secret))
    return dict((role, _strip(r)) for role, r in results.items())


def supabase_jwt_generate(secret, length=48, issuer=J.DEFAULT_ISSUER, expiry_years=10):
    """{secret, anon_key, service_role_key}: ``secret`` (a new one when empty) and two keys signed with it."""
    secret = str(secret or '')
    if not secret:
        if int(length) < 32:
            raise AnsibleFilterError('supabase_jwt_generate: length must be at least 32')
        secret = J.random_secret(int(length))
    problems = J.check_secret(secret)
    if problems:
        raise AnsibleFilterError('supabase_jwt_generate: the JWT secret breaks a rule (%s)' % '; '.join(problems))
    out = {'secret': secret}
    for role in J.ROLES:
        claims = J.api_key_claims(role, expiry_years=int(expiry_years), issuer=str(issuer))
        out['%s_key' % role] = J.sign_hs256(claims, secret)
    return out


def _value(values, name):
    value = (values or {}).get(name)
    return '' if value is None else value


def supabase_secrets_problems(candidates, specs, key_names, operator, secrets_file, demo_keys=None):
    """Problems of the values the secrets role would use (``candidates``: name -> value), by name.

    ``specs``: the role's secret specs ({name, demo, ...}); ``key_names``: the API key variables;
    ``operator``: name -> the value the operator gave (empty when none), which says the origin shown
    ('given' or 'in <secrets_file>'); ``demo_keys``: published API keys to refuse. No value appears in
    a message.
    """
    candidates = candidates or {}
    operator = operator or {}
    demo_keys = [str(k) for k in (demo_keys or [])]

    def origin(name):
        return 'given' if operator.get(name) else 'in %s' % secrets_file

    problems = []
    for spec in specs or []:
        name = spec['name']
        problems.extend(supabase_secret_problems(_value(candidates, name), name, origin=origin(name),
                                                 demo=spec.get('demo')))
    for name in key_names or []:
        value = _value(candidates, name)
        if str(value) in demo_keys:
            problems.append('%s (%s) is a published demo key' % (name, origin(name)))
        problems.extend(supabase_secret_problems(value, name, origin=origin(name)))
    if not _value(candidates, 'supabase_jwt_secret'):
        for name in key_names or []:
            if operator.get(name):
                problems.append('%s (given) cannot be checked: supabase_jwt_secret is not set, and a key must be '
                                'signed by it' % name)
    return problems


def supabase_key_problems(verification, operator):
    """Problems of the API keys the operator gave that failed verification.

    ``verification``: role -> {ok, errors}, as supabase_jwt_verification returns; keys not given by the
    operator (``operator``: name -> given value) are left out: stored ones are regenerated instead.
    """
    problems = []
    for role, result in (verification or {}).items():
        name = 'supabase_%s_key' % role
        if (operator or {}).get(name) and not result.get('ok'):
            problems.append('%s (given): %s' % (name, ', '.join(str(e) for e in result.get('errors') or [])))
    return problems


def supabase_generated_problems(generated):
    """Problems of freshly generated values (name -> value), each checked by its secret's rule."""
    problems = []
    for name, value in (generated or {}).items():
        problems.extend(supabase_secret_problems(value, name, origin='generated'))
    return problems


def supabase_random_secrets(specs, candidates=None, jwt_secret=''):
    """New random values for the specs whose name is not in ``candidates`` (name -> value).

    Each value has ``spec.length`` characters drawn from ``spec.chars`` (default letters and digits), with
    the password lookup's character sets and generator. supabase_jwt_secret is left to
    supabase_jwt_generate: ``jwt_secret``, when given, is added under that name.
    """
    # The password lookup's own helpers: the same character classes and the same random source.
    from ansible.plugins.lookup.password import _gen_candidate_chars
    from ansible.utils.encrypt import random_password

    candidates = candidates or {}
    out = {}
    for spec in specs or []:
        name = spec['name']
        if name in candidates or name == 'supabase_jwt_secret':
            continue
        try:
            length = int(spec.get('length'))
        except (TypeError, ValueError):
            raise AnsibleFilterError('supabase_random_secrets: %s has no integer length' % name)
        if length < 1:
            raise AnsibleFilterError('supabase_random_secrets: %s has length %d' % (name, length))
        chars = spec.get('chars') or ['ascii_letters', 'digits']
        if isinstance(chars, str):
            chars = [chars]
        out[name] = random_password(length, _gen_candidate_chars(list(chars)))
    if jwt_secret:
        out['supabase_jwt_secret'] = str(jwt_secret)
    return out


class FilterModule(object):
    def filters(self):
        return {
            'supabase_controller_file': supabase_controller_file,
            'supabase_jwt_verification': supabase_jwt_verification,
            'supabase_jwt_generate': supabase_jwt_generate,
            'supabase_secrets_problems': supabase_secrets_problems,
            'supabase_key_problems': supabase_key_problems,
            'supabase_generated_problems': supabase_generated_problems,
            'supabase_random_secrets': supabase_random_secrets,
        }
