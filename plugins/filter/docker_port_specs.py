# -*- coding: utf-8 -*-
# Copyright: selfhost.supabase maintainers
# Apache License 2.0
"""community.docker published_ports strings from the container role's port dicts."""

DOCUMENTATION = r"""
name: docker_port_specs
short_description: C(published_ports) strings for community.docker.docker_container from port dicts
version_added: 1.2.0
description:
  - Each C({host_ip, host_port, container_port, protocol}) becomes C(host_ip:host_port:container_port/protocol);
    C(host_port) defaults to C(container_port), C(protocol) to V(tcp); an IPv6 C(host_ip) is written in
    brackets (V(::) as C([::])).
options:
  _input:
    description: The ports, as C(container_published_ports) takes them.
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
published_ports: "{{ container_published_ports | selfhost.supabase.docker_port_specs }}"
"""

RETURN = r"""
_value:
  description: One C(ip:host:container/proto) string per port.
  type: list
  elements: str
"""

from ansible.errors import AnsibleFilterError


def docker_port_specs(ports):
    out = []
    for p in ports or []:
        try:
            host_ip = str(p["host_ip"])
            container_port = int(p["container_port"])
        except (KeyError, TypeError, ValueError):
            raise AnsibleFilterError("container_published_ports: every entry needs host_ip and a numeric "
                                     "container_port, got %r" % (p,))
        if ":" in host_ip and not host_ip.startswith("["):
            host_ip = "[%s]" % host_ip
        out.append("%s:%s:%s/%s" % (host_ip, int(p.get("host_port") or container_port), container_port,
                                    p.get("protocol") or "tcp"))
    return out


class FilterModule:
    def filters(self):
        return {"docker_port_specs": docker_port_specs}
