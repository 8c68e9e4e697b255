"""Operations endpoints: /health, /metrics, request ids, logs, readiness."""

import json
import os
import re
import subprocess
import time
import uuid

import pytest

from conftest import BOTCORE_BIN, HOST, auth_headers, new_session, require_binary

HEALTH_KEYS = {"status", "instance", "version", "uptime_s", "checks", "capacity"}
CAPACITY_KEYS = {"ws_connections", "ws_limit", "http_in_flight", "cpu_percent",
                 "memory_bytes", "utilization"}
PROMTOOL = "/usr/bin/promtool"


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


# A Prometheus text-format sample line: name{labels} value [timestamp]
SAMPLE_RE = re.compile(
    r'^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)(?:\s+-?\d+)?$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """[(name, {label: value}, float value)] for every sample line."""
    samples = []
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = SAMPLE_RE.match(line)
        assert m, f"not a Prometheus sample line: {line!r}"
        labels = dict(LABEL_RE.findall(m.group("labels") or ""))
        samples.append((m.group("name"), labels, float(m.group("value"))))
    return samples


def metric_samples(samples, name, **labels):
    return [(l, v) for n, l, v in samples
            if n == name and all(l.get(k) == want for k, want in labels.items())]


def get_metrics(server):
    r = server.get("/metrics")
    assert r.status == 200, r
    return r, parse_metrics(r.body.decode("utf-8"))


# ------------------------------------------------------------------------- readiness


def test_readiness_line_names_the_listen_address(server):
    wanted = f"listening on http://{HOST}:{server.port}"
    assert wanted in [line.strip() for line in server.stdout_lines()]


def test_health_answers_200_within_5_seconds_of_start(make_server):
    s = make_server()
    s.wait_healthy(timeout=5.0)
    assert time.monotonic() - s.started_at <= 5.0


# ---------------------------------------------------------------------------- health


def test_health_is_200_with_status_ok(server):
    r = server.get("/health")
    assert r.status == 200
    assert r.headers.get("content-type", "").startswith("application/json")
    assert r.json["status"] == "ok"


def test_health_has_exactly_the_documented_top_level_keys(server):
    body = server.get("/health").json
    assert set(body) == HEALTH_KEYS, body


def test_health_identity_fields_have_the_documented_types(server):
    body = server.get("/health").json
    assert isinstance(body["instance"], str) and body["instance"]
    assert isinstance(body["version"], str) and body["version"]
    assert is_int(body["uptime_s"]) and body["uptime_s"] >= 0


def test_health_checks_report_store_and_feed_ok_and_optional_services_disabled(server):
    body = server.get("/health").json
    # The default feed is the simulator, ticking every second.
    assert body["checks"] == {"store": "ok", "cache": "disabled", "bus": "disabled", "feed": "ok"}


def test_health_reports_a_manual_feed(make_server):
    body = make_server(market={"source": "manual"}).get("/health").json
    assert body["checks"]["feed"] == "manual"


def test_health_capacity_has_the_documented_keys_and_types(server):
    cap = server.get("/health").json["capacity"]
    assert set(cap) == CAPACITY_KEYS, cap
    for key in ("ws_connections", "ws_limit", "http_in_flight", "memory_bytes"):
        assert is_int(cap[key]) and cap[key] >= 0, (key, cap)
    assert is_number(cap["cpu_percent"]) and cap["cpu_percent"] >= 0, cap
    assert is_number(cap["utilization"]) and 0.0 <= cap["utilization"] <= 1.0, cap
    assert cap["ws_connections"] == 0
    assert cap["ws_limit"] > 0
    assert cap["memory_bytes"] > 0


def test_health_version_matches_the_version_command(server):
    require_binary()
    out = subprocess.run([BOTCORE_BIN, "version"], capture_output=True, text=True, timeout=10)
    assert out.returncode == 0
    cli_version = out.stdout.strip().split(" ", 1)[1]
    assert server.get("/health").json["version"] == cli_version


def test_health_uptime_does_not_go_backwards(server):
    first = server.get("/health").json["uptime_s"]
    second = server.get("/health").json["uptime_s"]
    assert second >= first


# --------------------------------------------------------------------------- metrics


def test_metrics_is_prometheus_text_format_0_0_4(server):
    r = server.get("/metrics")
    assert r.status == 200
    ctype = r.headers.get("content-type", "")
    assert ctype.startswith("text/plain"), ctype
    assert "version=0.0.4" in ctype, ctype


@pytest.mark.parametrize("name", [
    "websocket_connections_active",
    "http_requests_in_flight",
    "http_requests_total",
    "http_request_duration_seconds_bucket",
    "http_request_duration_seconds_sum",
    "http_request_duration_seconds_count",
    "memory_usage_bytes",
    "cpu_usage_percent",
    "database_size_bytes",
    "database_connections_active",
    "autoscaling_instances_added_total",
    "autoscaling_instances_removed_total",
])
def test_metrics_expose_the_documented_metric(server, name):
    server.get("/health")
    _, samples = get_metrics(server)
    assert any(n == name for n, _, _ in samples), f"no sample of {name}"


def test_metrics_count_health_requests_by_route_and_code(server):
    assert server.get("/health").status == 200
    _, samples = get_metrics(server)
    found = metric_samples(samples, "http_requests_total", route="/health", code="200")
    assert found, [s for s in samples if s[0] == "http_requests_total"]
    assert sum(v for _, v in found) >= 1


def test_metrics_request_counter_grows_with_requests(server):
    _, before = get_metrics(server)
    n0 = sum(v for _, v in metric_samples(before, "http_requests_total", route="/health",
                                          code="200"))
    for _ in range(3):
        assert server.get("/health").status == 200
    _, after = get_metrics(server)
    n1 = sum(v for _, v in metric_samples(after, "http_requests_total", route="/health",
                                          code="200"))
    assert n1 >= n0 + 3


def test_metrics_route_labels_are_templates_not_raw_paths(server):
    _, session = new_session(server)
    marker = "rawid" + uuid.uuid4().hex[:10]
    server.get(f"/api/orders/{marker}", headers=auth_headers(session.access_token))
    server.get(f"/api/orders/{marker}x")  # unauthenticated
    server.get(f"/no/such/{marker}")  # unknown route
    r, samples = get_metrics(server)
    assert marker not in r.body.decode("utf-8")
    for name, labels, _ in samples:
        if name == "http_requests_total":
            assert marker not in labels.get("route", "")


def test_metrics_duration_histogram_has_an_inf_bucket_matching_count(server):
    server.get("/health")
    _, samples = get_metrics(server)
    inf = [(l, v) for l, v in metric_samples(samples, "http_request_duration_seconds_bucket")
           if l.get("le") == "+Inf"]
    assert inf, "no le=\"+Inf\" bucket"
    total_inf = sum(v for _, v in inf)
    total_count = sum(v for _, v in metric_samples(samples, "http_request_duration_seconds_count"))
    assert total_count >= 1
    assert total_inf == total_count


def test_metrics_memory_usage_is_positive(server):
    _, samples = get_metrics(server)
    values = [v for _, v in metric_samples(samples, "memory_usage_bytes")]
    assert values and all(v > 0 for v in values), values


def test_metrics_database_size_has_a_collection_label(server):
    _, samples = get_metrics(server)
    found = metric_samples(samples, "database_size_bytes")
    assert found
    assert all("collection" in labels for labels, _ in found), found


@pytest.mark.skipif(not os.path.exists(PROMTOOL), reason="promtool not installed")
def test_metrics_pass_promtool_check(server):
    server.get("/health")
    server.get("/nope")
    r = server.get("/metrics")
    out = subprocess.run([PROMTOOL, "check", "metrics"], input=r.body, capture_output=True,
                         timeout=30)
    assert out.returncode == 0, (out.stdout + out.stderr).decode("utf-8", "replace")


# ----------------------------------------------------------------------- request ids


def test_client_request_id_is_echoed_unchanged(server):
    r = server.get("/health", headers={"X-Request-Id": "abc-123"})
    assert r.headers.get("x-request-id") == "abc-123"


def test_server_generates_a_request_id_when_none_is_sent(server):
    r = server.get("/health")
    assert r.headers.get("x-request-id", "").strip()


def test_generated_request_ids_differ_per_request(server):
    ids = {server.get("/health").headers.get("x-request-id") for _ in range(5)}
    assert None not in ids and "" not in ids
    assert len(ids) == 5


@pytest.mark.parametrize("method,path", [
    ("GET", "/no/such/path"),
    ("DELETE", "/health"),
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/login"),
    ("GET", "/metrics"),
])
def test_every_response_carries_a_request_id(server, method, path):
    r = server.request(method, path, data=b"{" if method == "POST" else None)
    assert r.headers.get("x-request-id", "").strip(), (r.status, r.headers)


# ------------------------------------------------------------------------------ logs


def request_log_entry(server, headers):
    """The request log line of a GET /health sent with headers."""
    rid = "log-probe-" + uuid.uuid4().hex
    server.get("/health", headers=dict(headers, **{"X-Request-Id": rid}))
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline:
        for line in server.stderr_text().splitlines():
            if rid in line:
                entry = json.loads(line)
                assert entry.get("request_id") == rid, entry
                return entry
        time.sleep(0.1)
    pytest.fail(f"no stderr log line mentions request id {rid}")


def test_request_log_line_on_stderr_carries_the_request_id(server):
    request_log_entry(server, {})


def test_x_forwarded_for_names_the_client_only_when_a_trusted_proxy_sends_it(server,
                                                                             make_server):
    forwarded = {"X-Forwarded-For": "198.51.100.1, 203.0.113.7"}
    # Anyone could write the header: by default the peer is the client.
    assert request_log_entry(server, forwarded)["ip"] == HOST
    behind_balancer = make_server(server={"trusted_proxies": f"{HOST}, 203.0.113.0/24"})
    # The client is the first untrusted hop, from the peer back.
    assert request_log_entry(behind_balancer, forwarded)["ip"] == "198.51.100.1"
    assert request_log_entry(behind_balancer, {})["ip"] == HOST


def test_stderr_log_lines_are_json_objects(server):
    server.get("/health")
    server.get("/no/such/path")
    time.sleep(0.3)
    lines = [l for l in server.stderr_text().splitlines() if l.strip()]
    assert lines, "no log lines on stderr"
    for line in lines:
        assert isinstance(json.loads(line), dict), line


def test_stdout_holds_no_log_lines_beyond_the_readiness_line(server):
    server.get("/health")
    time.sleep(0.2)
    lines = [l for l in server.stdout_lines() if l.strip()]
    for line in lines:
        assert "request_id" not in line, line
