"""The Molecule harness's platform defaults (molecule/resources/filter_plugins/harness.py)."""
import glob
import importlib.util
import os

import pytest
import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))
spec = importlib.util.spec_from_file_location("harness", os.path.join(ROOT, "molecule/resources/filter_plugins/harness.py"))
harness = importlib.util.module_from_spec(spec)
spec.loader.exec_module(harness)

DEFAULTS = {"img:1": {"command": "/sbin/init", "volumes": ["/a"], "capabilities": ["CHOWN"]}}


def test_platform_completed_from_its_image_defaults():
    out = harness.harness_platforms({"platforms": [{"name": "p", "image": "img:1"}], "x": 1}, DEFAULTS)
    assert out["x"] == 1
    assert out["platforms"] == [{"name": "p", "image": "img:1", "command": "/sbin/init", "volumes": ["/a"],
                                 "capabilities": ["CHOWN"]}]


def test_platform_keys_win_and_lists_are_replaced():
    out = harness.harness_platforms({"platforms": [{"name": "p", "image": "img:1", "volumes": ["/b"]}]}, DEFAULTS)
    assert out["platforms"][0]["volumes"] == ["/b"]


def test_defaults_not_mutated_between_platforms():
    out = harness.harness_platforms({"platforms": [{"name": "p", "image": "img:1"},
                                                   {"name": "q", "image": "img:1"}]}, DEFAULTS)
    out["platforms"][0]["capabilities"].append("KILL")
    assert out["platforms"][1]["capabilities"] == ["CHOWN"]
    assert DEFAULTS["img:1"]["capabilities"] == ["CHOWN"]


def test_an_image_entry_extends_its_base():
    defaults = dict(DEFAULTS, **{"img:2": {"base": "img:1", "volumes": ["/a", "/b"]}})
    out = harness.harness_platforms({"platforms": [{"name": "p", "image": "img:2"}]}, defaults)
    assert out["platforms"] == [{"name": "p", "image": "img:2", "command": "/sbin/init", "volumes": ["/a", "/b"],
                                 "capabilities": ["CHOWN"]}]


def test_base_loop_refused():
    with pytest.raises(ValueError, match="loop"):
        harness.harness_platforms({"platforms": [{"name": "p", "image": "a"}]},
                                  {"a": {"base": "b"}, "b": {"base": "a"}})


def test_unknown_image_left_as_it_is():
    assert harness.harness_platforms({"platforms": [{"name": "p", "image": "other"}]}, DEFAULTS)["platforms"] == [
        {"name": "p", "image": "other"}]


def test_bad_arguments_refused():
    with pytest.raises(TypeError):
        harness.harness_platforms([], DEFAULTS)
    with pytest.raises(TypeError):
        harness.harness_platforms({}, [])


def _config():
    with open(os.path.join(ROOT, ".config/molecule/config.yml"), encoding="utf-8") as f:
        return yaml.safe_load(f)


@pytest.mark.parametrize("path", sorted(glob.glob(os.path.join(ROOT, "molecule/*/molecule.yml"))))
def test_every_scenario_platform_has_shared_defaults_and_no_pasted_block(path):
    """Each platform's image has an entry in config.yml, and no scenario repeats the capability list."""
    defaults = _config()["provisioner"]["inventory"]["group_vars"]["all"]["harness_platform_defaults"]
    with open(path, encoding="utf-8") as f:
        scenario = yaml.safe_load(f)
    for platform in scenario["platforms"]:
        assert platform["image"] in defaults, f"{path}: {platform['name']} runs an image without shared defaults"
        assert "capabilities" not in platform, f"{path}: {platform['name']} repeats the capability list"
        merged = harness.harness_platforms(scenario, defaults)["platforms"]
        assert all("--privileged" not in str(p) and not p.get("privileged") for p in merged)
        assert all(p.get("capabilities") and "base" not in p for p in merged)
