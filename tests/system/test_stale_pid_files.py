"""scripts/redis, scripts/pgbouncer and scripts/pg trust a PID file only when its process is their
own server: after a crash or a reboot the PID may be another program's, which `stop` must not
signal and `status` must not call running."""

import os
import random
import shutil
import socket
import subprocess
import tempfile

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPTS = os.path.join(ROOT, "scripts")
# Short waits: a script that signalled the stranger would otherwise wait the default 20-30 s for
# it (an unreaped child of this test) to go away.
ENV = dict(os.environ, BOTCORE_REDIS_WAIT_S="5", BOTCORE_PGBOUNCER_WAIT_S="5",
           BOTCORE_PG_WAIT_S="30")


def script(name, *args, timeout=120):
    return subprocess.run([os.path.join(SCRIPTS, name), *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def free_port(taken=()):
    """A loopback port in 27000-27999 that was free a moment ago."""
    for port in random.sample(range(27000, 28000), 1000):
        if port in taken:
            continue
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    pytest.fail("no free port in 27000-27999")


@pytest.fixture
def folder():
    # PostgreSQL and PgBouncer run as the postgres user under root: it must reach the folder.
    path = tempfile.mkdtemp(prefix="botcore-pid-files-", dir="/tmp")
    os.chmod(path, 0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def stranger():
    """Starts `sleep 60`, a process none of the scripts started, as `user` (this test's own user
    by default); each one is killed at the end of the test."""
    started = []

    def start(user=None):
        proc = subprocess.Popen(["sleep", "60"], user=user)
        started.append(proc)
        return proc

    yield start
    for proc in started:
        proc.kill()
        proc.wait(timeout=10)


def assert_alive(proc):
    with pytest.raises(subprocess.TimeoutExpired):
        proc.wait(timeout=0.5)


def write_pid(path, pid):
    with open(path, "w") as f:
        f.write(f"{pid}\n")


def assert_stale_pid_file_is_ignored(name, folder, pid_file, start_args, stranger):
    """Start, stop, then a stale pid file naming the stranger: status says stopped, stop leaves
    the stranger alone, and start starts a server of its own anyway."""
    started = script(name, "start", "--dir", folder, *start_args)
    assert started.returncode == 0, started.stderr
    with open(pid_file) as f:
        own = int(f.read().split()[0])
    status = script(name, "status", "--dir", folder)
    assert status.returncode == 0 and f"running (pid {own})" in status.stdout, status
    assert script(name, "stop", "--dir", folder).returncode == 0

    write_pid(pid_file, stranger.pid)
    status = script(name, "status", "--dir", folder)
    assert status.returncode == 3, status
    assert "running" not in status.stdout and "stopped" in status.stdout, status.stdout
    stopped = script(name, "stop", "--dir", folder)
    assert stopped.returncode == 0, stopped.stderr
    assert_alive(stranger)

    write_pid(pid_file, stranger.pid)
    again = script(name, "start", "--dir", folder, *start_args)
    assert again.returncode == 0, again.stderr
    with open(pid_file) as f:
        own = int(f.read().split()[0])
    assert own != stranger.pid
    status = script(name, "status", "--dir", folder)
    assert status.returncode == 0 and f"running (pid {own})" in status.stdout, status
    destroyed = script(name, "destroy", "--dir", folder)
    assert destroyed.returncode == 0, destroyed.stderr
    assert not os.path.exists(folder)
    assert_alive(stranger)


def test_redis_leaves_a_process_named_by_a_stale_pid_file_alone(folder, stranger):
    redis = os.path.join(folder, "redis")
    try:
        assert_stale_pid_file_is_ignored("redis", redis, os.path.join(redis, "redis.pid"),
                                         ["--port", str(free_port())], stranger())
    finally:
        script("redis", "destroy", "--dir", redis)


def test_pgbouncer_leaves_a_process_named_by_a_stale_pid_file_alone(folder, stranger):
    pg, bouncer = os.path.join(folder, "pg"), os.path.join(folder, "pgbouncer")
    pg_port = free_port()
    try:
        upstream = script("pg", "start", "--dir", pg, "--port", str(pg_port), timeout=180)
        assert upstream.returncode == 0, upstream.stderr
        assert_stale_pid_file_is_ignored(
            "pgbouncer", bouncer, os.path.join(bouncer, "pgbouncer.pid"),
            ["--port", str(free_port({pg_port})), "--upstream-port", str(pg_port)], stranger())
    finally:
        script("pgbouncer", "destroy", "--dir", bouncer)
        script("pg", "destroy", "--dir", pg, timeout=180)


def test_pg_leaves_a_process_named_by_a_stale_postmaster_pid_alone(folder, stranger):
    # pg_ctl signals as the postgres user: the stranger is one of its processes, which pg_ctl
    # alone would stop and report as the server.
    pg = os.path.join(folder, "pg")
    lock = os.path.join(pg, "primary", "postmaster.pid")
    sleeper = stranger("postgres" if os.geteuid() == 0 else None)
    try:
        port = str(free_port())
        started = script("pg", "start", "--dir", pg, "--port", port, timeout=180)
        assert started.returncode == 0, started.stderr
        with open(lock) as f:
            lines = f.read().splitlines()
        assert "primary" in script("pg", "status", "--dir", pg).stdout
        assert script("pg", "stop", "--dir", pg).returncode == 0
        assert not os.path.exists(lock)

        # What a crash leaves: the server's lock file, its PID now the stranger's.
        with open(lock, "w") as f:
            f.write("\n".join([str(sleeper.pid), *lines[1:]]) + "\n")
        owner = os.stat(os.path.dirname(lock))
        os.chown(lock, owner.st_uid, owner.st_gid)
        status = script("pg", "status", "--dir", pg)
        assert status.returncode == 0, status.stderr
        primary = next(line for line in status.stdout.splitlines() if line.startswith("primary"))
        assert "stopped" in primary and "running" not in primary, status.stdout
        stopped = script("pg", "stop", "--dir", pg)
        assert stopped.returncode == 0, stopped.stderr
        assert "primary not running" in stopped.stderr
        assert_alive(sleeper)

        # Nor does it keep the server from starting again.
        again = script("pg", "start", "--dir", pg, "--port", port, timeout=180)
        assert again.returncode == 0, again.stderr
        with open(lock) as f:
            assert int(f.readline()) != sleeper.pid
        primary = next(line for line in script("pg", "status", "--dir", pg).stdout.splitlines()
                       if line.startswith("primary"))
        assert "running" in primary, primary
        assert_alive(sleeper)
    finally:
        destroyed = script("pg", "destroy", "--dir", pg, timeout=180)
        assert destroyed.returncode == 0, destroyed.stderr
    assert not os.path.exists(pg)
    assert_alive(sleeper)
