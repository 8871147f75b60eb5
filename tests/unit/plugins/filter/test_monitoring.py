"""Unit tests for plugins/filter/monitoring.py (scrape configuration from the inventory)."""
import pytest

from ansible_collections.selfhost.supabase.plugins.filter import monitoring as M

EXPORTERS = [
    {"name": "node", "groups": ["db", "app", "edge", "monitor"], "port": 9100, "port_var": "exporters_node_port",
     "enabled_var": "exporters_node_enabled"},
    {"name": "postgres", "groups": ["db"], "port": 9187, "port_var": "exporters_postgres_port"},
    {"name": "docker", "groups": ["db", "app", "edge"], "port": 9323, "port_var": "docker_metrics_port",
     "address_var": "docker_metrics_address", "require_address": True},
]
GROUPS = {"db": ["db1"], "app": ["app1", "app2"], "edge": ["db1"], "monitor": ["mon"]}
HOSTVARS = {
    "db1": {"supabase_private_address": "10.0.0.10", "docker_metrics_address": "10.0.0.10"},
    "app1": {"supabase_private_address": "10.0.0.21", "exporters_node_port": 9200},
    "app2": {"ansible_host": "fd00::22", "exporters_node_enabled": "false"},
    "mon": {},
}


def _targets(jobs, name):
    job = [j for j in jobs if j["job_name"] == name][0]
    return [(s["labels"]["host"], s["targets"][0]) for s in job["static_configs"]]


def test_every_exporter_of_every_host_once():
    jobs = M.scrape_configs(EXPORTERS, GROUPS, HOSTVARS)
    assert [j["job_name"] for j in jobs] == ["node", "postgres", "docker"]
    # db1 is in db and edge: one target only; app2 turned its node exporter off; mon has no address.
    assert _targets(jobs, "node") == [("db1", "10.0.0.10:9100"), ("app1", "10.0.0.21:9200"), ("mon", "mon:9100")]
    assert _targets(jobs, "postgres") == [("db1", "10.0.0.10:9187")]


def test_required_address_skips_hosts_without_it():
    jobs = M.scrape_configs(EXPORTERS, GROUPS, HOSTVARS)
    assert _targets(jobs, "docker") == [("db1", "10.0.0.10:9323")]


def test_ipv6_is_bracketed_and_interval_set():
    hv = dict(HOSTVARS, app2={"ansible_host": "fd00::22"})
    jobs = M.scrape_configs(EXPORTERS[:1], GROUPS, hv, interval="5s")
    assert ("app2", "[fd00::22]:9100") in _targets(jobs, "node")
    assert jobs[0]["scrape_interval"] == "5s"
    assert jobs[0]["metrics_path"] == "/metrics"


def test_job_without_targets_is_left_out():
    assert M.scrape_configs([{"name": "x", "groups": ["absent"], "port": 1}], GROUPS, HOSTVARS) == []


def test_exporter_needs_name_and_port():
    with pytest.raises(ValueError):
        M.scrape_configs([{"name": "x"}], GROUPS, HOSTVARS)


def test_blackbox_job_relabels_to_the_exporter():
    jobs = M.blackbox_scrape_config(["https://s.test/a"], ["10.0.0.5:9115"], "http_up")
    assert jobs[0]["params"] == {"module": ["http_up"]}
    assert jobs[0]["relabel_configs"][-1] == {"target_label": "__address__", "replacement": "10.0.0.5:9115"}
    assert M.blackbox_scrape_config([], ["10.0.0.5:9115"], "m") == []
    assert M.blackbox_scrape_config(["u"], [], "m") == []


def test_all_targets():
    jobs = M.scrape_configs(EXPORTERS, GROUPS, HOSTVARS)
    assert "10.0.0.10:9187" in M.all_targets(jobs)
    assert len(M.all_targets(jobs)) == 5


def test_filters_registered():
    assert set(M.FilterModule().filters()) >= {"scrape_configs", "blackbox_scrape_config", "all_scrape_targets"}


def test_firewall_entries_admit_the_monitor_hosts_only():
    hv = {"mon": {"supabase_private_address": "10.0.0.5"}, "mon6": {"ansible_host": "fd00::5"}}
    out = M.monitor_firewall_entries([9100, "9187"], ["mon", "mon6"], hv)
    assert out == [{"port": 9100, "proto": "tcp", "sources": ["10.0.0.5/32", "fd00::5/128"]},
                   {"port": 9187, "proto": "tcp", "sources": ["10.0.0.5/32", "fd00::5/128"]}]
    assert M.monitor_firewall_entries([9100], [], hv) == []


def test_firewall_entries_need_an_address():
    with pytest.raises(ValueError):
        M.monitor_firewall_entries([9100], ["mon"], {"mon": {"ansible_host": "mon.example.com"}})
