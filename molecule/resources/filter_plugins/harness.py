"""Test-harness filters (not part of the collection): Molecule platforms completed from shared defaults.

Every scenario's platforms name their image; `.config/molecule/config.yml` holds, once, how a platform of
each image runs (systemd as PID 1, the capability list instead of --privileged, seccomp/apparmor
unconfined, the cgroup mount). The driver's create and destroy playbooks read `molecule_yml.platforms`;
config.yml points that variable at this filter's output, so a scenario holds only what differs.
"""

import copy


def harness_platforms(molecule_yml, defaults):
    """Return molecule_yml with each platform completed from defaults[platform.image].

    A key the platform sets wins over the default (lists are replaced, not merged). A platform whose image
    has no entry in defaults is left as it is.
    """
    if not isinstance(molecule_yml, dict):
        raise TypeError("harness_platforms: molecule_yml must be a dict, got %s" % type(molecule_yml).__name__)
    if not isinstance(defaults, dict):
        raise TypeError("harness_platforms: defaults must be a dict keyed by image")
    out = dict(molecule_yml)
    platforms = []
    for platform in molecule_yml.get("platforms") or []:
        merged = copy.deepcopy(defaults.get(platform.get("image"), {}))
        merged.update(platform)
        platforms.append(merged)
    out["platforms"] = platforms
    return out


class FilterModule:
    def filters(self):
        return {"harness_platforms": harness_platforms}
