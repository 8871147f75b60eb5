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


class FilterModule(object):
    def filters(self):
        return {
            'supabase_controller_file': supabase_controller_file,
            'supabase_jwt_verification': supabase_jwt_verification,
            'supabase_jwt_generate': supabase_jwt_generate,
        }
