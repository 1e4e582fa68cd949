"""The `paramtrack` command as a user meets it: help, typos and bad input get one clear line.

Every test runs the installed console script in a subprocess, exactly what a user types.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest


def run(exe: str, *args: str, env: dict | None = None, cwd: Path | None = None, timeout: float = 300):
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}, cwd=cwd
    )


def one_line_error(result) -> str:
    """Assert the command failed with a single `Error: ...` line and no traceback."""
    assert result.returncode != 0, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def test_help_lists_every_command(paramtrack_exe):
    result = run(paramtrack_exe, "--help")
    assert result.returncode == 0
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


def test_a_typo_in_a_command_is_a_usage_error(paramtrack_exe):
    result = run(paramtrack_exe, "injest")
    assert result.returncode == 2
    assert "No such command 'injest'" in result.stderr


def test_an_unknown_category_is_refused_before_anything_runs(paramtrack_exe, tmp_path):
    result = run(
        paramtrack_exe,
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
    assert "cs.XX" in one_line_error(result)
    assert not (tmp_path / "w.duckdb").exists()


def test_since_after_until_is_refused(paramtrack_exe, tmp_path):
    result = run(
        paramtrack_exe, "--db", str(tmp_path / "w.duckdb"), "ingest", "--since", "2026-11-08", "--until", "2026-11-01"
    )
    assert "--since 2026-11-08 is after --until 2026-11-01" in one_line_error(result)


def test_a_malformed_date_is_refused(paramtrack_exe, tmp_path):
    result = run(paramtrack_exe, "--db", str(tmp_path / "w.duckdb"), "ingest", "--since", "2026-13-01")
    assert "not a date" in one_line_error(result)


def test_an_unreachable_api_names_the_url_and_suggests_the_replay_server(paramtrack_exe, tmp_path):
    result = run(
        paramtrack_exe,
        "--db",
        str(tmp_path / "w.duckdb"),
        "ingest",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-07",
        "--arxiv-url",
        "http://127.0.0.1:9/api/query",
        timeout=60,
    )
    line = one_line_error(result)
    assert "http://127.0.0.1:9/api/query" in line and "replay-server" in line
    assert result.returncode == 75  # EX_TEMPFAIL: nothing wrong with the request, try later


def test_the_replay_hint_is_only_for_sources_on_this_machine():
    from paramtrack.cli import error_line, exit_code_for
    from paramtrack.core.errors import InputError, SourceUnavailableError

    local = SourceUnavailableError("arXiv API refused the connection", url="http://127.0.0.1:8/api/query")
    live = SourceUnavailableError("arXiv API refused the connection", url="https://export.arxiv.org/api/query")
    assert "replay-server" in error_line(local)
    assert "replay-server" not in error_line(live)
    assert exit_code_for(live) == 75 and exit_code_for(InputError("bad --since")) == 2


def test_a_locked_database_names_the_process_holding_it(paramtrack_exe, tmp_path):
    db = tmp_path / "w.duckdb"
    code = textwrap.dedent(f"""
        import duckdb, time
        con = duckdb.connect({str(db)!r}); print("locked", flush=True); time.sleep(30)
    """)
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        result = run(paramtrack_exe, "--db", str(db), "db", "info", env={"PARAMTRACK_LOCK_TIMEOUT": "1"})
        line = one_line_error(result)
        assert f"PID {holder.pid}" in line and "locked" in line
    finally:
        holder.kill()
        holder.wait()


def test_a_corrupt_database_is_reported_and_left_alone(paramtrack_exe, tmp_path):
    db = tmp_path / "w.duckdb"
    db.write_bytes(b"not a database\n" * 200)
    result = run(paramtrack_exe, "--db", str(db), "db", "info")
    assert "not a valid DuckDB database" in one_line_error(result)
    assert db.read_bytes().startswith(b"not a database")


def test_the_db_option_can_come_from_the_environment(paramtrack_exe, tmp_path):
    db = tmp_path / "env.duckdb"
    result = run(paramtrack_exe, "db", "migrate", env={"PARAMTRACK_DB": str(db)})
    assert result.returncode == 0 and db.exists()
    assert "0001_discovery" in result.stdout


@pytest.mark.parametrize("bad", ["abc", "2204.2311", "hep-th/99", "1234.56789v"])
def test_malformed_arxiv_ids_are_refused(paramtrack_exe, tmp_path, bad):
    result = run(paramtrack_exe, "--db", str(tmp_path / "w.duckdb"), "add", bad)
    assert bad in one_line_error(result)


@pytest.mark.prefect
@pytest.mark.slow
def test_adding_papers_by_id_accepts_old_and_new_styles(paramtrack_exe, tmp_path, replay_server):
    db = tmp_path / "w.duckdb"
    result = run(
        paramtrack_exe,
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
    assert result.returncode != 0
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
