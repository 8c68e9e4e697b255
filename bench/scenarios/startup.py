#!/usr/bin/env python3
"""Time from `botcore serve` being started to its first 200 on GET /health.

Runs RUNS times (default 10) on a fresh data directory each time (so the schema migration is
included) and prints min / median / max in milliseconds.

    bench/scenarios/startup.py [RUNS]
"""
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("BOTCORE_BIN", os.path.join(os.path.dirname(__file__), "../../build/botcore"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def once():
    with tempfile.TemporaryDirectory() as work:
        port = free_port()
        start = time.perf_counter()
        proc = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", f"{work}/data"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            deadline = start + 10
            while time.perf_counter() < deadline:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                    conn.request("GET", "/health")
                    if conn.getresponse().status == 200:
                        return (time.perf_counter() - start) * 1000
                except OSError:
                    time.sleep(0.002)
            raise SystemExit("no 200 from /health within 10 s")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


def main():
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    times = [once() for _ in range(runs)]
    print(f"start to first 200 on /health over {runs} runs: min {min(times):.0f} ms, "
          f"median {statistics.median(times):.0f} ms, max {max(times):.0f} ms")


if __name__ == "__main__":
    main()
