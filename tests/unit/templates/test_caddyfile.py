"""Render the caddy role's Caddyfile: the active health check of each Kong node must not depend on one
backend (GoTrue down must not take every Kong node out of rotation)."""
import re

from rendering import render_template


def _health(text):
    block = re.search(r'reverse_proxy [^{]*\{(.*?)\n\t\}', text, re.S).group(1)
    return {k: v for k, v in re.findall(r'^\t\t(health_\w+) (.*)$', block, re.M)}


def test_kong_health_check_asks_kongs_status_endpoint():
    health = _health(render_template('caddy', 'Caddyfile.j2', ansible_managed='managed',
                                     __caddy_basic_auth_hash='$2a$12$x', inventory_hostname='edge1'))
    assert health['health_uri'] == '/status/ready'
    assert health['health_port'] == '8100'
    # No backend route of the gateway (/auth/v1/..., /rest/v1/...) decides a Kong node's health.
    assert not re.match(r'^/(auth|rest|realtime|storage|functions|graphql|pg)/', health['health_uri'])
    assert 'health_headers' not in health


def test_health_port_can_be_the_proxy_port():
    health = _health(render_template('caddy', 'Caddyfile.j2', ansible_managed='managed', caddy_health_port=0,
                                     __caddy_basic_auth_hash='$2a$12$x', inventory_hostname='edge1'))
    assert 'health_port' not in health
