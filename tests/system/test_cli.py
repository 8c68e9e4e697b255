"""Command line: version, help, config check, migrate, serve exit codes."""

import os
import re
import signal
import socket
import sqlite3
import subprocess

import pytest

from conftest import BASE_CONFIG, BOTCORE_BIN, HOST, clean_env, free_port, require_binary

LINE_RE = re.compile(r"^(?P<key>[a-z0-9_]+\.[a-z0-9_.]+) = (?P<value>.*) "
                     r"\((?P<source>default|file|environment|flag)\)$")
SECRET = "cli-test-secret-0123456789abcdefghijklmn"


def run(*args, env=None, timeout=10):
    require_binary()
    return subprocess.run([BOTCORE_BIN, *args], capture_output=True, text=True,
                          env=clean_env(env), stdin=subprocess.DEVNULL, timeout=timeout)


@pytest.fixture
def write_config(tmp_path):
    def write(text):
        path = tmp_path / "botcore.toml"
        path.write_text(text, encoding="utf-8")
        return str(path)
    return write


def config_entries(stdout):
    """{key: (value, source)} from `config check` output; every non-empty line must match."""
    entries = {}
    for line in stdout.splitlines():
        if not line.strip():
            continue
        m = LINE_RE.match(line)
        assert m, f"config check line not 'key = value (source)': {line!r}"
        assert m.group("key") not in entries, f"key printed twice: {m.group('key')}"
        entries[m.group("key")] = (m.group("value"), m.group("source"))
    return entries


def config_check(write_config, text="", env=None):
    return run("config", "check", "--config", write_config(text), env=env)


# --------------------------------------------------------------------------- version


def test_version_prints_botcore_and_a_version_and_exits_0():
    out = run("version")
    assert out.returncode == 0, out.stderr
    assert re.fullmatch(r"botcore \S+", out.stdout.strip()), out.stdout


# ------------------------------------------------------------------------------ help


@pytest.mark.parametrize("args", [["--help"], ["serve", "--help"], ["migrate", "--help"],
                                  ["config", "check", "--help"]],
                         ids=["top", "serve", "migrate", "config-check"])
def test_help_prints_usage_and_exits_0(args):
    out = run(*args)
    assert out.returncode == 0, out.stderr
    assert "usage" in out.stdout.lower(), out.stdout


def test_top_level_help_lists_the_subcommands():
    text = run("--help").stdout
    for sub in ("serve", "migrate", "config", "version"):
        assert sub in text, sub


def test_serve_help_documents_its_flags():
    text = run("serve", "--help").stdout
    for flag in ("--config", "--listen", "--data-dir"):
        assert flag in text, flag


def test_migrate_help_documents_data_dir():
    assert "--data-dir" in run("migrate", "--help").stdout


def test_config_check_help_documents_config():
    assert "--config" in run("config", "check", "--help").stdout


# ----------------------------------------------------------------------------- usage


def test_unknown_subcommand_exits_2():
    assert run("frobnicate").returncode == 2


def test_unknown_flag_exits_2():
    assert run("serve", "--no-such-flag").returncode == 2


# ---------------------------------------------------------------------- config check


def test_config_check_prints_one_key_value_source_line_per_key_and_exits_0(write_config):
    out = config_check(write_config)
    assert out.returncode == 0, out.stderr
    assert config_entries(out.stdout)


@pytest.mark.parametrize("key", [
    "server.listen", "server.max_connections", "server.body_limit_bytes",
    "server.request_timeout_seconds", "server.drain_grace_seconds",
    "auth.jwt_secret", "auth.lockout_failures", "auth.lockout_seconds",
    "auth.password_hash_ops", "auth.password_hash_memory_kib",
    "scaling.min_instances", "scaling.max_instances",
])
def test_config_check_lists_the_key(write_config, key):
    assert key in config_entries(config_check(write_config).stdout)


def test_config_check_marks_untouched_keys_as_default(write_config):
    entries = config_entries(config_check(write_config).stdout)
    assert entries["scaling.min_instances"][1] == "default"
    assert entries["scaling.max_instances"][1] == "default"


def test_config_check_marks_keys_set_in_the_file_as_file(write_config):
    entries = config_entries(config_check(write_config, "[scaling]\nmax_instances = 7\n").stdout)
    assert entries["scaling.max_instances"] == ("7", "file")


def test_config_check_shows_environment_overrides(write_config):
    out = config_check(write_config, env={"BOTCORE_SCALING_MAX_INSTANCES": "20"})
    assert out.returncode == 0, out.stderr
    assert "scaling.max_instances = 20 (environment)" in out.stdout.splitlines()


def test_environment_overrides_the_file(write_config):
    out = config_check(write_config, "[scaling]\nmax_instances = 7\n",
                       env={"BOTCORE_SCALING_MAX_INSTANCES": "20"})
    assert out.returncode == 0, out.stderr
    assert config_entries(out.stdout)["scaling.max_instances"] == ("20", "environment")


def test_config_check_redacts_a_jwt_secret_from_the_file(write_config):
    out = config_check(write_config, f'[auth]\njwt_secret = "{SECRET}"\n')
    assert out.returncode == 0, out.stderr
    assert config_entries(out.stdout)["auth.jwt_secret"] == ("<redacted>", "file")
    assert SECRET not in out.stdout + out.stderr


def test_config_check_redacts_a_jwt_secret_from_the_environment(write_config):
    out = config_check(write_config, env={"BOTCORE_AUTH_JWT_SECRET": SECRET})
    assert out.returncode == 0, out.stderr
    assert config_entries(out.stdout)["auth.jwt_secret"] == ("<redacted>", "environment")
    assert SECRET not in out.stdout + out.stderr


def test_out_of_range_value_exits_2_naming_key_value_and_range(write_config):
    out = config_check(write_config, "[scaling]\nmin_instances = 0\n")
    assert out.returncode == 2
    assert "scaling.min_instances" in out.stderr
    assert "0" in out.stderr
    assert "[1, 100]" in out.stderr


def test_out_of_range_value_from_the_environment_exits_2_naming_the_key(write_config):
    out = config_check(write_config, env={"BOTCORE_SCALING_MIN_INSTANCES": "0"})
    assert out.returncode == 2
    assert "scaling.min_instances" in out.stderr


def test_unknown_key_in_the_file_exits_2_naming_it(write_config):
    out = config_check(write_config, "[scaling]\nbogus_knob = 1\n")
    assert out.returncode == 2
    assert "bogus_knob" in out.stderr


def test_unknown_section_in_the_file_exits_2_naming_it(write_config):
    out = config_check(write_config, "[nosuchsection]\nkey = 1\n")
    assert out.returncode == 2
    assert "nosuchsection" in out.stderr


def test_wrongly_typed_value_exits_2_naming_the_key(write_config):
    out = config_check(write_config, '[scaling]\nmin_instances = "two"\n')
    assert out.returncode == 2
    assert "scaling.min_instances" in out.stderr


def test_malformed_toml_exits_2(write_config):
    assert config_check(write_config, "[scaling\nmin_instances = = 3\n").returncode == 2


# --------------------------------------------------------------------------- migrate


def test_migrate_creates_the_database_and_exits_0(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    out = run("migrate", "--data-dir", str(data))
    assert out.returncode == 0, out.stderr
    db = data / "botcore.db"
    assert db.is_file()
    with open(db, "rb") as f:
        assert f.read(16) == b"SQLite format 3\x00"


def test_migrate_twice_is_fine(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    assert run("migrate", "--data-dir", str(data)).returncode == 0
    out = run("migrate", "--data-dir", str(data))
    assert out.returncode == 0, out.stderr
    assert (data / "botcore.db").is_file()


# ----------------------------------------------------------------------------- serve


def fast_config_text(extra=""):
    lines = ["[auth]"] + [f"{k} = {v}" for k, v in BASE_CONFIG["auth"].items()]
    return "\n".join(lines) + "\n" + extra


def test_serve_with_an_invalid_config_exits_2_naming_the_key(write_config, tmp_path):
    path = write_config(fast_config_text("[scaling]\nmin_instances = 0\n"))
    out = run("serve", "--config", path, "--listen", f"{HOST}:{free_port()}",
              "--data-dir", str(tmp_path / "data"))
    assert out.returncode == 2
    assert "scaling.min_instances" in out.stderr


def test_serve_exits_1_when_the_port_is_already_in_use(write_config, tmp_path):
    path = write_config(fast_config_text())
    (tmp_path / "data").mkdir()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as blocker:
        blocker.bind((HOST, 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        out = run("serve", "--config", path, "--listen", f"{HOST}:{port}",
                  "--data-dir", str(tmp_path / "data"))
    assert out.returncode == 1, (out.returncode, out.stderr[-2000:])


def test_serve_refuses_a_database_migrated_by_a_newer_build_and_exits_2(write_config, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    assert run("migrate", "--data-dir", str(data)).returncode == 0
    with sqlite3.connect(data / "botcore.db") as db:  # what a newer build's migration leaves
        db.execute("INSERT INTO schema_migrations (version, name, applied_ms) "
                   "VALUES (99, 'from_the_future', 0)")
    out = run("serve", "--config", write_config(fast_config_text()), "--listen",
              f"{HOST}:{free_port()}", "--data-dir", str(data))
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "newer than this build" in out.stderr and '"schema_version":99' in out.stderr


def test_serve_without_auto_migrate_refuses_a_database_not_migrated_and_exits_2(
        write_config, tmp_path):
    path = write_config(fast_config_text("[store]\nauto_migrate = false\n"))
    out = run("serve", "--config", path, "--listen", f"{HOST}:{free_port()}",
              "--data-dir", str(tmp_path / "data"))
    assert out.returncode == 2, (out.returncode, out.stderr[-2000:])
    assert "older than this build" in out.stderr and "botcore migrate" in out.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_serve_stops_cleanly_with_exit_0_on(make_server, sig):
    s = make_server()
    s.wait_healthy()
    s.send_signal(sig)
    assert s.wait(timeout=20) == 0


# --------------------------------------------------------------------------- example config

EXAMPLE_CONFIG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "deploy",
                              "botcore.example.toml")


def test_the_example_config_is_valid_and_sets_every_key_to_its_default(write_config):
    defaults = config_entries(config_check(write_config, "").stdout)
    result = run("config", "check", "--config", EXAMPLE_CONFIG)
    assert result.returncode == 0, result.stderr
    example = config_entries(result.stdout)
    # Every key but the (commented-out) secret is written out, with the built-in default.
    assert set(example) == set(defaults)
    for key, (value, source) in example.items():
        assert value == defaults[key][0], key
        assert source == ("default" if key == "auth.jwt_secret" else "file"), key
