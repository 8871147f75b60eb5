"""Filters that replaced Jinja programs in the roles' vars: Caddy's Kong upstreams, GoTrue's provider env,
S3 lifecycle rules, Docker port strings."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.selfhost.supabase.plugins.filter.caddy_kong_upstreams import caddy_kong_upstreams
from ansible_collections.selfhost.supabase.plugins.filter.docker_port_specs import docker_port_specs
from ansible_collections.selfhost.supabase.plugins.filter.gotrue_provider_env import gotrue_provider_env
from ansible_collections.selfhost.supabase.plugins.filter.s3_lifecycle_rules import s3_lifecycle_rules

HOSTVARS = {
    "app1": {"supabase_private_address": "10.0.0.21"},
    "app2": {"ansible_host": "192.0.2.22", "kong_http_port": 8001},
    "app3": {},
    "app6": {"supabase_private_address": "fd00::6"},
    "edge": {"supabase_private_address": "10.0.0.30"},
}


# --- caddy_kong_upstreams ---------------------------------------------------------------------------

def test_upstreams_private_address_then_ansible_host_then_name_with_port_per_host():
    assert caddy_kong_upstreams(["app1", "app2", "app3"], "edge", HOSTVARS, "supabase-kong", 8000) == [
        "10.0.0.21:8000", "192.0.2.22:8001", "app3:8000"]


def test_upstreams_local_kong_by_container_name_and_ipv6_in_brackets():
    assert caddy_kong_upstreams(["edge", "app6"], "edge", HOSTVARS, "supabase-kong", 8000) == [
        "supabase-kong:8000", "[fd00::6]:8000"]


def test_upstreams_default_to_the_local_container():
    assert caddy_kong_upstreams([], "edge", HOSTVARS, "supabase-kong", 8000) == ["supabase-kong:8000"]
    assert caddy_kong_upstreams(None, "edge", HOSTVARS, "kong", 9) == ["kong:9"]


def test_upstreams_refuse_an_empty_container_name():
    with pytest.raises(AnsibleFilterError, match="container name"):
        caddy_kong_upstreams(["app1"], "edge", HOSTVARS, "", 8000)


# --- gotrue_provider_env ----------------------------------------------------------------------------

KNOWN = ["google", "github", "gitlab"]
CB = "https://api.example.com/auth/v1/callback"


def test_provider_env_every_known_provider_has_enabled_false_by_default():
    assert gotrue_provider_env([], KNOWN, CB) == {
        "GOTRUE_EXTERNAL_GOOGLE_ENABLED": "false", "GOTRUE_EXTERNAL_GITHUB_ENABLED": "false",
        "GOTRUE_EXTERNAL_GITLAB_ENABLED": "false"}


def test_provider_env_given_provider_and_url():
    env = gotrue_provider_env([{"name": "gitlab", "client_id": 42, "secret": "s3", "url": "https://git.example"},
                               {"name": "github", "enabled": "false", "client_id": "c", "secret": "s"}], KNOWN, CB)
    assert env["GOTRUE_EXTERNAL_GITLAB_ENABLED"] == "true"
    assert env["GOTRUE_EXTERNAL_GITLAB_CLIENT_ID"] == "42"
    assert env["GOTRUE_EXTERNAL_GITLAB_SECRET"] == "s3"
    assert env["GOTRUE_EXTERNAL_GITLAB_REDIRECT_URI"] == CB
    assert env["GOTRUE_EXTERNAL_GITLAB_URL"] == "https://git.example"
    assert env["GOTRUE_EXTERNAL_GITHUB_ENABLED"] == "false"
    assert "GOTRUE_EXTERNAL_GITHUB_URL" not in env
    assert "GOTRUE_EXTERNAL_GOOGLE_CLIENT_ID" not in env


@pytest.mark.parametrize("bad,needle", [([{"name": "myspace"}], "unknown provider myspace"),
                                        ([{"client_id": "x"}], "needs a name"), (["github"], "needs a name")])
def test_provider_env_refuses_unknown_or_nameless(bad, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        gotrue_provider_env(bad, KNOWN, CB)


# --- s3_lifecycle_rules -----------------------------------------------------------------------------

def test_lifecycle_rules_in_api_form():
    assert s3_lifecycle_rules([{"id": "tmp", "prefix": "tmp/", "expiration_days": "7"},
                               {"id": "all", "expiration_days": 30, "noncurrent_expiration_days": 3}]) == [
        {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 7}},
        {"ID": "all", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 3}}]
    assert s3_lifecycle_rules([]) == []


@pytest.mark.parametrize("bad,needle", [([{"prefix": "x", "expiration_days": 1}], "needs an id"),
                                        ([{"id": "r"}], "needs expiration_days"),
                                        ([{"id": "r", "expiration_days": "soon"}], "whole number"),
                                        ([{"id": "r", "expiration_days": 0}], "at least 1")])
def test_lifecycle_rules_refuse_bad_rules_naming_them(bad, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        s3_lifecycle_rules(bad)


# --- docker_port_specs ------------------------------------------------------------------------------

def test_port_specs_defaults_and_ipv6():
    assert docker_port_specs([{"host_ip": "127.0.0.1", "container_port": 5432},
                              {"host_ip": "10.0.0.1", "host_port": 15432, "container_port": "5432", "protocol": "udp"},
                              {"host_ip": "::", "container_port": 443},
                              {"host_ip": "fd00::1", "container_port": 80}]) == [
        "127.0.0.1:5432:5432/tcp", "10.0.0.1:15432:5432/udp", "[::]:443:443/tcp", "[fd00::1]:80:80/tcp"]


def test_port_specs_refuse_entries_without_address_or_port():
    with pytest.raises(AnsibleFilterError, match="container_published_ports"):
        docker_port_specs([{"container_port": 80}])
    with pytest.raises(AnsibleFilterError, match="container_published_ports"):
        docker_port_specs([{"host_ip": "127.0.0.1", "container_port": "http"}])
