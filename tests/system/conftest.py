"""Shared helpers and fixtures for the Bot Core black-box system tests.

The tests drive the real `botcore` binary (env BOTCORE_BIN, default
/work/main/build/botcore) over real sockets on 127.0.0.1 only. Only the Python
standard library and pytest are used. Every wait is bounded.
"""

import base64
import csv
import hashlib
import hmac
import http.client
import io
import json as jsonlib
import os
import re
import select
import signal
import socket
import subprocess
import time
import urllib.parse
import uuid
from collections import namedtuple

import pytest

BOTCORE_BIN = os.environ.get(
    "BOTCORE_BIN", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "build", "botcore"))
HOST = "127.0.0.1"
DEFAULT_PASSWORD = "correct horse battery"
READY_TIMEOUT_S = 10.0
STOP_TIMEOUT_S = 20.0

# Makes password hashing cheap so the suite stays fast (libsodium minimums for Argon2id).
BASE_CONFIG = {
    "auth": {
        "password_hash_ops": 1,
        "password_hash_memory_kib": 8,
    },
}

Response = namedtuple("Response", ["status", "headers", "json", "body"])
TokenPair = namedtuple("TokenPair", ["access_token", "refresh_token", "body"])

_NO_JSON = object()
_ALL_SERVERS = []  # every Server ever started in this session, in start order


# --------------------------------------------------------------------------- utilities


def require_binary():
    if not (os.path.isfile(BOTCORE_BIN) and os.access(BOTCORE_BIN, os.X_OK)):
        pytest.fail(f"botcore binary not found or not executable: {BOTCORE_BIN} "
                    "(build it, or set BOTCORE_BIN)", pytrace=False)


def clean_env(extra=None):
    """The test process environment minus any BOTCORE_* variable (each one is a setting for
    the server), plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    env.update(extra or {})
    return env


# When set (ctest does for the *.postgres entries), servers whose config names no store use this
# PostgreSQL server, each in a schema of its own (kept across its restarts).
SYSTEM_TEST_PG_URL = os.environ.get("SYSTEM_TEST_PG_URL", "")
# PgBouncer in transaction mode in front of SYSTEM_TEST_PG_URL's server: pooled connections go
# through it.
SYSTEM_TEST_PGBOUNCER_URL = os.environ.get("SYSTEM_TEST_PGBOUNCER_URL", "")


def with_database(url, database):
    """The URL with its database (the path after host:port) replaced."""
    head, _, rest = url.partition("://")
    authority, _, path = rest.partition("/")
    query = path.partition("?")[2]
    return f"{head}://{authority}/{database}" + (f"?{query}" if query else "")


def postgres_store_config(base_dir):
    """store/postgres config sections for one server: a new schema on SYSTEM_TEST_PG_URL, or,
    through SYSTEM_TEST_PGBOUNCER_URL, a new database (a pooler in transaction mode cannot keep a
    search_path per client)."""
    name = "sys_" + hashlib.sha1(str(base_dir).encode()).hexdigest()[:12]
    if SYSTEM_TEST_PGBOUNCER_URL:
        for sql in (f"DROP DATABASE IF EXISTS {name} WITH (FORCE)", f"CREATE DATABASE {name}"):
            subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", SYSTEM_TEST_PG_URL, "-c", sql],
                           check=True, capture_output=True, timeout=30)
        return {"store": {"engine": "postgres"},
                "postgres": {"url": with_database(SYSTEM_TEST_PG_URL, name),
                             "pooler_url": with_database(SYSTEM_TEST_PGBOUNCER_URL, name),
                             "pool_min": 2}}
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", SYSTEM_TEST_PG_URL, "-c",
                    f"DROP SCHEMA IF EXISTS {name} CASCADE; CREATE SCHEMA {name}"],
                   check=True, capture_output=True, timeout=30)
    separator = "&" if "?" in SYSTEM_TEST_PG_URL else "?"
    return {"store": {"engine": "postgres"},
            "postgres": {"url": f"{SYSTEM_TEST_PG_URL}{separator}options=-csearch_path%3D{name}",
                         "pool_min": 2}}


def pooler_transactions(database, port=None):
    """Transactions the PgBouncer on port (default SYSTEM_TEST_PGBOUNCER_URL's) has passed to
    this database so far, from its admin console."""
    port = port or urllib.parse.urlsplit(SYSTEM_TEST_PGBOUNCER_URL).port
    out = subprocess.run(["psql", "-X", "--csv", "-h", HOST, "-p", str(port), "-U", "postgres",
                          "-d", "pgbouncer", "-c", "SHOW STATS"],
                         check=True, capture_output=True, text=True, timeout=30).stdout
    rows = list(csv.DictReader(io.StringIO(out)))
    return sum(int(row["total_xact_count"]) for row in rows if row["database"] == database)


def free_port():
    """A TCP port that was free a moment ago on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def toml_value(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return jsonlib.dumps(value)  # JSON string escapes are valid TOML basic-string escapes
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def merge_sections(*configs):
    merged = {}
    for config in configs:
        for section, keys in (config or {}).items():
            merged.setdefault(section, {}).update(keys or {})
    return merged


def write_toml(path, sections):
    lines = []
    for section, keys in sections.items():
        lines.append(f"[{section}]")
        for key, value in keys.items():
            lines.append(f"{key} = {toml_value(value)}")
        lines.append("")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def tail(path, max_lines=80, start=0):
    try:
        with open(path, "rb") as f:
            f.seek(start)
            data = f.read()
    except OSError as e:
        return f"<cannot read {path}: {e}>"
    lines = data.decode("utf-8", "replace").splitlines()
    return "\n".join(lines[-max_lines:])


def lower_headers(pairs):
    headers = {}
    for name, value in pairs:
        name = name.lower()
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    return headers


def parse_json(body):
    if not body:
        return None
    try:
        return jsonlib.loads(body.decode("utf-8"))
    except (ValueError, UnicodeDecodeError):
        return None


def http_request(port, method, path, json=_NO_JSON, data=None, headers=None, timeout=10.0):
    """One request on a fresh connection. Returns Response(status, headers, json, body)."""
    hdrs = dict(headers or {})
    body = data
    if json is not _NO_JSON:
        body = jsonlib.dumps(json).encode("utf-8")
        hdrs.setdefault("Content-Type", "application/json")
    elif data is not None and not any(k.lower() == "content-type" for k in hdrs):
        hdrs["Content-Type"] = "application/json"
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        raw = resp.read()
        return Response(resp.status, lower_headers(resp.getheaders()), parse_json(raw), raw)
    finally:
        conn.close()


# ------------------------------------------------------------------ raw socket helpers


def raw_connect(port, timeout=5.0):
    s = socket.create_connection((HOST, port), timeout=timeout)
    s.settimeout(timeout)
    return s


def recv_until_close(sock, deadline_s):
    """Read until EOF/reset or the deadline. Returns (data, how) with how in
    {"eof", "reset", "timeout"}."""
    chunks = []
    deadline = time.monotonic() + deadline_s
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), "timeout"
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            return b"".join(chunks), "timeout"
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            return b"".join(chunks), "reset"
        if not chunk:
            return b"".join(chunks), "eof"
        chunks.append(chunk)


def parse_http_response(data):
    """Parse one HTTP/1.1 response from raw bytes: (status, headers, body) or None if the
    bytes do not hold a complete head."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        return None
    pairs = []
    for line in lines[1:]:
        name, _, value = line.partition(":")
        pairs.append((name.strip(), value.strip()))
    headers = lower_headers(pairs)
    if "content-length" in headers:
        body = rest[: int(headers["content-length"])]
    else:
        body = rest
    return int(m.group(1)), headers, body


def read_http_response(sock, deadline_s=10.0):
    """Read one complete response (Content-Length framed, or until close). Returns
    (status, headers, body, how) where status is None if no complete head arrived."""
    buf = b""
    deadline = time.monotonic() + deadline_s
    how = "timeout"
    while time.monotonic() < deadline:
        parsed = parse_http_response(buf)
        if parsed is not None:
            status, headers, body = parsed
            if "content-length" in headers and len(body) >= int(headers["content-length"]):
                return status, headers, body, "complete"
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            how = "timeout"
            break
        except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError):
            how = "reset"
            break
        if not chunk:
            how = "eof"
            break
        buf += chunk
    parsed = parse_http_response(buf)
    if parsed is None:
        return None, {}, buf, how
    status, headers, body = parsed
    return status, headers, body, how


def send_oversized(port, head, body, chunk=64 * 1024, deadline_s=15.0):
    """Send `head`, then `body` (bytes, or an int: that many filler bytes), stopping as soon
    as the server answers or stops reading. Returns (status, headers, body) of its response
    (status None if none came)."""
    if isinstance(body, int):
        body = b"a" * body
    s = raw_connect(port, timeout=deadline_s)
    try:
        s.sendall(head)
        view = memoryview(body)
        sent = 0
        deadline = time.monotonic() + deadline_s
        while sent < len(body) and time.monotonic() < deadline:
            readable, writable, _ = select.select([s], [s], [], 0.5)
            if readable:
                break  # the server already answered (or closed)
            if writable:
                try:
                    sent += s.send(view[sent:sent + chunk])
                except (BrokenPipeError, ConnectionResetError):
                    break
        status, headers, resp_body, _how = read_http_response(s, deadline_s=10.0)
        return status, headers, resp_body
    finally:
        s.close()


# ---------------------------------------------------------------------------- server


class Server:
    """One `botcore serve` process with its own config file, data dir and logs."""

    def __init__(self, base_dir, config=None, env=None, extra_args=None):
        self.base_dir = str(base_dir)
        os.makedirs(self.base_dir, exist_ok=True)
        self.config_path = os.path.join(self.base_dir, "botcore.toml")
        self.data_dir = os.path.join(self.base_dir, "data")
        os.makedirs(self.data_dir, exist_ok=True)
        self.stdout_path = os.path.join(self.base_dir, "stdout.log")
        self.stderr_path = os.path.join(self.base_dir, "stderr.log")
        self.config = merge_sections(BASE_CONFIG, config)
        if SYSTEM_TEST_PG_URL and "store" not in (config or {}):
            self.config = merge_sections(self.config, postgres_store_config(self.base_dir))
        write_toml(self.config_path, self.config)
        self.env = clean_env(env)
        self.extra_args = list(extra_args or [])
        self.proc = None
        self.port = None
        self.returncode = None
        self.started_at = None  # time.monotonic() just before the process was spawned
        self.ready_at = None
        self._stdout_start = 0
        self._stderr_start = 0

    # -- lifecycle

    def command(self, port):
        return [BOTCORE_BIN, "serve", "--config", self.config_path,
                "--listen", f"{HOST}:{port}", "--data-dir", self.data_dir] + self.extra_args

    def start(self, timeout=READY_TIMEOUT_S, attempts=3):
        require_binary()
        assert self.proc is None or self.proc.poll() is not None, "server already running"
        for attempt in range(attempts):
            if self._spawn_and_wait(timeout):
                return self
            # Exited early. Retry only if a racing process took the port.
            err = tail(self.stderr_path, start=self._stderr_start)
            if self.returncode == 1 and "in use" in err.lower() and attempt + 1 < attempts:
                continue
            pytest.fail(f"botcore serve exited with code {self.returncode} before becoming "
                        f"ready\n--- stderr ---\n{err}\n--- stdout ---\n"
                        f"{tail(self.stdout_path, start=self._stdout_start)}", pytrace=False)
        return self

    def _spawn_and_wait(self, timeout):
        self.port = free_port()
        self.returncode = None
        self._stdout_start = os.path.getsize(self.stdout_path) if os.path.exists(self.stdout_path) else 0
        self._stderr_start = os.path.getsize(self.stderr_path) if os.path.exists(self.stderr_path) else 0
        # The child gets its own copies of the log descriptors; ours are closed at once.
        with open(self.stdout_path, "ab") as out, open(self.stderr_path, "ab") as err:
            self.started_at = time.monotonic()
            self.proc = subprocess.Popen(self.command(self.port), stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=err, env=self.env,
                                         cwd=self.base_dir)
        if self not in _ALL_SERVERS:
            _ALL_SERVERS.append(self)
        wanted = f"listening on http://{HOST}:{self.port}"
        ready = re.compile(re.escape(wanted) + r"(?!\d)")
        deadline = self.started_at + timeout
        while time.monotonic() < deadline:
            if any(ready.search(line) for line in self.stdout_lines()):
                self.ready_at = time.monotonic()
                return True
            rc = self.proc.poll()
            if rc is not None:
                self.returncode = rc
                return False
            time.sleep(0.02)
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.returncode = self.proc.returncode
        pytest.fail(f"botcore serve did not print {wanted!r} within {timeout} s\n"
                    f"--- stdout ---\n{tail(self.stdout_path, start=self._stdout_start)}\n"
                    f"--- stderr ---\n{tail(self.stderr_path, start=self._stderr_start)}",
                    pytrace=False)

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def send_signal(self, sig):
        assert self.running(), "server is not running"
        self.proc.send_signal(sig)

    def wait(self, timeout):
        """Wait for exit; returns the exit code, or None if still running at the deadline."""
        assert self.proc is not None, "server never started"
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        self.returncode = rc
        return rc

    def stop(self, timeout=STOP_TIMEOUT_S):
        """SIGTERM, then wait up to `timeout` s; kill -9 and fail the test after that.
        Returns the exit code."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            rc = self.wait(timeout)
            if rc is None:
                self.proc.kill()
                self.proc.wait(timeout=10)
                self.returncode = self.proc.returncode
                pytest.fail(f"botcore (pid {self.proc.pid}) did not exit within {timeout} s "
                            f"of SIGTERM; killed\n--- stderr ---\n{self.stderr_tail()}",
                            pytrace=False)
        self.returncode = self.proc.returncode
        return self.returncode

    def kill(self):
        """SIGKILL if still running (safety net only; stop() is the normal way)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        if self.proc is not None:
            self.returncode = self.proc.returncode

    # -- logs

    def stdout_lines(self):
        try:
            with open(self.stdout_path, "rb") as f:
                f.seek(self._stdout_start)
                return f.read().decode("utf-8", "replace").splitlines()
        except OSError:
            return []

    def stderr_text(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def stderr_tail(self, max_lines=80):
        return tail(self.stderr_path, max_lines)

    # -- HTTP

    @property
    def base_url(self):
        return f"http://{HOST}:{self.port}"

    def request(self, method, path, json=_NO_JSON, data=None, headers=None, timeout=10.0):
        return http_request(self.port, method, path, json=json, data=data, headers=headers,
                            timeout=timeout)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, json=_NO_JSON, **kw):
        return self.request("POST", path, json=json, **kw)

    def connection(self, timeout=10.0):
        return http.client.HTTPConnection(HOST, self.port, timeout=timeout)

    def wait_healthy(self, timeout=5.0):
        """Poll GET /health until 200; returns the Response (fails the test at the deadline)."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            try:
                last = self.get("/health", timeout=2.0)
                if last.status == 200:
                    return last
            except (OSError, http.client.HTTPException) as e:
                last = e
            time.sleep(0.05)
        pytest.fail(f"/health not 200 within {timeout} s (last: {last!r})")


class ServerFactory:
    """make_server(**sections) -> started Server. Keyword arguments are config sections,
    e.g. make_server(auth={"lockout_seconds": 2}); extra_env= and extra_args= are passed to
    the process; start=False returns it unstarted."""

    def __init__(self, tmp_path_factory, prefix):
        self._tmp = tmp_path_factory
        self._prefix = prefix
        self.servers = []

    def __call__(self, extra_env=None, extra_args=None, start=True, **sections):
        server = Server(self._tmp.mktemp(self._prefix), config=sections, env=extra_env,
                        extra_args=extra_args)
        self.servers.append(server)
        if start:
            server.start()
        return server

    def close(self):
        failures = []
        for server in self.servers:
            try:
                server.stop()
            except pytest.fail.Exception as e:  # did not stop in time: already killed
                failures.append(str(e))
            finally:
                server.kill()
        if failures:
            pytest.fail("\n".join(failures), pytrace=False)


# ------------------------------------------------------------------------- clusters


def fresh_cluster_folder(port):
    """The folder of the cluster a test module starts on `port`: the same on every run, so that a
    cluster left running by a run that was killed (no finalizer ran) is stopped and removed
    before the next one needs its ports."""
    folder = f"/var/tmp/botcore-ctest-cluster-{port}"
    if os.path.exists(folder):
        script = os.path.join(os.path.dirname(__file__), "..", "..", "scripts", "cluster")
        subprocess.run([script, "down", "--dir", folder, "--destroy"], capture_output=True,
                       timeout=300, check=False)
    return folder


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def make_server(tmp_path_factory):
    factory = ServerFactory(tmp_path_factory, "botcore")
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def module_make_server(tmp_path_factory):
    factory = ServerFactory(tmp_path_factory, "botcore-mod")
    yield factory
    factory.close()


@pytest.fixture(scope="module")
def server(module_make_server):
    """A default-config server shared by the tests of one module (tests use unique emails)."""
    return module_make_server()


@pytest.fixture
def fresh_server(make_server):
    """A default-config server of its own for one test."""
    return make_server()


# ------------------------------------------------------------------------ API helpers


def unique_email(prefix="user"):
    return f"{prefix}-{uuid.uuid4().hex[:12]}@example.com"


class Account:
    def __init__(self, email, password, user):
        self.email = email
        self.password = password
        self.user = user

    @property
    def id(self):
        return self.user["id"]

    def __repr__(self):
        return f"Account({self.email!r})"


def register(server, email=None, password=DEFAULT_PASSWORD, display_name=None):
    """Register a user (unique email when none is given); asserts 201. Returns an Account."""
    email = email or unique_email()
    body = {"email": email, "password": password}
    if display_name is not None:
        body["display_name"] = display_name
    r = server.post("/api/auth/register", json=body)
    assert r.status == 201, f"register {email}: {r.status} {r.body[:500]!r}"
    return Account(email, password, r.json["user"])


def login(server, email, password=DEFAULT_PASSWORD):
    """Log in (asserts 200); returns TokenPair(access_token, refresh_token, body).
    `email` may also be an Account (its password is used then)."""
    if isinstance(email, Account):
        email, password = email.email, email.password
    r = server.post("/api/auth/login", json={"email": email, "password": password})
    assert r.status == 200, f"login {email}: {r.status} {r.body[:500]!r}"
    return TokenPair(r.json["access_token"], r.json["refresh_token"], r.json)


def auth_headers(token):
    return {"Authorization": f"Bearer {token}"}


# --------------------------------------------------------------------------- clusters


def metric(port, name):
    """The value of an unlabelled sample of GET /metrics on port (None if absent)."""
    r = http_request(port, "GET", "/metrics")
    assert r.status == 200
    match = re.search(rf"^{name} (\S+)$", r.body.decode(), re.M)
    return float(match.group(1)) if match else None


class Endpoint:
    """HTTP on one loopback port (an instance, or HAProxy)."""

    def __init__(self, port):
        self.port = port

    def request(self, method, path, **kw):
        return http_request(self.port, method, path, **kw)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)


def set_price(instances, token, symbol, price):
    """A manual price on every instance named (each keeps its own with market.source=manual)."""
    for instance in instances:
        r = instance.post("/api/market/prices", json={"symbol": symbol, "price": price},
                          headers=auth_headers(token))
        assert r.status == 204, r.body


def wait_until(check, timeout=5.0, step=0.05):
    """Polls check() until it returns something truthy or timeout passes; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(step)
    return check()


def new_session(server, **kw):
    """Register a fresh user and log in: (Account, TokenPair)."""
    account = register(server, **kw)
    return account, login(server, account)


def assert_error(response, status, code, field=None):
    """The response has `status` and the error body {"error":{"code","message"[,"field"]}}."""
    assert response.status == status, \
        f"expected {status} {code}, got {response.status} {response.body[:500]!r}"
    assert_error_shape(response)
    assert response.json["error"]["code"] == code, response.json
    if field is not None:
        assert response.json["error"].get("field") == field, response.json


def assert_error_shape(response):
    body = response.json
    assert isinstance(body, dict), f"error body is not a JSON object: {response.body[:500]!r}"
    assert isinstance(body.get("error"), dict), body
    assert isinstance(body["error"].get("code"), str) and body["error"]["code"], body
    assert isinstance(body["error"].get("message"), str), body
    assert re.fullmatch(r"[a-z][a-z0-9_]*", body["error"]["code"]), body


# ------------------------------------------------------------------------------ JWT


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def jwt_parts(token):
    header, payload, signature = token.split(".")
    return (jsonlib.loads(b64url_decode(header)), jsonlib.loads(b64url_decode(payload)),
            signature)


def forge_jwt(claims, secret=None, alg="HS256", header=None):
    """A compact JWT. alg HS256/HS512 signs with `secret` (str or bytes, raw key bytes);
    alg "none" gives an empty signature."""
    hdr = header if header is not None else {"alg": alg, "typ": "JWT"}
    signing_input = (b64url(jsonlib.dumps(hdr, separators=(",", ":")).encode()) + "." +
                     b64url(jsonlib.dumps(claims, separators=(",", ":")).encode()))
    if alg == "none":
        return signing_input + "."
    digest = {"HS256": hashlib.sha256, "HS512": hashlib.sha512}[alg]
    key = secret.encode() if isinstance(secret, str) else secret
    sig = hmac.new(key, signing_input.encode("ascii"), digest).digest()
    return signing_input + "." + b64url(sig)


def claims_for(user_id, exp_in=600, iat_offset=0):
    now = int(time.time())
    return {"sub": user_id, "jti": uuid.uuid4().hex, "iat": now + iat_offset,
            "exp": now + exp_in}


# --------------------------------------------------------------- failure log reporting


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    item._botcore_first_server = len(_ALL_SERVERS)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    first = getattr(item, "_botcore_first_server", len(_ALL_SERVERS))
    # Servers this test started, plus shared (module-scope) servers still running.
    relevant = [s for i, s in enumerate(_ALL_SERVERS) if i >= first or s.running()]
    for s in relevant:
        report.sections.append(
            (f"botcore stderr tail (port {s.port}, pid {s.proc.pid if s.proc else '-'}, "
             f"dir {s.base_dir})", s.stderr_tail()))


def pytest_sessionfinish(session, exitstatus):
    # Safety net: never leave a server this session started running.
    for s in _ALL_SERVERS:
        s.kill()
