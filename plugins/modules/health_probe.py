#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: health_probe
short_description: Wait until HTTP, TCP, PostgreSQL and Redis endpoints are healthy
version_added: 0.1.0
description:
  - Runs a list of probes concurrently, one thread each, and retries each failing probe every
    O(interval) seconds until it is healthy or O(wait) seconds have passed.
  - V(http) probes send a request and check the status code, and optionally a text in the body.
    The URL may be C(http://) or C(https://).
  - V(tcp) probes open a TCP connection.
  - V(postgres) probes speak the PostgreSQL wire protocol (version 3.0) in pure Python. SQLSTATE
    57P03 (cannot_connect_now) means the server is starting up; 28P01 and 28000 mean the credentials
    were refused. Without O(probes[].password), an authentication request from the server already
    proves it accepts connections. With a password, the probe logs in with cleartext, MD5 or
    SCRAM-SHA-256 authentication and waits for ReadyForQuery. TLS is not used.
  - V(redis) probes send C(PING) (after C(AUTH) when a password is given) in the RESP protocol
    and expect C(PONG).
  - Fails, after the deadline, with a message naming every unhealthy probe.
  - Probing is read-only, so the module runs in check mode too and never reports a change.
author:
  - selfhost.supabase maintainers (@selfhost)
requirements:
  - python >= 3.8 (standard library only)
attributes:
  check_mode:
    support: full
    description: Probes are read-only and run in check mode as well.
  diff_mode:
    support: none
    description: There is no state to diff.
options:
  probes:
    description: The probes to run.
    type: list
    elements: dict
    required: true
    suboptions:
      name:
        description: Name of the probe, used in results and error messages. Must be unique.
        type: str
        required: true
      type:
        description: Kind of probe.
        type: str
        required: true
        choices: [http, tcp, postgres, redis]
      timeout:
        description: Seconds one attempt may take.
        type: float
        default: 5
      url:
        description: URL for V(http) probes.
        type: str
      method:
        description: HTTP method for V(http) probes.
        type: str
        default: GET
      status_codes:
        description: Status codes that count as healthy for V(http) probes.
        type: list
        elements: int
        default: [200]
      headers:
        description: Request headers for V(http) probes. Treated as secret (they often hold API keys).
        type: dict
      body:
        description: Text that the response body of an V(http) probe must contain.
        type: str
      validate_certs:
        description: Check the server certificate of C(https://) URLs.
        type: bool
        default: true
      ca_path:
        description: PEM file of CA certificates to check C(https://) servers against.
        type: path
      use_proxy:
        description: Use the proxy from the environment (C(https_proxy), C(no_proxy)) for V(http) probes.
        type: bool
        default: true
      host:
        description: Host for V(tcp), V(postgres) and V(redis) probes.
        type: str
        default: 127.0.0.1
      port:
        description:
          - Port for V(tcp), V(postgres) and V(redis) probes, 1-65535.
          - Required for V(tcp). Defaults to 5432 for V(postgres) and 6379 for V(redis).
        type: int
      user:
        description: PostgreSQL user name for V(postgres) probes.
        type: str
        default: postgres
      database:
        description: PostgreSQL database for V(postgres) probes. Defaults to O(probes[].user).
        type: str
      username:
        description: Redis ACL user name for V(redis) probes (C(AUTH username password)).
        type: str
      password:
        description: Password for V(postgres) and V(redis) probes.
        type: str
  wait:
    description:
      - Seconds to keep retrying unhealthy probes. V(0) means one attempt each; negative values are refused.
      - No attempt runs past this deadline (an attempt's O(probes[].timeout) is cut to the time left), so the
        whole module returns within about O(wait) seconds (or one O(probes[].timeout) when O(wait=0)).
      - When such a shortened last attempt times out, the probe's C(detail) is still the previous attempt's answer
        (for example a refused password), with a note of the cut attempt.
    type: float
    default: 60
  interval:
    description: Seconds between two attempts of the same probe.
    type: float
    default: 1
  fail_on_unhealthy:
    description: Fail when a probe is still unhealthy at the deadline. With V(false), only report.
    type: bool
    default: true
notes:
  - HTTP redirects are followed; the status checked is the final one.
  - Give every secret (passwords, C(apikey) headers) through variables and use C(no_log=true) on the
    task if the URL itself carries a secret.
'''

EXAMPLES = r'''
- name: Wait until the database, cache and gateway answer
  selfhost.supabase.health_probe:
    wait: 120
    interval: 2
    probes:
      - name: db
        type: postgres
        host: 127.0.0.1
        port: 5432
        user: supabase_admin
        password: "{{ supabase_postgres_password }}"
      - name: redis
        type: redis
        port: 6379
        password: "{{ supabase_redis_password }}"
      - name: kong
        type: http
        url: http://127.0.0.1:8000/rest/v1/
        headers:
          apikey: "{{ supabase_anon_key }}"
        status_codes: [200]
      - name: studio-port
        type: tcp
        port: 3000
  check_mode: false  # harmless either way: probes are read-only

- name: Report without failing
  selfhost.supabase.health_probe:
    wait: 0
    fail_on_unhealthy: false
    probes:
      - name: edge
        type: http
        url: https://supabase.example.com/
        ca_path: /etc/ssl/certs/internal-ca.pem
        body: Supabase
  register: __health
'''

RETURN = r'''
probes:
  description: One result per probe, in input order.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the probe.
      type: str
      sample: db
    type:
      description: Kind of probe.
      type: str
      sample: postgres
    ok:
      description: Whether the last attempt was healthy.
      type: bool
      sample: true
    latency_ms:
      description: Duration of the last attempt in milliseconds.
      type: int
      sample: 4
    attempts:
      description: How many attempts were made.
      type: int
      sample: 1
    detail:
      description: What the last attempt saw.
      type: str
      sample: accepting connections (ready for query)
unhealthy:
  description: Names of the probes that are not healthy.
  returned: always
  type: list
  elements: str
  sample: []
elapsed_ms:
  description: Wall time of the whole run in milliseconds.
  returned: always
  type: int
  sample: 35
'''

import time  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.selfhost.supabase.plugins.module_utils.probes import run_probes  # noqa: E402

DEFAULT_PORTS = {'postgres': 5432, 'redis': 6379}


def prepare(probes):
    """Check the probe list beyond the argument spec. Returns (probes, error)."""
    names = set()
    out = []
    for probe in probes:
        probe = dict(probe)
        name = probe['name']
        if name in names:
            return None, 'probe name %r is used twice' % name
        names.add(name)
        kind = probe['type']
        if probe['timeout'] <= 0:
            return None, 'probe %s: timeout must be positive' % name
        if kind == 'http':
            if not probe.get('url') or not probe['url'].lower().startswith(('http://', 'https://')):
                return None, 'probe %s: type http needs a url starting with http:// or https://' % name
        else:
            if probe.get('port') is not None and not 1 <= probe['port'] <= 65535:
                return None, 'probe %s: port must be 1-65535, got %s' % (name, probe['port'])
            if probe.get('port') is None:
                if kind == 'tcp':
                    return None, 'probe %s: type tcp needs a port' % name
                probe['port'] = DEFAULT_PORTS[kind]
        out.append(probe)
    return out, None


def main():
    probe_spec = dict(
        name=dict(type='str', required=True),
        type=dict(type='str', required=True, choices=['http', 'tcp', 'postgres', 'redis']),
        timeout=dict(type='float', default=5),
        url=dict(type='str'),
        method=dict(type='str', default='GET'),
        status_codes=dict(type='list', elements='int', default=[200]),
        headers=dict(type='dict', no_log=True),
        body=dict(type='str'),
        validate_certs=dict(type='bool', default=True),
        ca_path=dict(type='path'),
        use_proxy=dict(type='bool', default=True),
        host=dict(type='str', default='127.0.0.1'),
        port=dict(type='int'),
        user=dict(type='str', default='postgres'),
        database=dict(type='str'),
        username=dict(type='str'),
        password=dict(type='str', no_log=True),
    )
    module = AnsibleModule(
        argument_spec=dict(
            probes=dict(type='list', elements='dict', required=True, options=probe_spec),
            wait=dict(type='float', default=60),
            interval=dict(type='float', default=1),
            fail_on_unhealthy=dict(type='bool', default=True),
        ),
        supports_check_mode=True,
    )
    probes, error = prepare(module.params['probes'])
    if error:
        module.fail_json(msg=error)
    if module.params['interval'] <= 0:
        module.fail_json(msg='interval must be positive')
    if module.params['wait'] < 0:
        module.fail_json(msg='wait must be 0 or more, got %s' % module.params['wait'])

    started = time.monotonic()
    results = run_probes(probes, wait=module.params['wait'], interval=module.params['interval'])
    elapsed_ms = int(round((time.monotonic() - started) * 1000))
    unhealthy = [r['name'] for r in results if not r['ok']]
    outcome = dict(changed=False, probes=results, unhealthy=unhealthy, elapsed_ms=elapsed_ms)
    if unhealthy and module.params['fail_on_unhealthy']:
        reasons = ['%s (%s)' % (r['name'], r['detail']) for r in results if not r['ok']]
        module.fail_json(msg='unhealthy after %.0fs: %s' % (module.params['wait'], '; '.join(reasons)), **outcome)
    module.exit_json(**outcome)


if __name__ == '__main__':
    main()
