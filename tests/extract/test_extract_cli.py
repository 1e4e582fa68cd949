"""``paramtrack extract`` / ``paramtrack eval`` through the installed console script."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from pdf_builders import image_only_pdf


def _run(exe: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_extract_json_prints_one_object_and_exits_0(paramtrack_exe: str, corpus: Path) -> None:
    res = _run(paramtrack_exe, "extract", "--json", str(corpus / "pdfs" / "2305.14314v1.pdf"))
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert set(d) >= {"candidates", "domain", "date", "pages", "error"}
    assert d["candidates"][0]["parameters"] == 65_000_000_000 and d["error"] is None
    assert set(d["candidates"][0]) >= {"parameters", "kind", "model", "evidence", "page", "score"}
    assert d["date"] == "2023-05-23" and d["pages"] == 26 and d["domain"] == "language"
    assert len(d["candidates"]) > 10  # every candidate: the table shows ten, JSON is for machines


@pytest.mark.slow
def test_extract_table_shows_rank_evidence_and_page(paramtrack_exe: str, corpus: Path) -> None:
    res = _run(paramtrack_exe, "extract", "--all", str(corpus / "pdfs" / "1810.04805v2.pdf"))
    assert res.returncode == 0, res.stderr
    assert "340M" in res.stdout and "evidence" in res.stdout


@pytest.mark.slow
def test_extract_an_unreadable_pdf_prints_the_error_json_and_exits_1(paramtrack_exe: str, tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(image_only_pdf())
    res = _run(paramtrack_exe, "extract", "--json", str(pdf))
    assert res.returncode == 1
    assert json.loads(res.stdout)["error"] == "no text layer (scanned?)"


def test_extract_a_missing_file_is_a_one_line_error(paramtrack_exe: str, tmp_path: Path) -> None:
    res = _run(paramtrack_exe, "extract", str(tmp_path / "missing.pdf"))
    assert res.returncode != 0
    assert "missing.pdf" in res.stderr and "Traceback" not in res.stderr


@pytest.mark.slow
def test_eval_prints_cross_validated_and_in_sample_figures(paramtrack_exe: str, corpus: Path) -> None:
    res = _run(paramtrack_exe, "eval", "--corpus", str(corpus), "--cv", "4")
    assert res.returncode == 0, res.stdout + res.stderr
    assert "cross-validated: 4 folds by paper (seed 0)" in res.stdout
    header = next(line for line in res.stdout.splitlines() if line.startswith("metric"))
    assert "cross-validated" in header and "in-sample" in header
    labels = ("top-1", "top-3", "right count among", "confident", "negatives clean", "off-by-10^3", "domain", "MoE")
    for label in labels:
        assert any(line.startswith(label) for line in res.stdout.splitlines()), label
    with (corpus / "pdfs" / "ground_truth.csv").open() as fh:
        papers = sum(1 for _ in fh) - 1
    assert f"papers: {papers} (" in res.stdout  # every ground-truth paper, counted from the corpus
    assert "Epoch abstracts in the same folds (" in res.stdout  # they train the ranker, so they join the folds
    assert "extracted" in res.stderr  # progress while the PDFs are read


def test_eval_rejects_a_single_fold(paramtrack_exe: str, corpus: Path) -> None:
    res = _run(paramtrack_exe, "eval", "--corpus", str(corpus), "--cv", "1")
    assert res.returncode == 2 and "Traceback" not in res.stderr
