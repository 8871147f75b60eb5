"""The pull path (air-gapped installs): every stack image came from the loopback registry mirror.

prepare (molecule/resources/playbooks/prepare-dind.yml, offline_registry_mirror) runs Debian's docker-registry
on the host's 127.0.0.1:5000, pushes the offline images there and leaves none of them in the engine; the
converge runs with supabase_image_registry: 127.0.0.1:5000 and container_pull: missing, so each role pulled
its image through the mirror prefix (plugins/filter/images.py). Without the prefix the references name
images that are neither in the engine nor in any registry this host can reach, and the converge fails.
"""
import json

testinfra_hosts = ["stack-host"]

MIRROR = "127.0.0.1:5000"
OFFLINE = ["selfhost-supabase/postgres", "selfhost-supabase/redis", "selfhost-supabase/caddy",
           "selfhost-supabase/meta", "selfhost-supabase/standin", "selfhost-supabase/minio"]


def _containers(host):
    """{name: (image reference it was created from, labels)} of the containers the collection manages."""
    ids = host.check_output("docker ps -aq --filter label=com.supabase.selfhost.managed=true").split()
    assert ids, "no managed container on the host"
    out = {}
    for c in json.loads(host.check_output("docker inspect " + " ".join(ids))):
        out[c["Name"].lstrip("/")] = (c["Config"]["Image"], c["Config"]["Labels"] or {})
    return out


def test_registry_serves_the_offline_repositories_on_loopback_only(host):
    catalog = json.loads(host.check_output(f"curl -fsS http://{MIRROR}/v2/_catalog"))
    print(catalog)
    assert set(OFFLINE) <= set(catalog["repositories"]), catalog
    for repo in OFFLINE:
        tags = json.loads(host.check_output(f"curl -fsS http://{MIRROR}/v2/{repo}/tags/list"))
        assert "offline" in tags["tags"], tags
    listeners = [line.split()[3] for line in host.check_output("ss -Hltn 'sport = :5000'").splitlines()]
    assert listeners == [MIRROR], listeners


def test_every_stack_container_runs_an_image_pulled_through_the_mirror(host):
    containers = _containers(host)
    print(json.dumps(containers, indent=1))
    for name, (image, labels) in containers.items():
        if image.startswith("selfhost-local/postgres-pgbackrest:"):
            # Built on the host (pgbackrest added) FROM the database image, which came through the mirror.
            image = json.loads(host.check_output(f"docker image inspect {image}"))[0]["Config"]["Labels"][
                "selfhost.derived-from"]
        assert image.startswith(MIRROR + "/selfhost-supabase/"), (name, image)
    assert len(containers) >= 12, sorted(containers)


def test_images_in_the_engine_were_pulled_not_loaded(host):
    images = json.loads("[" + ",".join(host.check_output(
        "docker images --format '{{json .}}'").splitlines()) + "]")
    names = ["%s:%s" % (i["Repository"], i["Tag"]) for i in images]
    print(names)
    # No copy under the images' own names: without the mirror prefix nothing would resolve.
    assert not [n for n in names if n.startswith("selfhost-supabase/")], names
    for repo in OFFLINE:
        ref = f"{MIRROR}/{repo}:offline"
        digests = json.loads(host.check_output(f"docker image inspect {ref}"))[0]["RepoDigests"]
        # A RepoDigest under the mirror is recorded when the engine pulled the manifest from it.
        assert [d for d in digests if d.startswith(f"{MIRROR}/{repo}@sha256:")], (ref, digests)


def test_registry_log_shows_the_engine_pulling_each_image(host):
    """The engine resolves the tag (HEAD manifests/offline) and fetches the manifest by digest (GET)."""
    log = host.check_output("journalctl -u docker-registry --no-pager -o cat")
    for repo in OFFLINE:
        assert f'"HEAD /v2/{repo}/manifests/offline HTTP/1.1" 200' in log, repo
        assert f'"GET /v2/{repo}/manifests/sha256:' in log, repo
