"""Every filter the collection exports is documented for ansible-doc: a DOCUMENTATION in the plugin file
named after it, or a sidecar plugins/filter/<name>.yml, whose `name` is the filter's."""
import glob
import importlib
import os

import pytest
import yaml

FILTER_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "plugins", "filter")


def _exported():
    for path in sorted(glob.glob(os.path.join(FILTER_DIR, "*.py"))):
        module = os.path.basename(path)[:-3]
        mod = importlib.import_module("ansible_collections.selfhost.supabase.plugins.filter." + module)
        for name in mod.FilterModule().filters():
            yield module, name, mod


@pytest.mark.parametrize("module,name,mod", list(_exported()), ids=lambda v: v if isinstance(v, str) else "")
def test_filter_documented(module, name, mod):
    sidecar = os.path.join(FILTER_DIR, name + ".yml")
    own = yaml.safe_load(getattr(mod, "DOCUMENTATION", "") or "{}") or {}
    # ansible-doc reads the plugin file's DOCUMENTATION first and looks for the sidecar only when there is none:
    # a file-level DOCUMENTATION named after another filter hides this filter's sidecar.
    assert not own or own.get("name") == name, (
        f"ansible-doc shows {module}.py's DOCUMENTATION (name {own.get('name')}) for {name}: move it to a sidecar")
    if os.path.exists(sidecar):
        with open(sidecar, encoding="utf-8") as f:
            doc = yaml.safe_load(f)["DOCUMENTATION"]
    else:
        doc = yaml.safe_load(getattr(mod, "DOCUMENTATION", "") or "{}") or {}
        assert doc.get("name") == name, f"{name} (in {module}.py) has no DOCUMENTATION of its own nor a sidecar {name}.yml"
    assert doc["name"] == name
    assert doc.get("short_description") and doc.get("description")
