"""Trading through HTTP: orders, positions, triggers, history, isolation, durability.

Prices are set by the test (market.source = "manual"): POST /api/market/prices answers once
every trigger the price reached has been evaluated and committed. Slippage is off so the
expected numbers can be worked out by hand; fees are the defaults (taker 0.04%, maker 0.02%).
"""

import concurrent.futures
import http.client
import signal
import threading
import time
import urllib.parse
from decimal import Decimal

import pytest

from conftest import (SYSTEM_TEST_PG_URL, SYSTEM_TEST_PGBOUNCER_URL, assert_error, auth_headers,
                      new_session, pooler_transactions)

TRADING_CONFIG = {
    "market": {"source": "manual"},
    "trading": {"slippage_base_bp": 0, "slippage_bp_per_100k": 0},
}


@pytest.fixture(scope="module")
def server(module_make_server):
    return module_make_server(**TRADING_CONFIG)


class Trader:
    def __init__(self, server):
        self.server = server
        self.account, tokens = new_session(server)
        self.headers = auth_headers(tokens.access_token)

    def req(self, method, path, json=None):
        if json is None:
            return self.server.request(method, path, headers=self.headers)
        return self.server.request(method, path, json=json, headers=self.headers)

    def price(self, symbol, price):
        r = self.req("POST", "/api/market/prices", {"symbol": symbol, "price": price})
        assert r.status == 204, r.body
        return r

    def order(self, **fields):
        return self.req("POST", "/api/orders", fields)

    def account_view(self):
        r = self.req("GET", "/api/account")
        assert r.status == 200, r.body
        return r.json

    def positions(self):
        r = self.req("GET", "/api/positions")
        assert r.status == 200, r.body
        return {p["symbol"]: p for p in r.json["positions"]}

    def trades(self, query=""):
        r = self.req("GET", "/api/trades" + query)
        assert r.status == 200, r.body
        return r.json


@pytest.fixture
def trader(server):
    return Trader(server)


D = Decimal


# ---------------------------------------------------------------------- market orders


def test_market_order_fills_at_the_market_price_and_charges_the_taker_fee(trader):
    trader.price("ETHUSDT", "2000")
    r = trader.order(symbol="ETHUSDT", side="buy", type="market", quantity="1.5", leverage=5)
    assert r.status == 201, r.body
    order = r.json
    assert order["status"] == "filled"
    assert order["filled_quantity"] == "1.5"
    assert order["average_price"] == "2000"
    # 1.5 * 2000 = 3000 notional; taker 0.04% = 1.2
    assert [(f["price"], f["quantity"], f["fee"], f["liquidity"]) for f in order["fills"]] == [
        ("2000", "1.5", "1.2", "taker")]
    account = trader.account_view()
    assert D(account["balance"]) == D("10000") - D("1.2")
    assert D(account["margin_used"]) == D("600")  # 3000 / 5
    assert D(account["equity"]) == D(account["balance"]) + D(account["unrealized_pnl"])
    position = trader.positions()["ETHUSDT"]
    assert position["side"] == "long" and position["quantity"] == "1.5"
    assert position["entry_price"] == "2000" and position["leverage"] == 5


def test_unrealized_pnl_follows_the_mark_price(trader):
    trader.price("SOLUSDT", "100")
    assert trader.order(symbol="SOLUSDT", side="sell", type="market", quantity="10").status == 201
    trader.price("SOLUSDT", "90")
    position = trader.positions()["SOLUSDT"]
    assert position["side"] == "short"
    assert D(position["unrealized_pnl"]) == D("100")  # (100 - 90) * 10
    assert D(trader.account_view()["unrealized_pnl"]) == D("100")


def test_repeating_a_client_order_id_returns_the_first_order_with_200(trader):
    trader.price("BNBUSDT", "500")
    body = dict(symbol="BNBUSDT", side="buy", type="market", quantity="1", client_order_id="same-1")
    first = trader.order(**body)
    again = trader.order(**body)
    assert first.status == 201 and again.status == 200
    assert again.json["id"] == first.json["id"]
    assert trader.positions()["BNBUSDT"]["quantity"] == "1"


def test_the_same_client_order_id_from_10_connections_at_once_fills_once(trader):
    trader.price("LTCUSDT", "80")
    body = dict(symbol="LTCUSDT", side="buy", type="market", quantity="1", client_order_id="race-1")
    with concurrent.futures.ThreadPoolExecutor(max_workers=10) as pool:
        results = list(pool.map(lambda _: trader.order(**body), range(10)))
    assert sorted(r.status for r in results) == [200] * 9 + [201]
    assert len({r.json["id"] for r in results}) == 1
    assert trader.positions()["LTCUSDT"]["quantity"] == "1"
    assert D(trader.account_view()["fees_paid"]) == D("0.032")  # one fill: 80 * 0.04%


# ---------------------------------------------------------------------- limit orders


def test_limit_order_rests_then_fills_at_its_price_as_maker_when_the_market_reaches_it(trader):
    trader.price("LINKUSDT", "20")
    r = trader.order(symbol="LINKUSDT", side="buy", type="limit", quantity="10", price="19")
    assert r.status == 201, r.body
    assert r.json["status"] == "open" and r.json["fills"] == []
    order_id = r.json["id"]
    open_orders = trader.req("GET", "/api/orders?status=open").json["items"]
    assert order_id in [o["id"] for o in open_orders]

    trader.price("LINKUSDT", "19.5")  # not reached
    assert trader.req("GET", f"/api/orders/{order_id}").json["status"] == "open"

    trader.price("LINKUSDT", "18.9")  # crossed: fills at the limit price, not the market's
    order = trader.req("GET", f"/api/orders/{order_id}").json
    assert order["status"] == "filled"
    assert [(f["price"], f["liquidity"], f["fee"]) for f in order["fills"]] == [("19", "maker", "0.038")]
    assert trader.positions()["LINKUSDT"]["entry_price"] == "19"


def test_cancelling_an_open_order_then_again_is_a_conflict(trader):
    trader.price("DOTUSDT", "7")
    order_id = trader.order(symbol="DOTUSDT", side="sell", type="limit", quantity="10",
                            price="8").json["id"]
    r = trader.req("DELETE", f"/api/orders/{order_id}")
    assert r.status == 200 and r.json["status"] == "cancelled"
    assert_error(trader.req("DELETE", f"/api/orders/{order_id}"), 409, "conflict")
    assert_error(trader.req("DELETE", "/api/orders/no-such-order"), 404, "not_found")


def test_cancelling_a_filled_order_is_a_conflict(trader):
    trader.price("ADAUSDT", "0.5")
    order_id = trader.order(symbol="ADAUSDT", side="buy", type="market", quantity="100").json["id"]
    assert_error(trader.req("DELETE", f"/api/orders/{order_id}"), 409, "conflict")


# ---------------------------------------------------------------------- triggers


def test_stop_loss_closes_the_position_when_the_price_reaches_it(trader):
    trader.price("BTCUSDT", "50000")
    r = trader.order(symbol="BTCUSDT", side="buy", type="market", quantity="0.1", leverage=10,
                     stop_loss="49000")
    assert r.status == 201, r.body
    trader.price("BTCUSDT", "49500")
    assert "BTCUSDT" in trader.positions()
    trader.price("BTCUSDT", "49000")
    assert "BTCUSDT" not in trader.positions()
    trade = trader.trades("?symbol=BTCUSDT")["items"][0]
    assert trade["close_reason"] == "stop_loss"
    assert trade["entry_price"] == "50000" and trade["exit_price"] == "49000"
    assert D(trade["realized_pnl"]) == D("-100")  # (49000 - 50000) * 0.1
    # fees: open 5000 * 0.04% = 2, close 4900 * 0.04% = 1.96
    assert D(trade["fees"]) == D("3.96")
    account = trader.account_view()
    assert D(account["balance"]) == D("10000") - D("100") - D("3.96")
    assert D(account["margin_used"]) == 0


def test_take_profit_set_later_with_patch_closes_a_short(trader):
    trader.price("XRPUSDT", "0.6")
    assert trader.order(symbol="XRPUSDT", side="sell", type="market", quantity="1000").status == 201
    r = trader.req("PATCH", "/api/positions/XRPUSDT", {"take_profit": "0.5"})
    assert r.status == 200, r.body
    assert r.json["take_profit"] == "0.5"
    trader.price("XRPUSDT", "0.49")
    assert "XRPUSDT" not in trader.positions()
    trade = trader.trades("?symbol=XRPUSDT")["items"][0]
    assert trade["close_reason"] == "take_profit" and trade["side"] == "short"
    assert D(trade["realized_pnl"]) == D("110")  # (0.6 - 0.49) * 1000


def test_stop_loss_on_the_wrong_side_is_refused_and_changes_nothing(trader):
    trader.price("AVAXUSDT", "30")
    assert trader.order(symbol="AVAXUSDT", side="buy", type="market", quantity="1").status == 201
    before = trader.positions()["AVAXUSDT"]
    assert_error(trader.req("PATCH", "/api/positions/AVAXUSDT", {"stop_loss": "31"}), 422,
                 "validation_failed", "stop_loss")
    assert trader.positions()["AVAXUSDT"] == before


def test_liquidation_loses_the_whole_margin_and_no_more(trader):
    trader.price("ETCUSDT", "20")
    assert trader.order(symbol="ETCUSDT", side="buy", type="market", quantity="50",
                        leverage=50).status == 201
    position = trader.positions()["ETCUSDT"]
    margin = D(position["margin"])
    assert margin == D("20")  # 1000 / 50
    liquidation = D(position["liquidation_price"])
    assert D("19") < liquidation < D("20")
    trader.price("ETCUSDT", "15")  # far beyond the liquidation price
    assert "ETCUSDT" not in trader.positions()
    trade = trader.trades("?symbol=ETCUSDT")["items"][0]
    assert trade["close_reason"] == "liquidation"
    assert D(trade["realized_pnl"]) == -margin


def test_closing_part_of_a_position_records_a_trade_for_that_part(trader):
    trader.price("UNIUSDT", "10")
    assert trader.order(symbol="UNIUSDT", side="buy", type="market", quantity="10").status == 201
    trader.price("UNIUSDT", "12")
    r = trader.req("POST", "/api/positions/UNIUSDT/close", {"quantity": "4"})
    assert r.status == 200, r.body
    assert r.json["quantity"] == "4" and r.json["close_reason"] == "manual"
    assert D(r.json["realized_pnl"]) == D("8")  # (12 - 10) * 4
    assert trader.positions()["UNIUSDT"]["quantity"] == "6"


# ---------------------------------------------------------------------- validation


@pytest.mark.parametrize("fields, field", [
    (dict(symbol="NOPEUSDT", side="buy", type="market", quantity="1"), "symbol"),
    (dict(symbol="BTCUSDT", side="buy", type="market", quantity="0"), "quantity"),
    (dict(symbol="BTCUSDT", side="buy", type="market", quantity="-1"), "quantity"),
    (dict(symbol="BTCUSDT", side="buy", type="market", quantity="0.0001"), "quantity"),
    (dict(symbol="BTCUSDT", side="buy", type="market", quantity="1e3"), "quantity"),
    (dict(symbol="BTCUSDT", side="buy", type="market", quantity=1), "quantity"),
    (dict(symbol="BTCUSDT", side="buy", type="market", quantity="0.01", leverage=0), "leverage"),
    (dict(symbol="BTCUSDT", side="buy", type="market", quantity="0.01", leverage=126), "leverage"),
    (dict(symbol="BTCUSDT", side="hold", type="market", quantity="0.01"), "side"),
    (dict(symbol="BTCUSDT", side="buy", type="fok", quantity="0.01"), "type"),
    (dict(symbol="BTCUSDT", side="buy", type="limit", quantity="0.01"), "price"),
    (dict(symbol="BTCUSDT", side="buy", type="market", quantity="0.01", colour="red"), "colour"),
])
def test_an_invalid_order_names_its_field_and_changes_nothing(trader, fields, field):
    trader.price("BTCUSDT", "50000")
    before = trader.account_view()
    assert_error(trader.order(**fields), 422, "validation_failed", field)
    assert trader.account_view() == before
    assert trader.positions() == {}


def test_an_order_beyond_free_margin_is_refused_with_insufficient_margin(trader):
    trader.price("BTCUSDT", "50000")
    r = trader.order(symbol="BTCUSDT", side="buy", type="market", quantity="1", leverage=2)
    assert_error(r, 422, "insufficient_margin")
    assert trader.positions() == {}


# ---------------------------------------------------------------------- isolation, pages


def test_another_users_order_is_not_found(server, trader):
    other = Trader(server)
    trader.price("DOGEUSDT", "0.1")
    order_id = trader.order(symbol="DOGEUSDT", side="buy", type="limit", quantity="100",
                            price="0.09").json["id"]
    assert_error(other.req("GET", f"/api/orders/{order_id}"), 404, "not_found")
    assert_error(other.req("DELETE", f"/api/orders/{order_id}"), 404, "not_found")
    assert other.req("GET", "/api/orders").json["items"] == []
    assert trader.req("GET", f"/api/orders/{order_id}").json["status"] == "open"


def test_order_pages_follow_cursors_newest_first_without_gaps_or_repeats(trader):
    trader.price("TRXUSDT", "0.1")
    ids = [trader.order(symbol="TRXUSDT", side="buy", type="limit", quantity="200",
                        price="0.05").json["id"] for _ in range(5)]
    seen, cursor = [], None
    for _ in range(5):
        query = "/api/orders?symbol=TRXUSDT&limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = trader.req("GET", query).json
        assert len(page["items"]) <= 2
        seen += [o["id"] for o in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


@pytest.mark.parametrize("query, field", [
    ("?limit=0", "limit"), ("?limit=1001", "limit"), ("?limit=x", "limit"),
    ("?cursor=garbage", "cursor"), ("?status=pending", "status"),
])
def test_bad_order_list_parameters_name_the_parameter(trader, query, field):
    assert_error(trader.req("GET", "/api/orders" + query), 422, "validation_failed", field)


def test_reset_restores_the_initial_balance_and_closes_everything(trader):
    trader.price("FILUSDT", "5")
    assert trader.order(symbol="FILUSDT", side="buy", type="market", quantity="10").status == 201
    r = trader.req("POST", "/api/account/reset")
    assert r.status == 200, r.body
    assert D(r.json["balance"]) == D("10000")
    assert trader.positions() == {}


def test_trading_endpoints_need_a_token(server):
    for method, path in [("GET", "/api/account"), ("POST", "/api/orders"), ("GET", "/api/positions"),
                         ("GET", "/api/trades"), ("GET", "/api/orders/x")]:
        assert_error(server.request(method, path), 401, "unauthorized")


def test_metrics_count_orders_by_type_and_result(server, trader):
    trader.price("NEARUSDT", "5")
    trader.order(symbol="NEARUSDT", side="buy", type="market", quantity="2")
    text = server.get("/metrics").body.decode()
    assert 'orders_total{type="market",result="filled"}' in text
    assert "trades_open " in text


@pytest.mark.skipif(not SYSTEM_TEST_PGBOUNCER_URL, reason="only through PgBouncer")
def test_orders_are_committed_through_the_pooler(server, trader):
    database = urllib.parse.urlsplit(server.config["postgres"]["pooler_url"]).path.lstrip("/")
    before = pooler_transactions(database)
    trader.price("NEARUSDT", "5")
    for side in ("buy", "sell", "buy"):
        r = trader.order(symbol="NEARUSDT", side=side, type="market", quantity="1")
        assert r.status == 201, r.body
    assert pooler_transactions(database) - before >= 3
    assert D(trader.positions()["NEARUSDT"]["quantity"]) == D("1")


# ---------------------------------------------------------------------- durability


def test_an_acknowledged_order_survives_kill_9(make_server):
    server = make_server(**TRADING_CONFIG)
    trader = Trader(server)
    trader.price("BTCUSDT", "60000")
    r = trader.order(symbol="BTCUSDT", side="buy", type="market", quantity="0.05", leverage=3,
                     client_order_id="durable-1")
    assert r.status == 201, r.body
    balance = trader.account_view()["balance"]

    server.proc.send_signal(signal.SIGKILL)
    server.wait(10)
    server.start()

    trader.price("BTCUSDT", "60000")
    assert trader.req("GET", f"/api/orders/{r.json['id']}").json["status"] == "filled"
    position = trader.positions()["BTCUSDT"]
    assert position["quantity"] == "0.05" and position["entry_price"] == "60000"
    assert trader.account_view()["balance"] == balance
    # and the idempotency key is remembered across the restart
    again = trader.order(symbol="BTCUSDT", side="buy", type="market", quantity="0.05", leverage=3,
                         client_order_id="durable-1")
    assert again.status == 200 and again.json["id"] == r.json["id"]


def test_orders_acknowledged_under_load_survive_kill_9(make_server):
    """kill -9 while batches of many users' orders are being committed and flushed: every
    acknowledged order is there after the restart, each with its position change (an order in
    flight at the kill may or may not be). A process crash keeps the kernel's page cache, so
    this checks what is committed and acknowledged, not the flush itself (a power loss is not
    simulated here)."""
    server = make_server(**TRADING_CONFIG)
    traders = [Trader(server) for _ in range(8)]
    traders[0].price("BTCUSDT", "60000")
    acked = [[] for _ in traders]
    stop = threading.Event()

    def place(i):
        for n in range(500):
            if stop.is_set():
                return
            try:
                r = traders[i].order(symbol="BTCUSDT", side="buy" if n % 2 == 0 else "sell",
                                     type="market", quantity="0.002", leverage=5)
            except (OSError, http.client.HTTPException):
                return  # the server is gone
            if r.status != 201:
                return
            acked[i].append(r.json["id"])

    with concurrent.futures.ThreadPoolExecutor(len(traders)) as pool:
        placing = [pool.submit(place, i) for i in range(len(traders))]
        deadline = time.monotonic() + 30
        while sum(map(len, acked)) < 300 and time.monotonic() < deadline:
            time.sleep(0.01)
        server.proc.send_signal(signal.SIGKILL)
        stop.set()
        for future in placing:
            future.result()
    assert sum(map(len, acked)) >= 300
    server.wait(10)
    server.start()

    traders[0].price("BTCUSDT", "60000")
    for trader, ids in zip(traders, acked):
        r = trader.req("GET", "/api/orders?limit=1000")
        assert r.status == 200, r.body
        stored = [o["id"] for o in r.json["items"]]
        assert set(ids) <= set(stored)
        # one order at a time per user: at most the one in flight at the kill is extra
        assert len(stored) - len(ids) in (0, 1)
        # buys and sells alternate, so an odd number of stored orders leaves a long 0.002
        position = trader.positions().get("BTCUSDT")
        if len(stored) % 2:
            assert position is not None and position["quantity"] == "0.002"
        else:
            assert position is None


def counter(server, name):
    r = server.request("GET", "/metrics")
    assert r.status == 200
    for line in r.body.decode("utf-8").splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    return None


def test_commits_are_flushed_before_they_are_acknowledged(server, trader):
    trader.price("LINKUSDT", "15")
    commits, flushes = counter(server, "store_commits_total"), counter(server, "store_flushes_total")
    for side in ("buy", "sell", "buy", "sell"):
        assert trader.order(symbol="LINKUSDT", side=side, type="market",
                            quantity="1").status == 201
    commits_after = counter(server, "store_commits_total")
    assert commits_after >= commits + 4  # one user's orders are committed one after another
    if SYSTEM_TEST_PG_URL:
        # PostgreSQL flushes inside each commit: there is no separate flush to count
        assert counter(server, "store_flushes_total") is None
    else:
        # SQLite commits without flushing and flushes the WAL before answering: every
        # acknowledged order waited for a flush that began after its commit
        assert counter(server, "store_flushes_total") >= flushes + 4


def test_triggers_are_loaded_again_after_a_restart(make_server):
    server = make_server(**TRADING_CONFIG)
    trader = Trader(server)
    trader.price("ATOMUSDT", "10")
    assert trader.order(symbol="ATOMUSDT", side="buy", type="market", quantity="5",
                        stop_loss="9").status == 201
    server.stop()
    server.start()
    trader.price("ATOMUSDT", "8.9")
    assert trader.positions() == {}
    assert trader.trades()["items"][0]["close_reason"] == "stop_loss"


def test_performance_counts_closed_trades_only(trader):
    trader.price("APTUSDT", "10")
    # a win: +20 price PnL, fees 0.004 + 0.0048 (open 10 * 10, close 12 * 10 at 0.04%)
    assert trader.order(symbol="APTUSDT", side="buy", type="market", quantity="10").status == 201
    trader.price("APTUSDT", "12")
    assert trader.req("POST", "/api/positions/APTUSDT/close").status == 200
    # a loss: -10 price PnL
    assert trader.order(symbol="APTUSDT", side="buy", type="market", quantity="10").status == 201
    trader.price("APTUSDT", "11")
    assert trader.req("POST", "/api/positions/APTUSDT/close").status == 200
    # an open position does not count
    assert trader.order(symbol="APTUSDT", side="buy", type="market", quantity="10").status == 201

    r = trader.req("GET", "/api/portfolio/performance")
    assert r.status == 200, r.body
    p = r.json
    assert (p["total_trades"], p["wins"], p["losses"]) == (2, 1, 1)
    assert D(p["win_rate"]) == D("0.5")
    assert len(p["equity_curve"]) == 2
    win = D("20") - D("0.04") - D("0.048")
    loss = D("10") + D("0.048") + D("0.044")
    assert D(p["gross_profit"]) == win and D(p["gross_loss"]) == loss
    assert D(p["max_drawdown"]) == loss


def test_candles_aggregate_the_prices_per_minute(trader):
    minute = 60_000
    t0 = 1_790_000_000_000 - 1_790_000_000_000 % minute + 2 * 3_600_000
    for offset, price in [(1000, "10"), (20_000, "12"), (40_000, "9"), (59_000, "11"),
                          (minute + 5000, "13")]:
        r = trader.req("POST", "/api/market/prices",
                       {"symbol": "XLMUSDT", "price": price, "ts_ms": t0 + offset})
        assert r.status == 204, r.body
    r = trader.req("GET", "/api/market/candles/XLMUSDT?interval=1m&limit=10")
    assert r.status == 200, r.body
    candles = r.json["candles"]
    assert [(c["open_ms"], c["open"], c["high"], c["low"], c["close"], c["closed"])
            for c in candles[-2:]] == [
        (t0, "10", "12", "9", "11", True),
        (t0 + minute, "13", "13", "13", "13", False),
    ]
    assert_error(trader.req("GET", "/api/market/candles/XLMUSDT?interval=2m"), 422,
                 "validation_failed", "interval")
    assert_error(trader.req("GET", "/api/market/candles/NOPE"), 404, "not_found")
