"""playbooks/rotate_secrets.yml on the running stack: the database password and the JWT secret at once.

This file runs after every other test except the teardown (names sort). The rotation regenerates both
values, and with the JWT secret both API keys. It rewrites the secrets file and re-applies the data,
services, gateway and edge tiers. Afterwards:
- every Supabase login role refuses the old password and takes the new one;
- every service is healthy again. The stand-ins log in to PostgreSQL with the password in their own
  environment, so a stand-in left on the old password stays unhealthy;
- rows written before are still there;
- through Caddy and Kong the old anon key gets 401 and the new one 200;
- no old or new value appears in the run's output.
Kong, GoTrue, PostgREST, Realtime, Storage, Studio and Functions are STAND-INs: their health proves the
wiring and the database logins, not the components.
"""
import json
import os
import subprocess
import time

import pytest
import yaml

testinfra_hosts = ["stack-host"]

PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY", os.getcwd())
EPHEMERAL = os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "")
INVENTORY = os.path.dirname(os.environ.get("MOLECULE_INVENTORY_FILE", "/nonexistent/x"))
SECRETS = os.path.join(EPHEMERAL, "inventory", "supabase-secrets.yml")
OFFLINE = os.path.join(PROJECT, "molecule", "resources", "vars", "offline-images.yml")
ROTATED = ["supabase_postgres_password", "supabase_jwt_secret"]
# With the JWT secret, the role rotates both API keys.
CHANGED = ROTATED + ["supabase_anon_key", "supabase_service_role_key"]
LOGIN_ROLES = ["supabase_admin", "authenticator", "supabase_auth_admin", "supabase_storage_admin",
               "supabase_functions_admin", "pgbouncer"]
SITE = "supabase.test"
CURL = f"curl -sS -k -o /dev/null -w '%{{http_code}}' --resolve {SITE}:443:127.0.0.1"


class Hidden(dict):
    """The rotation's record; pytest prints a failing test's arguments, so this one prints no value."""

    def __repr__(self):
        return "<rotation record: values hidden>"


def _secrets():
    with open(SECRETS, encoding="utf-8") as f:
        return yaml.safe_load(f)


def _count_users(host):
    return host.check_output("docker exec supabase-db psql -U postgres -d postgres -tAc 'select count(*) from auth.users'")


@pytest.fixture(scope="module")
def rotation(host):
    before = _secrets()
    users = _count_users(host)
    started = time.monotonic()
    run = subprocess.run(
        ["ansible-playbook", "-i", INVENTORY, "-e", "@" + OFFLINE, "-e", json.dumps({"rotate_secrets": ROTATED}),
         "-e", "rotate_confirm=true", os.path.join(PROJECT, "playbooks", "rotate_secrets.yml")],
        capture_output=True, text=True, check=False,
        env={k: v for k, v in os.environ.items() if k != "ANSIBLE_LOG_PATH"})
    seconds = time.monotonic() - started
    print(f"rotate_secrets.yml {ROTATED}: rc={run.returncode}, {seconds:.1f} s")
    return Hidden(before=before, after=_secrets(), users=users, run=run)


def _on_stack_with_secret(script, secret, *args):
    """Run ``script`` in stack-host's shell with ``secret`` on its stdin (``$0``, ``$1``...: ``args``): a
    secret never goes into a command line, which a failing test prints."""
    return subprocess.run(["docker", "exec", "-i", "stack-host", "sh", "-c", script, *args],
                          input=secret, capture_output=True, text=True, check=False, timeout=60)


def _psql_as(role, password):
    """A login over TCP (scram), as a service connects; the password reaches psql's environment."""
    return _on_stack_with_secret('PGPASSWORD="$(cat)" docker exec -e PGPASSWORD supabase-db psql -h supabase-db '
                                 "-U \"$0\" -d postgres -tAc 'select 1'", password, role)


def test_rotation_ran_and_wrote_new_values(rotation):
    run = rotation["run"]
    if run.returncode != 0:
        # The last lines only: the run prints no secret (checked below), the tail shows which task failed.
        print(run.stdout[-4000:])
    assert run.returncode == 0, "rotate_secrets.yml failed (its output above)"
    same = [n for n in CHANGED if rotation["before"][n] == rotation["after"][n]]
    assert not same, f"not rotated: {same}"
    kept = [n for n in rotation["before"] if n not in CHANGED and rotation["before"][n] != rotation["after"].get(n)]
    assert not kept, f"rotated without being asked: {kept}"


def test_no_old_or_new_value_in_the_output(rotation):
    text = rotation["run"].stdout + rotation["run"].stderr
    leaked = [f"{n} ({when})" for n in CHANGED for when in ("before", "after") if rotation[when][n] in text]
    assert not leaked, f"in the rotation's output: {leaked}"


@pytest.mark.parametrize("role", LOGIN_ROLES)
def test_old_password_refused_new_accepted(rotation, role):
    old = _psql_as(role, rotation["before"]["supabase_postgres_password"])
    old_refused = old.returncode != 0 and "password authentication failed" in old.stderr
    assert old_refused, f"{role}: the old password still logs in (rc {old.returncode})"
    new = _psql_as(role, rotation["after"]["supabase_postgres_password"])
    new_works = new.returncode == 0 and new.stdout.strip() == "1"
    assert new_works, f"{role}: the new password is refused: {new.stderr[-300:]}"


def test_every_service_healthy_again(host, rotation):
    deadline = time.monotonic() + 90
    while True:
        states = dict(line.split(" ", 1) for line in host.check_output(
            "docker ps -a --filter label=com.supabase.selfhost.component "
            "--format '{{.Names}} {{.State}}/{{.Status}}'").splitlines())
        unhealthy = {n: s for n, s in states.items() if not s.startswith("running/") or "(healthy)" not in s}
        if not unhealthy or time.monotonic() > deadline:
            break
        time.sleep(3)
    print(states)
    assert len(states) >= 12, states
    assert not unhealthy, f"not healthy after the rotation: {unhealthy}"


def test_rows_written_before_are_still_there(host, rotation):
    assert _count_users(host) == rotation["users"]


def _status_with_key(key):
    """Status of GET /rest/v1/ through Caddy and Kong with this apikey."""
    return _on_stack_with_secret(f'key="$(cat)"; {CURL} -H "apikey: $key" https://{SITE}/rest/v1/', key).stdout.strip()


def test_old_anon_key_401_new_200_through_caddy_and_kong(rotation):
    old = _status_with_key(rotation["before"]["supabase_anon_key"])
    new = _status_with_key(rotation["after"]["supabase_anon_key"])
    print(f"GET /rest/v1/ with the old anon key: {old}, with the new one: {new}")
    assert old == "401", "the old anon key is still accepted"
    assert new == "200", "the new anon key is refused"
