"""Recompute: the plain function (the paper's bands, determinism, one transaction, when it is
due, every vintage), the CLI in this process, once through the installed console script, and
the Prefect flow once through Prefect's test harness."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess

import pandas as pd
import pytest

from paramtrack.flows.recompute import recompute
from paramtrack.trends.fit import TrendConfig, fit_support
from paramtrack.warehouse.trends_store import recompute_due


def assert_paper_bands(trends: pd.DataFrame, gap: pd.DataFrame) -> None:
    """The 2022-09 vintage's fits and gap within reach of the paper's table (the differences
    are explained in docs/analyst.md): doubling ~35 months before 2018, ~5 after, ~8 below the
    gap, a flat trend above it, and the 20B-70B language band scarce as a point estimate."""
    t = trends[(trends.metric == "parameters") & (trends.domain == "all")].set_index("era")
    assert 33 <= t.loc["pre_2018", "doubling_months"] <= 46
    assert 3.0 <= t.loc["post_2018", "doubling_months"] <= 6.0
    assert 6 <= t.loc["post_2018_below_gap", "doubling_months"] <= 11
    assert -0.5 <= t.loc["post_2018_above_gap", "slope"] <= 0.3
    lang = gap[(gap.domain == "language") & (gap.since_year == 2020)]
    named = lang[(lang.band_kind == "named") & (lang.label == "20B-70B")]
    assert bool(named["scarce"].iloc[0])
    grid = lang[(lang.band_kind == "grid") & (lang.band_lo.round(-8) == 2e10)]
    assert bool(grid["scarce"].iloc[0])


@pytest.mark.slow
def test_recompute_plain_deterministic_and_due(warehouse, import_epoch, pcd_csv, recomputed_tables, tmp_path):
    import_epoch(warehouse, pcd_csv)
    with warehouse.read() as con:
        assert recompute_due(con)
    out1 = recompute(warehouse, charts_dir=tmp_path / "charts", export_dir=tmp_path / "export")
    first = recomputed_tables(warehouse)
    assert_paper_bands(first["trends"], first["gap"])
    with warehouse.read() as con:
        assert not recompute_due(con)
        runs = con.execute("SELECT status, counts FROM runs WHERE flow = 'recompute'").fetchall()
    assert [r[0] for r in runs] == ["completed"] and json.loads(runs[0][1])["trends"] > 0
    assert recompute(warehouse, if_due=True).skipped
    out2 = recompute(warehouse)
    second = recomputed_tables(warehouse)
    for name in first:
        pd.testing.assert_frame_equal(first[name], second[name])
    assert out1.run_id != out2.run_id
    for name in ("trends.png", "trends_by_domain.png", "trends.html", "gap.png", "gap.html", "index.html"):
        assert (tmp_path / "charts" / name).stat().st_size > 1000
    page = (tmp_path / "charts" / "trends.html").read_text()
    # nothing is loaded from the internet (links to arXiv are plain links, not assets)
    assert "<svg" in page and not re.search(r'(src|<link[^>]*href)="https?:', page)
    # Two all-domain panels (every era; since the break, split at the gap), then one chart per
    # domain with a fit, carrying that domain's own single-trend eras.
    params = second["trends"][second["trends"]["metric"] == "parameters"]
    fitted = sorted(set(params["domain"]) - {"all"})
    assert {"language", "vision", "games"} <= set(fitted)
    assert page.count("<svg") == 2 + len(fitted)
    language = page.split('id="domain-language"')[1].split("<h3")[0]
    for _, row in params[(params["domain"] == "language") & ~params["era"].str.endswith("_gap")].iterrows():
        why = fit_support(row)
        if why:
            assert html.escape(f"{row['era_label']}: not drawn ({why})") in language
        else:
            assert html.escape(f"{row['era_label']}: {row['slope']:.2f} OOM/yr") in language
    assert language.count("<circle") == language.count('data-dom="language"') > 50
    exported = pd.read_parquet(tmp_path / "export" / "trends.parquet")
    assert len(exported) == len(first["trends"])
    assert (tmp_path / "export" / "gap.csv").read_text().startswith("run_id")


def test_results_replaced_in_one_transaction(warehouse, import_epoch, pcd_csv, recomputed_tables, monkeypatch):
    import_epoch(warehouse, pcd_csv)
    recompute(warehouse, config=TrendConfig(resamples=100))
    before = recomputed_tables(warehouse)
    import paramtrack.flows.refit as fr

    def broken_gap(models, cfg):
        return pd.DataFrame(
            {
                "domain": ["all"],
                "since_year": [2020],
                "band_kind": ["grid"],
                "band_lo_log10": [1.0],
                "band_hi_log10": [1.5],
                "band_lo": [10.0],
                "band_hi": [31.6],
                "label": [None],
                "n": [1],
                "mean_below": [0.0],
                "mean_above": [0.0],
                "scarcity": [1.0],
                "scarce": [False],
            }
        )

    monkeypatch.setattr(fr, "gap_table", broken_gap)
    with pytest.raises(Exception):  # noqa: B017 (whatever the database makes of the bad table)
        recompute(warehouse, config=TrendConfig(resamples=100, seed=1))  # trends differ, gap fails
    after = recomputed_tables(warehouse)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])
    with warehouse.read() as con:
        statuses = [
            r[0] for r in con.execute("SELECT status FROM runs WHERE flow = 'recompute' ORDER BY started_at").fetchall()
        ]
    assert statuses == ["completed", "failed"]


def test_a_chart_failure_marks_the_run_failed_and_keeps_the_old_results(
    warehouse, import_epoch, pcd_csv, recomputed_tables, tmp_path, monkeypatch
):
    import_epoch(warehouse, pcd_csv)
    recompute(warehouse, config=TrendConfig(resamples=100))
    before = recomputed_tables(warehouse)
    import paramtrack.trends.charts as charts_module

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(charts_module, "write_charts", full_disk)
    with pytest.raises(OSError):
        recompute(
            warehouse,
            config=TrendConfig(resamples=100, seed=1),
            charts_dir=tmp_path / "charts",
            export_dir=tmp_path / "export",
        )
    after = recomputed_tables(warehouse)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])
    with warehouse.read() as con:
        rows = con.execute("SELECT status, error FROM runs WHERE flow = 'recompute' ORDER BY started_at").fetchall()
    assert [r[0] for r in rows] == ["completed", "failed"] and "No space" in rows[1][1]


def test_bad_output_folder_is_refused_before_a_run_starts(warehouse, import_epoch, pcd_csv, tmp_path):
    from paramtrack.core.errors import ParamtrackError

    import_epoch(warehouse, pcd_csv)
    (tmp_path / "charts").write_text("a file")
    with pytest.raises(ParamtrackError, match="is a file, not a folder"):
        recompute(warehouse, charts_dir=tmp_path / "charts", export_dir=tmp_path / "export")
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM runs WHERE flow = 'recompute'").fetchone()[0] == 0


@pytest.mark.slow
def test_every_vintage_recomputes(warehouse, import_epoch, epoch_dir, vintage):
    import_epoch(warehouse, epoch_dir / vintage)
    out = recompute(warehouse)
    t = out.trends
    eras = set(t[(t.metric == "parameters") & (t.domain == "all")].era)
    assert "post_2018" in eras and ("pre_2018" in eras or vintage.startswith("large_scale"))
    assert len(out.gap) > 0 and len(out.breakpoints) >= 1


def test_import_epoch_says_what_it_imported_skipped_and_left_unchanged(cli, pcd_csv, tmp_path):
    db = tmp_path / "x.duckdb"
    r = cli("--db", str(db), "import-epoch", str(pcd_csv))
    assert r.exit_code == 0, r.stderr
    assert "362 imported" in r.stdout and "150 skipped" in r.stdout and "missing system name" in r.stdout
    r = cli("--db", str(db), "import-epoch", str(pcd_csv))
    assert "0 imported, 0 updated, 362 unchanged" in r.stdout
    r = cli("--db", str(db), "import-epoch", str(tmp_path / "missing.csv"))
    assert r.exit_code != 0 and "no such file" in r.stderr


def test_recompute_prints_the_tables_and_is_then_not_due(
    cli, warehouse, import_epoch, pcd_csv, recomputed_tables, monkeypatch
):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)  # fitted in this process
    import_epoch(warehouse, pcd_csv)
    r = cli("--db", str(warehouse.path), "recompute", "--no-charts")
    assert r.exit_code == 0, r.stderr
    assert "doubling mo [5; 50; 95]" in r.stdout and "SCARCE" in r.stdout and "charts: none (--no-charts)" in r.stdout
    tables = recomputed_tables(warehouse)
    assert_paper_bands(tables["trends"], tables["gap"])
    r = cli("--db", str(warehouse.path), "recompute", "--if-due", "--no-prefect", "--no-charts")  # same outputs
    assert r.exit_code == 0 and "not due" in r.stdout


@pytest.mark.slow
def test_the_installed_command_imports_recomputes_and_draws(paramtrack_exe, pcd_csv, recomputed_tables, tmp_path):
    """End to end through the console script a user runs: import-epoch, then recompute with
    its charts, each in its own process."""
    from paramtrack.warehouse import Warehouse

    db = tmp_path / "x.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [paramtrack_exe, "--db", str(db), *args], capture_output=True, text=True, timeout=400, cwd=tmp_path, env=env
        )

    r = run("import-epoch", str(pcd_csv))
    assert r.returncode == 0, r.stderr
    assert "362 imported" in r.stdout
    r = run("recompute", "--charts", str(tmp_path / "charts"))
    assert r.returncode == 0, r.stderr
    assert "doubling mo [5; 50; 95]" in r.stdout and "SCARCE" in r.stdout
    tables = recomputed_tables(Warehouse(db))
    assert_paper_bands(tables["trends"], tables["gap"])
    assert (tmp_path / "charts" / "index.html").exists()


@pytest.mark.slow
@pytest.mark.prefect
def test_recompute_flow_through_prefect(prefect_harness, warehouse, import_epoch, pcd_csv, recomputed_tables, tmp_path):
    import_epoch(warehouse, pcd_csv)
    from paramtrack.flows.recompute import recompute_flow

    summary = recompute_flow(db_path=str(warehouse.path), export_dir=str(tmp_path / "exp"), resamples=1000)
    assert not summary["skipped"] and summary["counts"]["trends"] > 0
    tables = recomputed_tables(warehouse)
    assert_paper_bands(tables["trends"], tables["gap"])
    assert (tmp_path / "exp" / "breakpoints.parquet").exists()
    again = recompute_flow(db_path=str(warehouse.path), if_due=True)
    assert again["skipped"]
