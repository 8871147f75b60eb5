# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""The description of each stack container, as labels on the container, and what the shared playbooks
(health, upgrade, restore, teardown) make of it.

The container role writes the labels (``description_labels``); the playbooks read them back from
``docker_container_info`` / ``docker_host_info`` results (``stack_containers``) and turn them into
``health_probe`` probes (``stack_probes``), the health table (``health_rows``) and the list of containers
in a bad state (``health_failures``). No label ever holds a secret: a probe that needs one names the
stack-wide variable (``supabase_anon_key``), and the playbook passes its value in ``secrets``.
"""

from __future__ import annotations

import re

PREFIX = 'com.supabase.selfhost.'
MANAGED = PREFIX + 'managed'
COMPONENT = PREFIX + 'component'
TIER = PREFIX + 'tier'
DB_CLIENT = PREFIX + 'db-client'
PROBE_TYPE = PREFIX + 'probe.type'
PROBE_PORT = PREFIX + 'probe.port'
PROBE_PATH = PREFIX + 'probe.path'
PROBE_SECRET = PREFIX + 'probe.secret'
# `docker ps` status text of an exited container: "Exited (137) 2 minutes ago".
EXITED = re.compile(r'^Exited \((\d+)\)')

PROBE_TYPES = ('http', 'tcp', 'postgres', 'redis')


def description_labels(component='', tier='', probe=None, db_client=False):
    """Labels (all strings) that describe a container; empty inputs leave their label out."""
    labels = {}
    if component:
        labels[COMPONENT] = str(component)
    if tier:
        labels[TIER] = str(tier)
    probe = probe or {}
    if probe.get('type'):
        labels[PROBE_TYPE] = str(probe['type'])
        if probe.get('port') not in (None, ''):
            labels[PROBE_PORT] = str(int(probe['port']))
        if probe.get('path'):
            labels[PROBE_PATH] = str(probe['path'])
        if probe.get('secret'):
            labels[PROBE_SECRET] = str(probe['secret'])
    labels[DB_CLIENT] = 'true' if _truthy(db_client) else 'false'
    return labels


def _truthy(value):
    if isinstance(value, str):
        return value.strip().lower() in ('1', 'true', 'yes', 'on')
    return bool(value)


def _name(container):
    if container.get('Name'):
        return str(container['Name']).lstrip('/')
    names = container.get('Names') or []
    return str(names[0]).lstrip('/') if names else ''


def _labels(container):
    labels = container.get('Labels')
    if labels is None:
        labels = (container.get('Config') or {}).get('Labels')
    return labels or {}


def _state(container):
    """(status, restarting, health, exit code) from an inspect result or a `docker ps` entry."""
    state = container.get('State')
    if isinstance(state, dict):
        return (state.get('Status') or 'unknown', bool(state.get('Restarting')),
                (state.get('Health') or {}).get('Status') or 'none', state.get('ExitCode') or 0)
    status = str(state or 'unknown')
    text = str(container.get('Status') or '')
    health = 'none'
    for word in ('unhealthy', 'healthy', 'starting'):
        if '(%s)' % word in text or '(health: %s)' % word in text:
            health = word
            break
    # `docker ps` says "Exited (137) 2 minutes ago" where an inspect result has State.ExitCode.
    exited = EXITED.match(text)
    return status, status == 'restarting', health, int(exited.group(1)) if exited else 0


def stack_containers(containers, network='supabase_default'):
    """One description per managed container, sorted by name.

    ``containers``: ``docker_container_info`` results (``container`` of each loop result, or the loop
    results themselves) or the ``containers`` list of ``docker_host_info`` (with ``verbose_output``).
    Containers without the managed label, and empty results (a container gone meanwhile), are skipped.
    """
    out = []
    for item in containers or []:
        if isinstance(item, dict) and 'container' in item and 'Id' not in item:
            item = item.get('container')
        if not item:
            continue
        labels = _labels(item)
        if str(labels.get(MANAGED, '')).lower() != 'true':
            continue
        name = _name(item)
        status, restarting, health, exit_code = _state(item)
        networks = (item.get('NetworkSettings') or {}).get('Networks') or {}
        address = (networks.get(network) or {}).get('IPAddress') or ''
        probe = {}
        if labels.get(PROBE_TYPE) in PROBE_TYPES:
            probe = {'type': labels[PROBE_TYPE]}
            if labels.get(PROBE_PORT, '').isdigit():
                probe['port'] = int(labels[PROBE_PORT])
            if labels.get(PROBE_PATH):
                probe['path'] = labels[PROBE_PATH]
            if labels.get(PROBE_SECRET):
                probe['secret'] = labels[PROBE_SECRET]
        out.append({
            'container': name,
            'component': labels.get(COMPONENT) or name,
            'tier': labels.get(TIER, ''),
            'db_client': str(labels.get(DB_CLIENT, 'false')).lower() == 'true',
            'probe': probe,
            'address': address,
            'status': status,
            'running': status == 'running',
            'restarting': restarting,
            'health': health,
            'exit_code': exit_code,
        })
    return sorted(out, key=lambda d: d['container'])


def probe_secret_names(descriptions):
    """The stack-wide variable names the probes need (for ``query('ansible.builtin.vars', ...)``)."""
    return sorted({d['probe']['secret'] for d in descriptions or [] if d.get('probe', {}).get('secret')})


def stack_probes(descriptions, secrets=None, timeout=5, name='component'):
    """``health_probe`` probes for the running containers that carry a probe and an address.

    ``secrets`` maps a variable name (the ``probe.secret`` label) to its value: sent as
    ``Authorization: Bearer`` for http, as the password for postgres and redis. ``name`` chooses what
    the probe is called: ``component`` or ``container``.
    """
    secrets = secrets or {}
    probes = []
    for d in descriptions or []:
        probe = d.get('probe') or {}
        if not probe.get('type') or not d.get('address') or not d.get('running', True):
            continue
        port = probe.get('port')
        if port is None:
            continue
        p = {'name': d[name], 'type': probe['type'], 'timeout': timeout}
        secret = secrets.get(probe.get('secret', ''), '') if probe.get('secret') else ''
        if probe['type'] == 'http':
            p['url'] = 'http://%s:%s%s' % (d['address'], port, probe.get('path') or '/')
            if secret:
                p['headers'] = {'Authorization': 'Bearer %s' % secret}
        else:
            p['host'] = d['address']
            p['port'] = port
            if secret and probe['type'] in ('postgres', 'redis'):
                p['password'] = secret
        probes.append(p)
    return probes


def _bad(d):
    return d['status'] != 'running' or d['restarting'] or d['health'] == 'unhealthy'


def _restarting(d):
    return d['restarting'] or d['status'] == 'restarting'


def health_settling(descriptions):
    """The containers in a bad state that Docker itself may still end: restarting (its restart policy acts), or
    running and unhealthy (on a loaded host a health check that timed out passes again at its next run).
    Exited and dead ones are not settling: nothing brings them back."""
    return [d['container'] for d in descriptions or []
            if _restarting(d) or (d['status'] == 'running' and d['health'] == 'unhealthy')]


def health_failures(descriptions):
    """One line per container that is not running, restarting or unhealthy."""
    lines = []
    for d in descriptions or []:
        if not _bad(d):
            continue
        state = 'restarting' if _restarting(d) else d['status']
        line = '%s (%s) is %s' % (d['container'], d['component'], state)
        if d['status'] in ('exited', 'dead'):
            line += ', exit code %s' % d['exit_code']
        if d['health'] not in ('none', 'healthy'):
            line += ', health %s' % d['health']
        lines.append(line)
    return lines


def health_rows(hosts, hostvars, fmt='%-10s  %-20s  %-4s  %10s  %s',
                result_var='__health_result', states_var='__health_states'):
    """The lines of the health table: one per probe of every host, one per container in a bad state,
    and a NO line for a host where no stack container was found."""
    rows = []
    for host in hosts or []:
        hv = hostvars.get(host) or {}
        result = hv.get(result_var) or {}
        probes = result.get('probes') or [] if isinstance(result, dict) else []
        for p in sorted(probes, key=lambda p: p.get('name', '')):
            detail = '' if p.get('ok') else str(p.get('detail', ''))
            if len(detail) > 60:
                detail = detail[:57] + '...'
            rows.append((fmt % (p.get('name'), host, 'yes' if p.get('ok') else 'NO',
                                '%s ms' % p.get('latency_ms'), detail)).strip())
        for d in hv.get(states_var) or []:
            if d['status'] != 'running' or d['restarting']:
                rows.append((fmt % (d['component'], host, 'NO', '-', 'container %s %s' % (
                    d['container'], 'restarting' if d['restarting'] else d['status']))).strip())
        if not probes:
            rows.append((fmt % ('-', host, 'NO', '-', 'no stack container found')).strip())
    return rows


class FilterModule(object):
    def filters(self):
        return {
            'description_labels': description_labels,
            'stack_containers': stack_containers,
            'probe_secret_names': probe_secret_names,
            'stack_probes': stack_probes,
            'health_failures': health_failures,
            'health_settling': health_settling,
            'health_rows': health_rows,
        }
