"""The smaller items of issue 28: file modes, the PDF route, ``extract``'s error for what is not a
file, and parameter counts below 1 at every entry point. (Time limits and quiet disconnects of
the review server: ``tests/review/test_request_limits.py``.)"""

from __future__ import annotations

import csv
import io
import os
import stat
import subprocess
from pathlib import Path

import pytest
from test_review_support import EXE, Cand, Server, csrf_client, form_fields, scalar, seed_demo_queue, seed_paper

from paramtrack.review_queue.csv_io import ImportFailed, import_csv
from paramtrack.review_queue.service import Correction, InvalidDecision, ReviewService, parse_parameters

PAPER = "2204.02311"


@pytest.fixture()
def usual_umask():
    """The umask most machines run with (022), under which the files used to be 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _owners_only(path: Path) -> bool:
    """Nobody outside the owner's group reads it and nobody but the owner writes it."""
    return _mode(path) & 0o027 == 0


# -- file modes ---------------------------------------------------------------------------------


def test_the_warehouse_its_wal_and_its_read_copy_are_not_world_readable(usual_umask, tmp_path):
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.publish import publish_read_copy

    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.write() as con:
        con.execute("CREATE TABLE big AS SELECT range AS i FROM range(200000)")
        wal = tmp_path / "w.duckdb.wal"
        assert wal.exists() and _owners_only(wal), oct(_mode(wal))
    copy = publish_read_copy(wh)
    assert _owners_only(tmp_path / "w.duckdb"), oct(_mode(tmp_path / "w.duckdb"))
    assert _owners_only(copy), oct(_mode(copy))
    assert os.umask(0o022) == 0o022  # and the process's own umask is back as it was
    (tmp_path / "plain.txt").write_text("x")
    assert _mode(tmp_path / "plain.txt") == 0o644


def test_a_warehouse_created_by_the_cli_is_not_world_readable(usual_umask, tmp_path):
    db = tmp_path / "new" / "w.duckdb"
    proc = subprocess.run([EXE, "--db", str(db), "db", "migrate"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert _owners_only(db), oct(_mode(db))


def test_prefects_database_and_digests_are_the_owners(usual_umask, tmp_path, monkeypatch):
    from paramtrack.core.settings import configure_prefect
    from paramtrack.flows.digest import write_atomically

    for name in ("PREFECT_HOME", "PREFECT_API_URL", "PREFECT_API_DATABASE_CONNECTION_URL"):
        monkeypatch.delenv(name, raising=False)
    configure_prefect(tmp_path / "data")
    assert _mode(tmp_path / "data" / "prefect" / "prefect.db") == 0o600
    write_atomically(tmp_path / "digests" / "d.md", "# digest")
    assert _mode(tmp_path / "digests" / "d.md") == 0o600


# -- the PDF route -------------------------------------------------------------------------------


def _point_pdf_at(warehouse, path: str) -> None:
    with warehouse.write() as con:
        con.execute("UPDATE pdfs SET path = ? WHERE arxiv_id = ?", [path, PAPER])


def test_the_pdf_route_serves_only_files_inside_the_pdf_cache(warehouse, tmp_path):
    seed_demo_queue(warehouse, tmp_path / "pdfs")
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 not for you")
    link = tmp_path / "pdfs" / "link.pdf"
    link.symlink_to(secret)
    with Server(warehouse.path, "--reviewer", "alice") as srv:
        client, _ = csrf_client(srv.url)
        assert client.get(f"/papers/{PAPER}/pdf").status_code == 200  # the cached file itself
        for outside in (
            str(secret),
            "/etc/passwd",
            str(link),
            "../secret.pdf",
            str(tmp_path / "pdfs" / ".." / "secret.pdf"),
        ):
            _point_pdf_at(warehouse, outside)
            answer = client.get(f"/papers/{PAPER}/pdf")
            assert answer.status_code == 404 and b"not for you" not in answer.content, outside


# -- extract on what is not a file -----------------------------------------------------------


def _extract(path: Path) -> str:
    proc = subprocess.run([EXE, "extract", str(path)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    return line


def test_extract_names_a_folder_a_fifo_and_a_missing_file(tmp_path):
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    assert _extract(tmp_path).startswith(f"Error: {tmp_path} is a folder, not a PDF file")
    assert _extract(fifo).startswith(f"Error: {fifo} is a named pipe (FIFO), not a PDF file")
    assert _extract(tmp_path / "missing.pdf").startswith("Error: file not found:")


# -- parameter counts below 1 ----------------------------------------------------------------


@pytest.mark.parametrize("text", ["1e-9", "0.5", "0", "0.999"])
def test_a_count_below_one_is_refused_by_the_parser(text):
    with pytest.raises(InvalidDecision, match="below 1|out of range"):
        parse_parameters(text)
    assert parse_parameters("1") == 1.0


CANDS = [Cand(7e9, model="Seven", evidence="Seven has 7 billion parameters.", page=2, score=0.9)]


def test_a_count_below_one_is_refused_from_a_script(warehouse):
    seed_paper(warehouse, "2301.00001", "A paper", CANDS)
    service = ReviewService(warehouse)
    for bad in (1e-9, 0.5, float("nan"), float("inf")):
        with pytest.raises(InvalidDecision, match="parameters"):
            service.decide(
                "2301.00001",
                reviewer="alice",
                action="correct",
                correction=Correction(parameters=bad, evidence="It has some parameters.", evidence_page=1),
                expected_version=0,
            )
    assert scalar(warehouse, "SELECT count(*) FROM decisions") == 0


def test_a_count_below_one_is_refused_from_a_csv(warehouse, tmp_path):
    seed_paper(warehouse, "2301.00001", "A paper", CANDS)
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["arxiv_id", "review_version", "action", "parameters", "evidence", "evidence_page", "reviewer"])
    w.writerow(["2301.00001", "0", "correct", "1e-9", "It has 1e-9 parameters.", "1", "alice"])
    path = tmp_path / "d.csv"
    path.write_text(out.getvalue())
    with pytest.raises(ImportFailed) as failed:
        import_csv(ReviewService(warehouse), path, reviewer=None)
    assert failed.value.errors == ["line 2: parameters '1e-9' is below 1: a model has at least one parameter"]
    assert scalar(warehouse, "SELECT count(*) FROM models") == 0


def test_a_count_below_one_is_refused_from_the_web_form_and_the_terminal(warehouse, paramtrack_exe):
    seed_paper(warehouse, "2301.00001", "A paper", CANDS)
    with Server(warehouse.path, "--reviewer", "alice") as srv:
        client, _ = csrf_client(srv.url)
        form = form_fields(client.get("/papers/2301.00001").text, "correct")
        form.update(parameters="0.5", evidence="It has half a parameter.", evidence_page="1", model="Half")
        answer = client.post("/papers/2301.00001/decide", data=form)
        assert answer.status_code == 400 and "is below 1" in answer.text
    keys = "e\n0.5\n7B\n\n\n\n\ny\nq\n"  # correct: 0.5 refused, asked again; 7B kept; kind, date, domain, system as offered
    proc = subprocess.run(
        [paramtrack_exe, "--db", str(warehouse.path), "review", "--reviewer", "erin"],
        input=keys,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "parameters '0.5' is below 1" in proc.stdout
    assert scalar(warehouse, "SELECT parameters FROM models WHERE source = 'review'") == 7e9
