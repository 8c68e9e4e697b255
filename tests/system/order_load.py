"""An order load for failure tests: traders placing market orders while the database fails over,
and the checks that every answer kept the contract and no acknowledged order was lost."""

import http.client
import subprocess
import threading
import time

from conftest import assert_error, auth_headers, new_session, wait_until

LOAD_LIMIT_S = 90  # the load stops by then whatever happens


class Trader:
    """A user. Requests go to routes[via] (instances, or a balancer in front of them); manual
    prices are set on each of `instances` (each instance keeps its own)."""

    def __init__(self, routes, instances):
        self.routes = routes
        self.instances = instances
        self.account, tokens = new_session(routes[0])
        self.headers = auth_headers(tokens.access_token)

    def req(self, method, path, json=None, via=0):
        route = self.routes[via]
        if json is None:
            return route.request(method, path, headers=self.headers, timeout=30.0)
        return route.request(method, path, json=json, headers=self.headers, timeout=30.0)

    def price(self, symbol, price):
        """The answers of the instances to the price."""
        return [i.request("POST", "/api/market/prices", json={"symbol": symbol, "price": price},
                          headers=self.headers, timeout=30.0) for i in self.instances]

    def book(self, via):
        """Balance and positions, as /api/account and /api/positions show them."""
        account = self.req("GET", "/api/account", via=via)
        positions = self.req("GET", "/api/positions", via=via)
        assert account.status == 200 and positions.status == 200, (account.body, positions.body)
        return (account.json["balance"],
                sorted((p["symbol"], p["side"], p["quantity"], p["entry_price"])
                       for p in positions.json["positions"]))

    def holds(self, symbol, via=0):
        r = self.req("GET", "/api/positions", via=via)
        assert r.status == 200, r.body
        return any(p["symbol"] == symbol for p in r.json["positions"])

    def close_reasons(self, symbol):
        r = self.req("GET", f"/api/trades?symbol={symbol}")
        assert r.status == 200, r.body
        return [t["close_reason"] for t in r.json["items"]]


def eth_order(client_id):
    """The market order of a client_order_id "t<trader>-<n>": buys and sells in turn."""
    n = int(client_id.rpartition("-")[2])
    return {"symbol": "ETHUSDT", "side": "buy" if n % 2 else "sell", "type": "market",
            "quantity": "0.1", "client_order_id": client_id}


def open_guarded_long(trader):
    """A BTCUSDT long at 50,000 with its stop loss at 49,000."""
    assert all(r.status == 204 for r in trader.price("BTCUSDT", "50000"))
    assert all(r.status == 204 for r in trader.price("ETHUSDT", "2000"))
    r = trader.req("POST", "/api/orders",
                   {"symbol": "BTCUSDT", "side": "buy", "type": "market", "quantity": "0.1",
                    "leverage": 10, "stop_loss": "49000"})
    assert r.status == 201, r.body


class OrderLoad:
    """Each trader places orders one after the other, from a thread of its own, through the
    routes in `vias` in turn, until stop(). Answers are (trader, time, status, response,
    client_order_id); status None when the request itself failed."""

    def __init__(self, traders, vias=(0,)):
        self.traders = traders
        self.vias = vias
        self.answers = []
        self.sent = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._place, args=(i,))
                         for i in range(len(traders))]

    def __enter__(self):
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_):
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=LOAD_LIMIT_S + 40)

    def _place(self, index):
        deadline = time.monotonic() + LOAD_LIMIT_S
        n = 0
        while not self._stop.is_set() and time.monotonic() < deadline:
            n += 1
            client_id = f"t{index}-{n}"
            with self._lock:
                self.sent.add(client_id)
            try:
                r = self.traders[index].req("POST", "/api/orders", eth_order(client_id),
                                            via=self.vias[n % len(self.vias)])
                status = r.status
            except (OSError, http.client.HTTPException) as e:
                r, status = repr(e), None
            with self._lock:
                self.answers.append((index, time.monotonic(), status, r, client_id))
            if status != 201:
                time.sleep(0.05)

    def snapshot(self):
        with self._lock:
            return list(self.answers)

    def wait_acknowledged_after(self, moment, timeout):
        """The time of the first order acknowledged after `moment`, waiting up to timeout."""
        def first():
            return min((at for _, at, status, _, _ in self.snapshot()
                        if status == 201 and at > moment), default=None)
        return wait_until(first, timeout=timeout)

    def check(self, failed_at, stored_ids, stored_client_ids):
        """Every answer was an acknowledgement or the contract's 503 `unavailable`; orders were
        acknowledged before `failed_at` and refused after it; every acknowledged order is
        stored, and nothing stored was never sent. The refused: [(trader, client_order_id)]."""
        answers = self.snapshot()
        assert all(status is not None for _, _, status, _, _ in answers), \
            [r for _, _, status, r, _ in answers if status is None][:3]
        refused = [(i, r, client_id) for i, _, status, r, client_id in answers if status != 201]
        assert all(at > failed_at for _, at, status, _, _ in answers if status != 201)
        for _, r, _ in refused:
            assert_error(r, 503, "unavailable")
            # The cause (servers, ports, statements) is the operator's, not the client's.
            assert "127.0.0.1" not in r.json["error"]["message"], r.json
        assert refused, "orders placed while no primary accepted writes must be refused"
        assert any(at < failed_at and status == 201 for _, at, status, _, _ in answers)
        acknowledged = {r.json["id"] for _, _, status, r, _ in answers if status == 201}
        assert acknowledged <= stored_ids, f"{len(acknowledged - stored_ids)} acknowledged lost"
        assert stored_client_ids <= self.sent
        return [(i, client_id) for i, _, client_id in refused]

    def resend(self, refused, stored_client_ids, via=0):
        """A refused order may or may not have been stored, as its answer says: sent again with
        its client_order_id, it comes back (200) if it was, and is placed now (201) if not."""
        for i, client_id in refused:
            again = self.traders[i].req("POST", "/api/orders", eth_order(client_id), via=via)
            assert again.status == (200 if client_id in stored_client_ids else 201), again.body


def psql_column(url, sql):
    done = subprocess.run(["psql", "-X", "-tA", url, "-c", sql], capture_output=True, text=True,
                          timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def stored_orders(url):
    """(ids, client_order_ids) of every order stored at url; each client_order_id once."""
    ids = set(psql_column(url, "SELECT id FROM orders"))
    clients = psql_column(url, "SELECT client_order_id FROM orders "
                               "WHERE client_order_id IS NOT NULL")
    assert len(clients) == len(set(clients))
    return ids, set(clients)
