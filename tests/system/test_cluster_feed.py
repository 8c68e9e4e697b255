"""Two instances with the simulated feed on one PostgreSQL (their pools through PgBouncer) behind
HAProxy (scripts/cluster):
one instance's feed drives both instances' prices, a rolling restart under load fails and loses
no order, and another instance takes the lead when the leader dies."""

import os
import re
import signal
import subprocess
import threading
from decimal import Decimal

import pytest

from conftest import (BOTCORE_BIN, auth_headers, free_port, fresh_cluster_folder, http_request,
                      metric, pooler_transactions, unique_email, wait_until)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER = os.path.join(ROOT, "scripts", "cluster")
PORT = 18900  # HAProxy; instances 18901, 18902; PostgreSQL 19000-19002, PgBouncer 19005


def run_cluster(*args, env=None):
    return subprocess.run([CLUSTER, *args], capture_output=True, text=True, timeout=180,
                          env=env)


def cluster_env():
    env = dict(os.environ)
    env["BOTCORE_MARKET_SOURCE"] = "simulator"
    env["BOTCORE_MARKET_TICK_INTERVAL_MS"] = "200"
    env["BOTCORE_AUTH_PASSWORD_HASH_OPS"] = "1"
    env["BOTCORE_AUTH_PASSWORD_HASH_MEMORY_KIB"] = "8"
    # The steady load is one user placing orders as fast as it is answered.
    env["BOTCORE_TRADING_ORDERS_PER_MINUTE"] = "0"
    env["BOTCORE_MARKET_SYMBOLS"] = ",".join(CLUSTER_SYMBOLS)
    return env


# Every symbol of the catalog but APTUSDT.
CLUSTER_SYMBOLS = ["BTCUSDT", "ETHUSDT", "BNBUSDT", "SOLUSDT", "XRPUSDT", "ADAUSDT", "DOGEUSDT",
                   "TRXUSDT", "DOTUSDT", "LINKUSDT", "LTCUSDT", "AVAXUSDT", "MATICUSDT",
                   "ATOMUSDT", "UNIUSDT", "ETCUSDT", "XLMUSDT", "NEARUSDT", "FILUSDT"]


@pytest.fixture(scope="module")
def cluster():
    folder = fresh_cluster_folder(PORT)
    try:
        # The instances' pools go through PgBouncer (transaction pooling); their sessions do not.
        started = run_cluster("up", "--instances", "2", "--dir", folder, "--base-port", str(PORT),
                              "--pgbouncer", env=cluster_env())
        assert started.returncode == 0, started.stderr
        credentials = {"email": unique_email(), "password": "cluster feed password"}
        assert http_request(PORT, "POST", "/api/auth/register", json=credentials).status == 201
        r = http_request(PORT, "POST", "/api/auth/login", json=credentials)
        assert r.status == 200, r.body
        TOKEN.append(r.json["access_token"])
        yield folder
    finally:
        stopped = run_cluster("down", "--dir", folder, "--destroy")
        assert stopped.returncode == 0, stopped.stderr


TOKEN = []  # an access token, valid on every instance


def prices(port):
    r = http_request(port, "GET", "/api/market/prices", headers=auth_headers(TOKEN[0]))
    assert r.status == 200, r.body
    return {symbol: (p["price"], p["ts_ms"]) for symbol, p in r.json["prices"].items()}


def test_one_instance_leads_the_feed_and_both_serve_its_prices(cluster):
    leaders = [metric(PORT + i, "cluster_feed_leader") for i in (1, 2)]
    assert sorted(leaders) == [0.0, 1.0]
    # Both instances serve the same price with the same time for every symbol, at some moment
    # between two ticks (each instance's own simulator would have made its own prices).
    assert wait_until(lambda: prices(PORT + 1) == prices(PORT + 2) != {}, timeout=5.0)
    # The user shards are shared out within a few balancing rounds (one per second).
    def shards():
        return [metric(PORT + i, "cluster_shards_owned") for i in (1, 2)]
    assert wait_until(lambda: sum(shards()) == 64 and min(shards()) > 0, timeout=10.0), shards()


def test_a_rolling_restart_under_steady_orders_fails_none_and_loses_none(cluster):
    headers = auth_headers(TOKEN[0])
    statuses = []
    stop = threading.Event()

    def place_orders():
        n = 0
        while not stop.is_set():
            side = "buy" if n % 2 == 0 else "sell"
            n += 1
            try:
                r = http_request(PORT, "POST", "/api/orders", headers=headers,
                                 json={"symbol": "BTCUSDT", "side": side, "type": "market",
                                       "quantity": "0.002", "leverage": 10})
                statuses.append(r.status)
            except OSError as e:  # a refused or reset connection counts as a failure
                statuses.append(repr(e))

    load = threading.Thread(target=place_orders)
    load.start()
    try:
        restarted = run_cluster("restart", "--rolling", "--dir", cluster, "--base-port", str(PORT),
                                env=cluster_env())
    finally:
        stop.set()
        load.join(timeout=30)
    assert restarted.returncode == 0, restarted.stderr
    assert restarted.stderr.count("restarting instance") == 2
    assert len(statuses) > 50, len(statuses)
    failures = [s for s in statuses if s != 201]
    assert failures == [], f"{len(failures)} of {len(statuses)} failed: {failures[:5]}"
    # Every acknowledged order is in the store.
    stored, cursor = 0, None
    while True:
        query = "/api/orders?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        page = http_request(PORT, "GET", query, headers=headers).json
        stored += len(page["items"])
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert stored == len(statuses)
    # Committed through PgBouncer, one transaction per order at least.
    assert pooler_transactions("botcore", port=PORT + 105) >= stored


def test_when_the_leader_dies_the_other_instance_takes_the_feed_over(cluster):
    leader = 1 if metric(PORT + 1, "cluster_feed_leader") == 1.0 else 2
    survivor = 3 - leader
    last = prices(PORT + survivor)  # where the leader's path was, as the survivor serves it
    with open(os.path.join(cluster, f"instance_{leader}", "pid")) as f:
        os.kill(int(f.read()), signal.SIGKILL)
    assert wait_until(lambda: metric(PORT + survivor, "cluster_feed_leader") == 1.0, timeout=10.0)
    before = prices(PORT + survivor)["BTCUSDT"][1]
    assert wait_until(lambda: prices(PORT + survivor)["BTCUSDT"][1] > before, timeout=5.0)
    # The survivor's simulator continues the leader's path: a few steps of a few basis points
    # from where it was, for every symbol, not a jump onto a walk of its own.
    now = prices(PORT + survivor)
    for symbol, (price, _) in last.items():
        assert abs(Decimal(now[symbol][0]) / Decimal(price) - 1) < Decimal("0.05"), \
            (symbol, price, now[symbol][0])
    # It also took over every user shard.
    assert wait_until(lambda: metric(PORT + survivor, "cluster_shards_owned") == 64.0,
                      timeout=10.0)


def test_an_instance_whose_symbols_differ_from_the_leaders_says_so(cluster, tmp_path):
    # Joins the cluster listing APTUSDT, which the leader does not tick, and not most of what
    # the leader ticks.
    port = free_port()
    env = dict(cluster_env(), BOTCORE_MARKET_SYMBOLS="BTCUSDT,ETHUSDT,APTUSDT",
               BOTCORE_SERVER_DRAIN_GRACE_SECONDS="0")
    stderr = tmp_path / "stderr.log"
    with open(stderr, "w") as err:
        process = subprocess.Popen(
            [BOTCORE_BIN, "serve", "--config", os.path.join(cluster, "instance_1", "botcore.toml"),
             "--listen", f"127.0.0.1:{port}", "--data-dir", str(tmp_path / "data")],
            env=env, stdout=subprocess.DEVNULL, stderr=err)
    def unlisted_ticks():
        try:
            return metric(port, "cluster_ticks_unlisted_total") or 0
        except OSError:  # not listening yet
            return 0
    try:
        assert wait_until(lambda: unlisted_ticks() > 0, timeout=20.0), stderr.read_text()[-2000:]
        # APTUSDT (BTCUSDT and ETHUSDT are priced once the leader's ticks are through)
        assert wait_until(lambda: metric(port, "market_symbols_stale") == 1.0, timeout=5.0)
        assert http_request(port, "GET", "/health").json["checks"]["feed"] == "stale"
        def warned():
            return [re.search(r'"symbol":"(\w+)"', line).group(1)
                    for line in stderr.read_text().splitlines()
                    if "the feed leader ticks a symbol not in market.symbols here" in line]
        unlisted = set(CLUSTER_SYMBOLS) - {"BTCUSDT", "ETHUSDT"}
        assert wait_until(lambda: set(warned()) == unlisted, timeout=10.0), warned()
        assert sorted(warned()) == sorted(unlisted)  # once each
        # Where the lists agree, everything is fresh.
        assert http_request(PORT, "GET", "/health").json["checks"]["feed"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=30)
