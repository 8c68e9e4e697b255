#!/usr/bin/python3
"""PostgreSQL failover under an order load: how long orders are refused when the leader dies.

Starts `scripts/cluster up --ha` (two instances behind HAProxy; PostgreSQL under Patroni),
places market orders through HAProxy from several threads, and in each round kills the
leader's Patroni and PostgreSQL (SIGKILL). The peer, in the same rounds: a plain libpq writer
(psycopg2, one row per transaction) on the same multi-host URL, reconnecting every 50 ms.
Reported per round, from the kill, for the peer (what PostgreSQL and Patroni take) and for the
orders: when the first write sent after the first failure succeeded (its answer's time; the
outage begins at the first failure, since backends of a killed postmaster may finish a few
writes); and the refused and stalled orders. Failures are 502/503/504 answers, broken
connections, and orders acknowledged more than 1 s after they were sent (stalled). `up` again
then brings the dead node back as a replica before the next round.

  bench/scenarios/failover.py [--rounds 3] [--threads 8] [--base-port 21000] [--pgbouncer]

--pgbouncer starts the cluster with it (`up --ha --pgbouncer`): the instances' pools then reach
the leader through PgBouncer and the HAProxy of deploy/haproxy/postgres.cfg; the peer still
writes on the multi-host URL.

Needs root (PostgreSQL runs as the postgres user), patroni and etcd (Debian's python3-psycopg2
comes with patroni: hence /usr/bin/python3), and a built build/botcore.
"""

import argparse
import collections
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

import psycopg2

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER = os.path.join(ROOT, "scripts", "cluster")


def cluster(*args, env=None):
    done = subprocess.run([CLUSTER, *args], capture_output=True, text=True, timeout=600, env=env)
    if done.returncode != 0:
        sys.exit(f"scripts/cluster {' '.join(args)} failed:\n{done.stderr}")
    return dict(line.split("=", 1) for line in done.stdout.splitlines() if "=" in line)


def call(port, method, path, body=None, token=None):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=json.dumps(body) if body is not None else None,
                       headers=headers)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, (json.loads(data) if data else None)


def leader(base):
    for node in (1, 2, 3):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{base + 129 + node}/primary",
                                        timeout=2):
                return node
        except OSError:
            continue
    return None


def gone(port, timeout=5.0):
    """Whether nothing accepts connections on the port within timeout (a killed server's)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            return True
        time.sleep(0.1)
    return False


class Orders(threading.Thread):
    """One user placing market orders through HAProxy; answers as (sent, done, status, code)."""

    def __init__(self, port, token, stop):
        super().__init__()
        self.port, self.token, self.stop = port, token, stop
        self.answers = []

    def run(self):
        n = 0
        while not self.stop.is_set():
            n += 1
            body = {"symbol": "ETHUSDT", "side": "buy" if n % 2 else "sell", "type": "market",
                    "quantity": "0.1"}
            sent = time.monotonic()
            try:
                status, answer = call(self.port, "POST", "/api/orders", body, self.token)
                code = (answer or {}).get("error", {}).get("code") if status != 201 else None
            except (OSError, http.client.HTTPException) as e:
                status, code = None, type(e).__name__
            self.answers.append((sent, time.monotonic(), status, code))
            if status != 201:
                time.sleep(0.05)


class Writer(threading.Thread):
    """The peer: single-row autocommit inserts on the multi-host URL, reconnecting on failure.
    Attempts as (sent, done, succeeded)."""

    def __init__(self, url, stop):
        super().__init__()
        self.url, self.stop = url, stop
        self.attempts = []

    def run(self):
        connection = None
        while not self.stop.is_set():
            sent = time.monotonic()
            try:
                if connection is None:
                    connection = psycopg2.connect(self.url)
                    connection.autocommit = True
                    with connection.cursor() as cursor:
                        cursor.execute("CREATE TABLE IF NOT EXISTS failover_peer (t float8)")
                with connection.cursor() as cursor:
                    cursor.execute("INSERT INTO failover_peer VALUES (%s)", (time.time(),))
                self.attempts.append((sent, time.monotonic(), True))
            except psycopg2.Error:
                self.attempts.append((sent, time.monotonic(), False))
                if connection is not None:
                    connection.close()
                connection = None
                time.sleep(0.05)


def back_after(attempts, moment):
    """Attempts (sent, done, ok): when the first attempt sent after the first failure after
    moment succeeded (ok None: neither a success nor a failure)."""
    failed = min((sent for sent, _, ok in attempts if ok is False and sent > moment), default=None)
    if failed is None:
        return None
    return min((done for sent, done, ok in attempts if ok and sent > failed), default=None)


# An order acknowledged after this long waited out the outage (behind PgBouncer, whose clients
# wait for a server instead of failing): it counts as a failure, at the moment it was sent.
STALLED_S = 1.0


def order_attempts(answers):
    def ok(sent, done, status):
        if status == 201:
            return done - sent <= STALLED_S
        return False if status in (None, 502, 503, 504) else None
    return [(sent, done, ok(sent, done, status)) for sent, done, status, _ in answers]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--base-port", type=int, default=21000)
    parser.add_argument("--pgbouncer", action="store_true")
    args = parser.parse_args()
    base = args.base_port
    folder = tempfile.mkdtemp(prefix="botcore-failover-", dir="/var/tmp")
    os.chmod(folder, 0o755)
    env = dict(os.environ, BOTCORE_MARKET_SOURCE="manual", BOTCORE_AUTH_PASSWORD_HASH_OPS="1",
               BOTCORE_AUTH_PASSWORD_HASH_MEMORY_KIB="8", BOTCORE_TRADING_ORDERS_PER_MINUTE="0",
               BOTCORE_LOG_ACCESS="false")
    try:
        lines = cluster("up", "--instances", "2", "--ha", "--dir", f"{folder}/cluster",
                        "--base-port", str(base), *(["--pgbouncer"] if args.pgbouncer else []),
                        env=env)
        tokens = []
        for i in range(args.threads):
            email = f"failover{i}-{os.getpid()}@example.com"
            call(base, "POST", "/api/auth/register",
                 {"email": email, "password": "correct horse battery"})
            _, login = call(base, "POST", "/api/auth/login",
                            {"email": email, "password": "correct horse battery"})
            tokens.append(login["access_token"])
        for instance in (base + 1, base + 2):
            call(instance, "POST", "/api/market/prices", {"symbol": "ETHUSDT", "price": "2000"},
                 tokens[0])
        print("round  peer writes again (s)  orders acknowledged again (s)  after the peer (s)  "
              "refused (by code), stalled")
        rows = []
        for round_number in range(1, args.rounds + 1):
            stop = threading.Event()
            loads = [Orders(base, token, stop) for token in tokens]
            peer = Writer(lines["postgres"], stop)
            for thread in (*loads, peer):
                thread.start()
            time.sleep(3)
            node = leader(base)
            data = f"{folder}/cluster/patroni/pg{node}"
            with open(f"{data}.pid") as f:
                patroni_pid = int(f.read())
            with open(f"{data}/postmaster.pid") as f:
                postmaster_pid = int(f.readline())
            killed = time.monotonic()
            os.kill(patroni_pid, signal.SIGKILL)
            os.kill(postmaster_pid, signal.SIGKILL)
            if not gone(base + 99 + node):
                sys.exit(f"round {round_number}: the leader pg{node} still accepts connections")
            deadline = killed + 60
            while time.monotonic() < deadline:
                if back_after(order_attempts([a for load in loads for a in load.answers]), killed):
                    break
                time.sleep(0.2)
            time.sleep(1)
            stop.set()
            for thread in (*loads, peer):
                thread.join(timeout=60)
            answers = [a for load in loads for a in load.answers]
            peer_back = back_after(peer.attempts, killed)
            orders_back = back_after(order_attempts(answers), killed)
            refused = collections.Counter(code or str(status) for _, _, status, code in answers
                                          if status != 201)
            refused["stalled"] = sum(1 for sent, done, status, _ in answers
                                     if status == 201 and done - sent > STALLED_S)
            peer_s = peer_back - killed if peer_back else float("nan")
            orders_s = orders_back - killed if orders_back else float("nan")
            rows.append((peer_s, orders_s))
            print(f"{round_number:5}  {peer_s:21.2f}  {orders_s:29.2f}  {orders_s - peer_s:17.2f}  "
                  f"{dict(refused)}", flush=True)
            cluster("up", "--instances", "2", "--dir", f"{folder}/cluster", env=env)
        print(f"median {statistics.median(r[0] for r in rows):21.2f}  "
              f"{statistics.median(r[1] for r in rows):29.2f}  "
              f"{statistics.median(r[1] - r[0] for r in rows):17.2f}")
    finally:
        subprocess.run([CLUSTER, "down", "--dir", f"{folder}/cluster", "--destroy"],
                       capture_output=True, timeout=300)
        subprocess.run(["rm", "-rf", folder], check=False)


if __name__ == "__main__":
    main()
