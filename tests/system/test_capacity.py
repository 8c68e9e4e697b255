"""GET /api/capacity/current and /api/capacity/forecast: the capacity model on one instance,
with limits and per-user costs set in the configuration so every figure can be checked."""

import os

import pytest
import websocket

from conftest import HOST, assert_error, new_session

MIB = 1024 * 1024
CORES = os.cpu_count()
CAPACITY = {
    "http_requests_per_second": 500,
    "memory_limit_mb": 1024,
    "baseline_memory_mb": 64,
    "memory_per_user_kb": 16,
    "cpu_us_per_user": 1000,
    "requests_per_user_hour": 36,
    "db_queries_per_user_minute": 6,
}


@pytest.fixture(scope="module")
def server(module_make_server):
    return module_make_server(server={"max_connections": 1000}, capacity=CAPACITY)


def test_current_reports_each_resource_against_its_limit_and_the_formulas_users(server):
    _, tokens = new_session(server)
    ws = websocket.create_connection(f"ws://{HOST}:{server.port}/ws?token={tokens.access_token}",
                                     timeout=5)
    try:
        body = server.get("/api/capacity/current").json
    finally:
        ws.close()
    assert set(body) == {"instance", "ts_ms", "resources", "limiting_resource", "users_served",
                         "max_users", "max_users_by", "instances", "recommendation"}
    assert body["instance"] == server.get("/health").json["instance"]
    res = body["resources"]
    assert set(res) == {"ws_connections", "http_rate", "cpu", "memory", "db_connections"}
    assert res["ws_connections"]["used"] == 1 and res["ws_connections"]["limit"] == 1000
    assert res["ws_connections"]["utilization"] == pytest.approx(0.001)
    assert res["memory"]["limit"] == 1024 * MIB
    assert 0 < res["memory"]["used"] < 1024 * MIB
    assert res["memory"]["utilization"] == pytest.approx(res["memory"]["used"] / (1024 * MIB))
    assert res["http_rate"]["limit"] == 500
    assert res["cpu"]["limit"] == 100
    assert res["db_connections"]["limit"] >= 1
    assert body["limiting_resource"] in res
    assert body["users_served"] == 1
    # The capacity formula: the fewest users any resource allows.
    by = body["max_users_by"]
    assert by == {"ws_connections": 1000, "http_rate": 50_000, "cpu": CORES * 1000,
                  "memory": (1024 - 64) * 1024 // 16}
    assert body["max_users"] == min(by.values())
    assert body["instances"] == 1
    # Just started: the policy has not seen the five minutes it needs.
    assert body["recommendation"]["action"] == "hold"
    assert "observed" in body["recommendation"]["reason"]


def test_forecast_sizes_the_cluster_and_prices_it(server):
    r = server.get("/api/capacity/forecast?users=25000&horizon_days=60")
    assert r.status == 200, r.body
    f = r.json
    # At the policy's scale-up thresholds an instance serves 800 users (80% of 1,000
    # connections); CPU would allow 700 per core.
    per_instance = min(800, CORES * 700)
    instances = -(-25_000 // per_instance)
    assert f["users_per_instance"] == per_instance
    assert f["instances"] == instances
    assert f["memory_bytes"] == instances * 64 * MIB + 25_000 * 16 * 1024
    assert f["db_queries_per_s"] == pytest.approx(2500)
    assert f["db_connections"] % instances == 0
    assert f["monthly_cost_usd"] == str(instances * 50 + 620)
    assert float(f["cost_per_1000_users_usd"]) == pytest.approx((instances * 50 + 620) / 25)
    # More than scaling.max_instances (10): the recommendation says so.
    assert f["recommendation"]["action"] == "scale_up"
    assert "max_instances" in f["recommendation"]["reason"]
    small = server.get("/api/capacity/forecast?users=100").json
    assert small["horizon_days"] == 30
    assert small["instances"] == 2  # scaling.min_instances
    assert small["recommendation"]["action"] == "scale_up"  # one instance runs here
    assert "add 1 within 30 days" in small["recommendation"]["reason"]


@pytest.mark.parametrize("query,field", [
    ("", "users"),
    ("?users=0", "users"),
    ("?users=ten", "users"),
    ("?users=1000000001", "users"),
    ("?users=10&horizon_days=0", "horizon_days"),
    ("?users=10&horizon_days=3651", "horizon_days"),
    ("?users=10&horizon_days=1.5", "horizon_days"),
])
def test_forecast_refuses_a_bad_query_with_the_field(server, query, field):
    assert_error(server.get("/api/capacity/forecast" + query), 422, "validation_failed", field)
