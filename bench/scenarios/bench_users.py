#!/usr/bin/env python3
"""Benchmark users for the scenario scripts: registers and logs in N users through a Bot Core
address, writes their access tokens (one per line), and optionally sets a BTCUSDT price on
each instance, visits every user once (so a balancer's affinity spreads them) and gives every
user closed trades.

  bench_users.py --port P --users N --tokens FILE [--prefix bench] [--price-port P ...]
                 [--visit] [--trades K]
"""

import argparse
import http.client
import json


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--tokens", required=True)
    parser.add_argument("--prefix", default="bench")
    parser.add_argument("--price-port", type=int, action="append", default=[])
    parser.add_argument("--visit", action="store_true")
    parser.add_argument("--trades", type=int, default=0)
    args = parser.parse_args()

    def call(port, method, url, body=None, token=None):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = "Bearer " + token
        connection.request(method, url, json.dumps(body) if body is not None else None, headers)
        response = connection.getresponse()
        return response.status, response.read()

    tokens = []
    for i in range(args.users):
        credentials = {"email": f"{args.prefix}{i}@example.com", "password": "benchmark password"}
        call(args.port, "POST", "/api/auth/register", credentials)
        status, body = call(args.port, "POST", "/api/auth/login", credentials)
        assert status == 200, body
        tokens.append(json.loads(body)["access_token"])
    # Users arriving one by one, as they would over time: least connections spreads them.
    if args.visit:
        for token in tokens:
            status, _ = call(args.port, "GET", "/api/auth/me", token=token)
            assert status == 200, status
    for port in args.price_port:
        status, _ = call(port, "POST", "/api/market/prices",
                         {"symbol": "BTCUSDT", "price": "65000"}, tokens[0])
        assert status == 204, status
    order = {"symbol": "BTCUSDT", "side": "buy", "type": "market", "quantity": "0.002",
             "leverage": 10}
    for token in tokens:
        for _ in range(args.trades):
            status, body = call(args.port, "POST", "/api/orders", order, token)
            assert status == 201, body
            status, body = call(args.port, "POST", "/api/positions/BTCUSDT/close", {}, token)
            assert status == 200, body
    with open(args.tokens, "w") as out:
        out.write("\n".join(tokens) + "\n")


if __name__ == "__main__":
    main()
