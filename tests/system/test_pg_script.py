"""scripts/pg, the throwaway PostgreSQL of the benchmarks and the local cluster."""

import os
import subprocess

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PG = os.path.join(ROOT, "scripts", "pg")
PORT = 19700  # replica 19701
FOLDER = f"/var/tmp/botcore-ctest-pg-script-{PORT}"


def pg(*args, timeout=180):
    return subprocess.run([PG, *args, "--dir", FOLDER], capture_output=True, text=True,
                          timeout=timeout)


def test_a_synchronous_primary_started_again_serves_writes_once_its_replica_is_back():
    # A primary started again keeps synchronous_standby_names while its replica is still down:
    # the script's own set-up writes must not wait for that replica.
    pg("destroy")  # whatever a killed run left
    try:
        started = pg("start", "--port", str(PORT), "--replicas", "1", "--sync")
        assert started.returncode == 0, started.stderr
        url = started.stdout.strip().splitlines()[-1]
        assert pg("stop").returncode == 0
        again = pg("start", "--port", str(PORT), "--replicas", "1", "--sync", timeout=120)
        assert again.returncode == 0, again.stderr
        assert again.stdout.strip().splitlines()[-1] == url
        wrote = subprocess.run(
            ["psql", url, "-X", "-q", "-tA", "-c", "create table if not exists t (x int)",
             "-c", "insert into t values (1)", "-c", "select count(*) from t"],
            capture_output=True, text=True, timeout=30)
        assert wrote.returncode == 0, wrote.stderr
        assert wrote.stdout.strip() == "1"
    finally:
        destroyed = pg("destroy")
        assert destroyed.returncode == 0, destroyed.stderr
        assert not os.path.exists(FOLDER)
