"""Bad option values and unusable output paths are one `Error: ...` line, never a traceback.

Like tests/test_cli.py, every test runs the installed console script in a subprocess. The checks
all run before Prefect starts or anything is fitted, so these tests take seconds.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from test_cli import one_line_error, run

PCD = "pcd_notable_ml_systems_2022-09.csv"


def _no_prefect_api() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}


# -- recompute: output folders -------------------------------------------------------------------


def _warehouse(tmp_path: Path) -> str:
    """An empty, migrated warehouse: recompute refuses a missing one before any path check."""
    from paramtrack.warehouse import Warehouse

    db = tmp_path / "w.duckdb"
    Warehouse(db).migrate()
    return str(db)


def test_recompute_charts_pointing_at_a_file_is_one_line(paramtrack_exe, tmp_path):
    target = tmp_path / "charts.png"
    target.write_text("not a folder")
    db = _warehouse(tmp_path)
    result = run(paramtrack_exe, "--db", db, "recompute", "--charts", str(target), timeout=60)
    line = one_line_error(result)
    assert "--charts" in line and "is a file, not a folder" in line
    assert target.read_text() == "not a folder"
    from paramtrack.warehouse import Warehouse

    with Warehouse(db).read() as con:  # refused before any work: no run started
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_recompute_charts_under_a_file_is_one_line(paramtrack_exe, tmp_path):
    (tmp_path / "plain").write_text("x")
    result = run(
        paramtrack_exe,
        "--db",
        _warehouse(tmp_path),
        "recompute",
        "--no-prefect",
        "--charts",
        str(tmp_path / "plain" / "charts"),
        timeout=60,
    )
    assert "cannot create the folder" in one_line_error(result)


def test_recompute_export_file_slot_taken_by_a_folder_is_one_line(paramtrack_exe, tmp_path):
    (tmp_path / "exp" / "trends.parquet").mkdir(parents=True)
    result = run(
        paramtrack_exe,
        "--db",
        _warehouse(tmp_path),
        "recompute",
        "--no-prefect",
        "--export",
        str(tmp_path / "exp"),
        timeout=60,
    )
    line = one_line_error(result)
    assert "--export" in line and "trends.parquet is a folder" in line


# -- numeric options -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-2e10", "nan"])
def test_recompute_gap_split_must_be_positive(paramtrack_exe, tmp_path, value):
    result = run(
        paramtrack_exe,
        "--db",
        _warehouse(tmp_path),
        "recompute",
        "--no-prefect",
        f"--gap-split={value}",
        timeout=60,
    )
    assert "--gap-split must be a number of parameters > 0" in one_line_error(result)


@pytest.mark.parametrize("value", ["-1", "-0.5"])
def test_ingest_arxiv_delay_must_not_be_negative(paramtrack_exe, tmp_path, value):
    result = run(
        paramtrack_exe,
        "--db",
        str(tmp_path / "w.duckdb"),
        "ingest",
        "--since",
        "2026-11-01",
        "--until",
        "2026-11-07",
        f"--arxiv-delay={value}",
        "--arxiv-url",
        "http://127.0.0.1:9/api/query",
        timeout=60,
    )
    assert "--arxiv-delay must be a number of seconds >= 0" in one_line_error(result)


# -- serve ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, expected",
    [
        (["--cron", "bogus"], "--cron 'bogus' is not a valid cron expression"),
        (["--cron", "61 * * * *"], "is not a valid cron expression"),
        (["--window-days", "0"], "--window-days must be at least 1"),
        (["--window-days", "-3"], "--window-days must be at least 1"),
        (["--category", "cs.XX"], "cs.XX"),
        (["--rule", "nonsense"], "--rule"),
    ],
)
def test_serve_refuses_bad_options_before_looking_for_prefect(paramtrack_exe, tmp_path, args, expected):
    result = subprocess.run(
        [paramtrack_exe, "--db", str(tmp_path / "w.duckdb"), "serve", *args],
        env=_no_prefect_api(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    line = one_line_error(result)
    assert expected in line and "PREFECT_API_URL" not in line


def test_serve_with_an_unreachable_prefect_api_names_it(paramtrack_exe, tmp_path):
    api = "http://127.0.0.1:9/api"
    result = run(
        paramtrack_exe,
        "--db",
        str(tmp_path / "w.duckdb"),
        "serve",
        env={"PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path / "ph")},
        timeout=120,
    )
    line = one_line_error(result)
    assert api in line and "prefect server start" in line


def test_serve_with_an_export_path_that_is_a_file_is_one_line(paramtrack_exe, tmp_path, replay_server):
    # Any HTTP answer counts as reachable, so the replay server stands in for a Prefect API here.
    (tmp_path / "export").write_text("x")
    result = run(
        paramtrack_exe,
        "--db",
        str(tmp_path / "w.duckdb"),
        "serve",
        env={"PREFECT_API_URL": replay_server.base_url + "/api", "PREFECT_HOME": str(tmp_path / "ph")},
        timeout=120,
    )
    assert "export folder" in one_line_error(result)


# -- recompute-if-due counts only runs with the same (default) configuration ----------------------


@pytest.mark.slow
def test_a_custom_recompute_does_not_satisfy_the_default_if_due(paramtrack_exe, corpus_dir, tmp_path):
    db = str(tmp_path / "w.duckdb")

    def ok(*args: str) -> str:
        result = run(paramtrack_exe, "--db", db, *args, timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    ok("import-epoch", str(corpus_dir / "epoch" / PCD))
    ok("recompute", "--no-prefect", "--resamples", "100")  # an ad-hoc, custom config
    out = ok("recompute", "--no-prefect", "--if-due")  # default: never ran, so due
    assert "not due" not in out and "run recompute-" in out
    assert "not due" in ok("recompute", "--no-prefect", "--if-due")
    # The dataset changes, then an ad-hoc run with another gap split refits it...
    ok("import-epoch", str(corpus_dir / "epoch" / "pcd_all_ml_systems_2023-03.csv"))
    ok("recompute", "--no-prefect", "--gap-split", "1e10")
    # ...which must not make the default (scheduled) configuration look up to date.
    out = ok("recompute", "--no-prefect", "--if-due")
    assert "not due" not in out and "run recompute-" in out
    assert "not due" in ok("recompute", "--no-prefect", "--if-due")


def test_recompute_writes_charts_and_exports_before_the_run_completes(paramtrack_exe, corpus_dir, tmp_path):
    db = tmp_path / "w.duckdb"
    assert run(paramtrack_exe, "--db", str(db), "import-epoch", str(corpus_dir / "epoch" / PCD)).returncode == 0
    result = run(
        paramtrack_exe,
        "--db",
        str(db),
        "recompute",
        "--no-prefect",
        "--resamples",
        "50",
        "--charts",
        str(tmp_path / "c"),
        "--export",
        str(tmp_path / "e"),
    )
    assert result.returncode == 0, result.stderr
    from paramtrack.warehouse import Warehouse

    with Warehouse(db).read() as con:
        (finished,) = con.execute(
            "SELECT finished_at FROM runs WHERE flow = 'recompute' AND status = 'completed'"
        ).fetchone()
    for path in [*(tmp_path / "c").iterdir(), *(tmp_path / "e").iterdir()]:
        assert path.stat().st_mtime <= finished.timestamp(), path
    assert sorted(p.name for p in (tmp_path / "e").iterdir()) == sorted(
        f"{t}.{f}" for t in ("trends", "gap", "breakpoints") for f in ("csv", "parquet")
    )
    assert Path(tmp_path / "c" / "index.html").exists()


@pytest.mark.slow
def test_a_recompute_without_charts_leaves_the_scheduled_chart_run_due(paramtrack_exe, corpus_dir, tmp_path):
    """The hourly deployment writes charts; a manual run with --no-charts must not make it skip
    (the charts would go stale), while one with the same charts folder does."""
    db, charts = str(tmp_path / "w.duckdb"), str(tmp_path / "charts")

    def ok(*args: str) -> str:
        result = run(paramtrack_exe, "--db", db, *args, timeout=300)
        assert result.returncode == 0, result.stderr
        return result.stdout

    ok("import-epoch", str(corpus_dir / "epoch" / PCD))
    ok("recompute", "--no-prefect", "--no-charts")
    assert "not due" in ok("recompute", "--no-prefect", "--if-due", "--no-charts")  # no outputs wanted
    assert "not due" not in ok("recompute", "--no-prefect", "--if-due", "--charts", charts)
    assert "not due" in ok("recompute", "--no-prefect", "--if-due")  # the default folder: the same
