"""Bad option values and unusable output paths are one `Error: ...` line, never a traceback.

The checks all run before Prefect starts or anything is fitted, so every command runs in this
process (the ``cli`` fixture) and these tests take seconds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

PCD = "pcd_notable_ml_systems_2022-09.csv"


@pytest.fixture(scope="session")
def prefect_loaded() -> None:
    """Prefect imported with the session's own settings. Prefect reads its settings once, when
    first imported: a `serve` check that imports it in this process under a test's
    ``PREFECT_API_URL`` must not be the import that fixes them for every later test."""
    import prefect  # noqa: F401


# -- recompute: output folders -------------------------------------------------------------------


def _warehouse(tmp_path: Path) -> str:
    """An empty, migrated warehouse: recompute refuses a missing one before any path check."""
    from paramtrack.warehouse import Warehouse

    db = tmp_path / "w.duckdb"
    Warehouse(db).migrate()
    return str(db)


def test_recompute_charts_pointing_at_a_file_is_one_line(cli, tmp_path):
    target = tmp_path / "charts.png"
    target.write_text("not a folder")
    db = _warehouse(tmp_path)
    result = cli("--db", db, "recompute", "--charts", str(target))
    line = result.one_line_error()
    assert "--charts" in line and "is a file, not a folder" in line
    assert target.read_text() == "not a folder"
    from paramtrack.warehouse import Warehouse

    with Warehouse(db).read() as con:  # refused before any work: no run started
        assert con.execute("SELECT count(*) FROM runs").fetchone()[0] == 0


def test_recompute_charts_under_a_file_is_one_line(cli, tmp_path):
    (tmp_path / "plain").write_text("x")
    result = cli(
        "--db",
        _warehouse(tmp_path),
        "recompute",
        "--no-prefect",
        "--charts",
        str(tmp_path / "plain" / "charts"),
    )
    assert "cannot create the folder" in result.one_line_error()


def test_recompute_export_file_slot_taken_by_a_folder_is_one_line(cli, tmp_path):
    (tmp_path / "exp" / "trends.parquet").mkdir(parents=True)
    result = cli(
        "--db",
        _warehouse(tmp_path),
        "recompute",
        "--no-prefect",
        "--export",
        str(tmp_path / "exp"),
    )
    line = result.one_line_error()
    assert "--export" in line and "trends.parquet is a folder" in line


# -- numeric options -----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["0", "-2e10", "nan"])
def test_recompute_gap_split_must_be_positive(cli, tmp_path, value):
    result = cli(
        "--db",
        _warehouse(tmp_path),
        "recompute",
        "--no-prefect",
        f"--gap-split={value}",
    )
    assert "--gap-split must be a number of parameters > 0" in result.one_line_error()


@pytest.mark.parametrize("value", ["-1", "-0.5"])
def test_ingest_arxiv_delay_must_not_be_negative(cli, tmp_path, value):
    result = cli(
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
    )
    assert "--arxiv-delay must be a number of seconds >= 0" in result.one_line_error()


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
def test_serve_refuses_bad_options_before_looking_for_prefect(cli, prefect_loaded, tmp_path, args, expected):
    result = cli("--db", tmp_path / "w.duckdb", "serve", *args, env={"PREFECT_API_URL": None})
    line = result.one_line_error()
    assert expected in line and "PREFECT_API_URL" not in line


def test_serve_with_an_unreachable_prefect_api_names_it(cli, prefect_loaded, tmp_path):
    api = "http://127.0.0.1:9/api"
    result = cli(
        "--db",
        str(tmp_path / "w.duckdb"),
        "serve",
        env={"PREFECT_API_URL": api, "PREFECT_HOME": str(tmp_path / "ph")},
    )
    line = result.one_line_error()
    assert api in line and "prefect server start" in line


def test_serve_with_an_export_path_that_is_a_file_is_one_line(cli, prefect_loaded, tmp_path, replay_server):
    # Any HTTP answer counts as reachable, so the replay server stands in for a Prefect API here.
    (tmp_path / "export").write_text("x")
    result = cli(
        "--db",
        str(tmp_path / "w.duckdb"),
        "serve",
        env={"PREFECT_API_URL": replay_server.base_url + "/api", "PREFECT_HOME": str(tmp_path / "ph")},
    )
    assert "export folder" in result.one_line_error()


def test_serve_without_a_prefect_server_says_how_to_start_one(cli, prefect_loaded, tmp_path):
    result = cli("--db", tmp_path / "w.duckdb", "serve", env={"PREFECT_API_URL": None})
    assert result.exit_code != 0
    assert "prefect server start" in result.stderr
    assert "Traceback" not in result.stderr


# -- recompute-if-due counts only runs with the same (default) configuration ----------------------


@pytest.mark.slow
def test_a_custom_recompute_does_not_satisfy_the_default_if_due(cli, corpus_dir, tmp_path):
    db = str(tmp_path / "w.duckdb")

    def ok(*args: str) -> str:
        result = cli("--db", db, *args)
        assert result.exit_code == 0, result.stderr
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


@pytest.mark.slow
def test_recompute_writes_charts_and_exports_before_the_run_completes(cli, corpus_dir, tmp_path):
    db = tmp_path / "w.duckdb"
    assert cli("--db", str(db), "import-epoch", str(corpus_dir / "epoch" / PCD)).exit_code == 0
    result = cli(
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
    assert result.exit_code == 0, result.stderr
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
def test_a_recompute_without_charts_leaves_the_scheduled_chart_run_due(cli, corpus_dir, tmp_path):
    """The hourly deployment writes charts; a manual run with --no-charts must not make it skip
    (the charts would go stale), while one with the same charts folder does."""
    db, charts = str(tmp_path / "w.duckdb"), str(tmp_path / "charts")

    def ok(*args: str) -> str:
        result = cli("--db", db, *args)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    ok("import-epoch", str(corpus_dir / "epoch" / PCD))
    ok("recompute", "--no-prefect", "--no-charts")
    assert "not due" in ok("recompute", "--no-prefect", "--if-due", "--no-charts")  # no outputs wanted
    assert "not due" not in ok("recompute", "--no-prefect", "--if-due", "--charts", charts)
    assert "not due" in ok("recompute", "--no-prefect", "--if-due")  # the default folder: the same


# -- backfill ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (["--from", "2020-13"], "--from '2020-13' is not a month"),
        (["--from", "2020-03", "--to", "2019-12"], "--from 2020-03 is after --to 2019-12"),
        (["--from", "2020-03", "--workers", "0"], "--workers must be at least 1"),
        (["--from", "2020-03", "--dask-address", "localhost"], "is not a scheduler address"),
        (["--from", "2020-03", "-c", "cs.XX"], "unknown arXiv category cs.XX"),
    ],
)
def test_backfill_rejects_bad_arguments_in_one_line(cli, tmp_path, args, message):
    db = tmp_path / "paramtrack.duckdb"
    result = cli("--db", db, "backfill", *args)
    assert result.exit_code == 2
    assert message in result.one_line_error()
    assert not db.exists()  # nothing started, nothing written
