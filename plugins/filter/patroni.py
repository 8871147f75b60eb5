# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)

"""Filters that read Patroni's REST API answers (GET /cluster) for health.yml and switchover.yml.

A /cluster answer holds ``members``: each a mapping with ``name`` (the inventory hostname here), ``role``
(``leader``, ``sync_standby``, ``replica``; ``standby_leader`` in a standby cluster), ``state`` (``running``;
newer Patroni says ``streaming`` for a replica that streams), and, for every member but the leader, ``lag``:
bytes behind the leader's last WAL position, or ``unknown``. Optional: ``host``, ``timeline``, ``tags``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

# No DOCUMENTATION here: ansible-doc would show a module-level one for every filter of this file.
# Each filter has its own sidecar, plugins/filter/<filter name>.yml.

from ansible.errors import AnsibleFilterError

LEADER_ROLES = ('leader', 'standby_leader', 'master', 'primary')
REPLICA_ROLES = ('replica', 'sync_standby', 'quorum_standby')
# A replica that replays the leader's WAL: running (Patroni 3.0), streaming (3.0.4 and later).
RUNNING_STATES = ('running', 'streaming')


def _lag(value):
    """Lag in bytes (int), or None when unknown (a missing or non-numeric value)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    text = str(value).strip()
    return int(text) if text.isdigit() else None


def _truthy(value):
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ('1', 'true', 'yes', 'on')


def patroni_cluster_summary(cluster):
    """The leader and the members of a GET /cluster answer, normalised.

    Returns {'leader': name or '', 'members': [{'name', 'role', 'state', 'lag' (int or None), 'leader' (bool),
    'host', 'timeline', 'nofailover'}], 'paused': bool}, members in name order. A summary given again is returned
    as it is. Anything that is not a /cluster answer is an error.
    """
    if isinstance(cluster, dict) and isinstance(cluster.get('members'), list) and 'leader' in cluster \
            and 'paused' in cluster:
        return cluster
    if not isinstance(cluster, dict) or not isinstance(cluster.get('members'), list):
        raise AnsibleFilterError('patroni_cluster_summary: expected the JSON of Patroni\'s GET /cluster (a mapping with'
                                 ' a list "members"), got %s' % type(cluster).__name__)
    members = []
    for item in cluster['members']:
        if not isinstance(item, dict) or not item.get('name'):
            raise AnsibleFilterError('patroni_cluster_summary: a member without a name: %r' % (item,))
        role = str(item.get('role') or '')
        tags = item.get('tags') if isinstance(item.get('tags'), dict) else {}
        members.append({
            'name': str(item['name']),
            'role': role,
            'state': str(item.get('state') or ''),
            'lag': None if role in LEADER_ROLES else _lag(item.get('lag')),
            'leader': role in LEADER_ROLES,
            'host': str(item.get('host') or ''),
            'timeline': item.get('timeline'),
            'nofailover': _truthy(tags.get('nofailover', False)),
        })
    members.sort(key=lambda m: m['name'])
    leaders = [m['name'] for m in members if m['leader']]
    return {'leader': leaders[0] if leaders else '', 'members': members, 'paused': bool(cluster.get('pause'))}


def _streams(member):
    return member['role'] in REPLICA_ROLES and member['state'] in RUNNING_STATES


def patroni_cluster_problems(cluster, max_lag_bytes=0, leader=None, members=None, limit_name=''):
    """Sentences for what is wrong with a cluster (a /cluster answer or its summary); empty when it is fine.

    ``max_lag_bytes``: the most a replica may lag; ``leader``: the member that must lead (any leader when
    unset); ``members``: the members to check besides the leader (every one when unset); ``limit_name``: the
    operator's variable that sets ``max_lag_bytes``, named in a lag's sentence.
    """
    summary = patroni_cluster_summary(cluster)
    limit = int(max_lag_bytes or 0)
    problems = []
    if not summary['leader']:
        problems.append('the cluster has no leader (members: %s)'
                        % (', '.join('%s %s %s' % (m['name'], m['role'] or '-', m['state'] or '-')
                                     for m in summary['members']) or 'none'))
    elif leader and summary['leader'] != leader:
        problems.append('%s leads, not %s' % (summary['leader'], leader))
    names = [m['name'] for m in summary['members']]
    wanted = names if members is None else list(members)
    for name in wanted:
        if name not in names:
            problems.append('%s is not a member of the cluster (members: %s)' % (name, ', '.join(names) or 'none'))
    for member in summary['members']:
        if member['leader'] or member['name'] not in wanted:
            continue
        if not _streams(member):
            problems.append('%s is %s (role %s), not a running replica' % (member['name'], member['state'] or 'in no state',
                                                                        member['role'] or 'none'))
        elif member['lag'] is None:
            problems.append('%s: lag unknown (it has not reported a WAL position)' % member['name'])
        elif member['lag'] > limit:
            problems.append('%s lags %d bytes behind the leader (at most %d%s)'
                            % (member['name'], member['lag'], limit, ', ' + limit_name if limit_name else ''))
    return problems


def patroni_cluster_rows(cluster, fmt='%-12s  %-12s  %-10s  %12s'):
    """The lines of the cluster table: one per member (name, role, state, lag in bytes; '-' for the leader)."""
    summary = patroni_cluster_summary(cluster)
    rows = []
    for m in summary['members']:
        lag = '-' if m['leader'] else ('unknown' if m['lag'] is None else str(m['lag']))
        rows.append((fmt % (m['name'], m['role'] or '-', m['state'] or '-', lag)).rstrip())
    return rows


def patroni_switchover_plan(cluster, candidate='', synchronous=True, hosts=None):
    """Which member a planned switchover hands the leader role to, and why; or why it cannot.

    ``candidate``: the operator's choice ('' for the default: the synchronous standby with the least lag, else
    the running replica with the least lag). ``synchronous``: Patroni's synchronous_mode (a switchover then
    goes to a synchronous standby only). ``hosts``: the inventory hostnames the members must be (group db).
    Returns {'leader', 'candidate', 'reason', 'problems'}; the switchover may go ahead when problems is empty.
    """
    summary = patroni_cluster_summary(cluster)
    candidate = str(candidate or '').strip()
    synchronous = _truthy(synchronous)
    plan = {'leader': summary['leader'], 'candidate': '', 'reason': '', 'problems': []}
    problems = plan['problems']
    names = [m['name'] for m in summary['members']]
    if hosts is not None:
        strangers = [n for n in names if n not in list(hosts)]
        if strangers:
            problems.append('members %s are not hosts of group db: Patroni\'s member names must be the inventory'
                            ' hostnames' % ', '.join(strangers))
    if not summary['leader']:
        problems.append('the cluster has no leader: a switchover hands over from a leader (Patroni elects one by'
                        ' itself after a failure; see playbooks/health.yml)')
        return plan
    if summary['paused']:
        problems.append('the cluster is paused (patronictl pause): resume it first (patronictl resume)')
    candidates = [m for m in summary['members'] if _streams(m) and not m['nofailover']]
    sync = [m for m in candidates if m['role'] == 'sync_standby']

    def by_lag(m):
        return (m['lag'] is None, m['lag'] or 0, m['name'])

    if candidate:
        member = next((m for m in summary['members'] if m['name'] == candidate), None)
        if member is None:
            problems.append('switchover_candidate %s is not a member of the cluster (members: %s)'
                            % (candidate, ', '.join(names)))
        elif member['leader']:
            problems.append('switchover_candidate %s is the leader already' % candidate)
        elif not _streams(member):
            problems.append('switchover_candidate %s is not a running replica (role %s, state %s)'
                            % (candidate, member['role'] or 'none', member['state'] or 'none'))
        elif member['nofailover']:
            problems.append('switchover_candidate %s has the Patroni tag nofailover: it may never lead' % candidate)
        elif synchronous and member['role'] != 'sync_standby':
            problems.append('switchover_candidate %s is not a synchronous standby: with postgres_synchronous_mode'
                            ' Patroni hands over to a synchronous standby only (%s); leave switchover_candidate'
                            ' unset or name one of them' % (candidate, ', '.join(m['name'] for m in sync) or 'none now'))
        else:
            plan['candidate'] = candidate
            plan['reason'] = 'given (switchover_candidate)'
    elif sync:
        plan['candidate'] = sorted(sync, key=by_lag)[0]['name']
        plan['reason'] = 'the synchronous standby'
    elif synchronous:
        problems.append('no running synchronous standby to hand over to (postgres_synchronous_mode is on); members: %s'
                        % ', '.join('%s %s %s' % (m['name'], m['role'], m['state'] or '-') for m in summary['members']))
    elif candidates:
        best = sorted(candidates, key=by_lag)[0]
        plan['candidate'] = best['name']
        plan['reason'] = 'the replica with the least lag (%s)' % ('unknown' if best['lag'] is None
                                                                 else '%d bytes' % best['lag'])
    else:
        problems.append('no running replica to hand over to; members: %s'
                        % ', '.join('%s %s %s' % (m['name'], m['role'], m['state'] or '-') for m in summary['members']))
    if problems:
        plan['candidate'] = ''
        plan['reason'] = ''
    return plan


def patroni_api_urls(hosts, hostvars, default_port=8008):
    """{host: 'http://ADDRESS:PORT'}: the base URL of each db host's Patroni REST API, published on its
    supabase_private_address at postgres_patroni_port (``default_port`` when the host does not set it)."""
    out = {}
    for host in hosts or []:
        try:
            hv = hostvars[host]
        except KeyError:
            raise AnsibleFilterError('patroni_api_urls: %s is not a host of the inventory' % host)
        address = str(hv['supabase_private_address'] if 'supabase_private_address' in hv else '').strip()
        if not address:
            raise AnsibleFilterError('patroni_api_urls: %s has no supabase_private_address, where its Patroni REST API'
                                     ' is published' % host)
        port = hv['postgres_patroni_port'] if 'postgres_patroni_port' in hv else default_port
        if ':' in address and not address.startswith('['):
            address = '[%s]' % address
        out[host] = 'http://%s:%d' % (address, int(port))
    return out


class FilterModule(object):
    def filters(self):
        return {
            'patroni_cluster_summary': patroni_cluster_summary,
            'patroni_cluster_problems': patroni_cluster_problems,
            'patroni_cluster_rows': patroni_cluster_rows,
            'patroni_switchover_plan': patroni_switchover_plan,
            'patroni_api_urls': patroni_api_urls,
        }
