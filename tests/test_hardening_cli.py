"""Issue 15 at the command line: files that are not warehouses, warehouses from a newer
paramtrack, unwritable paths and bad numbers are one ``Error:`` line each, never a traceback;
DuckDB is never allowed to install or load an extension.

Every command runs the installed console script in a subprocess, as in tests/test_cli.py.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest
from test_cli import one_line_error, run

from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.migrations import newest_known

FUTURE = "0099_from_a_newer_paramtrack"


def _args(command: list[str]) -> list[str]:
    """``PORT`` becomes a free port (a server that wrongly started would hold it until killed)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    return [port if arg == "PORT" else arg for arg in command]


def _sqlite_file(path: Path) -> Path:
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE papers (arxiv_id TEXT)")
    con.commit()
    con.close()
    return path


# -- DuckDB must not reach out -------------------------------------------------------------------


def test_warehouse_connections_cannot_install_or_load_extensions(warehouse):
    with warehouse.read() as con:
        settings = dict(
            con.execute(
                "SELECT name, value FROM duckdb_settings() WHERE name IN ('autoinstall_known_extensions',"
                " 'autoload_known_extensions', 'allow_community_extensions', 'lock_configuration')"
            ).fetchall()
        )
        assert settings == {
            "autoinstall_known_extensions": "false",
            "autoload_known_extensions": "false",
            "allow_community_extensions": "false",
            "lock_configuration": "true",
        }
        with pytest.raises(Exception, match="locked"):
            con.execute("SET autoload_known_extensions = true")


@pytest.mark.parametrize(
    "command", [["db", "info"], ["status"], ["queue", "export"], ["db", "migrate"], ["review-server", "--port", "PORT"]]
)
def test_a_sqlite_file_is_one_line_naming_it_and_no_extension_is_fetched(paramtrack_exe, tmp_path, command):
    db = _sqlite_file(tmp_path / "papers.sqlite")
    home = tmp_path / "home"
    home.mkdir()
    result = run(paramtrack_exe, "--db", str(db), *_args(command), env={"HOME": str(home)}, timeout=60)
    line = one_line_error(result)
    assert str(db) in line and "not a valid DuckDB database file (it is a SQLite database)" in line
    assert not (home / ".duckdb").exists()  # DuckDB did not even try to install sqlite_scanner
    assert db.read_bytes().startswith(b"SQLite format 3")


def test_a_random_file_is_one_line_naming_it(paramtrack_exe, tmp_path):
    db = tmp_path / "noise.duckdb"
    db.write_bytes(bytes(range(256)) * 64)
    line = one_line_error(run(paramtrack_exe, "--db", str(db), "queue", "export", timeout=60))
    assert f"{db} is not a valid DuckDB database file" in line


# -- a schema newer than the code ------------------------------------------------------------------


@pytest.fixture()
def newer_warehouse(warehouse) -> Path:
    with warehouse.write() as con:
        con.execute("INSERT INTO _migrations VALUES (?, now())", [FUTURE])
    return warehouse.path


def test_status_reports_a_newer_schema_as_a_health_problem(paramtrack_exe, newer_warehouse):
    result = run(paramtrack_exe, "--db", str(newer_warehouse), "status", timeout=60)
    assert result.returncode == 1 and "Traceback" not in result.stderr, result.stderr
    assert f"schema {FUTURE} is newer than this paramtrack knows (newest {newest_known()})" in result.stdout
    assert "Health: ok" not in result.stdout


@pytest.mark.parametrize(
    "command",
    [
        ["queue", "export"],
        ["db", "migrate"],
        ["db", "info"],
        ["review-server", "--port", "PORT"],
        ["recompute", "--no-prefect"],
    ],
)
def test_other_commands_refuse_a_newer_schema_in_one_line(paramtrack_exe, newer_warehouse, command):
    line = one_line_error(run(paramtrack_exe, "--db", str(newer_warehouse), *_args(command), timeout=120))
    assert str(newer_warehouse) in line
    assert f"has schema {FUTURE}, newer than this paramtrack knows (newest {newest_known()})" in line


def test_add_refuses_a_newer_schema_before_starting_a_run(paramtrack_exe, newer_warehouse, replay_server):
    result = run(
        paramtrack_exe,
        "--db",
        str(newer_warehouse),
        "add",
        "1706.03762",
        "--arxiv-url",
        replay_server.arxiv_api_url,
        "--s2-url",
        replay_server.s2_api_url,
        timeout=120,
    )
    assert f"has schema {FUTURE}" in one_line_error(result)
    with Warehouse(newer_warehouse).read(migrate=False) as con:
        assert con.execute("SELECT count(*) FROM papers").fetchone()[0] == 0


# -- unwritable paths, bad numbers ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "db, command",
    [
        ("/proc/x.duckdb", ["db", "migrate"]),
        ("/proc/x.duckdb", ["demo"]),
        ("/proc/no/such/x.duckdb", ["db", "migrate"]),
    ],
)
def test_an_unwritable_db_path_is_one_line(paramtrack_exe, tmp_path, db, command):
    line = one_line_error(run(paramtrack_exe, "--db", db, *command, cwd=tmp_path, timeout=120))
    assert "/proc/" in line


@pytest.mark.parametrize("port", ["99999", "-1", "0x50"])
def test_review_server_refuses_a_port_out_of_range_in_one_line(paramtrack_exe, tmp_path, port):
    result = run(paramtrack_exe, "--db", str(tmp_path / "w.duckdb"), "review-server", "--port", port, timeout=60)
    assert result.returncode != 0 and "Traceback" not in result.stderr, result.stderr
    if port != "0x50":  # not a number at all: Typer's usage error
        assert "--port must be within 1-65535" in one_line_error(result)


def test_review_server_on_a_port_in_use_is_one_line(paramtrack_exe, tmp_path):
    Warehouse(tmp_path / "w.duckdb").migrate()  # (a missing one is refused first)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            paramtrack_exe, "--db", str(tmp_path / "w.duckdb"), "review-server", "--port", str(port), timeout=60
        )
    assert f"cannot listen on 127.0.0.1:{port}" in one_line_error(result)


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-5"])
def test_extract_refuses_a_timeout_that_is_not_a_positive_number(paramtrack_exe, tmp_path, value):
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    result = run(paramtrack_exe, "extract", str(pdf), f"--timeout={value}", timeout=60)
    assert "--timeout must be a number of seconds > 0" in one_line_error(result)
