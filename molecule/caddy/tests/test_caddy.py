"""Role caddy: REAL Caddy on a docker-in-docker host, tls internal, in front of a fake Kong."""
import json
import os

import pytest
import yaml

SITE = "supabase.test"
CURL = f"curl -sS -k --http2 --resolve {SITE}:443:127.0.0.1 --resolve {SITE}:80:127.0.0.1"
SECURITY_HEADERS = {
    "strict-transport-security": "max-age=31536000",
    "x-content-type-options": "nosniff",
    "x-frame-options": "SAMEORIGIN",
    "referrer-policy": "strict-origin-when-cross-origin",
}


def _request(host, args):
    """Run curl on the host; return (status, http_version, headers, body)."""
    out = host.check_output(f"{CURL} -D /tmp/h -o /tmp/b -w '%{{http_code}} %{{http_version}}' {args}")
    status, version = out.split()
    headers = {}
    for line in host.file("/tmp/h").content_string.splitlines()[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return int(status), version, headers, host.file("/tmp/b").content_string


@pytest.fixture(scope="module")
def creds():
    with open(os.path.join(os.path.dirname(__file__), "..", "vars", "main.yml"), encoding="utf-8") as f:
        v = yaml.safe_load(f)
    return v["supabase_dashboard_username"], v["supabase_dashboard_password"]


def _journal(host):
    print(host.run("docker logs --tail 40 supabase-caddy 2>&1").stdout)


def test_container_running_and_healthy(host):
    state = host.check_output("docker inspect -f '{{.State.Status}} {{.State.Health.Status}}' supabase-caddy")
    if state != "running healthy":
        _journal(host)
    assert state == "running healthy"


def test_config_files_private(host):
    d = host.file("/opt/supabase/caddy")
    assert d.is_directory and d.user == "root" and d.mode == 0o750
    f = host.file("/opt/supabase/caddy/Caddyfile")
    assert f.user == "root" and f.mode == 0o640
    assert "tls internal" in f.content_string


def test_https_api_through_kong_with_security_headers(host):
    status, version, headers, body = _request(host, f"https://{SITE}/rest/v1/")
    if status != 200:
        _journal(host)
    assert status == 200
    assert version == "2"
    assert body.startswith("fake-kong")
    for name, value in SECURITY_HEADERS.items():
        assert value in headers.get(name, ""), f"{name} missing or wrong: {headers}"
    assert "server" not in headers


def test_http_redirects_to_https(host):
    status, _, headers, _ = _request(host, f"http://{SITE}/rest/v1/x?y=1")
    assert status in (301, 308)
    assert headers["location"] == f"https://{SITE}/rest/v1/x?y=1"


def test_studio_needs_basic_auth(host, creds):
    status, _, headers, _ = _request(host, f"https://{SITE}/")
    assert status == 401
    assert "basic" in headers.get("www-authenticate", "").lower()
    status, _, _, _ = _request(host, f"-u {creds[0]}:wrong-password https://{SITE}/")
    assert status == 401
    status, _, headers, body = _request(host, f"-u {creds[0]}:{creds[1]} https://{SITE}/project/default")
    assert status == 200
    assert body.startswith("fake-kong")
    assert "default-src 'self'" in headers.get("content-security-policy", "")


def test_api_paths_need_no_basic_auth(host):
    for path in ("/auth/v1/health", "/storage/v1/x", "/functions/v1/hello", "/graphql/v1", "/pg/tables", "/realtime/v1/api"):
        status, _, _, _ = _request(host, f"https://{SITE}{path}")
        assert status == 200, path


def test_json_access_log_without_api_keys(host):
    _request(host, f"-H 'apikey: SECRET-HEADER-KEY' 'https://{SITE}/rest/v1/t?apikey=SECRET-QUERY-KEY&select=id'")
    log = host.check_output("docker exec supabase-caddy cat /var/log/caddy/access.log")
    lines = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert lines, "no access log lines"
    assert any(e.get("request", {}).get("uri", "").startswith("/rest/v1/t") for e in lines)
    assert "SECRET-HEADER-KEY" not in log
    assert "SECRET-QUERY-KEY" not in log
    volumes = host.check_output("docker inspect -f '{{range .Mounts}}{{.Name}}:{{.Destination}} {{end}}' supabase-caddy")
    assert "caddy_logs:/var/log/caddy" in volumes
    assert "caddy_data:/data" in volumes


def test_only_edge_ports_published(host):
    ports = host.check_output("docker port supabase-caddy")
    assert sorted(p.split(" -> ")[0] for p in ports.splitlines()) == ["443/tcp", "80/tcp"]


def test_broken_caddyfile_refused_before_apply(host):
    result = json.loads(host.file("/root/caddy-broken-config.json").content_string)
    assert result["rejected"] is True, result
    assert result["before"]["checksum"] == result["after"]["checksum"]
    assert result["before"]["container_id"] == result["after"]["container_id"]
    assert result["after"]["running"] in (True, "True")
