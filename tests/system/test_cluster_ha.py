"""`scripts/cluster up --ha`: PostgreSQL under Patroni and etcd. The leader dies with its Patroni
under an order load through HAProxy; the synchronous replica takes over by itself, the instances
follow it, and no acknowledged order is lost. Twice: the instances' pools connect to the servers
themselves, then through PgBouncer (`--pgbouncer`), whose one upstream address is an HAProxy
that leads to the leader."""

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

from conftest import Endpoint, fresh_cluster_folder, metric, wait_until
from order_load import OrderLoad, Trader, open_guarded_long, stored_orders

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER = os.path.join(ROOT, "scripts", "cluster")
# HAProxy; instances 20001, 20002; PostgreSQL 20100-20102; PgBouncer 20105 and its HAProxy
# 20106; Redis 20110; etcd 20120-20121; Patroni's REST API 20130-20132.
PORT = 20000
TRADERS = 4
# From the leader's death: the leader key's ttl (10 s), then HAProxy's checks of the instances
# (every second while DOWN, UP after 2).
RECOVERY_LIMIT_S = 30


def run_cluster(*args, env=None):
    return subprocess.run([CLUSTER, *args], capture_output=True, text=True, timeout=300,
                          env=env)


def patroni(node, path):
    """Patroni's REST API of node 1..3: (status, JSON body)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{PORT + 129 + node}/{path}",
                                    timeout=2) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")
    except OSError:
        return None, None


def accepts(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        return True
    except OSError:
        return False


def pooled_clients():
    """Client connections PgBouncer holds for the botcore database (its admin console)."""
    done = subprocess.run(["psql", "-X", "-tA", f"postgresql://postgres@127.0.0.1:{PORT + 105}"
                           "/pgbouncer", "-c", "SHOW CLIENTS"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    # type|user|database|state|...
    return sum(1 for row in done.stdout.splitlines() if row.split("|")[2:3] == ["botcore"])


def leader():
    return next((n for n in (1, 2, 3) if patroni(n, "primary")[0] == 200), None)


@pytest.fixture(scope="module", params=["direct", "pgbouncer"])
def cluster(request):
    pooled = request.param == "pgbouncer"
    folder = fresh_cluster_folder(PORT)
    env = dict(os.environ, BOTCORE_MARKET_SOURCE="manual", BOTCORE_AUTH_PASSWORD_HASH_OPS="1",
               BOTCORE_AUTH_PASSWORD_HASH_MEMORY_KIB="8", BOTCORE_TRADING_ORDERS_PER_MINUTE="0")
    try:
        started = run_cluster("up", "--instances", "2", "--ha", "--dir", folder, "--base-port",
                              str(PORT), *(["--pgbouncer"] if pooled else []), env=env)
        assert started.returncode == 0, started.stderr
        postgres = [line.partition("=")[2] for line in started.stdout.splitlines()
                    if line.startswith("postgres=")]
        hosts = ",".join(f"127.0.0.1:{PORT + 100 + i}" for i in range(3))
        assert postgres == [f"postgresql://botcore:botcore@{hosts}/botcore"
                            "?target_session_attrs=read-write&connect_timeout=2"]
        pgbouncer = [line for line in started.stdout.splitlines()
                     if line.startswith("pgbouncer=")]
        assert pgbouncer == ([f"pgbouncer=postgresql://botcore:botcore@127.0.0.1:{PORT + 105}"
                              "/botcore"] if pooled else [])
        yield folder, postgres[0], pooled
    finally:
        stopped = run_cluster("down", "--dir", folder, "--destroy")
        assert stopped.returncode == 0, stopped.stderr
        assert not os.path.exists(folder)


def test_a_leader_that_dies_with_its_patroni_is_replaced_and_no_order_is_lost(cluster):
    folder, postgres, pooled = cluster
    balancer, instances = Endpoint(PORT), [Endpoint(PORT + 1), Endpoint(PORT + 2)]
    traders = [Trader([balancer], instances) for _ in range(TRADERS)]
    guarded = traders[0]
    open_guarded_long(guarded)

    with OrderLoad(traders) as load:
        time.sleep(2)
        old = leader()
        assert old is not None
        synchronous = next(n for n in (1, 2, 3) if patroni(n, "sync")[0] == 200)
        killed_at = time.monotonic()
        node = os.path.join(folder, "patroni", f"pg{old}")
        with open(node + ".pid") as f:
            patroni_pid = int(f.read())
        with open(os.path.join(node, "postmaster.pid")) as f:
            postmaster_pid = int(f.readline())
        os.kill(patroni_pid, signal.SIGKILL)
        os.kill(postmaster_pid, signal.SIGKILL)
        assert wait_until(lambda: not accepts(PORT + 99 + old)), f"pg{old} still accepts"
        # The stop is crossed while no server accepts writes.
        during = guarded.price("BTCUSDT", "48500")
        recovered_at = load.wait_acknowledged_after(killed_at + 1, timeout=RECOVERY_LIMIT_S + 10)
        assert recovered_at and recovered_at - killed_at < RECOVERY_LIMIT_S
        time.sleep(2)
    assert all(r.status in (204, 503) for r in during), [r.body for r in during]
    # Only the synchronous replica could take over.
    assert leader() == synchronous

    ids, client_ids = stored_orders(postgres)
    refused = load.check(killed_at, ids, client_ids)
    load.resend(refused, client_ids)

    if not pooled:
        # The instances' pooled sessions to the old leader ended with it; each was found so
        # before use and replaced, not handed to a command (which would then have failed for
        # nothing). Behind PgBouncer the sessions that ended were PgBouncer's.
        ended = [metric(i.port, "database_connections_ended_total") for i in instances]
        assert sum(ended) > 0, ended

    if pooled:
        # The instances' pools are PgBouncer's clients, and they are what served the orders
        # acknowledged since the failover.
        assert pooled_clients() > 0
    # The stop crossed during the outage is closed once the shards are taken again on the new
    # leader: at that price if it is at most 10 s old then (the takeover's bound), or behind
    # PgBouncer by that price's own evaluation, which waited in its queue; else by the first
    # price after the failover.
    if guarded.holds("BTCUSDT"):
        assert [r.status for r in guarded.price("BTCUSDT", "48400")] == [204, 204]
        assert wait_until(lambda: not guarded.holds("BTCUSDT"))
    assert wait_until(lambda: guarded.close_reasons("BTCUSDT"), timeout=10) == ["stop_loss"]

    # `up` again brings the dead node back, as a replica of the new leader.
    again = run_cluster("up", "--instances", "2", "--dir", folder)
    assert again.returncode == 0, again.stderr
    assert leader() == synchronous
    assert patroni(old, "replica")[0] == 200
    status = run_cluster("status", "--dir", folder)
    assert status.returncode == 0, status.stderr
    assert status.stdout == again.stdout
