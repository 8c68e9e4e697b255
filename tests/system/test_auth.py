"""Auth: register, login, lockout, refresh, logout, /me token checks, password change,
JWT secret handling."""

import hashlib
import hmac
import json
import os
import re
import stat
import time
import uuid

import pytest

from conftest import (DEFAULT_PASSWORD, assert_error, auth_headers, b64url, b64url_decode,
                      claims_for, forge_jwt, jwt_parts, login, new_session, register,
                      unique_email)

SECRET = "botcore-system-tests-secret-0123456789ab"
assert len(SECRET) == 40
LOCKOUT_SECONDS = 30
USER_KEYS = {"id", "email", "display_name", "created_ms"}
TOKEN_KEYS = {"access_token", "refresh_token", "expires_in", "token_type", "user"}


@pytest.fixture(scope="module")
def server(module_make_server):
    """Shared server with a known JWT secret (so tests can forge tokens) and a lockout of
    5 failures / 30 s."""
    return module_make_server(auth={"jwt_secret": SECRET, "lockout_failures": 5,
                                    "lockout_seconds": LOCKOUT_SECONDS})


def me(server, token):
    return server.get("/api/auth/me", headers=auth_headers(token))


def attempt_login(server, email, password):
    return server.post("/api/auth/login", json={"email": email, "password": password})


def retry_after_seconds(response):
    value = response.headers.get("retry-after")
    assert value is not None, f"429 without Retry-After: {response.headers}"
    assert re.fullmatch(r"\d+", value.strip()), f"Retry-After not integer seconds: {value!r}"
    return int(value)


def assert_token_pair(body, user_id):
    assert TOKEN_KEYS <= set(body), body
    assert isinstance(body["access_token"], str) and body["access_token"]
    assert isinstance(body["refresh_token"], str) and body["refresh_token"]
    assert body["expires_in"] == 86400
    assert body["token_type"] == "Bearer"
    assert body["user"]["id"] == user_id


# -------------------------------------------------------------------------- register


def test_register_returns_201_with_the_user(server):
    email = unique_email()
    r = server.post("/api/auth/register", json={"email": email, "password": DEFAULT_PASSWORD})
    assert r.status == 201, r
    assert r.json["user"]["email"] == email


def test_registered_user_has_the_documented_fields_and_types(server):
    user = register(server).user
    assert USER_KEYS <= set(user), user
    assert isinstance(user["id"], str) and user["id"]
    assert isinstance(user["email"], str)
    assert isinstance(user["display_name"], str)
    assert isinstance(user["created_ms"], int) and not isinstance(user["created_ms"], bool)
    assert abs(user["created_ms"] - time.time() * 1000) < 120_000, user


def test_registered_user_never_exposes_the_password_or_its_hash(server):
    account = register(server)
    r = server.post("/api/auth/register", json={"email": unique_email(),
                                                "password": DEFAULT_PASSWORD})
    for body in (r.body, str(account.user).encode()):
        assert b"password" not in body.lower()
        assert b"argon2" not in body.lower()
        assert DEFAULT_PASSWORD.encode() not in body


def test_registered_users_get_distinct_ids(server):
    assert register(server).id != register(server).id


def test_register_stores_the_email_lower_cased_and_trimmed(server):
    local = "MiXeD." + uuid.uuid4().hex[:8].upper()
    r = server.post("/api/auth/register", json={"email": f"  {local}@Example.COM \t",
                                                "password": DEFAULT_PASSWORD})
    assert r.status == 201, r
    assert r.json["user"]["email"] == f"{local.lower()}@example.com"


def test_register_with_an_existing_email_is_409_conflict(server):
    account = register(server)
    r = server.post("/api/auth/register", json={"email": account.email,
                                                "password": DEFAULT_PASSWORD})
    assert_error(r, 409, "conflict")


def test_register_with_an_existing_email_differing_only_in_case_is_409_conflict(server):
    account = register(server)
    r = server.post("/api/auth/register", json={"email": account.email.upper(),
                                                "password": DEFAULT_PASSWORD})
    assert_error(r, 409, "conflict")


def test_register_with_an_existing_email_plus_surrounding_spaces_is_409_conflict(server):
    account = register(server)
    r = server.post("/api/auth/register", json={"email": f"  {account.email} ",
                                                "password": DEFAULT_PASSWORD})
    assert_error(r, 409, "conflict")


def test_register_with_an_11_char_password_is_422_naming_password(server):
    r = server.post("/api/auth/register", json={"email": unique_email(),
                                                "password": "a" * 11})
    assert_error(r, 422, "validation_failed", field="password")


def test_register_with_an_exactly_12_char_password_is_accepted(server):
    r = server.post("/api/auth/register", json={"email": unique_email(),
                                                "password": "b" * 12})
    assert r.status == 201, r


@pytest.mark.parametrize("email", ["no-at-sign.example.com", "", "   "])
def test_register_with_an_invalid_email_is_422_naming_email(server, email):
    r = server.post("/api/auth/register", json={"email": email, "password": DEFAULT_PASSWORD})
    assert_error(r, 422, "validation_failed", field="email")


def test_register_display_name_defaults_to_the_email_local_part(server):
    local = "lp" + uuid.uuid4().hex[:10]
    account = register(server, email=f"{local}@example.com")
    assert account.user["display_name"] == local


def test_register_keeps_a_given_display_name(server):
    account = register(server, display_name="Ada Lovelace")
    assert account.user["display_name"] == "Ada Lovelace"


# ----------------------------------------------------------------------------- login


def test_login_returns_a_bearer_token_pair_and_the_user(server):
    account = register(server)
    r = attempt_login(server, account.email, account.password)
    assert r.status == 200, r
    assert_token_pair(r.json, account.id)
    assert r.json["user"]["email"] == account.email


def test_login_access_and_refresh_tokens_differ(server):
    _, tokens = new_session(server)
    assert tokens.access_token != tokens.refresh_token


def test_access_token_is_an_hs256_jwt_for_the_user_lasting_a_day(server):
    account, tokens = new_session(server)
    header, claims, _ = jwt_parts(tokens.access_token)
    assert header["alg"] == "HS256"
    assert claims["sub"] == account.id
    assert isinstance(claims["jti"], str) and claims["jti"]
    assert claims["exp"] - claims["iat"] == 86400
    assert abs(claims["iat"] - time.time()) < 120


def test_access_token_is_signed_with_the_configured_secret(server):
    _, tokens = new_session(server)
    header, payload, signature = tokens.access_token.split(".")
    expected = hmac.new(SECRET.encode(), f"{header}.{payload}".encode(), hashlib.sha256).digest()
    assert b64url_decode(signature) == expected


def test_each_login_issues_a_distinct_token_pair(server):
    account = register(server)
    first, second = login(server, account), login(server, account)
    assert first.access_token != second.access_token
    assert first.refresh_token != second.refresh_token


def test_login_with_a_wrong_password_is_401_unauthorized(server):
    account = register(server)
    assert_error(attempt_login(server, account.email, "wrong password here"), 401,
                 "unauthorized")


def test_login_with_an_unknown_email_is_401_unauthorized(server):
    assert_error(attempt_login(server, unique_email("ghost"), DEFAULT_PASSWORD), 401,
                 "unauthorized")


def test_wrong_password_and_unknown_email_get_the_same_error_body_shape(server):
    account = register(server)
    wrong = attempt_login(server, account.email, "wrong password here")
    unknown = attempt_login(server, unique_email("ghost"), "wrong password here")
    assert wrong.status == unknown.status == 401
    assert set(wrong.json) == set(unknown.json)
    assert set(wrong.json["error"]) == set(unknown.json["error"])
    assert wrong.json["error"]["code"] == unknown.json["error"]["code"]


# --------------------------------------------------------------------------- lockout


def fail_logins(server, account, n):
    return [attempt_login(server, account.email, f"wrong password {i:04d}") for i in range(n)]


def test_first_four_failed_logins_are_401(server):
    account = register(server)
    statuses = [r.status for r in fail_logins(server, account, 4)]
    assert statuses == [401] * 4


def test_fifth_failed_login_is_429_rate_limited_with_retry_after(server):
    account = register(server)
    responses = fail_logins(server, account, 5)
    assert [r.status for r in responses[:4]] == [401] * 4
    assert_error(responses[4], 429, "rate_limited")
    assert 1 <= retry_after_seconds(responses[4]) <= LOCKOUT_SECONDS


def test_correct_password_during_lockout_is_429_rate_limited(server):
    account = register(server)
    fail_logins(server, account, 5)
    r = attempt_login(server, account.email, account.password)
    assert_error(r, 429, "rate_limited")
    assert 1 <= retry_after_seconds(r) <= LOCKOUT_SECONDS


def test_further_failed_logins_during_lockout_stay_429(server):
    account = register(server)
    fail_logins(server, account, 5)
    for r in fail_logins(server, account, 3):
        assert_error(r, 429, "rate_limited")
        assert 1 <= retry_after_seconds(r) <= LOCKOUT_SECONDS


def test_a_success_before_the_fifth_failure_resets_the_failure_count(server):
    account = register(server)
    assert [r.status for r in fail_logins(server, account, 4)] == [401] * 4
    login(server, account)
    assert [r.status for r in fail_logins(server, account, 4)] == [401] * 4


def test_lockout_of_one_account_does_not_lock_another(server):
    locked, other = register(server), register(server)
    fail_logins(server, locked, 5)
    assert attempt_login(server, locked.email, locked.password).status == 429
    assert attempt_login(server, other.email, other.password).status == 200


def test_locked_account_logs_in_again_after_the_lockout_expires(make_server):
    s = make_server(auth={"lockout_failures": 5, "lockout_seconds": 2})
    account = register(s)
    responses = fail_logins(s, account, 5)
    locked_at = time.monotonic()
    assert [r.status for r in responses] == [401] * 4 + [429]
    assert 1 <= retry_after_seconds(responses[4]) <= 2
    time.sleep(max(0.0, locked_at + 3.0 - time.monotonic()))
    r = attempt_login(s, account.email, account.password)
    assert r.status == 200, r


# --------------------------------------------------------------------------- refresh


def refresh(server, refresh_token):
    return server.post("/api/auth/refresh", json={"refresh_token": refresh_token})


def test_refresh_returns_a_new_pair_in_the_login_shape(server):
    account, tokens = new_session(server)
    r = refresh(server, tokens.refresh_token)
    assert r.status == 200, r
    assert_token_pair(r.json, account.id)


def test_refreshed_tokens_both_differ_from_the_old_ones(server):
    _, tokens = new_session(server)
    body = refresh(server, tokens.refresh_token).json
    assert body["access_token"] != tokens.access_token
    assert body["refresh_token"] != tokens.refresh_token


def test_refreshed_access_token_works_on_me(server):
    account, tokens = new_session(server)
    body = refresh(server, tokens.refresh_token).json
    r = me(server, body["access_token"])
    assert r.status == 200, r
    assert r.json["user"]["id"] == account.id


def test_a_refresh_token_is_single_use(server):
    _, tokens = new_session(server)
    assert refresh(server, tokens.refresh_token).status == 200
    assert_error(refresh(server, tokens.refresh_token), 401, "unauthorized")


def test_the_new_refresh_token_can_be_used_in_turn(server):
    account, tokens = new_session(server)
    second = refresh(server, tokens.refresh_token).json["refresh_token"]
    r = refresh(server, second)
    assert r.status == 200, r
    assert_token_pair(r.json, account.id)


@pytest.mark.parametrize("token", ["garbage", "x" * 43, "a.b.c"])
def test_a_garbage_refresh_token_is_401(server, token):
    assert_error(refresh(server, token), 401, "unauthorized")


def test_an_access_token_is_not_accepted_as_a_refresh_token(server):
    _, tokens = new_session(server)
    assert_error(refresh(server, tokens.access_token), 401, "unauthorized")


# ---------------------------------------------------------------------------- logout


def logout(server, access_token):
    return server.post("/api/auth/logout", headers=auth_headers(access_token))


def test_logout_is_204_with_an_empty_body(server):
    _, tokens = new_session(server)
    r = logout(server, tokens.access_token)
    assert r.status == 204, r
    assert r.body == b""


def test_logged_out_access_token_is_401_on_me(server):
    _, tokens = new_session(server)
    assert me(server, tokens.access_token).status == 200
    assert logout(server, tokens.access_token).status == 204
    assert_error(me(server, tokens.access_token), 401, "unauthorized")


def test_refresh_token_of_a_logged_out_session_is_401(server):
    _, tokens = new_session(server)
    assert logout(server, tokens.access_token).status == 204
    assert_error(refresh(server, tokens.refresh_token), 401, "unauthorized")


def test_logout_leaves_the_users_other_sessions_working(server):
    account, first = new_session(server)
    second = login(server, account)
    assert logout(server, first.access_token).status == 204
    assert me(server, second.access_token).status == 200
    assert refresh(server, second.refresh_token).status == 200


def test_logout_without_a_token_is_401(server):
    assert_error(server.post("/api/auth/logout"), 401, "unauthorized")


# -------------------------------------------------------------------------------- me


def test_me_with_a_valid_token_returns_the_user(server):
    account, tokens = new_session(server)
    r = me(server, tokens.access_token)
    assert r.status == 200, r
    assert r.json["user"]["id"] == account.id
    assert r.json["user"]["email"] == account.email
    assert USER_KEYS <= set(r.json["user"])


def test_me_without_authorization_is_401_unauthorized(server):
    assert_error(server.get("/api/auth/me"), 401, "unauthorized")


@pytest.mark.parametrize("value", ["Bearer garbage", "Bearer ", "Bearer", "garbage",
                                   "Basic dXNlcjpwYXNz", "Bearer a.b.c"])
def test_me_with_a_malformed_authorization_header_is_401(server, value):
    assert_error(server.get("/api/auth/me", headers={"Authorization": value}), 401,
                 "unauthorized")


def test_me_with_the_access_token_in_another_scheme_is_401(server):
    _, tokens = new_session(server)
    r = server.get("/api/auth/me", headers={"Authorization": f"Token {tokens.access_token}"})
    assert_error(r, 401, "unauthorized")


def test_me_with_an_alg_none_token_is_401(server):
    account = register(server)
    token = forge_jwt(claims_for(account.id), alg="none")
    assert token.endswith(".")
    assert_error(me(server, token), 401, "unauthorized")


def test_me_with_an_altered_signature_is_401(server):
    _, tokens = new_session(server)
    header, payload, signature = tokens.access_token.split(".")
    sig = bytearray(b64url_decode(signature))
    sig[len(sig) // 2] ^= 0x01
    assert_error(me(server, f"{header}.{payload}.{b64url(bytes(sig))}"), 401, "unauthorized")


def test_me_with_a_payload_swapped_to_another_user_is_401(server):
    victim = register(server)
    _, tokens = new_session(server)
    header, payload, signature = tokens.access_token.split(".")
    _, claims, _ = jwt_parts(tokens.access_token)
    claims["sub"] = victim.id
    forged_payload = b64url(json.dumps(claims, separators=(",", ":")).encode())
    assert_error(me(server, f"{header}.{forged_payload}.{signature}"), 401, "unauthorized")


def test_me_with_a_token_forged_with_the_right_secret_is_200(server):
    # Proves the forging below is right: the same construction with a valid exp passes.
    account = register(server)
    r = me(server, forge_jwt(claims_for(account.id), secret=SECRET))
    assert r.status == 200, r
    assert r.json["user"]["id"] == account.id


def test_me_with_an_expired_token_signed_with_the_right_secret_is_401(server):
    account = register(server)
    token = forge_jwt(claims_for(account.id, exp_in=-60, iat_offset=-3600), secret=SECRET)
    assert_error(me(server, token), 401, "unauthorized")


def test_me_with_an_hs512_token_signed_with_the_right_secret_is_401(server):
    account = register(server)
    token = forge_jwt(claims_for(account.id), secret=SECRET, alg="HS512")
    assert_error(me(server, token), 401, "unauthorized")


def test_me_with_a_token_signed_with_another_secret_is_401(server):
    account = register(server)
    token = forge_jwt(claims_for(account.id), secret="another-secret-of-forty-characters-xyz!!")
    assert_error(me(server, token), 401, "unauthorized")


# -------------------------------------------------------------------- password change


def change_password(server, token, current, new):
    return server.post("/api/auth/password", json={"current_password": current,
                                                   "new_password": new},
                       headers=auth_headers(token))


def test_password_change_is_204(server):
    account, tokens = new_session(server)
    r = change_password(server, tokens.access_token, account.password, "a brand new password")
    assert r.status == 204, r


def test_after_a_password_change_the_old_password_fails_and_the_new_one_works(server):
    account, tokens = new_session(server)
    new = "another good password"
    assert change_password(server, tokens.access_token, account.password, new).status == 204
    assert_error(attempt_login(server, account.email, account.password), 401, "unauthorized")
    assert attempt_login(server, account.email, new).status == 200


def test_password_change_with_a_wrong_current_password_is_403_forbidden(server):
    account, tokens = new_session(server)
    r = change_password(server, tokens.access_token, "not the password", "whatever new pass")
    assert_error(r, 403, "forbidden")
    assert attempt_login(server, account.email, account.password).status == 200


def test_wrong_current_passwords_count_towards_the_lockout(server):
    account, tokens = new_session(server)
    responses = [change_password(server, tokens.access_token, f"wrong password {i:04d}",
                                 "whatever new pass") for i in range(5)]
    assert [r.status for r in responses[:4]] == [403] * 4
    assert_error(responses[4], 429, "rate_limited")
    assert 1 <= retry_after_seconds(responses[4]) <= LOCKOUT_SECONDS
    # Locked for the right password too, at a password change and at login.
    r = change_password(server, tokens.access_token, account.password, "whatever new pass")
    assert_error(r, 429, "rate_limited")
    assert_error(attempt_login(server, account.email, account.password), 429, "rate_limited")


def test_password_change_without_a_token_is_401(server):
    r = server.post("/api/auth/password", json={"current_password": DEFAULT_PASSWORD,
                                                "new_password": "whatever new pass"})
    assert_error(r, 401, "unauthorized")


# ---------------------------------------------------------------- JWT secret handling


def test_without_a_configured_secret_serve_creates_a_0600_jwt_secret_file(make_server):
    s = make_server()
    path = os.path.join(s.data_dir, "jwt_secret")
    assert os.path.isfile(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert os.path.getsize(path) > 0


def test_the_generated_secret_is_reused_so_tokens_survive_a_restart(make_server):
    s = make_server()
    path = os.path.join(s.data_dir, "jwt_secret")
    with open(path, "rb") as f:
        secret_before = f.read()
    account, tokens = new_session(s)
    assert me(s, tokens.access_token).status == 200
    assert s.stop() == 0
    s.start()
    with open(path, "rb") as f:
        assert f.read() == secret_before
    r = me(s, tokens.access_token)
    assert r.status == 200, r
    assert r.json["user"]["id"] == account.id
