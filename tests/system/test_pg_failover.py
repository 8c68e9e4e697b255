"""A PostgreSQL failover under an order load: the primary dies, its synchronous replica is
promoted (what Patroni or an operator does), and two Bot Core instances sharing the store follow
it through a postgres.url that lists both hosts with target_session_attrs=read-write.

The cluster is scripts/pg's (a primary and 2 streaming replicas, commits waiting for replica_1)
in a folder of its own, destroyed at the end. Prices are manual (each instance keeps its own):
the test moves them on both.
"""

import glob
import http.client
import os
import subprocess
import threading
import time

import pytest

from conftest import assert_error, auth_headers, new_session, wait_until

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PG = os.path.join(ROOT, "scripts", "pg")
PORT = 19710  # replica_1 19711 (synchronous), replica_2 19712
FOLDER = f"/var/tmp/botcore-ctest-failover-{PORT}"
TRADERS = 6
LOAD_LIMIT_S = 60  # the load stops by then whatever happens
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


def psql_column(port, sql):
    done = subprocess.run(["psql", "-X", "-tA", url(port), "-c", sql], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


@pytest.fixture(scope="module")
def database():
    pg("destroy")  # whatever a killed run left
    started = pg("start", "--port", str(PORT), "--replicas", "2", "--sync")
    assert started.returncode == 0, started.stderr
    yield
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


class Trader:
    """A user of both instances: requests go to the first unless `via` names another."""

    def __init__(self, instances):
        self.instances = instances
        self.account, tokens = new_session(instances[0])
        self.headers = auth_headers(tokens.access_token)

    def req(self, method, path, json=None, via=0):
        server = self.instances[via]
        if json is None:
            return server.request(method, path, headers=self.headers, timeout=30.0)
        return server.request(method, path, json=json, headers=self.headers, timeout=30.0)

    def price(self, symbol, price):
        """The price on both instances; the statuses of their answers."""
        return [self.req("POST", "/api/market/prices", {"symbol": symbol, "price": price}, via=i)
                for i in range(len(self.instances))]

    def book(self, via):
        """Balance and positions, as /api/account and /api/positions show them."""
        account = self.req("GET", "/api/account", via=via)
        positions = self.req("GET", "/api/positions", via=via)
        assert account.status == 200 and positions.status == 200, (account.body, positions.body)
        return (account.json["balance"],
                sorted((p["symbol"], p["side"], p["quantity"], p["entry_price"])
                       for p in positions.json["positions"]))


def eth_order(client_id):
    """The market order of a client_order_id "t<trader>-<n>": buys and sells in turn, each
    through the other instance than the one before."""
    n = int(client_id.rpartition("-")[2])
    return {"symbol": "ETHUSDT", "side": "buy" if n % 2 else "sell", "type": "market",
            "quantity": "0.1", "client_order_id": client_id}


def place_until(trader, index, stop, sent, answers):
    """Market orders until stop is set: every client_order_id sent goes
    to sent, every answer (time, status, response, client_order_id) to answers."""
    deadline = time.monotonic() + LOAD_LIMIT_S
    n = 0
    while not stop.is_set() and time.monotonic() < deadline:
        n += 1
        client_id = f"t{index}-{n}"
        sent.add(client_id)
        try:
            r = trader.req("POST", "/api/orders", eth_order(client_id), via=n % 2)
        except (OSError, http.client.HTTPException) as e:
            answers.append((time.monotonic(), None, repr(e), client_id))
            continue
        answers.append((time.monotonic(), r.status, r, client_id))
        if r.status != 201:
            time.sleep(0.05)


def test_a_primary_failover_loses_no_acknowledged_order_and_trading_resumes(instances):
    traders = [Trader(instances) for _ in range(TRADERS)]
    for symbol, price in (("BTCUSDT", "50000"), ("ETHUSDT", "2000")):
        assert [r.status for r in traders[0].price(symbol, price)] == [204, 204]
    guarded = traders[0]
    r = guarded.req("POST", "/api/orders",
                    {"symbol": "BTCUSDT", "side": "buy", "type": "market", "quantity": "0.1",
                     "leverage": 10, "stop_loss": "49000"})
    assert r.status == 201, r.body

    stop = threading.Event()
    sent = [set() for _ in traders]
    answers = [[] for _ in traders]
    threads = [threading.Thread(target=place_until, args=(t, i, stop, sent[i], answers[i]))
               for i, t in enumerate(traders)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        killed_at = time.monotonic()
        pg_ctl("-D", f"{FOLDER}/primary", "-m", "immediate", "-w", "stop")
        # The stop is crossed while no primary is there: the close cannot be stored yet.
        during = guarded.price("BTCUSDT", "48500")
        time.sleep(1)
        pg_ctl("-D", f"{FOLDER}/replica_1", "-w", "promote")
        promoted_at = time.monotonic()

        def acknowledged_again():
            return any(at > promoted_at and status == 201
                       for trader_answers in answers for at, status, *_ in list(trader_answers))
        assert wait_until(acknowledged_again, timeout=RECOVERY_LIMIT_S + 5)
        time.sleep(2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=LOAD_LIMIT_S + 40)

    # Every answer was an acknowledgement or the contract's 503; none was lost on the way.
    everything = [(i, *a) for i, trader_answers in enumerate(answers) for a in trader_answers]
    assert all(status is not None for _, _, status, _, _ in everything), \
        [r for _, _, status, r, _ in everything if status is None][:3]
    refused = [(i, r, client_id) for i, _, status, r, client_id in everything if status != 201]
    for _, r, _ in refused:
        assert_error(r, 503, "unavailable")
    assert refused, "the orders placed while no primary accepted writes must be refused"
    assert any(at < killed_at and status == 201 for _, at, status, _, _ in everything)
    first_after = min(at for _, at, status, _, _ in everything
                      if status == 201 and at > promoted_at)
    assert first_after - promoted_at < RECOVERY_LIMIT_S
    assert all(r.status in (204, 503) for r in during), [r.body for r in during]

    # The promoted replica holds every acknowledged order, and nothing that was never sent.
    acknowledged = {r.json["id"] for _, _, status, r, _ in everything if status == 201}
    stored = set(psql_column(PORT + 1, "SELECT id FROM orders"))
    assert acknowledged <= stored, f"{len(acknowledged - stored)} acknowledged orders lost"
    every_sent = set().union(*sent)
    stored_clients = set(psql_column(
        PORT + 1, "SELECT client_order_id FROM orders WHERE client_order_id IS NOT NULL"))
    assert stored_clients <= every_sent

    # A refused order may or may not have been stored, as its answer says: sent again with its
    # client_order_id, it comes back (200) if it was, and is placed now (201) if it was not.
    for i, _, client_id in refused:
        again = traders[i].req("POST", "/api/orders", eth_order(client_id), via=1)
        assert again.status == (200 if client_id in stored_clients else 201), again.body
    resent = psql_column(PORT + 1, "SELECT count(client_order_id), "
                                   "count(DISTINCT client_order_id) FROM orders")[0].split("|")
    assert resent[0] == resent[1]

    # The stop crossed during the outage closes the position, once, when the store is back.
    assert [r.status for r in guarded.price("BTCUSDT", "48400")] == [204, 204]
    for via in (0, 1):
        assert wait_until(lambda: all(p["symbol"] != "BTCUSDT" for p in guarded.req(
            "GET", "/api/positions", via=via).json["positions"]))

    def closed():
        r = guarded.req("GET", "/api/trades?symbol=BTCUSDT")
        assert r.status == 200, r.body
        return [t["close_reason"] for t in r.json["items"]]
    # History may come from a replica up to postgres.max_replica_lag_ms behind.
    assert wait_until(closed, timeout=10) == ["stop_loss"]

    # Both instances hold what the new primary stored: they show the same books, and a restart
    # reads them back unchanged.
    before = [t.book(via=0) for t in traders]
    assert wait_until(lambda: [t.book(via=1) for t in traders] == before)
    for server in instances:
        server.stop()
        server.start()
    for via in (0, 1):
        assert [t.book(via=via) for t in traders] == before
