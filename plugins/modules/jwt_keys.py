#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: jwt_keys
short_description: Generate and verify Supabase JWT secrets and API keys
version_added: 0.1.0
description:
  - Generates the two Supabase API keys, C(anon) and C(service_role), as JSON Web Tokens signed with
    the stack's JWT secret (HS256), or with an asymmetric ES256 (P-256) signing key.
  - Verifies given API keys, one result per key. A key passes when its signature verifies, its
    C(role) claim matches the slot it was given in, it has not expired, it is not a published demo key
    (or carries a demo issuer), and the anon key differs from the service_role key.
  - Generates a random JWT secret on request.
  - Generates an ES256 key pair with a key id and returns the public JSON Web Key Set.
  - Pure computation. It reads and writes nothing on any host, so it always returns C(changed=false),
    also in check mode. Run it on the controller with C(delegate_to=localhost) and C(run_once=true).
  - HS256 uses only the Python standard library. ES256 needs the C(cryptography) library on the
    controller.
  - The return values hold secrets. A module cannot hide its own return values from the callback,
    so the calling task B(must) set C(no_log=true).
author:
  - selfhost.supabase maintainers (@selfhost)
requirements:
  - python >= 3.8
  - cryptography >= 3.0 (only for O(algorithm=ES256) or O(generate_signing_key=true))
attributes:
  check_mode:
    support: full
    description: Nothing is changed anywhere; the module computes the same result in check mode.
  diff_mode:
    support: none
    description: There is no state to diff.
options:
  secret:
    description:
      - The JWT secret used to sign (HS256) and to check HS256 keys.
      - Must be at least 32 characters and not the published demo secret.
      - Ignored when O(generate_secret=true).
    type: str
  generate_secret:
    description:
      - Generate a new random JWT secret of O(secret_length) letters and digits and use it.
      - The secret is returned as RV(secret).
    type: bool
    default: false
  secret_length:
    description: Length of a generated JWT secret.
    type: int
    default: 48
  generate_keys:
    description:
      - Generate the C(anon) and C(service_role) API keys.
      - They are signed with O(secret) (HS256) or with the ES256 signing key, see O(algorithm).
    type: bool
    default: false
  algorithm:
    description:
      - How generated keys are signed.
      - V(ES256) needs O(signing_key) or O(generate_signing_key=true).
    type: str
    choices: [HS256, ES256]
    default: HS256
  issuer:
    description: The C(iss) claim of generated keys.
    type: str
    default: supabase
  iat:
    description:
      - The C(iat) (issued at) claim of generated keys, in seconds since the epoch.
      - Defaults to the current time. Give it to make the output repeatable (HS256 only; ES256
        signatures are randomised).
    type: int
  expiry_years:
    description: How many years after O(iat) generated keys expire (C(exp) claim).
    type: int
    default: 10
  anon_key:
    description: An C(anon) API key to verify.
    type: str
  service_role_key:
    description: A C(service_role) API key to verify.
    type: str
  demo_issuers:
    description: C(iss) claim values that mark a demo key. Keys with one of them are refused.
    type: list
    elements: str
    default: [supabase-demo]
  demo_keys:
    description:
      - More literal key values to refuse, in addition to the two published demo keys, which are
        always refused.
    type: list
    elements: str
    default: []
  fail_on_invalid:
    description:
      - Fail when a key given in O(anon_key) or O(service_role_key) does not pass verification.
      - With V(false), the module succeeds and reports the outcome in RV(valid) and RV(verification).
    type: bool
    default: true
  generate_signing_key:
    description:
      - Generate a new ES256 (P-256) private key. It is returned as RV(signing_key) and its public
        part as RV(jwks).
    type: bool
    default: false
  signing_key:
    description:
      - An ES256 (P-256) private key in PEM form, used to sign keys with O(algorithm=ES256) and to
        check ES256 keys. Ignored when O(generate_signing_key=true).
    type: str
  kid:
    description:
      - Key id of the ES256 signing key, written in the JWKS and in the header of keys it signs.
      - Defaults to the RFC 7638 thumbprint of the public key.
    type: str
  jwks:
    description:
      - Public keys (a list of JWK dictionaries) to check ES256 keys against, in addition to the
        public part of the signing key.
    type: list
    elements: dict
    default: []
  now:
    description:
      - The time used to decide whether a key has expired, in seconds since the epoch. Defaults to
        the current time. Mostly useful in tests.
    type: int
notes:
  - Generated values are returned, never written anywhere. Persisting them is the caller's job
    (the P(selfhost.supabase.secrets#role) role does it).
  - Secret options are marked C(no_log). Returned secrets cannot be hidden by the module (masking
    them would also blank them in the registered result), so the task must set C(no_log=true).
seealso:
  - name: Supabase self-hosting, API keys
    description: How Supabase uses the anon and service_role keys.
    link: https://supabase.com/docs/guides/self-hosting/docker#generate-api-keys
'''

EXAMPLES = r'''
- name: Make a JWT secret and both API keys
  selfhost.supabase.jwt_keys:
    generate_secret: true
    generate_keys: true
  delegate_to: localhost
  run_once: true
  no_log: true  # the result holds the secret and the keys
  register: __jwt

- name: Make API keys from a known secret, repeatably
  selfhost.supabase.jwt_keys:
    secret: "{{ supabase_jwt_secret }}"
    generate_keys: true
    iat: 1767225600
    expiry_years: 5
  delegate_to: localhost
  run_once: true
  no_log: true
  register: __jwt

- name: Check the keys an operator gave, without failing the task
  selfhost.supabase.jwt_keys:
    secret: "{{ supabase_jwt_secret }}"
    anon_key: "{{ supabase_anon_key }}"
    service_role_key: "{{ supabase_service_role_key }}"
    fail_on_invalid: false
  delegate_to: localhost
  run_once: true
  no_log: true
  register: __check

- name: Show which keys are wrong (error texts never contain a secret)
  ansible.builtin.debug:
    msg: "{{ __check.verification | dict2items | selectattr('value.ok', 'false') | map(attribute='value.errors') }}"
  run_once: true
  when: not __check.valid

- name: Make an ES256 signing key and sign both API keys with it
  selfhost.supabase.jwt_keys:
    generate_signing_key: true
    algorithm: ES256
    generate_keys: true
  delegate_to: localhost
  run_once: true
  no_log: true
  register: __es256
'''

RETURN = r'''
secret:
  description: The generated JWT secret (only with O(generate_secret=true)).
  returned: when O(generate_secret=true)
  type: str
  sample: Q2ZkR0h1b3l0bWJ6d0xYQ2ZkR0h1b3l0bWJ6d0xYcmRr
anon_key:
  description: The generated anon API key.
  returned: when O(generate_keys=true)
  type: str
  sample: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE5...
service_role_key:
  description: The generated service_role API key.
  returned: when O(generate_keys=true)
  type: str
  sample: eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjE5...
claims:
  description: The claims of the generated keys, per role.
  returned: when O(generate_keys=true)
  type: dict
  sample: {"anon": {"role": "anon", "iss": "supabase", "iat": 1767225600, "exp": 2082801600}}
valid:
  description: Whether every key given for verification passed. True when none was given.
  returned: always
  type: bool
  sample: true
verification:
  description:
    - One entry per key given for verification, keyed by role (C(anon), C(service_role)).
    - Each entry has C(ok) (bool), C(errors) (list of texts, never containing a secret), C(claims),
      C(alg) and C(kid).
  returned: always
  type: dict
  sample: {"anon": {"ok": false, "errors": ["role claim is 'service_role', expected 'anon'"],
           "claims": {"role": "service_role"}, "alg": "HS256", "kid": null, "role": "anon"}}
signing_key:
  description: The generated ES256 private key in PEM (PKCS#8) form.
  returned: when O(generate_signing_key=true)
  type: str
  sample: "-----BEGIN PRIVATE KEY-----\n..."
kid:
  description: Key id of the ES256 signing key.
  returned: when an ES256 signing key was given or generated
  type: str
  sample: 9yCEq-0ab7UkAydgdb-DF6cvw1LsB4Gkg0C7e6TGqms
jwks:
  description: Public JSON Web Key Set of the ES256 signing key (safe to publish).
  returned: when an ES256 signing key was given or generated
  type: dict
  sample: {"keys": [{"kty": "EC", "crv": "P-256", "x": "...", "y": "...", "kid": "...", "alg": "ES256", "use": "sig"}]}
'''

import hashlib  # noqa: E402
import json  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.selfhost.supabase.plugins.module_utils.jwt import (  # noqa: E402
    DEMO_ISSUERS,
    JWTError,
    api_key_claims,
    b64url_encode,
    check_secret,
    generate_es256_key,
    public_jwk,
    random_secret,
    sign_es256,
    sign_hs256,
    verify_key_set,
)


def jwk_thumbprint(jwk):
    """RFC 7638 thumbprint of an EC public JWK."""
    canon = json.dumps({'crv': jwk['crv'], 'kty': jwk['kty'], 'x': jwk['x'], 'y': jwk['y']},
                       separators=(',', ':'), sort_keys=True)
    return b64url_encode(hashlib.sha256(canon.encode('ascii')).digest())


def run(params):
    """Compute the module result from its parameters. Raises JWTError on bad input."""
    result = {'changed': False}
    algorithm = params['algorithm']

    secret = params['secret']
    if params['generate_secret']:
        if params['secret_length'] < 32:
            raise JWTError('secret_length must be at least 32')
        secret = random_secret(params['secret_length'])
        result['secret'] = secret

    # Secret checks apply whenever a secret takes part.
    needs_secret = (params['generate_keys'] and algorithm == 'HS256')
    if secret is not None or needs_secret:
        problems = check_secret(secret or '')
        if problems:
            raise JWTError('; '.join(problems))

    signing_key = params['signing_key']
    if params['generate_signing_key']:
        signing_key = generate_es256_key()
        result['signing_key'] = signing_key
    jwks = list(params['jwks'] or [])
    kid = None
    if signing_key:
        jwk = public_jwk(signing_key, 'pending')
        kid = params['kid'] or jwk_thumbprint(jwk)
        jwk['kid'] = kid
        result['kid'] = kid
        result['jwks'] = {'keys': [jwk]}
        jwks.append(jwk)

    if params['generate_keys']:
        if algorithm == 'ES256' and not signing_key:
            raise JWTError('algorithm=ES256 needs signing_key or generate_signing_key=true')
        claims = {}
        for role in ('anon', 'service_role'):
            claims[role] = api_key_claims(role, iat=params['iat'], expiry_years=params['expiry_years'],
                                          issuer=params['issuer'])
            if algorithm == 'HS256':
                token = sign_hs256(claims[role], secret)
            else:
                token = sign_es256(claims[role], signing_key, kid)
            result['%s_key' % role] = token
        result['claims'] = claims

    given = {}
    if params['anon_key'] is not None:
        given['anon'] = params['anon_key']
    if params['service_role_key'] is not None:
        given['service_role'] = params['service_role_key']
    valid, verification = verify_key_set(
        given, secret=secret, jwks=jwks, now=params['now'],
        demo_issuers=tuple(params['demo_issuers']), demo_keys=tuple(params['demo_keys']))
    result['valid'] = valid
    result['verification'] = verification
    return result


def main():
    module = AnsibleModule(
        argument_spec=dict(
            secret=dict(type='str', no_log=True),
            generate_secret=dict(type='bool', default=False),
            secret_length=dict(type='int', default=48, no_log=False),
            generate_keys=dict(type='bool', default=False),
            algorithm=dict(type='str', default='HS256', choices=['HS256', 'ES256']),
            issuer=dict(type='str', default='supabase'),
            iat=dict(type='int'),
            expiry_years=dict(type='int', default=10),
            anon_key=dict(type='str', no_log=True),
            service_role_key=dict(type='str', no_log=True),
            demo_issuers=dict(type='list', elements='str', default=list(DEMO_ISSUERS)),
            demo_keys=dict(type='list', elements='str', default=[], no_log=True),
            fail_on_invalid=dict(type='bool', default=True),
            generate_signing_key=dict(type='bool', default=False, no_log=False),
            signing_key=dict(type='str', no_log=True),
            kid=dict(type='str'),
            jwks=dict(type='list', elements='dict', default=[]),
            now=dict(type='int'),
        ),
        supports_check_mode=True,
    )
    if module.params['expiry_years'] < 1:
        module.fail_json(msg='expiry_years must be at least 1')
    try:
        result = run(module.params)
    except JWTError as exc:
        module.fail_json(msg=str(exc))

    # Returned secrets are NOT added to module.no_log_values: Ansible would replace them
    # with a mask in the result itself. The calling task must use no_log: true.
    if module.params['fail_on_invalid'] and not result['valid']:
        bad = ['%s: %s' % (role, '; '.join(r['errors']))
               for role, r in sorted(result['verification'].items()) if not r['ok']]
        module.fail_json(msg='invalid API key(s) - %s' % ' | '.join(bad),
                         valid=False, verification=result['verification'])
    module.exit_json(**result)


if __name__ == '__main__':
    main()
