"""The `paramtrack` command as a user meets it: help, typos and bad input get one clear line.

``--help`` and adding papers run the installed console script, exactly what a user types; the
other checks run the same app in this process (the ``cli`` fixture), as ``paramtrack.cli.main``
would: they all end before anything needs a process of its own.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def test_help_lists_every_command(run_paramtrack):
    result = run_paramtrack("--help")
    assert result.exit_code == 0
    for command in (
        "demo",
        "ingest",
        "add",
        "serve",
        "extract",
        "eval",
        "review",
        "review-server",
        "queue",
        "import-epoch",
        "recompute",
        "replay-server",
        "db",
        "status",
    ):
        assert f" {command} " in result.stdout, command


def test_a_typo_in_a_command_is_a_usage_error(cli):
    result = cli("injest")
    assert result.exit_code == 2
    assert "No such command 'injest'" in result.stderr


def test_an_unknown_category_is_refused_before_anything_runs(cli, tmp_path):
    result = cli(
        "--db",
        str(tmp_path / "w.duckdb"),
        "ingest",
        "--category",
        "cs.XX",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-07",
    )
    assert "cs.XX" in result.one_line_error()
    assert not (tmp_path / "w.duckdb").exists()


def test_since_after_until_is_refused(cli, tmp_path):
    result = cli("--db", tmp_path / "w.duckdb", "ingest", "--since", "2026-11-08", "--until", "2026-11-01")
    assert "--since 2026-11-08 is after --until 2026-11-01" in result.one_line_error()


def test_a_malformed_date_is_refused(cli, tmp_path):
    result = cli("--db", tmp_path / "w.duckdb", "ingest", "--since", "2026-13-01")
    assert "not a date" in result.one_line_error()


def test_an_unreachable_api_names_the_url_and_suggests_the_replay_server(cli, tmp_path):
    result = cli(
        "--db",
        str(tmp_path / "w.duckdb"),
        "ingest",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-07",
        "--arxiv-url",
        "http://127.0.0.1:9/api/query",
    )
    line = result.one_line_error()
    assert "http://127.0.0.1:9/api/query" in line and "replay-server" in line
    assert result.exit_code == 75  # EX_TEMPFAIL: nothing wrong with the request, try later


def test_the_replay_hint_is_only_for_sources_on_this_machine():
    from paramtrack.cli import error_line, exit_code_for
    from paramtrack.core.errors import InputError, SourceUnavailableError

    local = SourceUnavailableError("arXiv API refused the connection", url="http://127.0.0.1:8/api/query")
    live = SourceUnavailableError("arXiv API refused the connection", url="https://export.arxiv.org/api/query")
    assert "replay-server" in error_line(local)
    assert "replay-server" not in error_line(live)
    assert exit_code_for(live) == 75 and exit_code_for(InputError("bad --since")) == 2


def test_a_locked_database_names_the_process_holding_it(cli, tmp_path):
    db = tmp_path / "w.duckdb"
    code = textwrap.dedent(f"""
        import duckdb, time
        con = duckdb.connect({str(db)!r}); print("locked", flush=True); time.sleep(30)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = cli("--db", db, "db", "info", env={"PARAMTRACK_LOCK_TIMEOUT": "1"})
        line = result.one_line_error()
        assert f"PID {holder.pid}" in line and "locked" in line
    finally:
        holder.kill()
        holder.wait()


def test_a_corrupt_database_is_reported_and_left_alone(cli, tmp_path):
    db = tmp_path / "w.duckdb"
    db.write_bytes(b"not a database\n" * 200)
    result = cli("--db", db, "db", "info")
    assert "not a valid DuckDB database" in result.one_line_error()
    assert db.read_bytes().startswith(b"not a database")


def test_the_db_option_can_come_from_the_environment(cli, tmp_path):
    db = tmp_path / "env.duckdb"
    result = cli("db", "migrate", env={"PARAMTRACK_DB": str(db)})
    assert result.exit_code == 0 and db.exists()
    assert "0001_discovery" in result.stdout


@pytest.mark.parametrize("bad", ["abc", "2204.2311", "hep-th/99", "1234.56789v"])
def test_malformed_arxiv_ids_are_refused(cli, tmp_path, bad):
    result = cli("--db", tmp_path / "w.duckdb", "add", bad)
    assert bad in result.one_line_error()


@pytest.mark.prefect
@pytest.mark.slow
def test_adding_papers_by_id_accepts_old_and_new_styles(run_paramtrack, tmp_path, replay_server):
    db = tmp_path / "w.duckdb"
    result = run_paramtrack(
        "--db",
        str(db),
        "add",
        "2205.01068v1",
        "arXiv:2108.12409",
        "https://arxiv.org/abs/1810.04805v2",
        "hep-th/9901001",
        "--arxiv-url",
        replay_server.arxiv_api_url,
        "--s2-url",
        replay_server.s2_api_url,
        env={"PREFECT_HOME": str(tmp_path / "prefect")},
        timeout=600,
    )
    # The old-style id is valid but not in the corpus: reported, and the others still land.
    assert "not found on arXiv: hep-th/9901001" in result.stderr
    assert result.exit_code != 0
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute("SELECT arxiv_id, status, found_by FROM papers ORDER BY 1").fetchall()
        staged = con.execute("SELECT count(*) FROM review_items").fetchone()[0]
    finally:
        con.close()
    assert rows == [
        ("1810.04805", "notable", "manual"),
        ("2108.12409", "notable", "manual"),
        ("2205.01068", "notable", "manual"),
    ]
    assert staged == 3
