"""Benchmark: 12 local HTTP endpoints, the slowest answering in about 1 s.

Runs the health_probe logic once over all of them and prints the wall time.
Probes run concurrently, so the total should be close to the slowest one (~1 s),
not the sum of all delays (~6.5 s). Exit code 1 if it takes 2 s or more.

    .venv/bin/python scripts/bench_health_probe.py
"""
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'collections'))

from ansible_collections.selfhost.supabase.plugins.module_utils.probes import run_probes  # noqa: E402

COUNT = 12
SLOWEST = 1.0


def make_handler(delay):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            time.sleep(delay)
            body = b'ok'
            self.send_response(200)
            self.send_header('Content-Length', str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    return Handler


def main():
    servers = []
    delays = [SLOWEST * (i + 1) / COUNT for i in range(COUNT)]
    for delay in delays:
        server = ThreadingHTTPServer(('127.0.0.1', 0), make_handler(delay))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    probes = [{'name': 'ep%02d' % i, 'type': 'http', 'url': 'http://127.0.0.1:%d/' % s.server_address[1],
               'timeout': 5, 'status_codes': [200], 'body': 'ok', 'use_proxy': False}
              for i, s in enumerate(servers)]
    try:
        started = time.monotonic()
        results = run_probes(probes, wait=0)
        wall = time.monotonic() - started
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    healthy = sum(1 for r in results if r['ok'])
    print('endpoints: %d, healthy: %d, slowest delay: %.2f s, sum of delays: %.2f s'
          % (COUNT, healthy, max(delays), sum(delays)))
    print('wall time: %.3f s' % wall)
    return 0 if healthy == COUNT and wall < 2.0 else 1


if __name__ == '__main__':
    sys.exit(main())
