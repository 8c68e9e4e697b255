"""A PostgreSQL failover under an order load: the primary dies, its synchronous replica is
promoted (what Patroni or an operator does), and two Bot Core instances sharing the store follow
it through a postgres.url that lists both hosts with target_session_attrs=read-write.

The cluster is scripts/pg's (a primary and 2 streaming replicas, commits waiting for replica_1)
in a folder of its own, destroyed at the end. Prices are manual (each instance keeps its own):
the test moves them on both.
"""

import glob
import os
import subprocess
import time

import pytest

from conftest import wait_until
from order_load import OrderLoad, Trader, open_guarded_long, stored_orders

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PG = os.path.join(ROOT, "scripts", "pg")
PORT = 19710  # replica_1 19711 (synchronous), replica_2 19712
FOLDER = f"/var/tmp/botcore-ctest-failover-{PORT}"
TRADERS = 6
RECOVERY_LIMIT_S = 10  # from the promotion to the first order acknowledged again


def url(*ports):
    hosts = ",".join(f"127.0.0.1:{p}" for p in ports)
    return f"postgresql://botcore:botcore@{hosts}/botcore"


def pg(*args, timeout=180):
    return subprocess.run([PG, *args, "--dir", FOLDER], capture_output=True, text=True,
                          timeout=timeout)


def pg_ctl(*args):
    """pg_ctl as the postgres user, as scripts/pg runs it."""
    binary = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                    key=lambda p: int(p.split("/")[4]))[-1]
    command = [binary, *args]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd="/")
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def database():
    pg("destroy")  # whatever a killed run left
    try:
        started = pg("start", "--port", str(PORT), "--replicas", "2", "--sync")
        assert started.returncode == 0, started.stderr
        yield
    finally:
        destroyed = pg("destroy")
        assert destroyed.returncode == 0, destroyed.stderr


@pytest.fixture
def instances(database, make_server):
    return [make_server(
        store={"engine": "postgres"},
        postgres={
            # Whichever of the two accepts writes; a host that is down fails fast.
            "url": url(PORT, PORT + 1) + "?target_session_attrs=read-write&connect_timeout=2",
            "replica_urls": f"{url(PORT + 1)},{url(PORT + 2)}",
            "pool_min": 2,
        },
        market={"source": "manual"},
        trading={"slippage_base_bp": 0, "slippage_bp_per_100k": 0, "orders_per_minute": 0},
        auth={"jwt_secret": "failover-test-secret-shared-by-both-instances"},
    ) for _ in range(2)]


def test_a_primary_failover_loses_no_acknowledged_order_and_trading_resumes(instances):
    # Each trader's orders go through one instance and the other in turn.
    traders = [Trader(instances, instances) for _ in range(TRADERS)]
    guarded = traders[0]
    open_guarded_long(guarded)
    with OrderLoad(traders, vias=(0, 1)) as load:
        time.sleep(2)
        killed_at = time.monotonic()
        pg_ctl("-D", f"{FOLDER}/primary", "-m", "immediate", "-w", "stop")
        # The stop is crossed while no primary is there: the close cannot be stored yet.
        during = guarded.price("BTCUSDT", "48500")
        time.sleep(1)
        pg_ctl("-D", f"{FOLDER}/replica_1", "-w", "promote")
        promoted_at = time.monotonic()
        recovered_at = load.wait_acknowledged_after(promoted_at, timeout=RECOVERY_LIMIT_S + 5)
        assert recovered_at and recovered_at - promoted_at < RECOVERY_LIMIT_S
        time.sleep(2)
    assert all(r.status in (204, 503) for r in during), [r.body for r in during]

    # The promoted replica holds every acknowledged order, and nothing that was never sent.
    ids, client_ids = stored_orders(url(PORT + 1))
    refused = load.check(killed_at, ids, client_ids)
    load.resend(refused, client_ids, via=1)
    stored_orders(url(PORT + 1))  # each client_order_id once, resent ones included

    # The stop crossed during the outage closes the position, once, when the store is back.
    assert [r.status for r in guarded.price("BTCUSDT", "48400")] == [204, 204]
    for via in (0, 1):
        assert wait_until(lambda: not guarded.holds("BTCUSDT", via=via))
    # History may come from a replica up to postgres.max_replica_lag_ms behind.
    assert wait_until(lambda: guarded.close_reasons("BTCUSDT"), timeout=10) == ["stop_loss"]

    # Both instances hold what the new primary stored: they show the same books, and a restart
    # reads them back unchanged.
    before = [t.book(via=0) for t in traders]
    assert wait_until(lambda: [t.book(via=1) for t in traders] == before)
    for server in instances:
        server.stop()
        server.start()
    for via in (0, 1):
        assert [t.book(via=via) for t in traders] == before
