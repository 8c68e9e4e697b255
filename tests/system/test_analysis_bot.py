"""Analysis and bots through HTTP and WebSocket: GET /api/analysis/{symbol}, the signals
channel, GET/PUT /api/bot, and a bot trading on the candles it sees.

Black-box: the real `botcore` binary over real sockets on 127.0.0.1. Prices are set by the test
(market.source = "manual"): POST /api/market/prices {"symbol","price","ts_ms"} records a tick at
ts_ms and answers 204 once the candles it closed (and what they caused: analysis, triggers) are
committed; a bot's order is placed asynchronously after that, so the tests poll for it with a
deadline. Candles are built by posting ticks with explicit, increasing timestamps, one candle
interval apart, so each tick closes the candle before it. Slippage is off so the bot's fill price
is the posted price.
"""

import concurrent.futures
import json
import threading
import time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import pytest
import websocket

from conftest import (HOST, assert_error, auth_headers, new_session, parse_http_response,
                      raw_connect)

D = Decimal
MINUTE_MS = 60_000
FIVE_MIN_MS = 5 * MINUTE_MS
HOUR_MS = 60 * MINUTE_MS
BOT_WAIT_S = 5.0  # a bot's asynchronous order/close must show within this

MANUAL = {
    "market": {"source": "manual"},
    "trading": {"slippage_base_bp": 0, "slippage_bp_per_100k": 0},
    "server": {"drain_grace_seconds": 0},  # quick teardown
}

STRATEGIES = ["rsi", "macd", "bollinger", "stochastic", "volume"]
INTERVALS = ["1m", "5m", "15m", "1h"]
INDICATOR_KEYS = {"rsi", "macd_histogram", "bollinger_position", "stochastic_k", "stochastic_d",
                  "atr", "adx", "ema_trend", "volume_ratio"}

DEFAULT_BOT = {
    "enabled": False,
    "symbols": ["BTCUSDT"],
    "strategies": STRATEGIES,
    "combination_mode": "consensus",
    "timeframe": "15m",
    "leverage": 3,
    "position_size_pct": "5",
    "stop_loss_pct": "2",
    "take_profit_pct": "4",
    "daily_loss_limit_pct": "3",
    "max_consecutive_losses": 3,
    "cooldown_minutes": 60,
}


# websocket-client 1.2.3 refuses close frames carrying 1012/1013 (a server stopping) as a
# protocol error; accept them while this module runs, as test_websocket.py does.
@pytest.fixture(scope="module", autouse=True)
def accept_registered_close_codes():
    import websocket._abnf as abnf
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(abnf, "VALID_CLOSE_STATUS", tuple(abnf.VALID_CLOSE_STATUS) + (1012, 1013))
        yield


@pytest.fixture(scope="module")
def server(module_make_server):
    return module_make_server(**MANUAL)


# --------------------------------------------------------------------------- helpers


def now_ms():
    return int(time.time() * 1000)


class User:
    def __init__(self, server):
        self.server = server
        self.account, tokens = new_session(server)
        self.token = tokens.access_token
        self.headers = auth_headers(self.token)

    def req(self, method, path, body=None, data=None):
        if data is not None:
            return self.server.request(method, path, data=data, headers=self.headers)
        if body is None:
            return self.server.request(method, path, headers=self.headers)
        return self.server.request(method, path, json=body, headers=self.headers)

    def tick(self, symbol, price, ts_ms):
        r = self.req("POST", "/api/market/prices",
                     {"symbol": symbol, "price": str(price), "ts_ms": ts_ms})
        assert r.status == 204, f"POST /api/market/prices {symbol} {price} @{ts_ms}: " \
                                f"{r.status} {r.body[:300]!r}"

    def analysis(self, symbol):
        r = self.req("GET", f"/api/analysis/{symbol}")
        assert r.status == 200, f"GET /api/analysis/{symbol}: {r.status} {r.body[:300]!r}"
        return r.json

    def bot(self):
        r = self.req("GET", "/api/bot")
        assert r.status == 200, f"GET /api/bot: {r.status} {r.body[:300]!r}"
        return r.json

    def put_bot(self, body):
        r = self.req("PUT", "/api/bot", body)
        assert r.status == 200, f"PUT /api/bot {body}: {r.status} {r.body[:500]!r}"
        return r.json

    def positions(self):
        r = self.req("GET", "/api/positions")
        assert r.status == 200, r.body
        return {p["symbol"]: p for p in r.json["positions"]}

    def orders(self):
        r = self.req("GET", "/api/orders")
        assert r.status == 200, r.body
        return r.json["items"]

    def trades(self):
        r = self.req("GET", "/api/trades")
        assert r.status == 200, r.body
        return r.json["items"]


def poll(fn, done, timeout):
    """Calls fn until done(value) or the deadline; returns the last value."""
    deadline = time.monotonic() + timeout
    value = fn()
    while not done(value) and time.monotonic() < deadline:
        time.sleep(0.02)
        value = fn()
    return value


def feed(user, symbol, prices, first_ts, step_ms):
    """Posts prices[i] at first_ts + i * step_ms; returns the timestamps."""
    stamps = []
    for i, price in enumerate(prices):
        ts = first_ts + i * step_ms
        user.tick(symbol, price, ts)
        stamps.append(ts)
    return stamps


def geometric(start, factor, count, tick):
    """count prices start * factor**i, rounded to the tick."""
    out, p = [], D(start)
    for _ in range(count):
        out.append(p.quantize(D(tick)))
        p *= D(factor)
    return out


def five_minute_floor(ms):
    return ms - ms % FIVE_MIN_MS


# ------------------------------------------------------------------ WebSocket client


class Ws:
    """A websocket-client connection; every read has a deadline."""

    def __init__(self, server, token):
        self.ws = websocket.create_connection(
            f"ws://{HOST}:{server.port}/ws", timeout=5.0,
            header=[f"Authorization: Bearer {token}"], http_no_proxy=[HOST])

    def send(self, obj):
        self.ws.send(json.dumps(obj))

    def next_message(self, timeout):
        """The next text message as JSON, or None at the deadline / when the connection ends."""
        if timeout <= 0:
            return None
        self.ws.settimeout(timeout)
        try:
            text = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            return None
        except (websocket.WebSocketConnectionClosedException, OSError):
            return None
        if not text:
            return None
        return json.loads(text)

    def collect_until(self, predicate, timeout=5.0):
        """Every message read until one satisfies predicate (included); fails at the deadline."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            msg = self.next_message(deadline - time.monotonic())
            if msg is None:
                break
            seen.append(msg)
            if predicate(msg):
                return seen
        raise AssertionError(f"the expected message did not arrive within {timeout} s; "
                             f"got {seen[:20]}")

    def subscribe(self, *channels):
        self.send({"type": "subscribe", "channels": list(channels)})
        answer = self.next_message(5.0)
        assert answer == {"type": "subscribed", "channels": list(channels)}, answer

    def close(self):
        try:
            self.ws.close(timeout=1)
        except (websocket.WebSocketException, OSError):
            pass


@pytest.fixture
def open_ws():
    opened = []

    def _open(server, token):
        client = Ws(server, token)
        opened.append(client)
        return client

    yield _open
    for client in opened:
        client.close()


# ====================================================================== GET /api/analysis


@pytest.mark.parametrize("method, path", [("GET", "/api/analysis/BTCUSDT"), ("GET", "/api/bot"),
                                          ("PUT", "/api/bot")])
def test_analysis_and_bot_endpoints_need_a_token(server, method, path):
    body = {"leverage": 2} if method == "PUT" else None
    r = server.request(method, path, json=body) if body else server.request(method, path)
    assert_error(r, 401, "unauthorized")


def test_analysis_of_an_unknown_symbol_is_404_with_the_error_json(server):
    user = User(server)
    assert_error(user.req("GET", "/api/analysis/NOPEUSDT"), 404, "not_found")


def test_analysis_without_candles_is_a_neutral_signal_computed_now_and_not_cached(server):
    user = User(server)
    before = now_ms()
    body = user.analysis("ADAUSDT")  # no price was ever posted for ADAUSDT on this server
    after = now_ms()
    assert {"symbol", "signal", "confidence", "indicators", "timeframes", "computed_ms",
            "cached"} <= set(body), body
    assert body["symbol"] == "ADAUSDT"
    assert body["signal"] == "neutral"
    assert body["confidence"] == 0
    assert body["cached"] is False
    assert before <= body["computed_ms"] <= after, (before, body["computed_ms"], after)
    assert isinstance(body["indicators"], dict)
    assert all(v is None for v in body["indicators"].values()), body["indicators"]
    assert set(body["timeframes"]) == set(INTERVALS), body["timeframes"].keys()


def test_each_timeframe_reports_vote_score_confidence_weight_readiness_indicators_and_strategies(
        server):
    user = User(server)
    frames = user.analysis("DOGEUSDT")["timeframes"]
    assert set(frames) == set(INTERVALS)
    for name, frame in frames.items():
        assert set(frame) == {"vote", "score", "confidence", "weight", "ready", "indicators",
                              "strategies"}, (name, frame)
        # no candles yet: nothing is ready, every vote is neutral with confidence 0
        assert (frame["vote"], frame["score"], frame["confidence"], frame["ready"]) == \
            ("neutral", 0, 0, False), (name, frame)
        assert set(frame["indicators"]) == INDICATOR_KEYS, (name, frame["indicators"])
        assert all(v is None for v in frame["indicators"].values()), (name, frame["indicators"])
        assert set(frame["strategies"]) == set(STRATEGIES), (name, frame["strategies"])
        for strategy, vote in frame["strategies"].items():
            assert vote == {"vote": "neutral", "confidence": 0}, (name, strategy, vote)


def test_timeframe_weights_are_5m_1_15m_half_1h_2_and_1m_0(server):
    frames = User(server).analysis("TRXUSDT")["timeframes"]
    assert {name: frame["weight"] for name, frame in frames.items()} == \
        {"1m": 0, "5m": 1, "15m": 0.5, "1h": 2}


def test_a_computed_signal_is_served_from_the_cache_on_the_next_request(server):
    user = User(server)
    first = user.analysis("DOTUSDT")
    second = user.analysis("DOTUSDT")
    assert first["cached"] is False
    assert second["cached"] is True
    assert second["computed_ms"] == first["computed_ms"]


# ------------------------------------------------------------- candles from manual ticks

# 265 ticks one minute apart close 264 one-minute candles and 52 five-minute ones (>= 50, what
# EMA 50 needs). The last closing tick is a minute before now: well inside the 1-hour cache.
SERIES_TICKS = 265


def minute_series_start():
    return five_minute_floor(now_ms()) - SERIES_TICKS * MINUTE_MS


@pytest.fixture(scope="module")
def rising_btc(server):
    """BTCUSDT rising 0.5 % per minute; then one more tick within the last minute (it closes
    nothing). Returns (timestamp of the last tick that closed a candle, analysis)."""
    user = User(server)
    start = minute_series_start()
    prices = geometric("50000", "1.005", SERIES_TICKS, "0.1")
    stamps = feed(user, "BTCUSDT", prices, start, MINUTE_MS)
    user.tick("BTCUSDT", prices[-1] + D("0.5"), stamps[-1] + 30_000)
    return stamps[-1], user.analysis("BTCUSDT")


@pytest.fixture(scope="module")
def falling_sol(server):
    user = User(server)
    start = minute_series_start()
    prices = geometric("150", "0.995", SERIES_TICKS, "0.01")
    stamps = feed(user, "SOLUSDT", prices, start, MINUTE_MS)
    return stamps[-1], user.analysis("SOLUSDT")


def test_fifty_closed_5m_candles_make_the_5m_timeframe_ready(rising_btc):
    _, body = rising_btc
    frame = body["timeframes"]["5m"]
    assert frame["ready"] is True, (
        "52 closed 5m candles (EMA 50 needs 50), yet 5m is not ready; volume_ratio is "
        f"{frame['indicators']['volume_ratio']!r} (manual ticks carry no volume): "
        f"{json.dumps(frame)}")


def test_a_steadily_rising_series_has_a_high_rsi_and_a_bullish_ema_trend_on_5m(rising_btc):
    _, body = rising_btc
    indicators = body["timeframes"]["5m"]["indicators"]
    assert indicators["rsi"] is not None and indicators["rsi"] > 70, indicators
    assert indicators["ema_trend"] == "bullish", indicators


def test_a_steadily_falling_series_has_a_low_rsi_and_a_bearish_ema_trend_on_5m(falling_sol):
    _, body = falling_sol
    indicators = body["timeframes"]["5m"]["indicators"]
    assert indicators["rsi"] is not None and indicators["rsi"] < 30, indicators
    assert indicators["ema_trend"] == "bearish", indicators


def test_the_signal_computed_on_the_last_candle_close_is_served_cached_with_that_ticks_time(
        rising_btc):
    last_closing_ts, body = rising_btc
    # The tick after it (30 s later, same minute) closed nothing and recomputed nothing.
    assert body["cached"] is True, body
    assert body["computed_ms"] == last_closing_ts, (body["computed_ms"], last_closing_ts)


def test_a_signal_computed_on_ticks_stamped_hours_ago_is_cached_for_an_hour_from_now(server):
    user = User(server)
    two_hours_ago = (now_ms() - 2 * HOUR_MS) // HOUR_MS * HOUR_MS
    user.tick("NEARUSDT", "5.1", two_hours_ago + 10_000)
    user.tick("NEARUSDT", "5.2", two_hours_ago + MINUTE_MS + 10_000)  # closes the 1m candle
    first = user.analysis("NEARUSDT")
    assert first["cached"] is True, first
    assert first["computed_ms"] == two_hours_ago + MINUTE_MS + 10_000, first
    assert user.analysis("NEARUSDT") == first


# ====================================================================== signals channel


def test_a_signals_subscriber_receives_the_signal_when_a_candle_of_its_symbol_closes(
        server, open_ws):
    user = User(server)
    ws = open_ws(server, user.token)
    ws.subscribe("signals:LINKUSDT", "prices:LINKUSDT")
    # 1 min 10 s past an hour: the second tick closes the 1m candle only.
    hour = now_ms() // HOUR_MS * HOUR_MS
    first_ts = hour + MINUTE_MS + 10_000
    second_ts = first_ts + MINUTE_MS
    user.tick("LINKUSDT", "18.5", first_ts)
    user.tick("LINKUSDT", "18.6", second_ts)
    seen = ws.collect_until(lambda m: m["type"] == "signal")
    signals = [m for m in seen if m["type"] == "signal"]
    assert signals == [{"type": "signal", "symbol": "LINKUSDT", "signal": "neutral",
                        "confidence": 0, "ts_ms": second_ts}], seen
    # the same signal GET /api/analysis serves
    body = user.analysis("LINKUSDT")
    assert (body["signal"], body["confidence"], body["computed_ms"]) == ("neutral", 0, second_ts)


# ====================================================================== GET/PUT /api/bot


def test_a_new_users_bot_settings_are_the_defaults(server):
    assert User(server).bot() == DEFAULT_BOT


def test_put_bot_merges_the_given_fields_into_the_settings_and_get_returns_them(server):
    user = User(server)
    changes = {"symbols": ["ETHUSDT", "SOLUSDT"], "leverage": 5, "timeframe": "1h",
               "take_profit_pct": "7.5"}
    expected = dict(DEFAULT_BOT, **changes)
    assert user.put_bot(changes) == expected
    assert user.bot() == expected
    # a second PUT changes only what it names
    expected["combination_mode"] = "weighted"
    assert user.put_bot({"combination_mode": "weighted"}) == expected
    assert user.bot() == expected


def test_bot_settings_survive_a_restart(make_server):
    srv = make_server(**MANUAL)
    user = User(srv)
    settings = {"enabled": True, "symbols": ["ETHUSDT", "BNBUSDT"], "strategies": ["rsi", "macd"],
                "combination_mode": "best_confidence", "timeframe": "5m", "leverage": 7,
                "position_size_pct": "12.5", "stop_loss_pct": "1.5", "take_profit_pct": "6",
                "daily_loss_limit_pct": "4", "max_consecutive_losses": 5,
                "cooldown_minutes": 90}
    assert user.put_bot(settings) == settings
    srv.stop()
    srv.start()
    assert user.bot() == settings


def test_a_signal_computed_before_a_restart_is_served_from_the_store(make_server):
    srv = make_server(**MANUAL)
    first = User(srv).analysis("XRPUSDT")
    assert first["cached"] is False
    srv.stop()
    srv.start()
    again = User(srv).analysis("XRPUSDT")  # nothing in this instance's memory yet
    assert again["cached"] is True
    assert again["computed_ms"] == first["computed_ms"]
    assert again["signal"] == first["signal"]


INVALID_BOT_PUTS = [
    ({"colour": "red"}, "colour"),
    ({"symbols": ["NOPEUSDT"]}, "symbols"),
    ({"symbols": ["BTCUSDT", "ETHUSDT", "BTCUSDT"]}, "symbols"),
    ({"symbols": []}, "symbols"),
    ({"strategies": []}, "strategies"),
    ({"strategies": ["rsi", "astrology"]}, "strategies"),
    ({"strategies": ["rsi", "rsi"]}, "strategies"),
    ({"combination_mode": "majority"}, "combination_mode"),
    ({"timeframe": "1m"}, "timeframe"),
    ({"timeframe": "4h"}, "timeframe"),
    ({"leverage": 0}, "leverage"),
    ({"symbols": ["SOLUSDT"], "leverage": 51}, "leverage"),  # SOLUSDT allows at most 50x
    ({"symbols": ["BTCUSDT", "SOLUSDT"], "leverage": 60}, "leverage"),  # the lowest max counts
    ({"position_size_pct": "0"}, "position_size_pct"),
    ({"position_size_pct": "101"}, "position_size_pct"),
    ({"position_size_pct": 5}, "position_size_pct"),  # decimals travel as strings
    # at 10x a long is liquidated 97.5 % / 10 = 9.75 % below its entry: that stop never fires
    ({"leverage": 10, "stop_loss_pct": "9.75"}, "stop_loss_pct"),
    ({"stop_loss_pct": "0"}, "stop_loss_pct"),
    ({"take_profit_pct": "501"}, "take_profit_pct"),
    ({"daily_loss_limit_pct": "0"}, "daily_loss_limit_pct"),
    ({"max_consecutive_losses": 0}, "max_consecutive_losses"),
    ({"cooldown_minutes": 10081}, "cooldown_minutes"),
    ({"enabled": "yes"}, "enabled"),
]


@pytest.mark.parametrize("body, field", INVALID_BOT_PUTS,
                         ids=[f"{field}-{i}" for i, (_, field) in enumerate(INVALID_BOT_PUTS)])
def test_an_invalid_bot_put_is_422_naming_the_field_and_changes_nothing(server, body, field):
    user = User(server)
    before = user.put_bot({"leverage": 4, "cooldown_minutes": 30})
    # a valid change rides along with the invalid one: it must not be applied either
    r = user.req("PUT", "/api/bot", dict({"max_consecutive_losses": 7}, **body))
    assert_error(r, 422, "validation_failed", field)
    assert user.bot() == before


def test_malformed_json_in_a_bot_put_is_400_and_changes_nothing(server):
    user = User(server)
    before = user.put_bot({"leverage": 4})
    assert_error(user.req("PUT", "/api/bot", data=b'{"leverage": 6,'), 400, "bad_request")
    assert user.bot() == before


def test_a_stop_loss_just_inside_the_liquidation_distance_is_accepted(server):
    user = User(server)
    settings = user.put_bot({"leverage": 10, "stop_loss_pct": "9.74"})
    assert (settings["leverage"], settings["stop_loss_pct"]) == (10, "9.74")


def test_concurrent_puts_of_different_fields_keep_every_field(server):
    user = User(server)
    # Seven requests at once, each naming one field, in rounds: each applies its field to the
    # settings as saved, so none erases another's.
    rounds = [{"leverage": 2 + i, "take_profit_pct": str(4 + i), "stop_loss_pct": str(1 + i),
               "position_size_pct": str(10 + i), "max_consecutive_losses": 4 + i,
               "cooldown_minutes": 30 + i, "daily_loss_limit_pct": str(2 + i)}
              for i in range(4)]
    for fields in rounds:
        gate = threading.Barrier(len(fields))

        def put(name, value):
            gate.wait(timeout=10)
            return user.req("PUT", "/api/bot", {name: value})

        with concurrent.futures.ThreadPoolExecutor(len(fields)) as pool:
            answers = list(pool.map(lambda item: put(*item), fields.items()))
        assert [a.status for a in answers] == [200] * len(fields), [a.body for a in answers]
        assert user.bot() == dict(DEFAULT_BOT, **fields)


def test_each_user_has_their_own_bot_settings(server):
    alice, bob = User(server), User(server)
    alice_settings = alice.put_bot({"symbols": ["XRPUSDT"], "leverage": 2})
    assert bob.bot() == DEFAULT_BOT
    bob.put_bot({"timeframe": "5m", "position_size_pct": "10"})
    assert alice.bot() == alice_settings
    assert bob.bot() == dict(DEFAULT_BOT, timeframe="5m", position_size_pct="10")


# ====================================================================== a bot trading
#
# ETHUSDT, 5m candles, one tick per candle (ticks 5 minutes apart: each closes the candle before
# it). The bot combines RSI and Bollinger (both mean-reverting) by the weighted mode: it goes
# long when the sum of their signed confidences / 2 is >= 0.25, and closes the long it opened
# when that is <= -0.25.
#
#  1. 30 candles alternating 2040 / 2042: RSI about 50, closes inside the bands -> neutral.
#  2. one candle dropping to P = 1980.43: RSI about 15 (bullish, confidence about 0.75), the
#     close far below the lower band (bullish, 1.0) -> bullish. The tick that closes it, at P
#     too, is the decision: a market buy at P. The price then stays at P, so the fill is at P
#     however late the asynchronous order is placed.
#  3. 20 more candles at P (the bot holds; nothing votes against a long; SL/TP are not reached).
#  4. one candle jumping to Q = 2020 (+2 %, below the take profit at +4 %): far above the upper
#     band of 19 P's and a Q (bearish, 1.0), RSI about 73 (bearish) or neutral -> bearish. The
#     tick that closes it, at Q, makes the bot close its long at Q with close_reason "bot".
#
# A second user has the same settings with enabled false: it must never trade.

BOT_SYMBOL = "ETHUSDT"
ETH_TICK = D("0.01")
ETH_STEP = D("0.001")
ENTRY = D("1980.43")
EXIT = D("2020")
BOT_SETTINGS = {"enabled": True, "symbols": [BOT_SYMBOL], "timeframe": "5m",
                "strategies": ["rsi", "bollinger"], "combination_mode": "weighted",
                "leverage": 3, "position_size_pct": "5", "stop_loss_pct": "2",
                "take_profit_pct": "4"}


@pytest.fixture(scope="module")
def bot_run(module_make_server):
    """Runs the series above once; returns what the tests look at."""
    srv = module_make_server(**MANUAL)
    feeder, bot_user, idle_user = User(srv), User(srv), User(srv)
    bot_user.put_bot(BOT_SETTINGS)
    idle_user.put_bot(dict(BOT_SETTINGS, enabled=False))

    alternating = [D("2040") if i % 2 == 0 else D("2042") for i in range(30)]
    before_flat = alternating + [ENTRY]       # the last one opens the drop candle
    total = len(before_flat) + 1 + 20 + 1 + 1
    start = five_minute_floor(now_ms()) - total * FIVE_MIN_MS + 1_000
    stamps = feed(feeder, BOT_SYMBOL, before_flat, start, FIVE_MIN_MS)
    next_ts = stamps[-1] + FIVE_MIN_MS

    run = {"entry_decision_ts": next_ts}
    feeder.tick(BOT_SYMBOL, ENTRY, next_ts)  # closes the drop candle: the bot buys
    run["votes_at_entry"] = feeder.analysis(BOT_SYMBOL)["timeframes"]["5m"]["strategies"]
    run["positions_after_entry"] = poll(bot_user.positions, lambda p: BOT_SYMBOL in p,
                                        BOT_WAIT_S)
    run["orders_after_entry"] = bot_user.orders()

    flat = feed(feeder, BOT_SYMBOL, [ENTRY] * 20, next_ts + FIVE_MIN_MS, FIVE_MIN_MS)
    run["positions_after_flat"] = bot_user.positions()
    jump_ts = flat[-1] + FIVE_MIN_MS
    feeder.tick(BOT_SYMBOL, EXIT, jump_ts)             # opens the jump candle
    feeder.tick(BOT_SYMBOL, EXIT, jump_ts + FIVE_MIN_MS)  # closes it: the bot closes its long
    run["votes_at_exit"] = feeder.analysis(BOT_SYMBOL)["timeframes"]["5m"]["strategies"]
    run["trades"] = poll(bot_user.trades, lambda t: len(t) > 0, BOT_WAIT_S)
    run["idle"] = {"positions": idle_user.positions(), "orders": idle_user.orders(),
                   "trades": idle_user.trades()}
    return run


def expected_quantity():
    # equity 10000 * 5 % = 500 margin, * 3x = 1500 notional, / price, down to the 0.001 step
    return (D("10000") * D("5") / 100 * 3 / ENTRY).quantize(ETH_STEP, rounding=ROUND_FLOOR)


def test_an_enabled_bot_opens_a_long_when_its_5m_votes_turn_bullish(bot_run):
    position = bot_run["positions_after_entry"].get(BOT_SYMBOL)
    assert position is not None, \
        f"no {BOT_SYMBOL} position within {BOT_WAIT_S} s of the bullish candle close; " \
        f"5m votes: {bot_run['votes_at_entry']}"
    assert position["side"] == "long", position
    assert D(position["entry_price"]) == ENTRY, position
    assert D(position["quantity"]) == expected_quantity() == D("0.757"), position
    assert position["leverage"] == 3, position


def test_the_bots_position_has_stop_loss_and_take_profit_at_its_percentages_on_the_tick(bot_run):
    position = bot_run["positions_after_entry"].get(BOT_SYMBOL)
    assert position is not None, f"no position; 5m votes: {bot_run['votes_at_entry']}"
    # 2 % below rounded up to the tick (the loss never exceeds 2 %), 4 % above rounded down
    stop = (ENTRY * D("0.98")).quantize(ETH_TICK, rounding=ROUND_CEILING)
    target = (ENTRY * D("1.04")).quantize(ETH_TICK, rounding=ROUND_FLOOR)
    assert (stop, target) == (D("1940.83"), D("2059.64"))  # 1940.8214, 2059.6472
    assert position["stop_loss"] is not None and D(position["stop_loss"]) == stop, position
    assert position["take_profit"] is not None and D(position["take_profit"]) == target, position


def test_the_bots_order_is_a_filled_market_buy_with_a_bot_client_order_id(bot_run):
    orders = bot_run["orders_after_entry"]
    assert len(orders) == 1, orders
    order = orders[0]
    assert order["client_order_id"].startswith("bot-"), order
    assert (order["symbol"], order["side"], order["type"], order["status"]) == \
        (BOT_SYMBOL, "buy", "market", "filled"), order
    assert D(order["quantity"]) == expected_quantity(), order


def test_the_bot_holds_its_position_while_nothing_votes_against_it(bot_run):
    position = bot_run["positions_after_flat"].get(BOT_SYMBOL)
    assert position is not None, bot_run["positions_after_flat"]
    assert D(position["quantity"]) == expected_quantity(), position  # not added to either


def test_the_bot_closes_its_long_with_reason_bot_when_its_votes_turn_bearish(bot_run):
    trades = bot_run["trades"]
    assert len(trades) == 1, \
        f"trades {trades}; 5m votes at the bearish close: {bot_run['votes_at_exit']}"
    trade = trades[0]
    assert trade["close_reason"] == "bot", trade
    assert (trade["symbol"], trade["side"]) == (BOT_SYMBOL, "long"), trade
    assert D(trade["entry_price"]) == ENTRY and D(trade["exit_price"]) == EXIT, trade
    assert D(trade["quantity"]) == expected_quantity(), trade
    assert D(trade["realized_pnl"]) == (EXIT - ENTRY) * expected_quantity(), trade


def test_a_disabled_bot_never_trades_on_the_same_series(bot_run):
    assert bot_run["idle"] == {"positions": {}, "orders": [], "trades": []}


# A bot's day and cooldown run on the trading clock, on which its user's trades are stamped, not
# on the feed's time: a replay feeds candles of days ago. Two bots see the bullish series of the
# scenario above stamped two days back; one user lost more than the daily limit (3 %) today.
def test_a_bot_keeps_its_daily_loss_limit_on_candles_stamped_days_ago(make_server):
    srv = make_server(**MANUAL)
    feeder, lost_today, control = User(srv), User(srv), User(srv)
    lost_today.put_bot(BOT_SETTINGS)
    control.put_bot(BOT_SETTINGS)
    # 0.1 BTC long at 50,000 closed at 46,000: 400 USDT lost now, 4 % of the 10,000 equity.
    feeder.tick("BTCUSDT", "50000", now_ms())
    r = lost_today.req("POST", "/api/orders", {"symbol": "BTCUSDT", "side": "buy",
                                                "type": "market", "quantity": "0.1",
                                                "leverage": 10})
    assert r.status == 201, r.body
    feeder.tick("BTCUSDT", "46000", now_ms())
    r = lost_today.req("POST", "/api/positions/BTCUSDT/close", {})
    assert r.status == 200 and D(r.json["realized_pnl"]) < -300, r.body

    alternating = [D("2040") if i % 2 == 0 else D("2042") for i in range(30)]
    days_ago = five_minute_floor(now_ms() - 2 * 24 * 3_600_000) - 40 * FIVE_MIN_MS + 1_000
    stamps = feed(feeder, BOT_SYMBOL, alternating + [ENTRY], days_ago, FIVE_MIN_MS)
    feeder.tick(BOT_SYMBOL, ENTRY, stamps[-1] + FIVE_MIN_MS)  # closes the drop candle
    opened = poll(control.positions, lambda p: BOT_SYMBOL in p, BOT_WAIT_S)
    assert BOT_SYMBOL in opened, f"the series should fire: {feeder.analysis(BOT_SYMBOL)}"
    time.sleep(0.3)  # the other bot decided on the same close
    assert BOT_SYMBOL not in lost_today.positions()
    assert [o["symbol"] for o in lost_today.orders()] == ["BTCUSDT"]  # its own, by hand


# A bot's order is placed asynchronously; candles can close again before it is filled (a replay
# feed, a slow store, a burst of ticks). The bot must still open one position per symbol, not one
# per candle close. The ticks after the decision are pipelined on one connection so the next
# candle closes right after the decision; the race is timing-dependent, so it is tried on
# several symbols, each with its own bot (a correct server passes every time).

# symbol -> a price with room for a 0.1 % move on its tick and a 1500 USDT order on its step
RACE_SYMBOLS = {"BTCUSDT": "50000", "ETHUSDT": "2000", "BNBUSDT": "500", "SOLUSDT": "150",
                "XRPUSDT": "0.6", "ADAUSDT": "0.5", "DOGEUSDT": "0.1", "LTCUSDT": "80",
                "LINKUSDT": "20", "DOTUSDT": "7", "AVAXUSDT": "30", "ATOMUSDT": "10"}


def post_pipelined(server, token, bodies, timeout=10.0):
    """POSTs /api/market/prices once per body, all written at once on one connection; returns
    the statuses in order."""
    wire = b""
    for body in bodies:
        data = json.dumps(body).encode()
        wire += (f"POST /api/market/prices HTTP/1.1\r\nHost: {HOST}:{server.port}\r\n"
                 f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(data)}\r\n\r\n").encode() + data
    sock = raw_connect(server.port, timeout=timeout)
    statuses, buf = [], b""
    deadline = time.monotonic() + timeout
    try:
        sock.sendall(wire)
        while len(statuses) < len(bodies) and time.monotonic() < deadline:
            parsed = parse_http_response(buf)
            if parsed is not None:
                status, headers, _ = parsed
                end = buf.index(b"\r\n\r\n") + 4 + int(headers.get("content-length", "0"))
                if len(buf) >= end:
                    statuses.append(status)
                    buf = buf[end:]
                    continue
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        sock.close()
    return statuses


def test_a_bot_opens_one_position_even_when_candles_close_before_its_order_is_filled(
        make_server):
    srv = make_server(**MANUAL)
    feeder = User(srv)
    ticks = {s["symbol"]: D(s["tick_size"])
             for s in feeder.req("GET", "/api/market/symbols").json["symbols"]}
    start = five_minute_floor(now_ms()) - 40 * FIVE_MIN_MS + 1_000
    bots = {}
    for symbol, price in RACE_SYMBOLS.items():
        tick, base = ticks[symbol], D(price)
        bots[symbol] = User(srv)
        bots[symbol].put_bot(dict(BOT_SETTINGS, symbols=[symbol]))
        # the series of the bot scenario above: alternating, then a 3 % drop held flat
        alternating = [base if i % 2 == 0 else (base * D("1.001")).quantize(tick)
                       for i in range(30)]
        drop = (base * D("0.97")).quantize(tick)
        feed(feeder, symbol, alternating + [drop], start, FIVE_MIN_MS)
        # the decision tick (it closes the drop candle) and three more closes right behind it
        bodies = [{"symbol": symbol, "price": str(drop), "ts_ms": start + (31 + i) * FIVE_MIN_MS}
                  for i in range(4)]
        assert post_pipelined(srv, feeder.token, bodies) == [204] * 4

    def order_ids():
        return {symbol: sorted(o["client_order_id"] for o in user.orders())
                for symbol, user in bots.items()}

    opened = poll(order_ids, lambda ids: all(ids.values()), BOT_WAIT_S)
    assert all(opened.values()), f"bots that never opened (the series should fire): {opened}"
    time.sleep(0.2)  # a second order, if any, is right behind the first
    doubled = {symbol: ids for symbol, ids in order_ids().items() if len(ids) > 1}
    assert doubled == {}, \
        f"{len(doubled)} of {len(bots)} bots opened more than one position: {doubled}"
