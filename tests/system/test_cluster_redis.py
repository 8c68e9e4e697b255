"""Three Bot Core instances sharing PostgreSQL and Redis behind HAProxy (scripts/cluster): a
trade made through one instance reaches the user's WebSocket on another, the per-user
WebSocket limit holds across instances, history reads go to a replica and balances to the
primary, and a Redis outage degrades the instances without stopping them."""

import json
import os
import subprocess
import time

import pytest
import websocket

from conftest import (Endpoint, auth_headers, fresh_cluster_folder, login, register, set_price,
                      wait_until)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER = os.path.join(ROOT, "scripts", "cluster")
REDIS = os.path.join(ROOT, "scripts", "redis")
# HAProxy; instances 19101-19103; PostgreSQL 19200 (replicas 19201, 19202); Redis 19210.
PORT = 19100
PG_PORT = PORT + 100
REDIS_PORT = PORT + 110
ORDERS_PER_MINUTE = 40


def run(*args, env=None):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=180, env=env)


@pytest.fixture(scope="module")
def cluster():
    folder = fresh_cluster_folder(PORT)
    env = dict(os.environ)
    env["BOTCORE_MARKET_SOURCE"] = "manual"
    env["BOTCORE_AUTH_PASSWORD_HASH_OPS"] = "1"
    env["BOTCORE_AUTH_PASSWORD_HASH_MEMORY_KIB"] = "8"
    env["BOTCORE_TRADING_ORDERS_PER_MINUTE"] = str(ORDERS_PER_MINUTE)
    try:
        started = run(CLUSTER, "up", "--instances", "3", "--dir", folder, "--base-port", str(PORT),
                      env=env)
        assert started.returncode == 0, started.stderr
        yield Endpoint(PORT), [Endpoint(PORT + i) for i in (1, 2, 3)], folder
    finally:
        stopped = run(CLUSTER, "down", "--dir", folder, "--destroy")
        assert stopped.returncode == 0, stopped.stderr
        assert not os.path.exists(folder)


def new_trader(balancer):
    account = register(balancer)
    return login(balancer, account).access_token


class Socket:
    """An authenticated /ws connection whose every read is bounded."""

    def __init__(self, endpoint, token):
        self.ws = websocket.create_connection(
            f"ws://127.0.0.1:{endpoint.port}/ws", timeout=5,
            header=[f"Authorization: Bearer {token}"])

    def subscribe(self, *channels):
        self.ws.send(json.dumps({"type": "subscribe", "channels": list(channels)}))
        assert self.next_of("subscribed")["channels"] == list(channels)

    def next_of(self, kind, match=lambda m: True, timeout=5.0):
        """The first message of type kind (matching) within timeout, or None."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.ws.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                text = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                return None
            message = json.loads(text)
            if message.get("type") == kind and match(message):
                return message
        return None

    def close(self):
        try:
            self.ws.close()
        except (websocket.WebSocketException, OSError):
            pass


def upgrade_status(endpoint, token):
    """The HTTP status of a /ws upgrade (101 when accepted), the socket closed again."""
    try:
        ws = websocket.create_connection(f"ws://127.0.0.1:{endpoint.port}/ws", timeout=5,
                                         header=[f"Authorization: Bearer {token}"])
    except websocket.WebSocketBadStatusException as e:
        return e.status_code, None
    return 101, ws


def health(endpoint):
    r = endpoint.get("/health")
    return r.status, r.json


def test_every_instance_reports_its_cache_and_bus(cluster):
    _, instances, _ = cluster
    for instance in instances:
        assert wait_until(lambda: health(instance)[1]["status"] == "ok"), health(instance)
        status, body = health(instance)
        assert status == 200, body
        assert body["checks"]["cache"] == "ok" and body["checks"]["bus"] == "ok", body


def test_a_trade_through_one_instance_reaches_the_websocket_held_by_another(cluster):
    balancer, (one, two, three), _ = cluster
    # Logged in through the first instance, trading through the second, watching on the third.
    token = login(one, register(one)).access_token
    set_price([one, two, three], token, "ETHUSDT", "2000")
    watcher = Socket(three, token)
    try:
        watcher.subscribe("account")
        r = two.post("/api/orders", json={"symbol": "ETHUSDT", "side": "buy", "type": "market",
                                          "quantity": "0.5", "leverage": 5},
                     headers=auth_headers(token))
        assert r.status == 201, r.body
        order_id = r.json["id"]
        order = watcher.next_of("order", lambda m: m["order"]["id"] == order_id)
        assert order is not None, "the order event did not reach the third instance"
        assert order["order"]["status"] == "filled"
        position = watcher.next_of("position", lambda m: m["position"]["symbol"] == "ETHUSDT")
        assert position is not None and position["position"]["quantity"] == "0.5", position
        account = watcher.next_of("account")
        assert account is not None
        assert account["account"]["balance"] == one.get(
            "/api/account", headers=auth_headers(token)).json["balance"]

        # The closing trade, made through the balancer, arrives too.
        r = balancer.post("/api/positions/ETHUSDT/close", json={}, headers=auth_headers(token))
        assert r.status == 200, r.body
        trade = watcher.next_of("trade", lambda m: m["trade"]["symbol"] == "ETHUSDT")
        assert trade is not None, "the trade event did not reach the third instance"
        assert trade["trade"]["close_reason"] == "manual"
        assert trade["trade"]["quantity"] == "0.5"
    finally:
        watcher.close()


def test_another_users_events_never_reach_a_socket(cluster):
    _, (one, two, three), _ = cluster
    watcher_token = new_trader(one)
    trader_token = new_trader(one)
    set_price([one, two, three], trader_token, "SOLUSDT", "150")
    watcher = Socket(three, watcher_token)
    try:
        watcher.subscribe("account")
        r = two.post("/api/orders", json={"symbol": "SOLUSDT", "side": "buy", "type": "market",
                                          "quantity": "1"},
                     headers=auth_headers(trader_token))
        assert r.status == 201, r.body
        assert watcher.next_of("order", timeout=1.5) is None
    finally:
        watcher.close()


def test_the_five_connection_limit_holds_across_instances(cluster):
    _, (one, two, three), _ = cluster
    token = new_trader(one)
    held = []
    try:
        for instance in (one, one, two, two, three):
            status, ws = upgrade_status(instance, token)
            assert status == 101, f"connection {len(held) + 1} refused on {instance.port}"
            held.append(ws)
        for instance in (one, two, three):
            status, ws = upgrade_status(instance, token)
            assert status == 429, f"a sixth connection was accepted on {instance.port}"
        # Closing one anywhere frees a slot everywhere.
        held.pop(0).close()
        assert wait_until(lambda: upgrade_status_kept(three, token, held) == 101, timeout=3.0)
        status, ws = upgrade_status(two, token)
        assert status == 429
    finally:
        for ws in held:
            ws.close()


def upgrade_status_kept(endpoint, token, held):
    status, ws = upgrade_status(endpoint, token)
    if ws is not None:
        held.append(ws)
    return status


def redis_cli(*args):
    r = run("redis-cli", "-p", str(REDIS_PORT), *args)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_the_order_rate_limit_counts_a_users_orders_on_every_instance(cluster):
    _, instances, _ = cluster
    token = new_trader(instances[0])
    set_price(instances, token, "SOLUSDT", "150")
    # The windows are whole minutes of Redis's clock (this machine's): start well inside one,
    # so the loop cannot straddle two.
    while time.time() % 60 > 45:
        time.sleep(0.2)
    statuses = []
    for i in range(ORDERS_PER_MINUTE + 5):
        r = instances[i % 3].post("/api/orders", json={"symbol": "SOLUSDT", "side": "buy",
                                                       "type": "market", "quantity": "1",
                                                       "leverage": 10},
                                  headers=auth_headers(token))
        statuses.append(r.status)
        if r.status == 429:
            assert r.json["error"]["code"] == "rate_limited", r.body
            assert 1 <= int(r.headers["retry-after"]) <= 60, r.headers
    allowed = statuses.count(201)
    assert set(statuses) <= {201, 429}, statuses
    # Counted once for the cluster, not once per instance.
    assert ORDERS_PER_MINUTE <= allowed < len(statuses), statuses
    assert allowed == ORDERS_PER_MINUTE, statuses
    # Another user has a count of their own.
    other = new_trader(instances[0])
    r = instances[1].post("/api/orders", json={"symbol": "SOLUSDT", "side": "buy",
                                               "type": "market", "quantity": "1"},
                          headers=auth_headers(other))
    assert r.status == 201, r.body


def test_performance_is_cached_and_a_new_trade_is_never_hidden_by_the_cache(cluster):
    _, (one, two, three), _ = cluster
    account = register(one)
    token = login(one, account).access_token
    set_price([one, two, three], token, "BNBUSDT", "600")

    def trade_once():
        r = two.post("/api/orders", json={"symbol": "BNBUSDT", "side": "buy", "type": "market",
                                          "quantity": "0.1"}, headers=auth_headers(token))
        assert r.status == 201, r.body
        r = three.post("/api/positions/BNBUSDT/close", json={}, headers=auth_headers(token))
        assert r.status == 200, r.body

    trade_once()
    first = one.get("/api/portfolio/performance", headers=auth_headers(token))
    assert first.status == 200 and first.json["total_trades"] == 1, first.body
    keys = redis_cli("--scan", "--pattern", f"botcore:perf:{account.id}:*").split()
    assert len(keys) == 1, keys
    assert 0 < int(redis_cli("ttl", keys[0])) <= 60
    # Served from the cache by another instance: the same answer.
    again = two.get("/api/portfolio/performance", headers=auth_headers(token))
    assert again.json == first.json
    trade_once()
    # Performance is read on a replica (postgres.read_history), and another instance learns of
    # the new revision within 100 ms: the new trade may show a moment late, but well before the
    # 60 s an entry would hide it for under a revision it does not belong to.
    for instance in (one, two, three):
        def total(instance=instance):
            r = instance.get("/api/portfolio/performance", headers=auth_headers(token))
            assert r.status == 200, r.body
            return r.json["total_trades"]
        assert wait_until(lambda: total() == 2, timeout=10.0), total()


def psql(port, sql):
    r = run("psql", f"postgresql://botcore:botcore@127.0.0.1:{port}/botcore", "-XAtqc", sql)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def scans(port, table):
    return int(psql(port, "select coalesce(sum(coalesce(seq_scan, 0) + coalesce(idx_scan, 0)), 0)"
                          f" from pg_stat_user_tables where relname = '{table}'"))


def test_history_reads_go_to_a_replica_and_balances_to_the_primary(cluster):
    _, (one, _, _), _ = cluster
    token = new_trader(one)
    set_price([one], token, "BNBUSDT", "600")
    r = one.post("/api/orders", json={"symbol": "BNBUSDT", "side": "buy", "type": "market",
                                      "quantity": "1"}, headers=auth_headers(token))
    assert r.status == 201, r.body
    assert one.post("/api/positions/BNBUSDT/close", json={},
                    headers=auth_headers(token)).status == 200
    replicas = (PG_PORT + 1, PG_PORT + 2)
    # The replicas' statistics count only what was read there.
    trades_before = sum(scans(port, "trades") for port in replicas)
    accounts_before = {port: scans(port, "accounts") for port in (PG_PORT, *replicas)}
    for _ in range(40):
        r = one.get("/api/trades", headers=auth_headers(token))
        assert r.status == 200 and len(r.json["items"]) == 1, r.body
        assert one.get("/api/account", headers=auth_headers(token)).status == 200
    # Backends report their counts when idle, within about ten seconds.
    assert wait_until(lambda: sum(scans(port, "trades") for port in replicas) >=
                      trades_before + 40, timeout=20.0, step=0.5), "no trade reads on a replica"
    assert wait_until(lambda: scans(PG_PORT, "accounts") >= accounts_before[PG_PORT] + 40,
                      timeout=20.0, step=0.5), "balance reads did not reach the primary"
    # Performance reads the book's revision there too, and the earlier tests' reads may be
    # reported only now; the 40 balance reads would add 40.
    assert (sum(scans(port, "accounts") for port in replicas) <
            sum(accounts_before[port] for port in replicas) + 40), "a balance was read on a replica"


def test_a_redis_outage_degrades_the_instances_and_they_recover(cluster):
    balancer, (one, two, three), folder = cluster
    token = new_trader(one)
    set_price([one, two, three], token, "ETHUSDT", "2000")
    stopped = run(REDIS, "stop", "--dir", os.path.join(folder, "redis"))
    assert stopped.returncode == 0, stopped.stderr
    try:
        for instance in (one, two, three):
            body = wait_until(lambda: (lambda s, b: b if b["status"] == "degraded" else None)(
                *health(instance)), timeout=10.0, step=0.2)
            assert body, health(instance)
            assert body["checks"]["cache"] == "failing" or body["checks"]["bus"] == "failing"
            # Degraded, but still taking traffic.
            assert health(instance)[0] == 200
        # Trading goes on, and a WebSocket on the same instance still gets its events.
        watcher = Socket(two, token)
        try:
            watcher.subscribe("account")
            r = two.post("/api/orders", json={"symbol": "ETHUSDT", "side": "buy",
                                              "type": "market", "quantity": "0.1"},
                         headers=auth_headers(token))
            assert r.status == 201, r.body
            assert watcher.next_of("order", lambda m: m["order"]["id"] == r.json["id"])
        finally:
            watcher.close()
        assert balancer.get("/api/positions", headers=auth_headers(token)).status == 200
    finally:
        restarted = run(REDIS, "start", "--dir", os.path.join(folder, "redis"), "--port",
                        str(REDIS_PORT))
        assert restarted.returncode == 0, restarted.stderr
    for instance in (one, two, three):
        assert wait_until(lambda: health(instance)[1]["status"] == "ok", timeout=15.0,
                          step=0.2), health(instance)
    # Events cross instances again.
    watcher = Socket(three, token)
    try:
        watcher.subscribe("account")
        r = one.post("/api/orders", json={"symbol": "ETHUSDT", "side": "buy", "type": "market",
                                          "quantity": "0.1"}, headers=auth_headers(token))
        assert r.status == 201, r.body
        assert watcher.next_of("order", lambda m: m["order"]["id"] == r.json["id"]), \
            "events did not cross instances after Redis returned"
    finally:
        watcher.close()


def test_the_balancer_keeps_each_user_on_one_instance_and_spreads_the_users(cluster):
    balancer, (one, _, _), _ = cluster
    tokens = [new_trader(one) for _ in range(6)]
    chosen = set()
    for token in tokens:
        # /health names the instance; with a token it follows the user's affinity.
        seen = {balancer.get("/health", headers=auth_headers(token)).json["instance"]
                for _ in range(8)}
        assert len(seen) == 1, seen
        chosen |= seen
    assert len(chosen) >= 2, chosen
