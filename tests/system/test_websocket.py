"""WebSocket /ws: authentication, per-user limit, subscriptions, prices, candles, account
events, pings, idle close, rate limit, malformed input, drain, slow consumers, capacity.

Black-box: the real `botcore` binary over real sockets on 127.0.0.1, driven with
websocket-client (Debian's python3-websocket). Prices are set by the test (market.source =
"manual": POST /api/market/prices answers 204 once its effects are committed); slippage is off.
Every read has a deadline; frames are read one by one with recv_frame() so that pings are
answered only when a test wants them answered, and close frames are never lost.
"""

import base64
import json
import os
import re
import signal
import socket
import struct
import threading
import time
from decimal import Decimal

import pytest
import websocket
from websocket import ABNF

from conftest import (HOST, assert_error, auth_headers, login, new_session, raw_connect,
                      read_http_response)

MANUAL = {
    "market": {"source": "manual"},
    "trading": {"slippage_base_bp": 0, "slippage_bp_per_100k": 0},
    # Servers stop without a drain grace period: teardown stays quick. The drain test sets its own.
    "server": {"drain_grace_seconds": 0},
}
WS_LIMITS = {"ws_max_per_user": 2, "ws_messages_per_minute": 5}
WS_KEEPALIVE = {"ws_ping_interval_seconds": 1, "ws_idle_timeout_seconds": 2}

NEGATIVE_WAIT_S = 1.0  # how long "nothing arrives" is watched for
DECIMAL_RE = re.compile(r"-?\d+(\.\d+)?")

CLOSE_NORMAL = 1000
CLOSE_GOING_AWAY = 1001
CLOSE_UNSUPPORTED_DATA = 1003
CLOSE_POLICY = 1008
CLOSE_TOO_BIG = 1009
CLOSE_SERVICE_RESTART = 1012


# websocket-client 1.2.3 refuses close frames carrying the IANA-registered codes 1012 (service
# restart) and 1013 (try again later) as a protocol error, losing the frame. Accept them while
# this module runs (later websocket-client versions accept them too).
@pytest.fixture(scope="module", autouse=True)
def accept_registered_close_codes():
    import websocket._abnf as abnf
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(abnf, "VALID_CLOSE_STATUS", tuple(abnf.VALID_CLOSE_STATUS) + (1012, 1013))
        yield


# --------------------------------------------------------------------------- servers


def with_ws(**server_keys):
    return dict(MANUAL, server=dict(MANUAL["server"], **server_keys))


@pytest.fixture(scope="module")
def server(module_make_server):
    """Manual prices, default WebSocket settings; shared by the tests of this module."""
    return module_make_server(**MANUAL)


@pytest.fixture(scope="module")
def limited_server(module_make_server):
    """At most 2 connections per user, at most 5 client messages per minute."""
    return module_make_server(**with_ws(**WS_LIMITS))


@pytest.fixture(scope="module")
def keepalive_server(module_make_server):
    """Pings every second, closes connections silent for 2 s."""
    return module_make_server(**with_ws(**WS_KEEPALIVE))


# --------------------------------------------------------------------------- users


class User:
    def __init__(self, server):
        self.server = server
        self.account, tokens = new_session(server)
        self.token = tokens.access_token
        self.headers = auth_headers(self.token)

    def req(self, method, path, json_body=None):
        if json_body is None:
            return self.server.request(method, path, headers=self.headers)
        return self.server.request(method, path, json=json_body, headers=self.headers)

    def post_price(self, symbol, price, **extra):
        r = self.req("POST", "/api/market/prices", dict(symbol=symbol, price=price, **extra))
        assert r.status == 204, f"POST /api/market/prices {symbol} {price}: {r.status} {r.body!r}"

    def account_view(self):
        r = self.req("GET", "/api/account")
        assert r.status == 200, r.body
        return r.json


@pytest.fixture(scope="module")
def symbols(server):
    r = User(server).req("GET", "/api/market/symbols")
    assert r.status == 200, r.body
    names = [s["symbol"] if isinstance(s, dict) else s for s in r.json["symbols"]]
    assert {"BTCUSDT", "ETHUSDT", "SOLUSDT"} <= set(names), names
    assert r.json["intervals"] == ["1m", "5m", "15m", "1h"], r.json
    return names


# --------------------------------------------------------------------------- client


class WsClient:
    """One websocket-client connection read frame by frame, every read bounded."""

    def __init__(self, ws, auto_pong=True):
        self.ws = ws
        self.auto_pong = auto_pong
        self.close_code = None  # set when the server's close frame arrives
        self.close_reason = None
        self.eof = False  # the TCP connection ended (with or without a close frame)
        self.pings = 0

    @property
    def closed(self):
        return self.close_code is not None or self.eof

    # -- sending

    def send_json(self, obj):
        self.ws.send(json.dumps(obj))

    def send_text(self, text):
        self.ws.send(text)

    def send_binary(self, data):
        self.ws.send_binary(data)

    # -- receiving

    def frame(self, timeout):
        """The next frame: (kind, payload), kind in text, binary, ping, pong, close, timeout,
        eof. Pings are answered when auto_pong; a close frame is answered and ends reading."""
        if self.closed or self.ws.sock is None:
            return ("eof", None)
        self.ws.sock.settimeout(max(0.001, timeout))
        try:
            frame = self.ws.recv_frame()
        except websocket.WebSocketTimeoutException:
            return ("timeout", None)
        except (websocket.WebSocketConnectionClosedException, OSError):
            self.eof = True
            return ("eof", None)
        op = frame.opcode
        if op == ABNF.OPCODE_PING:
            self.pings += 1
            if self.auto_pong:
                try:
                    self.ws.pong(frame.data)
                except (websocket.WebSocketException, OSError):
                    pass
            return ("ping", frame.data)
        if op == ABNF.OPCODE_PONG:
            return ("pong", frame.data)
        if op == ABNF.OPCODE_CLOSE:
            data = frame.data or b""
            self.close_code = struct.unpack("!H", data[:2])[0] if len(data) >= 2 else 1005
            self.close_reason = data[2:].decode("utf-8", "replace")
            try:
                self.ws.send_close(self.close_code if self.close_code != 1005 else CLOSE_NORMAL)
            except (websocket.WebSocketException, OSError):
                pass
            self._finish_close()
            self.eof = True
            return ("close", self.close_code)
        assert frame.fin, "the server fragmented a message (auto_fragment is expected off)"
        if op == ABNF.OPCODE_TEXT:
            return ("text", frame.data.decode("utf-8"))
        if op == ABNF.OPCODE_BINARY:
            return ("binary", frame.data)
        raise AssertionError(f"unexpected opcode {op}")

    def _finish_close(self, timeout=1.0):
        """Like a browser after the closing handshake: wait (briefly) for the server to end
        the TCP connection, then close the socket either way."""
        sock = self.ws.sock
        deadline = time.monotonic() + timeout
        try:
            while sock is not None and time.monotonic() < deadline:
                sock.settimeout(max(0.01, deadline - time.monotonic()))
                if not sock.recv(65536):
                    break
        except OSError:
            pass
        self.close()

    def next_message(self, timeout):
        """The next text message parsed as JSON, or None if none came before the deadline or
        the connection ended. Control frames are skipped."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            kind, payload = self.frame(remaining)
            if kind == "text":
                msg = json.loads(payload)
                assert isinstance(msg, dict) and isinstance(msg.get("type"), str), payload
                return msg
            if kind == "binary":
                raise AssertionError(f"the server sent a binary frame: {payload[:200]!r}")
            if kind in ("timeout", "eof", "close"):
                return None

    def expect(self, timeout=5.0, what="a message"):
        msg = self.next_message(timeout)
        assert msg is not None, (f"no {what} within {timeout} s (closed: {self.close_code}, "
                                 f"eof: {self.eof})")
        return msg

    def wait_for(self, predicate, timeout=5.0, what="the expected message"):
        """Reads until a message satisfies predicate; returns it. Fails at the deadline."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            msg = self.next_message(deadline - time.monotonic())
            if msg is None:
                break
            if predicate(msg):
                return msg
            seen.append(msg)
        raise AssertionError(f"{what} did not arrive within {timeout} s (close code "
                             f"{self.close_code}, eof {self.eof}); other messages: {seen[:10]}")

    def messages_for(self, seconds):
        """Every message that arrives within `seconds`."""
        deadline = time.monotonic() + seconds
        out = []
        while True:
            msg = self.next_message(deadline - time.monotonic())
            if msg is None:
                return out
            out.append(msg)

    def wait_close(self, timeout):
        """Reads (and discards) until the connection ends; returns (close code, messages
        seen). The code is None at the deadline, "eof" if the TCP connection ended without a
        close frame."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            kind, payload = self.frame(deadline - time.monotonic())
            if kind == "text":
                seen.append(json.loads(payload))
            elif kind == "close":
                return payload, seen
            elif kind == "eof":
                return (self.close_code if self.close_code is not None else "eof"), seen
        return None, seen

    def ping(self, ts_ms=42, timeout=5.0):
        self.send_json({"type": "ping", "ts_ms": ts_ms})
        return self.wait_for(lambda m: m["type"] == "pong", timeout, what="pong")

    def subscribe(self, *channels, timeout=5.0):
        self.send_json({"type": "subscribe", "channels": list(channels)})
        msg = self.expect(timeout, what="answer to subscribe")
        assert msg == {"type": "subscribed", "channels": list(channels)}, msg
        return msg

    def close(self):
        try:
            if self.ws.sock is not None:
                self.ws.shutdown()
        except (websocket.WebSocketException, OSError):
            pass


def ws_url(server, query_token=None):
    url = f"ws://{HOST}:{server.port}/ws"
    if query_token is not None:
        url += f"?token={query_token}"
    return url


@pytest.fixture
def connect():
    """connect(server, token=..., query_token=..., auto_pong=..., sockopt=...) -> WsClient.
    `token` goes in the Authorization header. Every client is shut at the end of the test."""
    opened = []

    def _connect(server, token=None, query_token=None, auto_pong=True, sockopt=None,
                 timeout=5.0):
        header = [f"Authorization: Bearer {token}"] if token is not None else []
        ws = websocket.create_connection(ws_url(server, query_token), timeout=timeout,
                                         header=header, sockopt=sockopt or (),
                                         http_no_proxy=[HOST])
        client = WsClient(ws, auto_pong=auto_pong)
        opened.append(client)
        return client

    yield _connect
    for client in opened:
        client.close()


def raw_upgrade(server, headers=(), path="/ws", deadline_s=5.0, key=None, version="13"):
    """A hand-written upgrade request; returns (status, headers, body, sock). The caller closes
    sock (it is the WebSocket itself when the status is 101). key and version: the
    Sec-WebSocket-* values ("" leaves the header out; key None: a fresh valid one)."""
    if key is None:
        key = base64.b64encode(os.urandom(16)).decode("ascii")
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{server.port}", "Upgrade: websocket",
             "Connection: Upgrade"]
    lines += [f"Sec-WebSocket-Key: {key}"] if key else []
    lines += [f"Sec-WebSocket-Version: {version}"] if version else []
    lines += list(headers)
    sock = raw_connect(server.port, timeout=deadline_s)
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
    buf = b""
    end = time.monotonic() + deadline_s
    while b"\r\n\r\n" not in buf and time.monotonic() < end:
        sock.settimeout(max(0.01, end - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, OSError):
            break
        if not chunk:
            break
        buf += chunk
    head = buf.partition(b"\r\n\r\n")[0].decode("latin-1")
    m = re.match(r"HTTP/1\.1 (\d{3})", head)
    if m and m.group(1) == "101":
        return 101, {}, b"", sock
    # Not an upgrade: read the rest of the HTTP response from what we have plus the socket.
    status, hdrs, body, _how = read_http_response(_Prefixed(sock, buf), deadline_s=deadline_s)
    return status, hdrs, body, sock


class _Prefixed:
    """A socket whose first recv() returns bytes already read."""

    def __init__(self, sock, prefix):
        self._sock = sock
        self._prefix = prefix

    def settimeout(self, t):
        self._sock.settimeout(t)

    def recv(self, n):
        if self._prefix:
            data, self._prefix = self._prefix, b""
            return data
        return self._sock.recv(n)


def body_json(body):
    return json.loads(body.decode("utf-8"))


def http_get_json(server, path):
    r = server.get(path, timeout=5.0)
    assert r.status in (200, 503), (path, r.status, r.body[:300])
    return r


def ws_connections(server):
    return http_get_json(server, "/health").json["capacity"]["ws_connections"]


def metric_value(server, name):
    text = server.get("/metrics", timeout=5.0).body.decode("utf-8")
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name} not in /metrics")


def poll(fn, want, timeout=3.0, interval=0.05):
    """Calls fn until it returns want; returns the last value seen."""
    deadline = time.monotonic() + timeout
    value = fn()
    while value != want and time.monotonic() < deadline:
        time.sleep(interval)
        value = fn()
    return value


def is_price(symbol, price=None):
    def match(m):
        return (m["type"] == "price" and m.get("symbol") == symbol
                and (price is None or m.get("price") == price))
    return match


def assert_still_receives_prices(user, client, symbol, price):
    """A well-behaved bystander subscribed to prices:symbol still gets a fresh price."""
    user.post_price(symbol, price)
    msg = client.wait_for(is_price(symbol, price), 3.0, what=f"price {symbol} {price}")
    assert msg["price"] == price


# ====================================================================== authentication


def test_bearer_header_on_the_upgrade_authenticates_the_connection(server, connect):
    user = User(server)
    client = connect(server, token=user.token)
    assert client.ping(ts_ms=1) == {"type": "pong", "ts_ms": 1}


def test_the_upgrade_reads_the_bearer_header_as_http_requests_do(server, connect):
    user = User(server)
    padded = f" {user.token} "  # "Bearer  <token> ": blanks around the token
    r = server.request("GET", "/api/auth/me", headers={"Authorization": "bearer " + padded})
    assert r.status == 200, r.body
    client = connect(server, token=padded)
    assert client.ping(ts_ms=1) == {"type": "pong", "ts_ms": 1}


def test_token_query_parameter_authenticates_the_connection(server, connect):
    user = User(server)
    client = connect(server, query_token=user.token)
    assert client.ping(ts_ms=2) == {"type": "pong", "ts_ms": 2}


def test_first_auth_message_is_answered_authenticated_and_unlocks_the_connection(server, connect):
    user = User(server)
    client = connect(server)
    client.send_json({"type": "auth", "token": user.token})
    assert client.expect(what="answer to auth") == {"type": "authenticated"}
    assert client.ping(ts_ms=3) == {"type": "pong", "ts_ms": 3}


def test_a_second_auth_message_is_a_conflict_and_the_connection_stays_open(server, connect):
    user = User(server)
    client = connect(server, token=user.token)
    client.send_json({"type": "auth", "token": user.token})
    msg = client.expect(what="answer to a second auth")
    assert msg["type"] == "error" and msg["code"] == "conflict", msg
    assert client.ping(ts_ms=4)["ts_ms"] == 4


@pytest.mark.parametrize("where", ["header", "query"])
def test_a_bad_token_on_the_upgrade_is_refused_with_401(server, where):
    user = User(server)
    bad = user.token[:-4] + ("AAAA" if not user.token.endswith("AAAA") else "BBBB")
    headers = [f"Authorization: Bearer {bad}"] if where == "header" else []
    path = "/ws" if where == "header" else f"/ws?token={bad}"
    status, _hdrs, body, sock = raw_upgrade(server, headers=headers, path=path)
    sock.close()
    assert status == 401, (status, body[:300])
    assert body_json(body)["error"]["code"] == "unauthorized", body


def test_a_logged_out_token_is_refused_on_the_upgrade_with_401(server):
    user = User(server)
    r = server.post("/api/auth/logout", headers=user.headers)
    assert r.status == 204, r.body
    status, _hdrs, body, sock = raw_upgrade(server, headers=[f"Authorization: Bearer {user.token}"])
    sock.close()
    assert status == 401, (status, body[:300])
    assert body_json(body)["error"]["code"] == "unauthorized", body


@pytest.mark.parametrize("how", ["header", "auth message"])
def test_a_logout_closes_the_connections_its_token_opened_with_1008(make_server, connect, how):
    s = make_server(**with_ws(ws_ping_interval_seconds=1))
    user = User(s)
    other_token = login(s, user.account).access_token  # a second session of the same user
    if how == "header":
        client = connect(s, token=user.token)
    else:
        client = connect(s)
        client.send_json({"type": "auth", "token": user.token})
        assert client.expect(what="authenticated")["type"] == "authenticated"
    client.subscribe("account")
    kept = connect(s, token=other_token)
    kept.subscribe("account")

    r = s.post("/api/auth/logout", headers=user.headers)
    assert r.status == 204, r.body
    started = time.monotonic()
    msg = client.expect(timeout=5.0, what="the revoked token's error")
    assert msg["type"] == "error" and msg["code"] == "unauthorized", msg
    code, _later = client.wait_close(3.0)
    assert code == CLOSE_POLICY, code
    assert time.monotonic() - started < 4.0

    # The other session's connection stays open and still gets the user's events.
    r = s.request("POST", "/api/market/prices", headers=auth_headers(other_token),
                  json=dict(symbol="ETHUSDT", price="2000"))
    assert r.status == 204, r.body
    r = s.request("POST", "/api/orders", headers=auth_headers(other_token),
                  json=dict(symbol="ETHUSDT", side="buy", type="market", quantity="1"))
    assert r.status == 201, r.body
    assert last_of(collect_until(kept, ["order"]), "order")["order"]["id"] == r.json["id"]


@pytest.mark.parametrize("key,version,status", [
    ("", "13", 400), ("c2hvcnQ=", "13", 400), (None, "8", 426), (None, "", 426)])
def test_a_malformed_opening_handshake_gets_the_error_json(server, key, version, status):
    user = User(server)
    got, hdrs, body, sock = raw_upgrade(server, headers=[f"Authorization: Bearer {user.token}"],
                                        key=key, version=version)
    sock.close()
    assert got == status, (got, body[:300])
    assert body_json(body)["error"]["code"] == "bad_request", body
    if status == 426:
        assert {k.lower(): v for k, v in hdrs.items()}.get("sec-websocket-version") == "13", hdrs


def test_a_bad_token_in_the_auth_message_gets_unauthorized_then_close_1008(server, connect):
    client = connect(server)
    client.send_json({"type": "auth", "token": "not-a-token"})
    msg = client.expect(what="answer to a bad auth")
    assert msg["type"] == "error" and msg["code"] == "unauthorized", msg
    assert isinstance(msg.get("message"), str) and msg["message"], msg
    code, later = client.wait_close(5.0)
    assert code == CLOSE_POLICY, (code, later)


def test_no_auth_message_within_5_seconds_gets_unauthorized_then_close_1008(server, connect):
    started = time.monotonic()
    client = connect(server)
    msg = client.expect(timeout=9.0, what="auth timeout error")
    waited = time.monotonic() - started
    assert msg["type"] == "error" and msg["code"] == "unauthorized", msg
    assert 4.0 <= waited <= 8.0, f"auth timeout error after {waited:.2f} s, expected ~5 s"
    code, later = client.wait_close(3.0)
    assert code == CLOSE_POLICY, (code, later)


def test_subscribe_before_auth_gets_unauthorized_then_close_1008(server, connect):
    client = connect(server)
    client.send_json({"type": "subscribe", "channels": ["prices:BTCUSDT"]})
    msg = client.expect(what="answer to an unauthenticated subscribe")
    assert msg["type"] == "error" and msg["code"] == "unauthorized", msg
    code, later = client.wait_close(5.0)
    assert code == CLOSE_POLICY, (code, later)
    assert not any(m["type"] == "subscribed" for m in later), later


# ====================================================================== per-user limit


def test_the_sixth_upgrade_of_a_user_is_refused_with_429_by_default(server, connect):
    assert "ws_max_per_user" not in server.config.get("server", {})  # the default: 5
    user = User(server)
    clients = [connect(server, token=user.token) for _ in range(5)]
    status, _hdrs, body, sock = raw_upgrade(server, headers=[f"Authorization: Bearer {user.token}"])
    sock.close()
    assert status == 429, (status, body[:300])
    assert body_json(body)["error"]["code"] == "rate_limited", body
    assert clients[4].ping(ts_ms=5)["ts_ms"] == 5


def test_upgrade_beyond_the_per_user_limit_is_refused_with_429(limited_server, connect):
    assert limited_server.config["server"]["ws_max_per_user"] == 2
    user = User(limited_server)
    first = connect(limited_server, token=user.token)
    second = connect(limited_server, query_token=user.token)
    status, hdrs, body, sock = raw_upgrade(limited_server,
                                           headers=[f"Authorization: Bearer {user.token}"])
    sock.close()
    assert status == 429, (status, body[:300])
    assert body_json(body)["error"]["code"] == "rate_limited", body
    assert "retry-after" in hdrs, hdrs
    # The refusal left the two open connections alone.
    assert first.ping(ts_ms=1)["ts_ms"] == 1
    assert second.ping(ts_ms=2)["ts_ms"] == 2


def test_the_per_user_limit_leaves_other_users_alone(limited_server, connect):
    full, other = User(limited_server), User(limited_server)
    connect(limited_server, token=full.token)
    connect(limited_server, token=full.token)
    client = connect(limited_server, token=other.token)
    assert client.ping(ts_ms=5)["ts_ms"] == 5


def test_auth_message_beyond_the_per_user_limit_gets_rate_limited_then_close_1008(
        limited_server, connect):
    user = User(limited_server)
    connect(limited_server, token=user.token)
    connect(limited_server, token=user.token)
    third = connect(limited_server)  # unauthenticated upgrades are not counted per user
    third.send_json({"type": "auth", "token": user.token})
    msg = third.expect(what="answer to auth over the limit")
    assert msg["type"] == "error" and msg["code"] == "rate_limited", msg
    code, later = third.wait_close(5.0)
    assert code == CLOSE_POLICY, (code, later)


def test_closing_a_connection_frees_its_slot_for_a_new_one(limited_server, connect):
    user = User(limited_server)
    header = [f"Authorization: Bearer {user.token}"]
    connect(limited_server, token=user.token)
    leaving = connect(limited_server, token=user.token)
    status, _h, _b, sock = raw_upgrade(limited_server, headers=header)
    sock.close()
    assert status == 429

    leaving.ws.close(timeout=2)  # close handshake; the server frees the slot asynchronously
    deadline = time.monotonic() + 3.0
    statuses = []
    while time.monotonic() < deadline:
        status, _h, _b, sock = raw_upgrade(limited_server, headers=header)
        sock.close()
        statuses.append(status)
        if status == 101:
            break
        time.sleep(0.1)
    assert statuses[-1] == 101, f"upgrade statuses after closing one connection: {statuses}"


# ====================================================================== subscriptions


def test_subscribe_echoes_the_canonical_channel_names(server, connect):
    user = User(server)
    client = connect(server, token=user.token)
    channels = ["prices:BTCUSDT", "candles:ETHUSDT:1m", "candles:ETHUSDT:5m",
                "candles:ETHUSDT:15m", "candles:ETHUSDT:1h", "signals:BTCUSDT", "account"]
    client.send_json({"type": "subscribe", "channels": channels})
    assert client.expect(what="subscribed") == {"type": "subscribed", "channels": channels}


@pytest.mark.parametrize("bad", ["prices:NOPEUSDT", "candles:SOLUSDT:2m", "orders:SOLUSDT"],
                         ids=["unknown-symbol", "unknown-interval", "unknown-channel"])
def test_a_subscribe_naming_a_bad_channel_is_refused_and_subscribes_nothing(server, connect,
                                                                             bad):
    user = User(server)
    control = connect(server, token=user.token)
    control.subscribe("prices:SOLUSDT")
    client = connect(server, token=user.token)
    client.send_json({"type": "subscribe", "channels": ["prices:SOLUSDT", bad, "account"]})
    msg = client.expect(what="answer to a bad subscribe")
    assert msg["type"] == "error" and msg["code"] == "validation_failed", msg
    assert bad in msg["message"], msg

    price = f"{100 + time.time_ns() % 1000}.25"
    user.post_price("SOLUSDT", price)
    control.wait_for(is_price("SOLUSDT", price), what="the control connection's price")
    got = client.messages_for(NEGATIVE_WAIT_S)
    assert got == [], f"a refused subscribe still delivered: {got}"
    assert client.ping(ts_ms=7)["ts_ms"] == 7  # refused, not disconnected


def test_unsubscribe_confirms_and_stops_the_messages(server, connect):
    user = User(server)
    control = connect(server, token=user.token)
    control.subscribe("prices:BNBUSDT")
    client = connect(server, token=user.token)
    client.subscribe("prices:BNBUSDT")
    user.post_price("BNBUSDT", "501.5")
    client.wait_for(is_price("BNBUSDT", "501.5"), what="price before unsubscribing")
    control.wait_for(is_price("BNBUSDT", "501.5"))

    client.send_json({"type": "unsubscribe", "channels": ["prices:BNBUSDT"]})
    assert client.expect(what="unsubscribed") == {"type": "unsubscribed",
                                                 "channels": ["prices:BNBUSDT"]}
    user.post_price("BNBUSDT", "502.5")
    control.wait_for(is_price("BNBUSDT", "502.5"), what="the control connection's price")
    got = client.messages_for(NEGATIVE_WAIT_S)
    assert got == [], f"messages after unsubscribing: {got}"


# ====================================================================== prices, candles


@pytest.mark.parametrize("symbol,price", [("BTCUSDT", "43251.7"), ("DOGEUSDT", "0.12345")])
def test_price_subscribers_receive_the_posted_price_as_its_exact_decimal_string(
        server, connect, symbol, price):
    user = User(server)
    client = connect(server, token=user.token)
    client.subscribe(f"prices:{symbol}")
    ts_ms = int(time.time() * 1000)
    user.post_price(symbol, price, ts_ms=ts_ms)
    msg = client.wait_for(is_price(symbol), what=f"price of {symbol}")
    assert msg == {"type": "price", "symbol": symbol, "price": price, "ts_ms": ts_ms}


def test_subscribers_of_another_symbol_do_not_receive_the_price(server, connect):
    user = User(server)
    eth = connect(server, token=user.token)
    eth.subscribe("prices:ETHUSDT")
    btc = connect(server, token=user.token)
    btc.subscribe("prices:BTCUSDT")
    user.post_price("BTCUSDT", "43000.1")
    btc.wait_for(is_price("BTCUSDT", "43000.1"), what="BTCUSDT price")
    assert eth.messages_for(NEGATIVE_WAIT_S) == []
    ts_ms = int(time.time() * 1000)
    user.post_price("ETHUSDT", "2100.01", ts_ms=ts_ms)
    assert eth.expect(what="ETHUSDT price") == {"type": "price", "symbol": "ETHUSDT",
                                                "price": "2100.01", "ts_ms": ts_ms}


def test_candle_subscribers_receive_the_current_candle(server, connect):
    user = User(server)
    client = connect(server, token=user.token)
    client.subscribe("candles:LINKUSDT:1m")
    ts_ms = int(time.time() * 1000)
    user.post_price("LINKUSDT", "18.125", ts_ms=ts_ms)
    msg = client.wait_for(lambda m: m["type"] == "candle", what="candle")
    assert set(msg) == {"type", "symbol", "interval", "candle"}, msg
    assert msg["symbol"] == "LINKUSDT" and msg["interval"] == "1m", msg
    candle = msg["candle"]
    assert set(candle) == {"open_ms", "open", "high", "low", "close", "volume", "closed"}, candle
    assert candle["open_ms"] == ts_ms - ts_ms % 60_000, (candle, ts_ms)
    assert candle["close"] == "18.125", candle
    assert candle["closed"] is False, candle
    for key in ("open", "high", "low", "close", "volume"):
        assert isinstance(candle[key], str) and DECIMAL_RE.fullmatch(candle[key]), candle
    assert Decimal(candle["low"]) <= Decimal("18.125") <= Decimal(candle["high"]), candle


def test_candle_subscribers_receive_the_closed_candle_when_the_next_interval_starts(
        server, connect):
    # ATOMUSDT is used by no other test: its candles are driven with explicit timestamps.
    user = User(server)
    client = connect(server, token=user.token)
    client.subscribe("candles:ATOMUSDT:1m")
    minute = (int(time.time() * 1000) // 60_000) * 60_000
    user.post_price("ATOMUSDT", "10.5", ts_ms=minute + 1_000)
    user.post_price("ATOMUSDT", "11.25", ts_ms=minute + 2_000)
    user.post_price("ATOMUSDT", "10.25", ts_ms=minute + 3_000)
    user.post_price("ATOMUSDT", "10.75", ts_ms=minute + 60_000 + 1)
    msg = client.wait_for(lambda m: m["type"] == "candle" and m["candle"]["closed"],
                          what="closed candle")
    assert msg["symbol"] == "ATOMUSDT" and msg["interval"] == "1m", msg
    c = msg["candle"]
    assert c["open_ms"] == minute, (c, minute)
    assert (c["open"], c["high"], c["low"], c["close"]) == ("10.5", "11.25", "10.25", "10.25"), c


def test_the_messages_of_one_price_reach_a_connection_in_one_socket_write(make_server, connect):
    # A price and its open candles are published together; the connection's pending frames go
    # out in one gathered write, not one system call each. A server of its own: no other
    # connection writes while the counters are compared.
    s = make_server(**MANUAL)
    user = User(s)
    client = connect(s, token=user.token)
    client.subscribe("prices:ADAUSDT", "candles:ADAUSDT:1m", "candles:ADAUSDT:5m")
    sent = metric_value(s, "websocket_messages_sent_total")
    writes = metric_value(s, "websocket_socket_writes_total")
    user.post_price("ADAUSDT", "0.4567")
    got = [client.expect(what=f"message {i + 1} of 3") for i in range(3)]
    assert sorted(m["type"] for m in got) == ["candle", "candle", "price"], got
    assert metric_value(s, "websocket_messages_sent_total") - sent == 3
    assert metric_value(s, "websocket_socket_writes_total") - writes == 1


def test_client_pings_are_answered_in_turn_while_prices_stream(server, connect):
    # Pongs are written by the same writer as the messages: every frame arrives whole.
    user = User(server)
    client = connect(server, token=user.token)
    client.subscribe("prices:AVAXUSDT")
    for i in range(20):
        user.post_price("AVAXUSDT", f"35.{i + 10}")
        if i % 5 == 0:
            client.ws.ping(f"p{i}")
    prices, pongs = [], []
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and (len(pongs) < 4 or "35.29" not in prices):
        kind, payload = client.frame(deadline - time.monotonic())
        if kind == "text":
            msg = json.loads(payload)
            assert msg["type"] == "price" and msg["symbol"] == "AVAXUSDT", msg
            prices.append(msg["price"])
        elif kind == "pong":
            pongs.append(payload.decode())
        else:
            assert kind in ("ping", "timeout"), (kind, payload)
    assert pongs == ["p0", "p5", "p10", "p15"], pongs
    # A reader that keeps up may still see an older queued price replaced by a newer one,
    # never out of order.
    assert prices and prices[-1] == "35.29", prices
    assert prices == sorted(prices, key=Decimal), prices


# ====================================================================== account events


def collect_until(client, needed, timeout=5.0):
    """Reads messages until, for every entry of `needed` (a message type, or a (name,
    predicate) pair), some message matches; returns every message read."""
    conditions = [(n, lambda m, t=n: m["type"] == t) if isinstance(n, str) else n
                  for n in needed]
    deadline = time.monotonic() + timeout
    seen = []

    def missing():
        return [name for name, pred in conditions if not any(pred(m) for m in seen)]

    while time.monotonic() < deadline and missing():
        msg = client.next_message(deadline - time.monotonic())
        if msg is None:
            break
        seen.append(msg)
    assert not missing(), f"never received {missing()}; got {seen}"
    return seen


def last_of(messages, type_):
    return [m for m in messages if m["type"] == type_][-1]


def test_account_subscriber_receives_order_position_and_account_events_for_its_market_order(
        server, connect):
    user = User(server)
    user.post_price("ETHUSDT", "2000")
    client = connect(server, token=user.token)
    client.subscribe("account")
    r = user.req("POST", "/api/orders", dict(symbol="ETHUSDT", side="buy", type="market",
                                            quantity="1", leverage=5))
    assert r.status == 201, r.body
    seen = collect_until(client, ["order", "position", "account"])

    order = last_of(seen, "order")
    assert set(order) == {"type", "order"}, order
    assert order["order"]["id"] == r.json["id"], (order, r.json)
    assert order["order"]["status"] == "filled" and order["order"]["symbol"] == "ETHUSDT", order

    position = last_of(seen, "position")["position"]
    assert position["symbol"] == "ETHUSDT" and position["side"] == "long", position
    assert position["quantity"] == "1" and position["entry_price"] == "2000", position

    account = last_of(seen, "account")["account"]
    assert isinstance(account["balance"], str) and DECIMAL_RE.fullmatch(account["balance"]), \
        account
    assert Decimal(account["balance"]) == Decimal("10000") - Decimal("0.8")  # taker 0.04% of 2000
    assert account["balance"] == user.account_view()["balance"]


def test_closing_a_position_sends_a_trade_and_a_closed_position_event(server, connect):
    user = User(server)
    user.post_price("XRPUSDT", "0.6")
    r = user.req("POST", "/api/orders", dict(symbol="XRPUSDT", side="sell", type="market",
                                            quantity="100"))
    assert r.status == 201, r.body
    client = connect(server, token=user.token)
    client.subscribe("account")
    user.post_price("XRPUSDT", "0.5")
    r = user.req("POST", "/api/positions/XRPUSDT/close", {})
    assert r.status == 200, r.body
    seen = collect_until(client, ["trade", ("position closed:true", lambda m: (
        m["type"] == "position" and m["position"].get("closed") is True))])

    trade = last_of(seen, "trade")["trade"]
    assert trade["id"] == r.json["id"], (trade, r.json)
    assert trade["symbol"] == "XRPUSDT" and trade["close_reason"] == "manual", trade
    assert Decimal(trade["realized_pnl"]) == Decimal("10"), trade  # (0.6 - 0.5) * 100
    closed = [m["position"] for m in seen
              if m["type"] == "position" and m["position"].get("closed") is True]
    assert closed[-1]["symbol"] == "XRPUSDT", closed


def test_account_events_go_only_to_the_user_they_belong_to(server, connect):
    alice, bob = User(server), User(server)
    alice.post_price("LTCUSDT", "80")
    a = connect(server, token=alice.token)
    a.subscribe("account")
    b = connect(server, token=bob.token)
    b.subscribe("account")

    r = alice.req("POST", "/api/orders", dict(symbol="LTCUSDT", side="buy", type="market",
                                             quantity="1"))
    assert r.status == 201, r.body
    a.wait_for(lambda m: m["type"] == "order" and m["order"]["id"] == r.json["id"],
               what="alice's order event")
    leaked = b.messages_for(NEGATIVE_WAIT_S)
    assert leaked == [], f"bob received alice's events: {leaked}"

    # Bob's subscription works: his own order reaches him (and not alice).
    r = bob.req("POST", "/api/orders", dict(symbol="LTCUSDT", side="sell", type="market",
                                           quantity="1"))
    assert r.status == 201, r.body
    b.wait_for(lambda m: m["type"] == "order" and m["order"]["id"] == r.json["id"],
               what="bob's own order event")
    leaked = [m for m in a.messages_for(0.5) if m["type"] == "order"]
    assert all(m["order"]["id"] != r.json["id"] for m in leaked), leaked


# ====================================================================== ping, keepalive


def test_ping_message_is_answered_with_a_pong_echoing_ts_ms(server, connect):
    user = User(server)
    client = connect(server, token=user.token)
    client.send_json({"type": "ping", "ts_ms": 123})
    assert client.expect(what="pong") == {"type": "pong", "ts_ms": 123}


def test_server_sends_ping_frames_at_the_configured_interval(keepalive_server, connect):
    assert keepalive_server.config["server"]["ws_ping_interval_seconds"] == 1
    user = User(keepalive_server)
    client = connect(keepalive_server, token=user.token, auto_pong=True)
    deadline = time.monotonic() + 3.0
    kinds = []
    while time.monotonic() < deadline:
        kind, _ = client.frame(deadline - time.monotonic())
        kinds.append(kind)
        if kind in ("ping", "close", "eof"):
            break
    assert "ping" in kinds, f"no ping frame within 3 s; frames: {kinds}"


def test_a_client_that_never_answers_pings_is_closed_as_idle_with_1001(keepalive_server,
                                                                       connect):
    user = User(keepalive_server)
    started = time.monotonic()
    client = connect(keepalive_server, token=user.token, auto_pong=False)
    code, seen = client.wait_close(6.0)
    elapsed = time.monotonic() - started
    assert code == CLOSE_GOING_AWAY, (code, seen, f"after {elapsed:.2f} s")
    assert elapsed >= 1.5, f"closed after {elapsed:.2f} s, idle timeout is 2 s"
    assert client.pings >= 1, "the server closed without pinging first"


def test_a_client_that_answers_pings_stays_open_past_the_idle_timeout(keepalive_server, connect):
    # websocket pongs are client frames: they count as activity.
    user = User(keepalive_server)
    client = connect(keepalive_server, token=user.token, auto_pong=True)
    deadline = time.monotonic() + 3.5  # idle timeout 2 s, pings every 1 s
    while time.monotonic() < deadline:
        kind, payload = client.frame(deadline - time.monotonic())
        assert kind in ("ping", "timeout"), (kind, payload, client.close_code)
    assert client.pings >= 2, client.pings
    assert client.ping(ts_ms=9)["ts_ms"] == 9


# ====================================================================== rate limit


def test_more_client_messages_per_minute_than_allowed_get_rate_limited_then_close_1008(
        limited_server, connect):
    assert limited_server.config["server"]["ws_messages_per_minute"] == 5
    user = User(limited_server)
    client = connect(limited_server, token=user.token)
    for i in range(6):
        client.send_json({"type": "ping", "ts_ms": i})
    answers = [client.expect(what=f"answer {i}") for i in range(6)]
    assert answers[:5] == [{"type": "pong", "ts_ms": i} for i in range(5)], answers
    assert answers[5]["type"] == "error" and answers[5]["code"] == "rate_limited", answers
    code, later = client.wait_close(5.0)
    assert code == CLOSE_POLICY, (code, later)


# ====================================================================== malformed input


@pytest.fixture
def bystander(server, connect):
    """(user, client) subscribed to prices:TRXUSDT, to show others are unaffected."""
    user = User(server)
    client = connect(server, token=user.token)
    client.subscribe("prices:TRXUSDT")
    return user, client


def price_nonce():
    """A TRXUSDT price (at most 8 fractional digits) unlikely to repeat."""
    return f"0.{time.time_ns() // 1000 % 10**6:06d}1"


def test_non_json_text_gets_bad_request_and_the_connection_stays_open(server, connect,
                                                                      bystander):
    user = User(server)
    client = connect(server, token=user.token)
    client.send_text("this is {not json")
    msg = client.expect(what="error for non-JSON")
    assert msg["type"] == "error" and msg["code"] == "bad_request", msg
    assert client.ping(ts_ms=11) == {"type": "pong", "ts_ms": 11}
    assert_still_receives_prices(bystander[0], bystander[1], "TRXUSDT", price_nonce())


def test_unknown_message_type_gets_validation_failed(server, connect, bystander):
    user = User(server)
    client = connect(server, token=user.token)
    client.send_json({"type": "teleport"})
    msg = client.expect(what="error for an unknown type")
    assert msg["type"] == "error" and msg["code"] == "validation_failed", msg
    assert client.ping(ts_ms=12) == {"type": "pong", "ts_ms": 12}
    assert_still_receives_prices(bystander[0], bystander[1], "TRXUSDT", price_nonce())


def test_unknown_field_gets_validation_failed(server, connect, bystander):
    user = User(server)
    client = connect(server, token=user.token)
    client.send_json({"type": "ping", "ts_ms": 1, "extra": True})
    msg = client.expect(what="error for an unknown field")
    assert msg["type"] == "error" and msg["code"] == "validation_failed", msg
    assert "extra" in msg["message"], msg
    assert client.ping(ts_ms=13) == {"type": "pong", "ts_ms": 13}
    assert_still_receives_prices(bystander[0], bystander[1], "TRXUSDT", price_nonce())


def test_a_binary_frame_gets_an_error_then_close_1003(server, connect, bystander):
    user = User(server)
    client = connect(server, token=user.token)
    client.send_binary(b'{"type":"ping","ts_ms":1}')
    msg = client.expect(what="error for a binary frame")
    assert msg["type"] == "error" and msg["code"] == "bad_request", msg
    code, later = client.wait_close(5.0)
    assert code == CLOSE_UNSUPPORTED_DATA, (code, later)
    assert_still_receives_prices(bystander[0], bystander[1], "TRXUSDT", price_nonce())


def padded_ping(size, ts_ms):
    text = json.dumps({"type": "ping", "ts_ms": ts_ms})
    text = text[:-1] + " " * (size - len(text)) + "}"
    assert len(text.encode("utf-8")) == size
    return text


def test_a_text_frame_of_exactly_4096_bytes_is_accepted(server, connect):
    user = User(server)
    client = connect(server, token=user.token)
    client.send_text(padded_ping(4096, 14))
    assert client.expect(what="pong for a 4096-byte message") == {"type": "pong", "ts_ms": 14}


def test_a_text_frame_over_4096_bytes_is_closed_with_1009(server, connect, bystander):
    user = User(server)
    client = connect(server, token=user.token)
    client.send_text(padded_ping(4097, 15))
    code, later = client.wait_close(5.0)
    assert code == CLOSE_TOO_BIG, (code, later)
    assert not any(m["type"] == "pong" for m in later), later
    assert_still_receives_prices(bystander[0], bystander[1], "TRXUSDT", price_nonce())


def test_get_ws_without_upgrade_headers_is_400_with_the_error_json(server):
    assert_error(server.get("/ws"), 400, "bad_request")


# ====================================================================== drain


def test_sigterm_closes_open_websockets_with_1012(make_server, connect):
    s = make_server(**with_ws(drain_grace_seconds=1))
    user = User(s)
    client = connect(s, token=user.token)
    client.subscribe("prices:BTCUSDT")
    s.send_signal(signal.SIGTERM)
    code, seen = client.wait_close(6.0)
    assert code == CLOSE_SERVICE_RESTART, (code, seen)
    assert s.wait(10.0) == 0, "the server did not exit cleanly after closing its WebSockets"


def test_upgrades_during_the_drain_are_refused_with_503(make_server, connect):
    s = make_server(**with_ws(drain_grace_seconds=1))
    user = User(s)
    s.send_signal(signal.SIGTERM)
    assert poll(lambda: s.get("/health", timeout=2.0).status, 503, timeout=0.9) == 503, \
        "the server did not start draining"
    status, _hdrs, body, sock = raw_upgrade(s, headers=[f"Authorization: Bearer {user.token}"])
    sock.close()
    assert status == 503, (status, body[:300])
    assert body_json(body)["error"]["code"] == "unavailable", body


# ====================================================================== slow consumer


def test_a_client_that_stops_reading_is_closed_while_others_keep_receiving_prices(
        make_server, connect, symbols):
    s = make_server(**with_ws(ws_send_queue_messages=8))
    user = User(s)
    # The slow client: a 4 KiB receive buffer and it never reads. It follows every symbol's
    # price and candles (100 channels) so each price costs it ~1 KB and many coalescing keys.
    slow = connect(s, token=user.token,
                   sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    channels = [f"prices:{x}" for x in symbols]
    channels += [f"candles:{x}:{i}" for x in symbols for i in ("1m", "5m", "15m", "1h")]
    channels = channels[:100]
    for k in range(0, len(channels), 25):
        slow.subscribe(*channels[k:k + 25])

    good = connect(s, token=user.token)
    good.subscribe("prices:BTCUSDT")
    received = []  # (monotonic time, price) seen by the good client
    stop = threading.Event()

    def read_good():
        while not stop.is_set() and not good.closed:
            msg = good.next_message(0.2)
            if msg is not None and msg["type"] == "price":
                received.append((time.monotonic(), msg["price"]))

    reader = threading.Thread(target=read_good, daemon=True)
    reader.start()
    conn = s.connection(timeout=5.0)
    headers = dict(user.headers, **{"Content-Type": "application/json"})
    started = time.monotonic()
    posted_btc = []
    slow_closes = 0.0
    n = 0
    try:
        while time.monotonic() - started < 15.0:
            symbol = symbols[n % len(symbols)]
            price = f"{100 + n % 977}.5"
            conn.request("POST", "/api/market/prices",
                         body=json.dumps({"symbol": symbol, "price": price}), headers=headers)
            resp = conn.getresponse()
            resp.read()
            assert resp.status == 204, resp.status
            if symbol == "BTCUSDT":
                posted_btc.append((time.monotonic(), price))
            n += 1
            if n % 200 == 0:
                slow_closes = metric_value(s, "websocket_slow_closes_total")
                if slow_closes >= 1:
                    break
        elapsed = time.monotonic() - started
        assert slow_closes >= 1, f"no slow close after {n} prices in {elapsed:.1f} s"
        # The good client is still served, after the slow close too.
        final = "99999.9"
        conn.request("POST", "/api/market/prices",
                     body=json.dumps({"symbol": "BTCUSDT", "price": final}), headers=headers)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 204
        deadline = time.monotonic() + 3.0
        while time.monotonic() < deadline and (not received or received[-1][1] != final):
            time.sleep(0.02)
    finally:
        conn.close()
        stop.set()
        reader.join(timeout=3.0)
    assert received and received[-1][1] == final, \
        f"good client: {len(received)} prices, last {received[-1:]}; posted {len(posted_btc)}"
    # Coalescing may legitimately drop some if the good client lags; losing most would not be.
    got = {p for _t, p in received}
    flood = [p for _t, p in posted_btc]
    delivered = sum(p in got for p in flood)
    assert delivered >= len(flood) // 2, \
        f"good client got {delivered} of {len(flood)} BTCUSDT prices posted during the flood"
    assert flood[-1] in got, "the last BTCUSDT price before the slow close never arrived"
    assert good.ping(ts_ms=16)["ts_ms"] == 16

    # The slow client, reading at last, finds its queue's remains and then close 1008.
    code, seen = slow.wait_close(10.0)
    assert code == CLOSE_POLICY, (code, len(seen))
    assert metric_value(s, "websocket_slow_closes_total") >= 1


def test_a_stalled_client_whose_queue_overflows_is_disconnected_within_the_stall_timeout(
        make_server, connect, symbols):
    s = make_server(**with_ws(ws_send_queue_messages=8))
    user = User(s)
    slow = connect(s, token=user.token,
                   sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    slow.subscribe("prices:BTCUSDT", *[f"candles:BTCUSDT:{i}" for i in ("1m", "5m", "15m", "1h")])
    conn = s.connection(timeout=5.0)
    headers = dict(user.headers, **{"Content-Type": "application/json"})

    def post(symbol, price):
        conn.request("POST", "/api/market/prices",
                     body=json.dumps({"symbol": symbol, "price": price}), headers=headers)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 204, resp.status

    try:
        # 1. Fill the TCP buffers (~1 KB per price, several MB in 4 s): the server's write to
        #    this client blocks. With 5 channels the queue (8) coalesces and never overflows.
        started = time.monotonic()
        n = 0
        while time.monotonic() - started < 4.0:
            post("BTCUSDT", f"{100 + n % 977}.5")
            n += 1
        assert metric_value(s, "websocket_slow_closes_total") == 0, \
            "a client with fewer channels than queue slots was closed (coalescing should apply)"

        # 2. More channels: the queue overflows while the write is still blocked.
        others = [x for x in symbols if x != "BTCUSDT"]
        channels = [f"prices:{x}" for x in others]
        channels += [f"candles:{x}:{i}" for x in others for i in ("1m", "5m", "15m", "1h")]
        for k in range(0, len(channels), 25):
            slow.send_json({"type": "subscribe", "channels": channels[k:k + 25]})
        time.sleep(0.2)
        for x in others:
            post(x, "55.5")
        assert poll(lambda: metric_value(s, "websocket_slow_closes_total") >= 1, True, 3.0), \
            "no slow close after the queue overflowed"
        overflowed = time.monotonic()

        # 3. Prices keep flowing; the client never reads. The server must let go of it within
        #    the stall timeout (10 s) even though its close frame can never be written.
        deadline = overflowed + 14.0
        count = ws_connections(s)
        i = 0
        while count != 0 and time.monotonic() < deadline:
            post("BTCUSDT", f"{300 + i % 100}.5")
            i += 1
            time.sleep(0.5)
            count = ws_connections(s)
    finally:
        conn.close()
    assert count == 0, (f"the stalled, overflowed connection is still open "
                        f"{time.monotonic() - overflowed:.1f} s after its slow close "
                        f"(/health ws_connections = {count})")


# ====================================================================== capacity


def test_health_counts_open_websocket_connections(make_server, connect):
    s = make_server(**MANUAL)
    user = User(s)
    assert ws_connections(s) == 0
    clients = [connect(s, token=user.token) for _ in range(3)]
    assert poll(lambda: ws_connections(s), 3) == 3
    for c in clients[:2]:
        c.ws.close(timeout=2)
    assert poll(lambda: ws_connections(s), 1) == 1
    clients[2].close()  # abrupt: no close handshake
    assert poll(lambda: ws_connections(s), 0) == 0


def test_metrics_websocket_connections_active_counts_open_connections(make_server, connect):
    s = make_server(**MANUAL)
    user = User(s)
    clients = [connect(s, token=user.token) for _ in range(2)]
    assert poll(lambda: metric_value(s, "websocket_connections_active"), 2.0) == 2.0
    for c in clients:
        c.ws.close(timeout=2)
    assert poll(lambda: metric_value(s, "websocket_connections_active"), 0.0) == 0.0
