"""Test-harness filters (not part of the collection): Molecule platforms completed from shared defaults.

Every scenario's platforms name their image; `.config/molecule/config.yml` holds, once, how a platform of
each image runs (systemd as PID 1, the capability list instead of --privileged, seccomp/apparmor
unconfined, the cgroup mount). The driver's create and destroy playbooks read `molecule_yml.platforms`;
config.yml points that variable at this filter's output, so a scenario holds only what differs.
"""

import copy


def _image_defaults(defaults, image, seen):
    """defaults[image], over the defaults of the image it names as `base` (written once, extended)."""
    if image in seen:
        raise ValueError("harness_platforms: the base images of %s form a loop" % image)
    seen.add(image)
    entry = copy.deepcopy(defaults.get(image, {}))
    base = entry.pop("base", None)
    if base is None:
        return entry
    merged = _image_defaults(defaults, base, seen)
    merged.update(entry)
    return merged


def harness_platforms(molecule_yml, defaults):
    """Return molecule_yml with each platform completed from defaults[platform.image].

    A key the platform sets wins over the default (lists are replaced, not merged). An image's entry may
    name another image as `base` and hold only what differs from it. A platform whose image has no entry in
    defaults is left as it is.
    """
    if not isinstance(molecule_yml, dict):
        raise TypeError("harness_platforms: molecule_yml must be a dict, got %s" % type(molecule_yml).__name__)
    if not isinstance(defaults, dict):
        raise TypeError("harness_platforms: defaults must be a dict keyed by image")
    out = dict(molecule_yml)
    platforms = []
    for platform in molecule_yml.get("platforms") or []:
        merged = _image_defaults(defaults, platform.get("image"), set())
        merged.update(platform)
        platforms.append(merged)
    out["platforms"] = platforms
    return out


class FilterModule:
    def filters(self):
        return {"harness_platforms": harness_platforms}
