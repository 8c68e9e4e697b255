"""Market feeds other than the simulator: a replay of recorded Binance klines, and the live
Binance stream client when the exchange cannot be reached (the stream format itself is tested
against a fake exchange in the integration tests)."""

import json
import subprocess
import time

import websocket

from conftest import (BOTCORE_BIN, HOST, assert_error, auth_headers, clean_env, free_port,
                      new_session, write_toml)

KLINE_START_MS = 1_704_067_200_000  # 2024-01-01T00:00:00Z


def kline_rows(count, first_close):
    """count one-minute klines whose close rises by 1 each minute, in the data-dump layout."""
    rows = []
    for i in range(count):
        open_ms = KLINE_START_MS + i * 60_000
        close = first_close + i
        rows.append(f"{open_ms},{close - 1}.00,{close + 2}.00,{close - 3}.00,{close}.00,"
                    f"12.5,{open_ms + 59_999},1000.0,42,6.0,500.0,0")
    return "\n".join(rows) + "\n"


def wait_for(predicate, timeout_s=10.0):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    return predicate()


def test_a_replay_delivers_the_recorded_prices_and_reports_the_end_of_its_data(
        make_server, tmp_path):
    data = tmp_path / "klines"
    data.mkdir()
    (data / "BTCUSDT-1m-2024-01.csv").write_text(kline_rows(30, 42_000))
    server = make_server(market={"source": "replay", "replay_path": str(data),
                                 "replay_speed": 0})
    _, tokens = new_session(server)
    headers = auth_headers(tokens.access_token)

    def finished():
        health = server.get("/health").json
        return health["checks"]["feed"] == "finished" and health
    assert wait_for(finished), server.get("/health").json
    prices = server.get("/api/market/prices", headers=headers).json["prices"]
    # The last kline closes at 42,029; its close is the last tick, at the kline's close time
    # moved forward by whole hours to the present.
    assert prices["BTCUSDT"]["price"] == "42029"
    shift = prices["BTCUSDT"]["ts_ms"] - (KLINE_START_MS + 29 * 60_000 + 59_999)
    assert shift > 0 and shift % 3_600_000 == 0
    assert abs(prices["BTCUSDT"]["ts_ms"] - time.time() * 1000) < 2 * 3_600_000

    def last_candles():
        candles = server.get("/api/market/candles/BTCUSDT?interval=1m&limit=5",
                             headers=headers).json["candles"]
        return candles if candles[-1]["close"] == "42029" and candles[-1]["closed"] else None
    # The end of the data closes (and stores) the last kline's candle too: nothing can come
    # into it any more.
    candles = wait_for(last_candles)
    assert candles, server.get("/api/market/candles/BTCUSDT?interval=1m&limit=5",
                               headers=headers).json
    assert len(candles) == 5 and all(c["closed"] for c in candles), candles
    last = candles[-1]  # rebuilt from the last kline's four ticks
    assert (last["open"], last["high"], last["low"]) == ("42028", "42031", "42026")
    assert candles[-2]["close"] == "42028"
    # The last hour's candle is not whole (the data ends within it): it stays open.
    hourly = server.get("/api/market/candles/BTCUSDT?interval=1h&limit=2",
                        headers=headers).json["candles"]
    assert not hourly[-1]["closed"], hourly


def test_a_restarted_simulator_continues_from_the_last_stored_minute(make_server, tmp_path):
    # Candles stored by a replay (far from the walk's start prices), then the simulator on the
    # same data: its first prices are the last stored closes, not a jump that would fire stops.
    data = tmp_path / "klines"
    data.mkdir()
    (data / "BTCUSDT-1m-2024-01.csv").write_text(kline_rows(30, 42_000))
    server = make_server(market={"source": "replay", "replay_path": str(data),
                                 "replay_speed": 0})
    assert wait_for(lambda: server.get("/health").json["checks"]["feed"] == "finished")
    server.stop()
    server.config["market"] = {"source": "simulator"}
    write_toml(server.config_path, server.config)
    server.start()
    _, tokens = new_session(server)
    prices = server.get("/api/market/prices", headers=auth_headers(tokens.access_token)).json
    btc = float(prices["prices"]["BTCUSDT"]["price"])
    assert abs(btc - 42_029) / 42_029 < 0.01, prices  # the walk starts BTCUSDT at 65,000


def test_serve_refuses_a_replay_without_data_and_exits_2(tmp_path):
    config = tmp_path / "botcore.toml"
    write_toml(config, {"market": {"source": "replay", "replay_path": str(tmp_path / "none")}})
    out = subprocess.run([BOTCORE_BIN, "serve", "--config", str(config), "--listen",
                          f"{HOST}:{free_port()}", "--data-dir", str(tmp_path / "data")],
                         capture_output=True, text=True, env=clean_env(),
                         stdin=subprocess.DEVNULL, timeout=20)
    assert out.returncode == 2, out.stderr
    assert "none" in out.stderr


def test_an_unreachable_exchange_leaves_the_instance_serving_with_a_degraded_feed(make_server):
    closed_port = free_port()  # nothing listens there
    server = make_server(market={"source": "binance",
                                 "binance_url": f"ws://{HOST}:{closed_port}"})
    health = wait_for(lambda: (h := server.get("/health").json)["checks"]["feed"] != "ok" and h)
    assert health["checks"]["feed"] in ("starting", "degraded"), health
    _, tokens = new_session(server)
    assert server.get("/api/account", headers=auth_headers(tokens.access_token)).status == 200


def test_a_stream_url_that_is_not_websocket_is_a_configuration_error(tmp_path):
    config = tmp_path / "botcore.toml"
    write_toml(config, {"market": {"source": "binance", "binance_url": "http://example.com"}})
    out = subprocess.run([BOTCORE_BIN, "config", "check", "--config", str(config)],
                         capture_output=True, text=True, env=clean_env(),
                         stdin=subprocess.DEVNULL, timeout=20)
    assert out.returncode == 2
    assert "market.binance_url" in out.stderr


def test_the_simulator_feeds_and_the_platform_trades_only_the_configured_symbols(make_server):
    server = make_server(market={"source": "simulator", "symbols": "ETHUSDT, BTCUSDT",
                                 "tick_interval_ms": 50})
    _, tokens = new_session(server)
    headers = auth_headers(tokens.access_token)
    listed = server.get("/api/market/symbols", headers=headers).json["symbols"]
    assert [s["symbol"] for s in listed] == ["BTCUSDT", "ETHUSDT"]
    assert wait_for(lambda: set(server.get("/api/market/prices", headers=headers)
                                .json["prices"]) == {"BTCUSDT", "ETHUSDT"})
    time.sleep(0.3)  # a few more steps: still none of the others
    assert set(server.get("/api/market/prices", headers=headers).json["prices"]) == {
        "BTCUSDT", "ETHUSDT"}

    order = {"symbol": "SOLUSDT", "side": "buy", "type": "market", "quantity": "1"}
    assert_error(server.post("/api/orders", json=order, headers=headers), 422,
                 "validation_failed", "symbol")
    order["symbol"], order["quantity"] = "ETHUSDT", "0.1"
    assert server.post("/api/orders", json=order, headers=headers).status == 201
    for path in ("/api/analysis/SOLUSDT", "/api/market/candles/SOLUSDT"):
        assert server.get(path, headers=headers).status == 404, path
    assert_error(server.request("PUT", "/api/bot", json={"symbols": ["BTCUSDT", "SOLUSDT"]},
                                headers=headers), 422, "validation_failed", "symbols")
    r = server.request("PUT", "/api/bot", json={"symbols": ["ETHUSDT"]}, headers=headers)
    assert r.status == 200 and r.json["symbols"] == ["ETHUSDT"], r.body

    ws = websocket.create_connection(f"ws://{HOST}:{server.port}/ws", timeout=5.0,
                                     header=[f"Authorization: Bearer {tokens.access_token}"],
                                     http_no_proxy=[HOST])
    try:
        ws.send(json.dumps({"type": "subscribe", "channels": ["prices:SOLUSDT"]}))
        answer = json.loads(ws.recv())
        if answer["type"] == "authenticated":
            answer = json.loads(ws.recv())
        assert answer["type"] == "error" and answer["code"] == "validation_failed", answer
        assert "SOLUSDT" in answer["message"], answer
    finally:
        ws.close()


def test_serve_refuses_a_symbol_outside_the_catalog_and_exits_2(tmp_path):
    config = tmp_path / "botcore.toml"
    write_toml(config, {"market": {"symbols": "BTCUSDT,PEPEUSDT"}})
    result = subprocess.run([BOTCORE_BIN, "serve", "--config", str(config), "--listen",
                             f"{HOST}:{free_port()}", "--data-dir", str(tmp_path / "data")],
                            capture_output=True, text=True, timeout=30, env=clean_env())
    assert result.returncode == 2, result
    assert "market.symbols" in result.stderr and "PEPEUSDT" in result.stderr, result.stderr


def test_serve_refuses_a_symbol_list_that_leaves_out_an_open_position_and_exits_2(make_server):
    server = make_server(market={"source": "manual"})
    _, tokens = new_session(server)
    headers = auth_headers(tokens.access_token)
    assert server.post("/api/market/prices", json={"symbol": "SOLUSDT", "price": "150"},
                       headers=headers).status == 204
    order = {"symbol": "SOLUSDT", "side": "buy", "type": "market", "quantity": "1"}
    assert server.post("/api/orders", json=order, headers=headers).status == 201
    server.stop()
    # SOLUSDT would get no more prices: the position could never be closed.
    refused = subprocess.run(server.command(free_port()), capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL,
                             env=dict(server.env, BOTCORE_MARKET_SYMBOLS="BTCUSDT,ETHUSDT"))
    assert refused.returncode == 2, refused
    assert "SOLUSDT" in refused.stderr and "market.symbols" in refused.stderr, refused.stderr
    server.start()
    positions = server.get("/api/positions", headers=headers).json["positions"]
    assert [p["symbol"] for p in positions] == ["SOLUSDT"]
