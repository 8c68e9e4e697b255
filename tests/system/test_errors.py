"""Error contract: status codes, the {"error":{...}} body, and robustness against bad input."""

import http.client
import json
import random

import pytest

from conftest import (DEFAULT_PASSWORD, assert_error, assert_error_shape, send_oversized,
                      unique_email)

TWO_MIB = 2 * 1024 * 1024
BODY_ENDPOINTS = ["/api/auth/register", "/api/auth/login"]


# ------------------------------------------------------------------- routing errors


@pytest.mark.parametrize("path", ["/no/such/path", "/api/nope", "/api/auth/whoami",
                                  "/healthz"])
def test_unknown_path_is_404_not_found(server, path):
    assert_error(server.get(path), 404, "not_found")


@pytest.mark.parametrize("method,path", [
    ("DELETE", "/health"),
    ("POST", "/health"),
    ("POST", "/metrics"),
    ("GET", "/api/auth/login"),
    ("GET", "/api/auth/register"),
    ("PUT", "/api/auth/refresh"),
])
def test_known_path_with_wrong_method_is_405_method_not_allowed(server, method, path):
    r = server.request(method, path, data=b"{}" if method in ("POST", "PUT") else None)
    assert_error(r, 405, "method_not_allowed")


# ---------------------------------------------------------------------- body errors


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
@pytest.mark.parametrize("raw", [b"{", b'{"email": ', b"not json", b'{"email":"a@b.c",}',
                                 b"\xff\xfe\x00"])
def test_malformed_json_body_is_400_bad_request(server, path, raw):
    assert_error(server.post(path, data=raw), 400, "bad_request")


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"5", b"null", b"true",
                                 b'[{"email":"a@b.c"}]'])
def test_json_body_that_is_not_an_object_is_400_bad_request(server, path, raw):
    assert_error(server.post(path, data=raw), 400, "bad_request")


def test_empty_body_where_one_is_required_is_a_4xx_error(server):
    r = server.post("/api/auth/login", data=b"")
    assert 400 <= r.status < 500
    assert_error_shape(r)


def test_unknown_field_on_register_is_422_naming_the_field(server):
    r = server.post("/api/auth/register", json={"email": unique_email(),
                                                "password": DEFAULT_PASSWORD,
                                                "nickname": "x"})
    assert_error(r, 422, "validation_failed", field="nickname")


def test_unknown_field_on_login_is_422_naming_the_field(server):
    r = server.post("/api/auth/login", json={"email": unique_email(),
                                             "password": DEFAULT_PASSWORD,
                                             "remember_me": True})
    assert_error(r, 422, "validation_failed", field="remember_me")


def test_unknown_field_on_refresh_is_422_naming_the_field(server):
    r = server.post("/api/auth/refresh", json={"refresh_token": "x", "extra": 1})
    assert_error(r, 422, "validation_failed", field="extra")


@pytest.mark.parametrize("missing", ["email", "password"])
def test_missing_required_field_on_register_is_422_naming_it(server, missing):
    body = {"email": unique_email(), "password": DEFAULT_PASSWORD}
    del body[missing]
    assert_error(server.post("/api/auth/register", json=body), 422, "validation_failed",
                 field=missing)


@pytest.mark.parametrize("missing", ["email", "password"])
def test_missing_required_field_on_login_is_422_naming_it(server, missing):
    body = {"email": unique_email(), "password": DEFAULT_PASSWORD}
    del body[missing]
    assert_error(server.post("/api/auth/login", json=body), 422, "validation_failed",
                 field=missing)


def test_missing_refresh_token_is_422_naming_it(server):
    assert_error(server.post("/api/auth/refresh", json={}), 422, "validation_failed",
                 field="refresh_token")


@pytest.mark.parametrize("field,value", [
    ("email", 5),
    ("email", None),
    ("email", ["a@b.c"]),
    ("password", 123456789012345),
    ("password", {"p": 1}),
    ("display_name", 7),
])
def test_wrong_type_on_register_is_422_naming_the_field(server, field, value):
    body = {"email": unique_email(), "password": DEFAULT_PASSWORD}
    body[field] = value
    assert_error(server.post("/api/auth/register", json=body), 422, "validation_failed",
                 field=field)


def test_wrong_type_on_login_is_422_naming_the_field(server):
    r = server.post("/api/auth/login", json={"email": 5, "password": DEFAULT_PASSWORD})
    assert_error(r, 422, "validation_failed", field="email")


# -------------------------------------------------------------------- body size limit


def test_body_over_the_limit_is_413_payload_too_large(server):
    head = (f"POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            f"\r\nContent-Length: {TWO_MIB}\r\nConnection: close\r\n\r\n").encode()
    status, headers, body = send_oversized(server.port, head, TWO_MIB)
    assert status == 413, (status, body[:300])
    error = json.loads(body)
    assert error["error"]["code"] == "payload_too_large", error


def test_well_formed_json_body_over_the_limit_is_413(server):
    payload = json.dumps({"email": unique_email(), "password": "p" * TWO_MIB}).encode()
    head = (f"POST /api/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            f"\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n").encode()
    status, _, body = send_oversized(server.port, head, payload)
    assert status == 413, (status, body[:300])
    assert json.loads(body)["error"]["code"] == "payload_too_large"


def test_content_length_announcing_2_mib_is_413_before_the_body_arrives(server):
    head = (f"POST /api/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
            f"\r\nContent-Length: {TWO_MIB}\r\nConnection: close\r\n\r\n").encode()
    status, _, body = send_oversized(server.port, head, 0)  # headers only, no body at all
    assert status == 413, (status, body[:300])
    assert json.loads(body)["error"]["code"] == "payload_too_large"


def test_server_still_serves_after_an_oversized_body(server):
    head = (f"POST /api/auth/login HTTP/1.1\r\nHost: x\r\n"
            f"Content-Length: {TWO_MIB}\r\nConnection: close\r\n\r\n").encode()
    send_oversized(server.port, head, TWO_MIB)
    assert server.get("/health").status == 200


# ------------------------------------------------------------------------- robustness


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
def test_random_byte_bodies_always_get_a_4xx_error_json(server, path):
    rng = random.Random(f"fuzz-{path}")
    for i in range(50):
        raw = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 400)))
        r = server.post(path, data=raw)
        assert 400 <= r.status < 500, (i, raw, r.status, r.body[:300])
        assert_error_shape(r)


@pytest.mark.parametrize("path", BODY_ENDPOINTS)
def test_random_json_like_bodies_always_get_a_4xx_error_json(server, path):
    rng = random.Random(f"jsonfuzz-{path}")
    values = [None, True, 0, -1, 1e308, "", "x" * 50, [], {}, [1, "a"], {"a": {"b": []}},
              "\u0000", "\ud7ff", "no-at-sign", " "]
    # No value holds an "@", so no body can be a valid registration or login.
    keys = ["email", "password", "display_name", "EMAIL", "", "__proto__", "email "]
    for i in range(50):
        body = {rng.choice(keys): rng.choice(values) for _ in range(rng.randrange(0, 4))}
        r = server.post(path, data=json.dumps(body).encode())
        assert 400 <= r.status < 500, (i, body, r.status, r.body[:300])
        assert_error_shape(r)


# As deep as the 1 MiB body limit allows: 150,000 levels overflowed a recursive parser's stack.
@pytest.mark.parametrize("opening,closing,depth", [(b"[", b"]", 500_000),
                                                   (b'{"a":', b"}", 170_000),
                                                   (b"[", b"", 1_000_000)])
def test_deeply_nested_json_is_a_4xx_error_not_a_crash(server, opening, closing, depth):
    raw = opening * depth + (b"1" if closing else b"") + closing * depth
    assert len(raw) <= 1 << 20
    r = server.post("/api/auth/login", data=raw)
    assert 400 <= r.status < 500, (r.status, r.body[:300])
    assert_error_shape(r)
    assert server.get("/health").status == 200


def test_invalid_utf8_inside_a_json_string_is_a_4xx_error(server):
    raw = b'{"email":"\xff\xfe@example.com","password":"' + DEFAULT_PASSWORD.encode() + b'"}'
    r = server.post("/api/auth/register", data=raw)
    assert r.status in (400, 422), (r.status, r.body[:300])
    assert_error_shape(r)


def test_a_json_key_given_twice_is_422_naming_it(server):
    raw = (b'{"email":"a@example.com","email":"b@example.com","password":"'
           + DEFAULT_PASSWORD.encode() + b'"}')
    r = server.post("/api/auth/login", data=raw)
    assert_error(r, 422, "validation_failed", field="email")


def test_head_is_answered_like_get_without_a_body_and_the_connection_goes_on(server):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        for path, status in (("/health", 200), ("/api/auth/login", 405), ("/nowhere", 404)):
            conn.request("HEAD", path)
            r = conn.getresponse()
            assert r.status == status, path
            assert int(r.getheader("Content-Length")) > 0, path
            assert r.read() == b"", path
        conn.request("GET", "/health")  # the same connection: no stray body ahead of it
        r = conn.getresponse()
        assert r.status == 200
        assert json.loads(r.read())["status"] in ("ok", "degraded")
    finally:
        conn.close()


def test_server_survives_the_fuzzing(server):
    assert server.running()
    assert server.get("/health").status == 200
