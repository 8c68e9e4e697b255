"""Two Bot Core instances on one PostgreSQL (primary + 2 streaming replicas) behind HAProxy,
started by scripts/cluster: one platform whichever instance serves a request."""

import os
import socket
import subprocess

import pytest

from conftest import (DEFAULT_PASSWORD, Endpoint, auth_headers, fresh_cluster_folder, login,
                      metric, register, set_price, unique_email, wait_until)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CLUSTER = os.path.join(ROOT, "scripts", "cluster")
PORT = 18700  # HAProxy; instances 18701, 18702; PostgreSQL 18800-18802


def run_cluster(*args, env=None):
    return subprocess.run([CLUSTER, *args], capture_output=True, text=True, timeout=180,
                          env=env)


def announced(stdout):
    """The `key=value` lines of `up` and `status` (API.md): {key: [values in order]}."""
    lines = {}
    for line in stdout.strip().splitlines():
        key, _, value = line.partition("=")
        lines.setdefault(key, []).append(value)
    return lines


def without_pids(stdout):
    return [line.split(" pid=")[0] for line in stdout.splitlines()]


@pytest.fixture(scope="module")
def cluster():
    folder = fresh_cluster_folder(PORT)
    env = dict(os.environ)
    # Prices are set through the API, on each instance, so the tests know them.
    env["BOTCORE_MARKET_SOURCE"] = "manual"
    env["BOTCORE_AUTH_PASSWORD_HASH_OPS"] = "1"
    env["BOTCORE_AUTH_PASSWORD_HASH_MEMORY_KIB"] = "8"
    try:
        started = run_cluster("up", "--instances", "2", "--dir", folder, "--base-port", str(PORT),
                              env=env)
        assert started.returncode == 0, started.stderr
        lines = announced(started.stdout)
        assert lines["url"] == [f"http://127.0.0.1:{PORT}"]
        assert [i.split()[0] for i in lines["instance"]] == [
            f"http://127.0.0.1:{PORT + 1}", f"http://127.0.0.1:{PORT + 2}"]
        assert lines["postgres"] == [f"postgresql://botcore:botcore@127.0.0.1:{PORT + 100}/botcore"]
        assert lines["redis"] == [f"redis://127.0.0.1:{PORT + 110}"]
        yield Endpoint(PORT), [Endpoint(PORT + 1), Endpoint(PORT + 2)], folder, started.stdout
    finally:
        stopped = run_cluster("down", "--dir", folder, "--destroy")
        assert stopped.returncode == 0, stopped.stderr
        assert not os.path.exists(folder)


def test_status_prints_the_lines_of_up_and_the_details_of_every_component(cluster):
    _, _, folder, up_stdout = cluster
    r = run_cluster("status", "--dir", folder)
    assert r.returncode == 0, r.stderr
    # No --base-port: the cluster's own is kept in its folder.
    assert r.stdout == up_stdout
    for line in announced(r.stdout)["instance"]:
        pid = int(line.split("pid=")[1])
        assert os.path.basename(os.readlink(f"/proc/{pid}/exe")) == "botcore"
        with open(f"/proc/{pid}/cmdline") as f:
            argv = f.read().split("\0")
        assert argv[1] == "serve" and line.split()[0].endswith(argv[argv.index("--listen") + 1])
    assert f"127.0.0.1:{PORT}  /health 200" in r.stderr, r.stderr
    assert r.stderr.count("instance_") == 2
    assert "replica_1" in r.stderr and "replica_2" in r.stderr


def test_a_user_registered_through_the_balancer_trades_on_one_instance_and_reads_on_the_other(
        cluster):
    balancer, (one, two), _, _ = cluster
    account = register(balancer)
    token = login(balancer, account).access_token
    set_price([one, two], token, "ETHUSDT", "2000")
    r = one.post("/api/orders", json={"symbol": "ETHUSDT", "side": "buy", "type": "market",
                                      "quantity": "0.5", "leverage": 5},
                 headers=auth_headers(token))
    assert r.status == 201, r.body
    order_id = r.json["id"]
    # The order, the position and the balance are the same on the other instance.
    r = two.get("/api/positions", headers=auth_headers(token))
    assert r.status == 200, r.body
    assert [p["symbol"] for p in r.json["positions"]] == ["ETHUSDT"]
    assert two.get(f"/api/orders/{order_id}", headers=auth_headers(token)).status == 200
    balance_one = one.get("/api/account", headers=auth_headers(token)).json["balance"]
    assert wait_until(lambda: two.get("/api/account", headers=auth_headers(token))
                      .json["balance"] == balance_one)


def test_orders_alternating_between_instances_all_apply_to_one_book(cluster):
    balancer, (one, two), _, _ = cluster
    account = register(balancer)
    token = login(balancer, account).access_token
    set_price([one, two], token, "ETHUSDT", "2000")
    for i in range(6):
        instance = one if i % 2 == 0 else two
        r = instance.post("/api/orders", json={"symbol": "ETHUSDT", "side": "buy",
                                               "type": "market", "quantity": "0.1",
                                               "leverage": 5},
                          headers=auth_headers(token))
        assert r.status == 201, (i, r.body)
    for instance in (one, two):
        r = instance.get("/api/positions", headers=auth_headers(token))
        assert [(p["symbol"], p["quantity"]) for p in r.json["positions"]] == [("ETHUSDT", "0.6")]


def test_a_logout_on_one_instance_is_refused_by_the_other_at_once(cluster):
    balancer, (one, two), _, _ = cluster
    account = register(balancer)
    token = login(balancer, account).access_token
    assert two.get("/api/auth/me", headers=auth_headers(token)).status == 200
    r = one.post("/api/auth/logout", headers=auth_headers(token))
    assert r.status == 204, r.body
    assert wait_until(lambda: two.get("/api/auth/me", headers=auth_headers(token)).status == 401,
                      timeout=2.0)


def test_the_balancer_spreads_requests_over_both_instances(cluster):
    balancer, _, _, _ = cluster
    seen = set()
    for _ in range(20):
        r = balancer.get("/health")
        assert r.status == 200
        seen.add(r.json["instance"])
    assert len(seen) == 2, seen


def test_the_audit_names_the_client_behind_the_balancer(cluster):
    balancer, _, _, _ = cluster
    body = {"email": unique_email(), "password": DEFAULT_PASSWORD}
    r = balancer.post("/api/auth/register", json=body,
                      headers={"X-Forwarded-For": "203.0.113.7"})
    assert r.status == 201, r.body
    # HAProxy adds its own peer (this test, on loopback) after the client's address; the
    # instances trust HAProxy's address and take the hop before it.
    audited = subprocess.run(
        ["psql", "-X", "-At", f"postgresql://botcore:botcore@127.0.0.1:{PORT + 100}/botcore",
         "-c", f"SELECT ip FROM audit_logs WHERE user_id = '{r.json['user']['id']}' "
               "AND action = 'register'"],
        check=True, capture_output=True, text=True, timeout=30).stdout.split()
    assert audited == ["203.0.113.7"]


def test_bot_settings_saved_on_one_instance_are_in_force_on_the_other(cluster):
    balancer, (one, two), _, _ = cluster
    account = register(balancer)
    headers = auth_headers(login(balancer, account).access_token)
    running = metric(two.port, "bots_enabled")
    r = one.request("PUT", "/api/bot", json={"leverage": 7, "timeframe": "1h", "enabled": True},
                    headers=headers)
    assert r.status == 200, r.body
    # At once, the other instance changes the settings just saved, not those its bots run.
    r = two.request("PUT", "/api/bot", json={"stop_loss_pct": "1.5"}, headers=headers)
    assert r.status == 200, r.body
    for instance in (one, two):
        settings = instance.get("/api/bot", headers=headers).json
        assert (settings["leverage"], settings["timeframe"], settings["stop_loss_pct"],
                settings["enabled"]) == (7, "1h", "1.5", True)
    assert wait_until(lambda: metric(two.port, "bots_enabled") == running + 1)


def test_a_rolling_restart_from_another_shell_keeps_the_settings_of_up(cluster):
    balancer, instances, folder, _ = cluster
    # This shell has none of the BOTCORE_* settings `up` had (manual prices among them), and
    # one that would put every instance on one address.
    env = {k: v for k, v in os.environ.items() if not k.startswith("BOTCORE_")}
    env["BOTCORE_SERVER_LISTEN"] = "127.0.0.1:1"
    r = run_cluster("restart", "--rolling", "--dir", folder, env=env)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("restarting instance") == 2
    # The first one restarted saw the second leave and come back (its restart was before).
    one = instances[0].port
    assert wait_until(lambda: metric(one, "autoscaling_instances_removed_total") == 1
                      and metric(one, "autoscaling_instances_added_total") == 1, timeout=15), \
        (metric(one, "autoscaling_instances_removed_total"),
         metric(one, "autoscaling_instances_added_total"))
    assert wait_until(lambda: metric(one, "cluster_instances") == 2, timeout=15)
    account = register(balancer)
    token = login(balancer, account).access_token
    set_price(instances, token, "ETHUSDT", "2000")  # still manual prices, on both


def test_down_stops_only_what_the_cluster_started_and_destroys_only_its_folder(tmp_path):
    # A folder `up` did not make is never deleted.
    foreign = tmp_path / "not-a-cluster"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    r = run_cluster("down", "--dir", str(foreign), "--destroy")
    assert r.returncode != 0 and "not deleted" in r.stderr, r.stderr
    assert (foreign / "keep.txt").exists()
    # A PID file naming a process the cluster did not start (a PID reused after a crash or a
    # reboot): the process is left alone, and its stale file removed.
    folder = tmp_path / "cluster"
    (folder / "instance_1").mkdir(parents=True)
    (folder / ".botcore-cluster").touch()
    other = subprocess.Popen(["sleep", "60"])
    try:
        (folder / "instance_1" / "pid").write_text(f"{other.pid}\n")
        r = run_cluster("down", "--dir", str(folder), "--destroy")
        assert r.returncode == 0, r.stderr
        assert other.poll() is None
        assert not folder.exists()
    finally:
        other.kill()
        other.wait()


def test_up_refuses_ports_another_server_holds(tmp_path):
    port = 19300
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    holder.bind(("127.0.0.1", port + 2))  # where its second instance would listen
    holder.listen()
    folder = tmp_path / "cluster"
    try:
        r = run_cluster("up", "--instances", "2", "--dir", str(folder), "--base-port", str(port))
        assert r.returncode != 0
        assert f"port {port + 2} is in use" in r.stderr, r.stderr
        assert not (folder / "pg").exists()  # nothing was started
    finally:
        holder.close()
        run_cluster("down", "--dir", str(folder), "--destroy")


def test_a_second_cluster_on_another_base_port_runs_beside_the_first(cluster):
    balancer, _, folder, up_stdout = cluster
    second = 19500  # HAProxy; instance 19501; PostgreSQL 19600-19602; Redis 19610
    default_folder = f"/var/tmp/botcore-cluster-{second}"
    run_cluster("down", "--base-port", str(second), "--destroy")  # what a killed run left
    env = dict(os.environ, BOTCORE_AUTH_PASSWORD_HASH_OPS="1",
               BOTCORE_AUTH_PASSWORD_HASH_MEMORY_KIB="8")
    try:
        r = run_cluster("up", "--instances", "1", "--base-port", str(second), env=env)
        assert r.returncode == 0, r.stderr
        lines = announced(r.stdout)
        assert lines["url"] == [f"http://127.0.0.1:{second}"]
        assert [i.split()[0] for i in lines["instance"]] == [f"http://127.0.0.1:{second + 1}"]
        assert os.path.isdir(default_folder)
        # Two platforms: a user of the second is unknown to the first.
        account = register(Endpoint(second))
        r_login = balancer.post("/api/auth/login",
                                json={"email": account.email, "password": DEFAULT_PASSWORD})
        assert r_login.status == 401, r_login.body
        assert run_cluster("status", "--base-port", str(second)).stdout == r.stdout
        # The first is unchanged but for its instances' PIDs (a rolling restart test ran).
        assert without_pids(run_cluster("status", "--dir", folder).stdout) == \
            without_pids(up_stdout)
    finally:
        stopped = run_cluster("down", "--base-port", str(second), "--destroy")
        assert stopped.returncode == 0, stopped.stderr
        assert not os.path.exists(default_folder)
    assert balancer.get("/health").status == 200
