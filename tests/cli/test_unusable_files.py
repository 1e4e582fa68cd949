"""Files that are not warehouses, warehouses from a newer paramtrack, unwritable paths and bad
numbers are one ``Error:`` line each at the command line, never a traceback; DuckDB is never
allowed to install or load an extension.

Every command runs in this process (the ``cli`` fixture): each is refused before it would serve,
fit or start Prefect.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import pytest

from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.migrations import newest_known

FUTURE = "0099_from_a_newer_paramtrack"


def _args(command: list[str], port: int) -> list[str]:
    """``PORT`` becomes a free port (a server that wrongly started would hold it until killed)."""
    return [str(port) if arg == "PORT" else arg for arg in command]


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
def test_a_sqlite_file_is_one_line_naming_it_and_no_extension_is_fetched(cli, free_port, tmp_path, command):
    db = _sqlite_file(tmp_path / "papers.sqlite")
    home = tmp_path / "home"
    home.mkdir()
    result = cli("--db", str(db), *_args(command, free_port()), env={"HOME": str(home)})
    line = result.one_line_error()
    assert str(db) in line and "not a valid DuckDB database file (it is a SQLite database)" in line
    assert not (home / ".duckdb").exists()  # DuckDB did not even try to install sqlite_scanner
    assert db.read_bytes().startswith(b"SQLite format 3")


def test_a_random_file_is_one_line_naming_it(cli, tmp_path):
    db = tmp_path / "noise.duckdb"
    db.write_bytes(bytes(range(256)) * 64)
    line = cli("--db", str(db), "queue", "export").one_line_error()
    assert f"{db} is not a valid DuckDB database file" in line


# -- a schema newer than the code ------------------------------------------------------------------


@pytest.fixture()
def newer_warehouse(warehouse) -> Path:
    with warehouse.write() as con:
        con.execute("INSERT INTO _migrations VALUES (?, now())", [FUTURE])
    return warehouse.path


def test_status_reports_a_newer_schema_as_a_health_problem(cli, newer_warehouse):
    result = cli("--db", str(newer_warehouse), "status")
    assert result.exit_code == 1 and "Traceback" not in result.stderr, result.stderr
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
def test_other_commands_refuse_a_newer_schema_in_one_line(cli, free_port, newer_warehouse, command):
    line = cli("--db", newer_warehouse, *_args(command, free_port()), env={"PREFECT_API_URL": None}).one_line_error()
    assert str(newer_warehouse) in line
    assert f"has schema {FUTURE}, newer than this paramtrack knows (newest {newest_known()})" in line


def test_add_refuses_a_newer_schema_before_starting_a_run(cli, newer_warehouse, replay_server):
    result = cli(
        "--db",
        newer_warehouse,
        "add",
        "1706.03762",
        "--arxiv-url",
        replay_server.arxiv_api_url,
        "--s2-url",
        replay_server.s2_api_url,
    )
    assert f"has schema {FUTURE}" in result.one_line_error()
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
def test_an_unwritable_db_path_is_one_line(cli, tmp_path, db, command):
    line = cli("--db", db, *command, cwd=tmp_path).one_line_error()
    assert "/proc/" in line


@pytest.mark.parametrize("port", ["99999", "-1", "0x50"])
def test_review_server_refuses_a_port_out_of_range_in_one_line(cli, tmp_path, port):
    result = cli("--db", str(tmp_path / "w.duckdb"), "review-server", "--port", port)
    assert result.exit_code != 0 and "Traceback" not in result.stderr, result.stderr
    if port != "0x50":  # not a number at all: Typer's usage error
        assert "--port must be within 1-65535" in result.one_line_error()


def test_review_server_on_a_port_in_use_is_one_line(cli, tmp_path):
    Warehouse(tmp_path / "w.duckdb").migrate()  # (a missing one is refused first)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = cli("--db", tmp_path / "w.duckdb", "review-server", "--port", str(port))
    assert f"cannot listen on 127.0.0.1:{port}" in result.one_line_error()


@pytest.mark.parametrize("value", ["nan", "inf", "0", "-5"])
def test_extract_refuses_a_timeout_that_is_not_a_positive_number(cli, tmp_path, value):
    pdf = tmp_path / "p.pdf"
    pdf.write_bytes(b"%PDF-1.4\n%%EOF\n")
    result = cli("extract", str(pdf), f"--timeout={value}")
    assert "--timeout must be a number of seconds > 0" in result.one_line_error()
