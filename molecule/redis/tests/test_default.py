"""Role redis on the offline image: REAL Redis 7 (redis-server from Debian)."""
import os

import testinfra.utils.ansible_runner

testinfra_hosts = testinfra.utils.ansible_runner.AnsibleRunner(
    os.environ["MOLECULE_INVENTORY_FILE"]).get_hosts("all")

CONTAINER = "supabase-redis"


def cli(host, *args, auth=True):
    env = "" if auth else "-e REDISCLI_AUTH= "
    return host.run("docker exec %s%s redis-cli %s" % (env, CONTAINER, " ".join(args)))


def test_container_is_healthy(host):
    assert host.check_output("docker inspect --format '{{.State.Health.Status}}' %s" % CONTAINER) == "healthy"


def test_auth_is_required(host):
    out = cli(host, "ping", auth=False)
    assert "NOAUTH" in out.stdout + out.stderr
    assert cli(host, "ping").stdout.strip() == "PONG"


def test_password_is_not_on_the_command_line(host):
    secret = host.ansible.get_variables()["supabase_redis_password"]
    assert secret not in host.check_output("docker inspect --format '{{json .Args}} {{json .Config.Cmd}}' %s" % CONTAINER)
    assert secret not in host.check_output("docker top %s -o pid,args" % CONTAINER)


def test_config_file_is_private(host):
    conf = host.file("/opt/supabase/redis/redis.conf")
    assert conf.mode == 0o600
    assert host.file("/opt/supabase/redis").mode == 0o750


def test_no_port_is_published(host):
    assert host.check_output("docker port %s" % CONTAINER).strip() == ""


def test_append_only_file_in_the_volume(host):
    assert cli(host, "config get appendonly").stdout.split() == ["appendonly", "yes"]
    files = host.check_output("docker exec %s sh -c 'ls /data/appendonlydir'" % CONTAINER)
    assert ".aof" in files
    mount = host.check_output("docker inspect --format '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' %s" % CONTAINER)
    assert "redis_data:/data" in mount


def test_data_survives_a_restart(host):
    assert cli(host, "set", "molecule:probe", "kept").stdout.strip() == "OK"
    host.check_output("docker restart %s" % CONTAINER)
    for _ in range(30):
        if cli(host, "ping").stdout.strip() == "PONG":
            break
        host.run("sleep 1")
    assert cli(host, "get", "molecule:probe").stdout.strip() == "kept"
