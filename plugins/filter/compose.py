# -*- coding: utf-8 -*-
# Copyright (c) selfhost.supabase maintainers
# Apache License 2.0 (see https://www.apache.org/licenses/LICENSE-2.0)
"""The containers the collection runs on a host, as a docker-compose file (format 2.4)."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
name: compose_project
short_description: The stack containers of one host as a docker-compose file (format 2.4)
version_added: 1.2.0
description:
  - Takes C(community.docker.docker_container_info) results (the loop results or their C(container)) and
    returns a docker-compose document, version C(2.4) (read by docker-compose 1.29, Debian 12's, and by
    C(docker compose) v2), with one service per container labelled C(com.supabase.selfhost.managed=true).
  - Each service keeps the container's name, image, command and entrypoint, environment, named volumes and
    bind mounts, published ports, health check, networks and their aliases, labels, user, capabilities,
    security options, restart policy, CPU and memory limits, ulimits, extra hosts and log driver.
  - Every C($) in a string is written C($$), so docker-compose does not interpolate passwords or commands.
  - The document holds the environment of every container, so every secret the stack has. Write it to a
    file only the owner can read, and keep the task that renders it C(no_log).
  - Labels that docker-compose sets itself (C(com.docker.compose.*)) are left out; volumes the image declares
    without a name (anonymous volumes) are left to docker-compose, which creates them anew.
options:
  _input:
    description: Container inspect results.
    type: list
    elements: dict
    required: true
  isolate:
    description:
      - C(false) (the export) keeps the names of the volumes and networks (their C(name) key), so the file
        runs the containers on the data they have now.
      - C(true) leaves volumes and networks to docker-compose, which names them after the project
        (C(<project>_<volume>)), so the same containers start on fresh, empty volumes and their own network.
    type: bool
    default: false
  container_names:
    description: Write each container's name as C(container_name) (false lets docker-compose name them).
    type: bool
    default: true
'''

EXAMPLES = r'''
- name: Write the host's compose file (it holds every secret of the stack)
  ansible.builtin.copy:
    content: "{{ __info.results | selfhost.supabase.compose_project | to_nice_yaml(indent=2, sort_keys=false) }}"
    dest: /opt/supabase/compose/docker-compose.yml
    mode: "0600"
  no_log: true
'''

RETURN = r'''
_value:
  description: The compose document, C(version), C(services) (sorted by name), C(networks) and C(volumes).
  type: dict
'''

from ansible.errors import AnsibleFilterError

MANAGED = 'com.supabase.selfhost.managed'
COMPOSE_LABELS = 'com.docker.compose.'
HOST_NETWORKS = ('host', 'none')
DEFAULT_NETWORKS = ('', 'default', 'bridge')


def _s(value):
    """A plain str (not a subclass, so any YAML dumper takes it) with $ escaped for docker-compose."""
    return str(value).replace('$', '$$')


def _duration(nanoseconds):
    """Docker's nanoseconds as a compose duration: 10s, 1m30s, 500ms."""
    ns = int(nanoseconds or 0)
    if ns % 1000000000 == 0:
        seconds = ns // 1000000000
        if seconds >= 60 and seconds % 60 == 0:
            return '%dm' % (seconds // 60)
        return '%ds' % seconds
    if ns % 1000000 == 0:
        return '%dms' % (ns // 1000000)
    return '%dus' % (ns // 1000)


def _container(item):
    if isinstance(item, dict) and 'container' in item and 'Id' not in item:
        return item.get('container')
    return item


def _healthcheck(check):
    test = list(check.get('Test') or [])
    if not test:
        return None
    if test[0] == 'NONE':
        return {'disable': True}
    out = {'test': [_s(t) for t in test]}
    for key, name in (('Interval', 'interval'), ('Timeout', 'timeout'), ('StartPeriod', 'start_period')):
        if check.get(key):
            out[name] = _duration(check[key])
    if check.get('Retries'):
        out['retries'] = int(check['Retries'])
    return out


def _ports(bindings):
    out = []
    for spec in sorted(bindings or {}):
        port, _, proto = str(spec).partition('/')
        suffix = '' if proto in ('', 'tcp') else '/' + proto
        for bind in bindings[spec] or [{}]:
            host_ip = str((bind or {}).get('HostIp') or '')
            host_port = str((bind or {}).get('HostPort') or '')
            if host_port:
                text = '%s:%s' % (host_port, port)
                if host_ip:
                    text = '%s:%s' % (host_ip, text)
            else:
                text = '%s::%s' % (host_ip, port) if host_ip else port
            out.append(text + suffix)
    return out


def _volumes(host_config, isolate, declared):
    """Service volume strings from HostConfig.Binds and HostConfig.Mounts; named volumes go to `declared`."""
    out = []
    for bind in host_config.get('Binds') or []:
        parts = str(bind).split(':')
        if len(parts) < 2:
            raise AnsibleFilterError('compose_project: cannot read the volume %r' % bind)
        source = parts[0]
        if not source.startswith('/'):
            declared[source] = {} if isolate else {'name': _s(source)}
        out.append(_s(':'.join(parts)))
    for mount in host_config.get('Mounts') or []:
        kind = mount.get('Type') or 'volume'
        source = str(mount.get('Source') or '')
        target = str(mount.get('Target') or '')
        if kind not in ('volume', 'bind') or not source or not target:
            continue
        if kind == 'volume':
            declared[source] = {} if isolate else {'name': _s(source)}
        out.append(_s('%s:%s%s' % (source, target, ':ro' if mount.get('ReadOnly') else '')))
    return out


def _restart(policy):
    name = str((policy or {}).get('Name') or 'no')
    if name == 'on-failure' and (policy or {}).get('MaximumRetryCount'):
        return 'on-failure:%d' % int(policy['MaximumRetryCount'])
    return name or 'no'


def _service(container, isolate, container_names, networks):
    config = container.get('Config') or {}
    host = container.get('HostConfig') or {}
    name = str(container.get('Name') or '').lstrip('/')
    if not name:
        raise AnsibleFilterError('compose_project: a container without a name in the input')
    svc = {}
    if container_names:
        svc['container_name'] = _s(name)
    svc['image'] = _s(config.get('Image') or container.get('Image'))
    if config.get('Entrypoint') is not None:
        svc['entrypoint'] = [_s(a) for a in config['Entrypoint']]
    if config.get('Cmd') is not None:
        svc['command'] = [_s(a) for a in config['Cmd']]
    env = {}
    for entry in config.get('Env') or []:
        key, _, value = str(entry).partition('=')
        env[_s(key)] = _s(value)
    if env:
        svc['environment'] = dict(sorted(env.items()))
    if config.get('User'):
        svc['user'] = _s(config['User'])
    if config.get('WorkingDir'):
        svc['working_dir'] = _s(config['WorkingDir'])
    labels = {_s(k): _s(v) for k, v in sorted((config.get('Labels') or {}).items())
              if not str(k).startswith(COMPOSE_LABELS)}
    if labels:
        svc['labels'] = labels
    check = _healthcheck(config.get('Healthcheck') or {})
    if check:
        svc['healthcheck'] = check
    volumes = _volumes(host, isolate, networks['__volumes__'])
    if volumes:
        svc['volumes'] = volumes
    ports = _ports(host.get('PortBindings'))
    if ports:
        svc['ports'] = ports
    mode = str(host.get('NetworkMode') or '')
    attached = (container.get('NetworkSettings') or {}).get('Networks') or {}
    if mode in HOST_NETWORKS or mode.startswith('container:'):
        svc['network_mode'] = _s(mode)
    else:
        svc_networks = {}
        short_ids = {str(container.get('Id') or '')[:12], str(config.get('Hostname') or '')}
        names = sorted(set(attached) | ({mode} if mode not in DEFAULT_NETWORKS else set()))
        for net in names:
            if net in DEFAULT_NETWORKS:
                continue
            aliases = [_s(a) for a in sorted(set((attached.get(net) or {}).get('Aliases') or []))
                       if a and a not in short_ids and a != name]
            svc_networks[_s(net)] = {'aliases': aliases} if aliases else None
            networks[_s(net)] = {} if isolate else {'name': _s(net)}
        if svc_networks:
            svc['networks'] = svc_networks
    if host.get('ExtraHosts'):
        svc['extra_hosts'] = [_s(h) for h in host['ExtraHosts']]
    for key, out_key in (('CapAdd', 'cap_add'), ('CapDrop', 'cap_drop'), ('SecurityOpt', 'security_opt')):
        if host.get(key):
            svc[out_key] = [_s(v) for v in host[key]]
    if host.get('Privileged'):
        svc['privileged'] = True
    if host.get('ReadonlyRootfs'):
        svc['read_only'] = True
    if host.get('Init'):
        svc['init'] = True
    if host.get('PidMode'):
        svc['pid'] = _s(host['PidMode'])
    if host.get('Tmpfs'):
        svc['tmpfs'] = [_s(k + (':' + v if v else '')) for k, v in sorted(host['Tmpfs'].items())]
    svc['restart'] = _restart(host.get('RestartPolicy'))
    if host.get('NanoCpus'):
        svc['cpus'] = float(host['NanoCpus']) / 1e9
    if host.get('CpuShares'):
        svc['cpu_shares'] = int(host['CpuShares'])
    if host.get('Memory'):
        svc['mem_limit'] = int(host['Memory'])
    if host.get('MemoryReservation'):
        svc['mem_reservation'] = int(host['MemoryReservation'])
    if host.get('Ulimits'):
        svc['ulimits'] = {str(u['Name']): {'soft': int(u['Soft']), 'hard': int(u['Hard'])}
                          for u in sorted(host['Ulimits'], key=lambda u: u['Name'])}
    log = host.get('LogConfig') or {}
    if log.get('Type'):
        svc['logging'] = {'driver': _s(log['Type'])}
        if log.get('Config'):
            svc['logging']['options'] = {_s(k): _s(v) for k, v in sorted(log['Config'].items())}
    return name, svc


def compose_project(containers, isolate=False, container_names=True):
    """A compose document (dict, plain types) for the managed containers among ``containers``."""
    if not isinstance(containers, (list, tuple)):
        raise AnsibleFilterError('compose_project expects a list of container inspect results, got %s'
                                 % type(containers).__name__)
    services = {}
    shared = {'__volumes__': {}}
    for item in containers:
        container = _container(item)
        if not container:
            continue
        labels = (container.get('Config') or {}).get('Labels') or {}
        if str(labels.get(MANAGED, '')).lower() != 'true':
            continue
        name, svc = _service(container, bool(isolate), bool(container_names), shared)
        services[_s(name)] = svc
    volumes = shared.pop('__volumes__')
    doc = {'version': '2.4', 'services': dict(sorted(services.items()))}
    if shared:
        doc['networks'] = dict(sorted(shared.items()))
    if volumes:
        doc['volumes'] = {_s(k): v for k, v in sorted(volumes.items())}
    return doc


class FilterModule(object):
    def filters(self):
        return {'compose_project': compose_project}
