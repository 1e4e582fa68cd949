"""PDF downloads that respect time and versions.

* a PDF that answered 404 (or failed a whole run) waits a growing number of days before a run
  tries it again, instead of costing every run a request and a pacing delay;
* ``add`` downloads and extracts only the papers it names (and tries those even while they wait);
* a new arXiv version's PDF is downloaded and extracted beside the old version's rows.

Real discover flows through Prefect's test harness, against the replay server over loopback.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from paramtrack.warehouse import Warehouse

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

# Ten notable papers; the corpus has PDFs for some (DQN and GAN among them), the others answer
# 404 (how many depends on the shared corpus, which grows: the tests count, not assume).
SINCE, UNTIL = date(2013, 12, 1), date(2014, 6, 30)
AS_OF = date(2026, 11, 23)
PDF_A, PDF_B = "1312.5602", "1406.2661"


@pytest.fixture()
def run(discover):
    """A run of this module's window without bulk search (or of ``arxiv_ids``, as ``add`` does)."""
    return discover.bind(since=SINCE, until=UNTIL, as_of=AS_OF, bulk_search=False)


def _pdf_requests(srv) -> list[str]:
    return [e["path"] for e in srv.request_log if e["path"].startswith("/pdf/")]


def _pdf_ids(srv) -> list[str]:
    """The papers whose PDFs were requested (``/pdf/1312.5602v1`` -> ``1312.5602``), sorted."""
    return sorted(p.removeprefix("/pdf/").rsplit("v", 1)[0] for p in _pdf_requests(srv))


def _waiting(db: Path) -> dict[str, tuple[int, float]]:
    """Failed PDFs: arxiv_id -> (failed runs in a row, days from the last try to the next)."""
    with Warehouse(db).read() as con:
        rows = con.execute(
            "SELECT arxiv_id, failures, epoch(next_try_at - fetched_at) / 86400 FROM pdfs WHERE sha256 IS NULL"
        ).fetchall()
    return {a: (f, round(d, 3)) for a, f, d in rows}


def _day_passes(db: Path, days: float) -> None:
    """Move every waiting PDF's clock ``days`` back, as if that much time had passed."""
    with Warehouse(db).write() as con:
        con.execute(
            "UPDATE pdfs SET next_try_at = next_try_at - to_seconds(CAST(? AS BIGINT)),"
            " fetched_at = fetched_at - to_seconds(CAST(? AS BIGINT))"
            " WHERE sha256 IS NULL",
            [int(days * 86400), int(days * 86400)],
        )


def test_an_unavailable_pdf_waits_longer_after_each_failed_run_instead_of_costing_every_run(run, replay, tmp_path):
    db = tmp_path / "w.duckdb"
    first = run(db, replay)
    waiting = _waiting(db)
    assert first.pdfs_downloaded >= 2 and first.pdfs_failed == len(waiting) >= 3
    assert set(waiting.values()) == {(1, 1.0)}  # one failed run: a day

    replay.clear_log()
    second = run(db, replay)  # the same day: nothing is due
    assert _pdf_requests(replay) == []
    assert second.pdfs_failed == 0 and second.status == "completed"

    _day_passes(db, 1.01)
    replay.clear_log()
    third = run(db, replay)
    assert _pdf_ids(replay) == sorted(waiting)  # each of them once
    assert third.pdfs_failed == len(waiting)
    assert set(_waiting(db).values()) == {(2, 2.0)}  # two failed runs in a row: two days

    _day_passes(db, 2.01)
    run(db, replay)
    assert set(_waiting(db).values()) == {(3, 4.0)}


def test_add_works_only_on_the_papers_it_names(run, replay, tmp_path):
    db = tmp_path / "w.duckdb"
    run(db, replay)
    unavailable = sorted(_waiting(db))
    named = unavailable[0]

    replay.clear_log()
    added = run(db, replay, arxiv_ids=[named])

    # The named paper is tried even though it waits; the others are left alone.
    assert _pdf_ids(replay) == [named]
    assert added.pdfs_failed == 1 and added.extracted == 0
    assert _waiting(db)[named] == (2, 2.0)
    assert all(_waiting(db)[a] == (1, 1.0) for a in unavailable[1:])

    replay.clear_log()
    again = run(db, replay, arxiv_ids=[PDF_A])  # cached and extracted already: nothing to do
    assert _pdf_requests(replay) == [] and again.extracted == 0


def test_a_new_arxiv_version_is_downloaded_and_extracted_beside_the_old_one(run, replay, tmp_path):
    db = tmp_path / "w.duckdb"
    run(db, replay)
    with Warehouse(db).read() as con:
        (v1_sha,) = con.execute("SELECT sha256 FROM pdfs WHERE arxiv_id = ?", [PDF_A]).fetchone()

    paper = replay.state.corpus.papers[PDF_A]
    saved = (paper.version, paper.pdf_path, paper.updated)
    # arXiv announces a new version with a different file (here: another corpus PDF's bytes).
    paper.version, paper.pdf_path = saved[0] + 8, replay.state.corpus.papers[PDF_B].pdf_path
    paper.updated = saved[2] + timedelta(days=400)
    try:
        replay.clear_log()
        second = run(db, replay)
    finally:
        paper.version, paper.pdf_path, paper.updated = saved

    new = saved[0] + 8
    assert f"/pdf/{PDF_A}v{new}" in _pdf_requests(replay)
    assert second.pdfs_downloaded == 1 and second.extracted == 1
    with Warehouse(db).read() as con:
        assert con.execute(
            "SELECT version, pdf_url LIKE ? FROM papers WHERE arxiv_id = ?", [f"%v{new}", PDF_A]
        ).fetchone() == (new, True)
        pdfs = con.execute(
            "SELECT version, sha256 IS NOT NULL, sha256 = ? FROM pdfs WHERE arxiv_id = ? ORDER BY version",
            [v1_sha, PDF_A],
        ).fetchall()
        assert pdfs == [(saved[0], True, True), (new, True, False)]  # rows beside each other
        shas = {r[0] for r in con.execute("SELECT pdf_sha256 FROM extractions WHERE arxiv_id = ?", [PDF_A]).fetchall()}
        assert len(shas) == 2 and v1_sha in shas
        (latest,) = con.execute("SELECT pdf_sha256 FROM latest_extractions WHERE arxiv_id = ?", [PDF_A]).fetchone()
        assert latest != v1_sha


def test_pdfs_lists_what_waits_and_retry_clears_the_wait(run, replay, tmp_path, cli):
    db = tmp_path / "w.duckdb"
    run(db, replay)
    shown = cli("--db", db, "pdfs")
    assert shown.exit_code == 0, shown.stderr
    unavailable = sorted(_waiting(db))
    for arxiv_id in unavailable:
        assert arxiv_id in shown.stdout
    assert "HTTP 404" in shown.stdout and "next try" in shown.stdout
    assert f"{len(unavailable)} unavailable, waiting" in shown.stdout, shown.stdout

    retried = cli("--db", db, "pdfs", "--retry", unavailable[0])
    assert retried.exit_code == 0, retried.stderr
    with Warehouse(db).read() as con:
        assert con.execute("SELECT next_try_at FROM pdfs WHERE arxiv_id = ?", [unavailable[0]]).fetchone() == (None,)
    replay.clear_log()
    run(db, replay)
    assert _pdf_ids(replay) == [unavailable[0]]

    bad = cli("--db", db, "pdfs", "--retry", "not-an-id")
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: ") and "Traceback" not in bad.stderr


def test_a_warehouse_from_before_versioned_pdfs_keeps_its_rows_and_waits(tmp_path):
    import duckdb

    from paramtrack.warehouse import migrations

    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ)")
    for name, sql in migrations._steps():
        if name >= "0012":
            break
        con.execute(sql)
        con.execute("INSERT INTO _migrations VALUES (?, now())", [name])
    con.execute(
        "INSERT INTO papers (arxiv_id, version, title, found_by, first_seen, last_seen,"
        " status, pdf_url) VALUES ('2205.01068', 3, 't', 'manual', now(), now(), 'notable',"
        " 'https://arxiv.org/pdf/2205.01068v3'), ('2401.04088', 1, 'u', 'manual', now(),"
        " now(), 'notable', 'https://arxiv.org/pdf/2401.04088v1')"
    )
    con.execute(
        "INSERT INTO pdfs (arxiv_id, sha256, url, fetched_at, attempts) VALUES"
        " ('2205.01068', 'ab', 'https://arxiv.org/pdf/2205.01068v1', now(), 1)"
    )
    con.execute(
        "INSERT INTO pdfs (arxiv_id, url, fetched_at, error, attempts) VALUES"
        " ('2401.04088', 'https://arxiv.org/pdf/2401.04088v1', now() - INTERVAL 1 DAY,"
        " 'HTTP 404', 3)"
    )
    con.close()

    from paramtrack.warehouse import papers_store

    wh = Warehouse(db)
    assert "0012_pdf_versions_and_run_locks" in wh.migrate()
    with wh.read() as con:
        rows = con.execute(
            "SELECT arxiv_id, version, sha256, failures,"
            " round(epoch(next_try_at - fetched_at) / 86400, 3) FROM pdfs"
            " ORDER BY arxiv_id"
        ).fetchall()
        assert rows == [("2205.01068", 1, "ab", 0, None), ("2401.04088", 1, None, 3, 4.0)]
        # v1 of 2205.01068 is cached, but the paper is at v3 now: v3 is what needs fetching.
        assert papers_store.papers_needing_pdf(con) == [("2205.01068", "https://arxiv.org/pdf/2205.01068v3", 3)]
