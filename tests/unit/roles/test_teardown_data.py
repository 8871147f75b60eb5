"""Each role's roles/<role>/vars/teardown.yml (read by playbooks/teardown.yml) matches what the role creates."""
import glob
import os
import re

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
KEYS = {"units", "files", "dirs", "data_dirs", "volumes", "nft_tables", "nftables_conf"}
FILES = sorted(glob.glob(os.path.join(ROOT, "roles", "*", "vars", "teardown.yml")))


def _load(role):
    with open(os.path.join(ROOT, "roles", role, "vars", "teardown.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


def _defaults(role):
    with open(os.path.join(ROOT, "roles", role, "defaults", "main.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.split(os.sep)[-3])
def test_one_variable_named_after_the_role_with_known_keys(path):
    role = path.split(os.sep)[-3]
    with open(path, encoding="utf-8") as f:
        data = yaml.safe_load(f)
    assert list(data) == [f"__{role}_teardown"]
    assert set(data[f"__{role}_teardown"]) <= KEYS


def test_every_role_that_writes_a_unit_or_config_has_teardown_data():
    roles = {p.split(os.sep)[-3] for p in FILES}
    for role in ("host", "backup", "postgres", "redis", "minio", "kong", "caddy", "functions", "exporters",
                 "prometheus", "journal"):
        assert role in roles, role


def test_backup_units_are_all_torn_down():
    with open(os.path.join(ROOT, "roles", "backup", "vars", "main.yml"), encoding="utf-8") as f:
        units = yaml.safe_load(f)["__backup_units"]
    data = _load("backup")["__backup_teardown"]
    assert set(units) <= set(data["units"])
    assert {f"/etc/systemd/system/{u}" for u in units} <= set(data["files"])


def test_journal_units_the_role_writes_are_torn_down():
    tasks = open(os.path.join(ROOT, "roles", "journal", "tasks", "remote.yml"), encoding="utf-8").read()
    data = _load("journal")["__journal_teardown"]
    for name in re.findall(r"loop: \[(vacuum\.service, vacuum\.timer)\]", tasks)[0].split(", "):
        assert f"/etc/systemd/system/selfhost-journal-remote-{name}" in data["files"]
        assert f"selfhost-journal-remote-{name}" in data["units"]


@pytest.mark.parametrize("role, var, key", [
    ("host", "host_sysctl_file", "files"),
    ("backup", "backup_config_dir", "dirs"),
    ("backup", "backup_dir", "data_dirs"),
    ("postgres", "postgres_volume", "volumes"),
    ("redis", "redis_config_dir", "dirs"),
    ("redis", "redis_volume", "volumes"),
    ("minio", "minio_volume", "volumes"),
    ("caddy", "caddy_data_volume", "volumes"),
])
def test_defaults_in_the_teardown_data_follow_the_role_defaults(role, var, key):
    default = str(_defaults(role)[var])
    entries = _load(role)[f"__{role}_teardown"][key]
    assert any(f"{var} | default('{default}')" in e for e in entries), (var, default, entries)
