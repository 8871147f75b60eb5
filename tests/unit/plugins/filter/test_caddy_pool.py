"""caddy_pool: the running pool against the Caddyfile's, and the config that drains nodes."""
import copy
import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.selfhost.supabase.plugins.filter.caddy_pool import caddy_pool

A = "10.0.0.21:8000"
B = "10.0.0.22:8000"


def _proxy(*dials):
    return {"handler": "reverse_proxy", "upstreams": [{"dial": d} for d in dials],
            "load_balancing": {"try_duration": 5000000000}}


def _config(api, other):
    """The shape `caddy adapt` gives the role's Caddyfile: two handle blocks, each a subroute with a proxy."""
    return {"admin": {"listen": "localhost:2019"}, "apps": {"http": {"servers": {"srv0": {"routes": [
        {"match": [{"host": ["supabase.test"]}], "handle": [{"handler": "subroute", "routes": [
            {"handle": [{"handler": "headers"}]},
            {"match": [{"path": ["/rest/v1/*"]}], "handle": [{"handler": "subroute", "routes": [
                {"handle": [api]}]}]},
            {"handle": [{"handler": "subroute", "routes": [
                {"handle": [{"handler": "authentication"}, other]}]}]},
        ]}]}]}}}}}


FILE = _config(_proxy(A, B), _proxy(A, B))


def test_running_the_caddyfile_needs_nothing():
    out = caddy_pool(json.dumps(FILE), json.dumps(FILE))
    assert out == {"action": "none", "running": [A, B], "wanted": [A, B], "drained": [], "config": None}


def test_drain_removes_the_node_from_every_proxy_and_keeps_the_rest_of_the_config():
    out = caddy_pool(FILE, FILE, [A])
    assert out["action"] == "drain"
    assert out["wanted"] == [B] and out["running"] == [A, B] and out["drained"] == [A]
    assert out["config"] == _config(_proxy(B), _proxy(B))
    # the input configs are not modified
    assert FILE == _config(_proxy(A, B), _proxy(A, B))


def test_drain_already_in_place_needs_nothing():
    drained = _config(_proxy(B), _proxy(B))
    assert caddy_pool(drained, FILE, [A])["action"] == "none"


def test_a_drained_pool_is_restored_from_the_caddyfile():
    out = caddy_pool(_config(_proxy(B), _proxy(B)), FILE)
    assert out["action"] == "restore" and out["running"] == [B] and out["wanted"] == [A, B] and out["config"] is None


def test_one_handler_left_drained_is_seen_although_the_overall_set_is_whole():
    half = _config(_proxy(A, B), _proxy(B))
    assert caddy_pool(half, FILE)["action"] == "restore"


def test_no_running_config_is_restored():
    for running in (None, "", "null", {}):
        assert caddy_pool(running, FILE)["action"] == "restore"


def test_draining_while_another_node_is_drained_moves_the_drain():
    out = caddy_pool(_config(_proxy(B), _proxy(B)), FILE, [B])
    assert out["action"] == "drain" and out["config"] == _config(_proxy(A), _proxy(A))


def test_the_only_node_cannot_be_drained():
    single = _config(_proxy(A), _proxy(A))
    with pytest.raises(AnsibleFilterError, match="no upstream.*cannot be taken out"):
        caddy_pool(single, single, [A])


def test_an_address_outside_the_pool_is_refused():
    with pytest.raises(AnsibleFilterError, match="10.0.0.99:8000 is not in the Caddyfile's pool"):
        caddy_pool(FILE, FILE, ["10.0.0.99:8000"])


def test_a_caddyfile_without_proxy_is_refused():
    with pytest.raises(AnsibleFilterError, match="no reverse_proxy upstream"):
        caddy_pool(FILE, {"apps": {}})


@pytest.mark.parametrize("bad", ["{not json", "[1, 2]"])
def test_config_that_is_not_a_json_object_is_refused(bad):
    with pytest.raises(AnsibleFilterError, match="running config is not"):
        caddy_pool(bad, FILE)


def test_error_messages_carry_no_config_content():
    secret = copy.deepcopy(FILE)
    secret["apps"]["http"]["servers"]["srv0"]["routes"][0]["handle"][0]["routes"][0]["handle"][0]["hash"] = "S3CRET"
    with pytest.raises(AnsibleFilterError) as err:
        caddy_pool(secret, secret, ["10.0.0.99:8000"])
    assert "S3CRET" not in str(err.value)
