"""packages_to_install: which package tasks a re-run can skip."""
import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.selfhost.supabase.plugins.filter.packages_to_install import packages_to_install

FACTS = {
    "nftables": [{"name": "nftables", "version": "1.0.6-2", "source": "apt"}],
    "python3-psycopg2": [{"name": "python3-psycopg2", "version": "2.9.5-1", "source": "apt"}],
    # A package that was removed but whose entry is empty.
    "rclone": [],
}


def test_installed_names_are_dropped():
    assert packages_to_install(["nftables", "python3-psycopg2"], FACTS) == []


def test_missing_names_are_kept_in_order():
    assert packages_to_install(["prometheus-node-exporter", "nftables", "docker.io"], FACTS) == [
        "prometheus-node-exporter", "docker.io"]


def test_an_empty_entry_is_not_installed():
    assert packages_to_install(["rclone"], FACTS) == ["rclone"]


def test_one_name_as_a_string():
    assert packages_to_install("nftables", FACTS) == []
    assert packages_to_install("docker.io", FACTS) == ["docker.io"]


@pytest.mark.parametrize("facts", [None, {}])
def test_without_facts_every_name_is_returned(facts):
    assert packages_to_install(["nftables", "rclone"], facts) == ["nftables", "rclone"]


@pytest.mark.parametrize("name", ["nftables=1.0.6-2", "nftables*", "nftables:amd64", "nftables>=1.0"])
def test_a_pinned_or_patterned_name_is_left_to_the_package_module(name):
    assert packages_to_install([name], FACTS) == [name]


def test_duplicates_once():
    assert packages_to_install(["rclone", "rclone"], FACTS) == ["rclone"]


def test_none_is_nothing():
    assert packages_to_install(None, FACTS) == []


@pytest.mark.parametrize("names, facts, needle", [
    ({"a": 1}, FACTS, "expected a list"),
    (["nftables", ""], FACTS, "not a package name"),
    ([None], FACTS, "not a package name"),
    (["nftables"], ["nftables"], "must be a dict"),
])
def test_bad_input_is_refused(names, facts, needle):
    with pytest.raises(AnsibleFilterError, match=needle):
        packages_to_install(names, facts)
