"""Analysts can take the dataset anywhere: ``paramtrack export`` round-trips through
``import-epoch`` to the same fits, the registry's DuckDB CLI opens the demo warehouse and its
read copy, every table and view an analyst reads is documented, and an analyst holding the read
copy open never stops a run that writes."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pytest

PCD = "pcd_notable_ml_systems_2022-09.csv"
DUCKDB_CLI = Path(sys.executable).parent / "duckdb"  # `make duckdb-cli` (a `make test` prerequisite)
ANALYST_TABLES = [
    "review_epoch_base",
    "papers",
    "notable_papers",
    "watchlist",
    "citation_snapshots",
    "citation_growth",
    "runs",
    "latest_runs",
    "run_checkpoints",
    "run_locks",
    "backfills",
    "rejected_records",
    "rejections",
    "pdfs",
    "extractions",
    "extraction_failures",
    "candidates",
    "ranked_candidates",
    "latest_extractions",
    "extraction_errors",
    "candidate_changes",
    "review_queue",
    "review_overview",
    "review_items",
    "decisions",
    "decision_raw_input",
    "models",
    "curated_models",
    "superseded_models",
    "dataset_events",
    "epoch_imports",
    "trends",
    "gap",
    "breakpoints",
]


@pytest.fixture()
def run(cli):
    """``run(db, *args, env=...)``: `paramtrack --db DB ARGS` in the warehouse's folder."""

    def at(db: Path, *args: str, env: dict[str, str] | None = None):
        return cli("--db", db, *args, env=env, cwd=db.parent)

    return at


def _tables(db: Path) -> dict[str, pd.DataFrame]:
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.trends_store import read_table

    with Warehouse(db).read() as con:
        return {t: read_table(con, t).drop(columns="run_id") for t in ("trends", "gap", "breakpoints")}


@pytest.fixture()
def reviewed_db(demo_db, corpus_dir, run, tmp_path) -> Path:
    """The demo warehouse + the 2022-09 vintage + two reviewed systems (one corrected)."""
    from paramtrack.review_queue.service import Correction, ReviewService
    from paramtrack.warehouse import Warehouse

    db = tmp_path / "data" / "paramtrack.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_db, db)
    assert run(db, "import-epoch", str(corpus_dir / "epoch" / PCD)).exit_code == 0
    svc = ReviewService(Warehouse(db))
    svc.decide("2205.01068", reviewer="ada", action="approve")
    svc.decide(
        "1512.03385",
        reviewer="ada",
        action="correct",
        correction=Correction(
            parameters=60.2e6, model="ResNet-152 (ImageNet)", evidence="60.2M parameters", evidence_page=4
        ),
    )
    return db


@pytest.mark.slow  # runs the demo (a session fixture, ~25 s) once for all of these
def test_export_round_trips_through_import_epoch_to_the_same_fits(reviewed_db, run, tmp_path):
    out = tmp_path / "export"
    r = run(reviewed_db, "export", str(out))
    assert r.exit_code == 0, r.stderr
    con = duckdb.connect(str(reviewed_db), read_only=True)
    n, reviewed = con.execute(
        "SELECT count(*), count(*) FILTER (WHERE source = 'review') FROM curated_models"
    ).fetchone()
    con.close()
    assert f"exported {n} curated rows ({reviewed} reviewed; {PCD})" in r.stdout
    rows = list(csv.DictReader(open(out / "models.csv", encoding="utf-8")))
    assert len(rows) == n == len(pd.read_parquet(out / "models.parquet"))
    header = list(rows[0])
    assert header[:8] == [
        "System",
        "Domain",
        "Organization",
        "Publication date",
        "Parameters",
        "Training compute (FLOP)",
        "Training dataset size (datapoints)",
        "Link",
    ]
    resnet = next(x for x in rows if x["System"] == "ResNet-152 (ImageNet)")
    assert resnet["Source"] == "review" and resnet["Reviewer"] == "ada"
    assert resnet["Decision action"] == "correct" and resnet["Evidence"] == "60.2M parameters"
    assert resnet["Evidence page"] == "4" and resnet["Evidence source"] == "typed"
    assert resnet["Evidence link"] == "https://arxiv.org/pdf/1512.03385#page=4"
    assert resnet["Supersedes"] == f"{PCD} row 251"
    cifar = next(x for x in rows if x["System"] == "ResNet-110 (CIFAR-10)")
    assert (cifar["Source"], cifar["Epoch file"], cifar["Epoch row"]) == ("epoch", PCD, "252")
    dictionary = list(csv.DictReader(open(out / "data_dictionary.csv", encoding="utf-8")))
    assert [d["column"] for d in dictionary] == header and all(d["meaning"] for d in dictionary)
    assert f"{n} rows" in (out / "data_dictionary.md").read_text()

    # Round trip: the export is an Epoch-style file; a fresh warehouse fits it identically.
    fresh = tmp_path / "fresh" / "paramtrack.duckdb"
    fresh.parent.mkdir()
    r = run(fresh, "import-epoch", str(out / "models.csv"))
    assert r.exit_code == 0 and f"{n} imported" in r.stdout and "0 skipped" in r.stdout, r.stdout
    for db in (reviewed_db, fresh):
        r = run(db, "recompute", "--no-prefect", "--resamples", "300")
        assert r.exit_code == 0, r.stderr
    a, b = _tables(reviewed_db), _tables(fresh)
    for name in a:
        assert len(a[name]) > 0
        pd.testing.assert_frame_equal(a[name], b[name])


@pytest.mark.slow  # runs the demo (a session fixture, ~25 s) once for all of these
def test_export_refuses_a_bad_folder_in_one_line(reviewed_db, run, tmp_path):
    (tmp_path / "afile").write_text("x")
    r = run(reviewed_db, "export", str(tmp_path / "afile"))
    assert r.exit_code != 0 and r.stderr.strip().count("\n") <= 1 and "is a file" in r.stderr


@pytest.mark.slow  # runs the demo (a session fixture, ~25 s) once for all of these
def test_the_registry_duckdb_cli_reads_the_demo_warehouse_and_its_read_copy(demo_db):
    assert DUCKDB_CLI.exists(), "the DuckDB CLI is installed by `make duckdb-cli` (make test does)"
    version = subprocess.run([str(DUCKDB_CLI), "--version"], capture_output=True, text=True)
    assert version.stdout.startswith("v1.5"), version.stdout
    read_copy = demo_db.with_name("paramtrack.read.duckdb")  # published by the demo's run
    assert read_copy.exists()
    for db in (demo_db, read_copy):
        r = subprocess.run(
            [str(DUCKDB_CLI), "-readonly", "-csv", "-noheader", str(db), "SELECT count(*) FROM curated_models"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert r.returncode == 0, r.stderr
        con = duckdb.connect(str(db), read_only=True)
        expected = con.execute("SELECT count(*) FROM curated_models").fetchone()[0]
        queued = con.execute("SELECT count(*) FROM review_queue").fetchone()[0]
        con.close()
        assert r.stdout.strip() == str(expected)
        r = subprocess.run(
            [str(DUCKDB_CLI), "-readonly", "-csv", "-noheader", str(db), "SELECT count(*) FROM review_queue"],
            capture_output=True,
            text=True,
        )
        assert r.returncode == 0 and r.stdout.strip() == str(queued) and queued > 0, r.stderr


def test_every_table_and_view_an_analyst_reads_has_a_comment(warehouse):
    with warehouse.read() as con:
        commented = dict(
            con.execute(
                "SELECT table_name, comment FROM duckdb_tables() UNION ALL "
                "SELECT view_name, comment FROM duckdb_views() WHERE NOT internal"
            ).fetchall()
        )
        present = {
            r[0]
            for r in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_name NOT LIKE '\\_%' ESCAPE '\\'"
            ).fetchall()
        }
        model_cols = dict(
            con.execute("SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'models'").fetchall()
        )
    assert present <= set(ANALYST_TABLES), f"document these too: {present - set(ANALYST_TABLES)}"
    missing = [t for t in ANALYST_TABLES if not commented.get(t)]
    assert missing == []
    assert [c for c, comment in model_cols.items() if not comment] == []
    assert "arXiv id" in commented["curated_models"] and "system_key" in commented["curated_models"]


@pytest.mark.slow  # runs the demo (a session fixture, ~25 s) once for all of these
def test_an_open_analyst_session_on_the_read_copy_does_not_stop_a_run(reviewed_db, corpus_dir, run, tmp_path):
    read_copy = reviewed_db.with_name("paramtrack.read.duckdb")
    assert run(reviewed_db, "db", "publish").exit_code == 0
    # An analyst's notebook: the read copy held open read-only for the whole test.
    notebook = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, sys, time\n"
            f"con = duckdb.connect({str(read_copy)!r}, read_only=True)\n"
            "print(con.execute('SELECT count(*) FROM models').fetchone()[0], flush=True)\n"
            "time.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        before = int(notebook.stdout.readline())
        env = {"PARAMTRACK_LOCK_TIMEOUT": "3"}
        newer = corpus_dir / "epoch" / "notable_ai_models_2025-05.csv"
        started = time.monotonic()
        r = run(reviewed_db, "import-epoch", str(newer), env=env)
        assert r.exit_code == 0, r.stderr
        r = run(reviewed_db, "recompute", "--no-prefect", "--resamples", "100", env=env)
        assert r.exit_code == 0, r.stderr
        assert time.monotonic() - started < 120
        assert notebook.poll() is None  # still open, still reading the old snapshot
        # a new analyst session sees what the runs wrote
        con = duckdb.connect(str(read_copy), read_only=True)
        after = con.execute("SELECT count(*) FROM models").fetchone()[0]
        fitted = con.execute("SELECT count(*) FROM trends").fetchone()[0]
        con.close()
        assert after > before and fitted > 0
    finally:
        notebook.kill()
        notebook.wait()
    # The control: the same notebook on the warehouse itself stops the writer.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, time\n"
            f"con = duckdb.connect({str(reviewed_db)!r}, read_only=True)\n"
            "print('open', flush=True)\ntime.sleep(600)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        r = run(
            reviewed_db,
            "import-epoch",
            str(corpus_dir / "epoch" / PCD),
            env={"PARAMTRACK_LOCK_TIMEOUT": "2"},
        )
        assert r.exit_code != 0 and "locked" in r.stderr
    finally:
        holder.kill()
        holder.wait()
