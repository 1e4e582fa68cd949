"""Recompute end to end: the plain function (determinism, one transaction, due logic, every
vintage), the CLI through the installed console script (the paper bands), and the Prefect flow
once through prefect_test_harness."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from paramtrack.flows.recompute import recompute
from paramtrack.trends.epoch_csv import parse_epoch_csv
from paramtrack.trends.fit import TrendConfig, fit_support
from paramtrack.warehouse.models_store import import_epoch_rows
from paramtrack.warehouse.trends_store import read_table, recompute_due

EPOCH_FILES = sorted(
    p.name for p in (Path(__file__).resolve().parents[2] / "shared" / "data" / "epoch").glob("*.csv")
) or ["(corpus missing)"]

PCD = "pcd_notable_ml_systems_2022-09.csv"


def _import(wh, path: Path):
    parsed = parse_epoch_csv(path)
    with wh.write() as con:
        import_epoch_rows(
            con,
            parsed.file_name,
            parsed.rows,
            sha256="t",
            skipped=len(parsed.skipped),
            skip_reasons=parsed.skip_reasons(),
        )


def _tables(wh):
    with wh.read() as con:
        return {t: read_table(con, t).drop(columns="run_id") for t in ("trends", "gap", "breakpoints")}


def assert_paper_bands(trends: pd.DataFrame, gap: pd.DataFrame) -> None:
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


def test_recompute_plain_deterministic_and_due(warehouse, corpus_dir, tmp_path):
    _import(warehouse, corpus_dir / "epoch" / PCD)
    with warehouse.read() as con:
        assert recompute_due(con)
    out1 = recompute(warehouse, charts_dir=tmp_path / "charts", export_dir=tmp_path / "export")
    first = _tables(warehouse)
    assert_paper_bands(first["trends"], first["gap"])
    with warehouse.read() as con:
        assert not recompute_due(con)
        runs = con.execute("SELECT status, counts FROM runs WHERE flow = 'recompute'").fetchall()
    assert [r[0] for r in runs] == ["completed"] and json.loads(runs[0][1])["trends"] > 0
    assert recompute(warehouse, if_due=True).skipped
    out2 = recompute(warehouse)
    second = _tables(warehouse)
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


def test_results_replaced_in_one_transaction(warehouse, corpus_dir, monkeypatch):
    _import(warehouse, corpus_dir / "epoch" / PCD)
    recompute(warehouse, config=TrendConfig(resamples=100))
    before = _tables(warehouse)
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
    after = _tables(warehouse)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])
    with warehouse.read() as con:
        statuses = [
            r[0] for r in con.execute("SELECT status FROM runs WHERE flow = 'recompute' ORDER BY started_at").fetchall()
        ]
    assert statuses == ["completed", "failed"]


def test_a_chart_failure_marks_the_run_failed_and_keeps_the_old_results(warehouse, corpus_dir, tmp_path, monkeypatch):
    _import(warehouse, corpus_dir / "epoch" / PCD)
    recompute(warehouse, config=TrendConfig(resamples=100))
    before = _tables(warehouse)
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
    after = _tables(warehouse)
    for name in before:
        pd.testing.assert_frame_equal(before[name], after[name])
    with warehouse.read() as con:
        rows = con.execute("SELECT status, error FROM runs WHERE flow = 'recompute' ORDER BY started_at").fetchall()
    assert [r[0] for r in rows] == ["completed", "failed"] and "No space" in rows[1][1]


def test_bad_output_folder_is_refused_before_a_run_starts(warehouse, corpus_dir, tmp_path):
    from paramtrack.core.errors import ParamtrackError

    _import(warehouse, corpus_dir / "epoch" / PCD)
    (tmp_path / "charts").write_text("a file")
    with pytest.raises(ParamtrackError, match="is a file, not a folder"):
        recompute(warehouse, charts_dir=tmp_path / "charts", export_dir=tmp_path / "export")
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM runs WHERE flow = 'recompute'").fetchone()[0] == 0


@pytest.mark.slow
@pytest.mark.parametrize("name", EPOCH_FILES)
def test_every_vintage_recomputes(warehouse, corpus_dir, name):
    _import(warehouse, corpus_dir / "epoch" / name)
    out = recompute(warehouse)
    t = out.trends
    eras = set(t[(t.metric == "parameters") & (t.domain == "all")].era)
    assert "post_2018" in eras and ("pre_2018" in eras or name.startswith("large_scale"))
    assert len(out.gap) > 0 and len(out.breakpoints) >= 1


@pytest.mark.slow
@pytest.mark.prefect
def test_cli_import_and_recompute_reproduce_paper_bands(paramtrack_exe, corpus_dir, tmp_path):
    db = tmp_path / "x.duckdb"
    csv = corpus_dir / "epoch" / PCD
    prefect_home = tmp_path / "prefect"
    prefect_home.mkdir()
    env = {**os.environ, "PREFECT_HOME": str(prefect_home)}  # a home Prefect can create

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [paramtrack_exe, "--db", str(db), *args], capture_output=True, text=True, timeout=400, cwd=tmp_path, env=env
        )

    r = run("import-epoch", str(csv))
    assert r.returncode == 0, r.stderr
    assert "362 imported" in r.stdout and "150 skipped" in r.stdout and "missing system name" in r.stdout
    r = run("import-epoch", str(csv))
    assert "0 imported, 0 updated, 362 unchanged" in r.stdout
    r = run("recompute", "--charts", str(tmp_path / "charts"))  # through the Prefect flow
    assert r.returncode == 0, r.stderr
    assert "doubling mo [5; 50; 95]" in r.stdout and "SCARCE" in r.stdout
    from paramtrack.warehouse import Warehouse

    tables = _tables(Warehouse(db))
    assert_paper_bands(tables["trends"], tables["gap"])
    assert (tmp_path / "charts" / "index.html").exists()
    r = run("recompute", "--if-due", "--no-prefect")
    assert r.returncode == 0 and "not due" in r.stdout
    r = run("import-epoch", str(tmp_path / "missing.csv"))
    assert r.returncode != 0 and "no such file" in r.stderr


@pytest.fixture(scope="session")
def prefect_harness():
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness():
        yield


@pytest.mark.slow
@pytest.mark.prefect
def test_recompute_flow_through_prefect(prefect_harness, warehouse, corpus_dir, tmp_path):
    _import(warehouse, corpus_dir / "epoch" / PCD)
    from paramtrack.flows.recompute import recompute_flow

    summary = recompute_flow(db_path=str(warehouse.path), export_dir=str(tmp_path / "exp"), resamples=1000)
    assert not summary["skipped"] and summary["counts"]["trends"] > 0
    tables = _tables(warehouse)
    assert_paper_bands(tables["trends"], tables["gap"])
    assert (tmp_path / "exp" / "breakpoints.parquet").exists()
    again = recompute_flow(db_path=str(warehouse.path), if_due=True)
    assert again["skipped"]
