"""STAND-IN server for the selfhost.supabase offline tests. It is NOT the component it stands in for.

Listens on every port in STANDIN_PORTS and answers any request with 200 and a JSON report:
{"standin": true, "component": ..., "port": ..., "method": ..., "path": ..., "env": {...},
 "files": [{"path": ..., "sha256": ...}], "command": [...]}. The report includes every environment
variable, secrets too: acceptable only because this is a test image.
"""
import hashlib
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PORTS = "8000,8443,9999,3000,4000,5000,9000,9001,8080"


def files_report():
    out = []
    dirs = [d for d in os.environ.get("STANDIN_REPORT_DIRS", "").split(",") if d.strip()]
    for top in dirs:
        for root, _dirs, names in os.walk(top.strip()):
            for name in sorted(names):
                path = os.path.join(root, name)
                try:
                    with open(path, "rb") as fh:
                        digest = hashlib.sha256(fh.read()).hexdigest()
                except OSError as exc:
                    digest = "unreadable: %s" % exc
                out.append({"path": path, "sha256": digest})
    return out


def status_port():
    """Port of KONG_STATUS_LISTEN ("addr:port"), where the kong stand-in answers /metrics; None when unset."""
    listen = os.environ.get("KONG_STATUS_LISTEN", "").split(",")[0].split()
    return int(listen[0].rsplit(":", 1)[1]) if listen else None


def standin_metrics():
    """A STAND-IN metrics answer (Prometheus text format): it says the stand-in is up, nothing about Kong."""
    component = os.environ.get("STANDIN_COMPONENT", "unknown")
    return ("# HELP standin_up STAND-IN, not the component: 1 while the stand-in server runs.\n"
            "# TYPE standin_up gauge\n"
            'standin_up{component="%s"} 1\n' % component).encode()


class Handler(BaseHTTPRequestHandler):
    server_version = "selfhost-standin/1"

    def _answer(self):
        if self.path.split("?")[0] == "/metrics" and self.server.server_address[1] == status_port():
            body = standin_metrics()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("X-Standin", "true")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        body = json.dumps({
            "standin": True,
            "component": os.environ.get("STANDIN_COMPONENT", "unknown"),
            "port": self.server.server_address[1],
            "method": self.command,
            "path": self.path,
            "env": dict(os.environ),
            "files": files_report(),
            "command": sys.argv[1:],
        }, sort_keys=True).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Standin", "true")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = _answer

    def log_message(self, fmt, *args):
        sys.stderr.write("standin %s: %s\n" % (self.server.server_address[1], fmt % args))


def main():
    # PID 1 gets no default signal handling: stop promptly on docker stop.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ports = [int(p) for p in os.environ.get("STANDIN_PORTS", DEFAULT_PORTS).split(",") if p.strip()]
    if status_port() is not None and status_port() not in ports:
        ports.append(status_port())
    servers = []
    for port in ports:
        srv = ThreadingHTTPServer(("0.0.0.0", port), Handler)
        servers.append(srv)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    sys.stderr.write("STAND-IN for %s (not the real component) listening on %s\n"
                     % (os.environ.get("STANDIN_COMPONENT", "unknown"), ports))
    sys.stderr.flush()
    threading.Event().wait()


if __name__ == "__main__":
    main()
