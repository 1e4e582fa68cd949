"""One rule for a missing warehouse, a global option in the wrong place, and `recompute` that
draws its charts by default, in this process (CLI in-process through Typer's CliRunner)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

import pytest

PCD = "pcd_notable_ml_systems_2022-09.csv"

READ_COMMANDS = [
    ["recompute"],
    ["status"],
    ["export"],
    ["review", "--reviewer", "erin"],
    ["queue", "export"],
    ["db", "info"],
    ["db", "publish"],
    ["pdfs"],
    ["review-server", "--port", "8799"],
]


@pytest.mark.parametrize("command", READ_COMMANDS, ids=lambda c: " ".join(c))
def test_a_missing_warehouse_is_one_line_exit_2_and_nothing_is_created(cli, tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = cli("--db", "missing.duckdb", *command)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert len(result.error_lines) == 1, result.stderr
    assert result.error_lines[0].startswith("Error: no database at missing.duckdb (")
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # no database, no charts, no Prefect home


def test_queue_import_refuses_a_missing_warehouse_too(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "decisions.csv").write_text("arxiv_id,action\n")
    result = cli("--db", "missing.duckdb", "queue", "import", "decisions.csv", "--reviewer", "erin")
    assert result.exit_code == 2 and result.error_lines[-1].startswith("Error: no database at missing.duckdb")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.csv"]


def test_commands_that_bring_data_in_create_the_warehouse_and_say_so(cli, tmp_path, corpus_dir):
    db = tmp_path / "new" / "w.duckdb"
    result = cli("--db", str(db), "import-epoch", str(corpus_dir / "epoch" / PCD))
    assert result.exit_code == 0, result.stderr
    assert f"Created a new warehouse at {db} (there was none)." in result.stderr
    assert db.is_file()
    again = cli("--db", str(db), "import-epoch", str(corpus_dir / "epoch" / PCD))
    assert again.exit_code == 0 and "Created" not in again.stderr


@pytest.mark.parametrize(
    ("args", "hint"),
    [
        (["recompute", "--db", "x.duckdb"], "--db goes before the command: paramtrack --db x.duckdb recompute"),
        (
            ["queue", "export", "--db=w.duckdb", "--status", "all"],
            "--db goes before the command: paramtrack --db w.duckdb queue export --status all",
        ),
    ],
)
def test_a_global_option_after_the_command_gets_a_hint(cli, args, hint):
    result = cli(*args)
    assert result.exit_code == 2
    text = " ".join(result.stderr.replace("│", " ").split())  # however the panel wraps it
    assert "No such option: --db" in text and hint in text


@pytest.fixture()
def epoch_db(cli, tmp_path: Path, corpus_dir: Path) -> Path:
    db = tmp_path / "data" / "w.duckdb"
    assert cli("--db", str(db), "import-epoch", str(corpus_dir / "epoch" / PCD)).exit_code == 0
    return db


@pytest.mark.slow
def test_recompute_writes_the_charts_by_default_and_says_where(cli, epoch_db, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    result = cli("--db", str(epoch_db), "recompute", "--resamples", "100")
    assert result.exit_code == 0, result.stderr
    charts = epoch_db.parent / "charts"
    assert f"charts: 11 files in {charts} (open {charts / 'index.html'})" in result.stdout
    for name in ("trends.png", "trends_by_domain.png", "gap.png"):
        assert (charts / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    assert 'href="chart_models.csv"' in (charts / "trends.html").read_text()
    with open(charts / "chart_models.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    bert = next(r for r in rows if r["system"] == "BERT-Large")
    assert bert["source"] == "epoch" and bert["source_file"] == PCD and bert["source_row"] == "351"
    assert bert["provenance"].startswith(f"{PCD} row 351: system, parameters, publication_date, domain")
    with open(charts / "chart_trends.csv", newline="", encoding="utf-8") as fh:
        fits = {(r["metric"], r["domain"], r["era"]): r for r in csv.DictReader(fh)}
    above = fits[("parameters", "language", "post_2018_above_gap")]
    assert float(above["doubling_months"]) < 0  # the -11.5 months of the 2022-09 vintage ...
    assert above["drawn"] == "False" and "not positive" in above["not_drawn_reason"]  # ... is not drawn

    quiet = cli("--db", str(epoch_db), "recompute", "--resamples", "100", "--no-charts")
    assert quiet.exit_code == 0 and "charts: none (--no-charts)" in quiet.stdout


def _imports_after(args: list[str], env: dict[str, str]) -> set[str]:
    """The heavy modules a CLI invocation imported, run in a fresh interpreter."""
    code = (
        "import sys\n"
        "from paramtrack.cli import main\n"
        "try:\n"
        f"    main({args!r})\n"
        "except SystemExit as exc:\n"
        "    assert not exc.code, exc.code\n"
        "print(sorted(m for m in ('prefect', 'matplotlib', 'scipy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    return set(eval(out.stdout.strip().splitlines()[-1]))


@pytest.mark.slow
def test_recompute_without_a_prefect_server_fits_in_process_and_export_imports_nothing_heavy(epoch_db, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    # no temporary Prefect server (10-40 s): the plain function, charts and all
    assert "prefect" not in _imports_after(["--db", str(epoch_db), "recompute", "--resamples", "50"], env)
    assert _imports_after(["--db", str(epoch_db), "export", str(tmp_path / "out")], env) == set()
    assert (tmp_path / "out" / "models.csv").is_file()
