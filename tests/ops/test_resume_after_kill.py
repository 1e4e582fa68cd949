"""`kill -9` at any point of an ingest, then the same command again: the warehouse ends exactly
as a clean run leaves it (no duplicates, no gaps), compared table by table.

Each ingest is a real `paramtrack ingest` process against the replay server, with a real Prefect
server on loopback. The process group is killed (SIGKILL, as a reboot or the OOM killer would)
when the ingest prints the progress line of the point under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.snapshot import content_snapshot, diff_snapshots

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def _content(db: Path) -> dict:
    """Every table but the run ledger (a killed run legitimately leaves one more ``runs`` row)."""
    with Warehouse(db).read() as con:
        return content_snapshot(con)


def _runs(db: Path) -> list[tuple]:
    with Warehouse(db).read() as con:
        return con.execute(
            "SELECT status, resumed_from IS NOT NULL, counts->>'polled' FROM runs ORDER BY started_at"
        ).fetchall()


@pytest.fixture(scope="module")
def clean_run(tmp_path_factory, ingest, replay) -> tuple[dict, int]:
    """The warehouse a run that nobody kills leaves, and how many records the window holds."""
    folder = tmp_path_factory.mktemp("clean")
    output = ingest(replay, folder).run_to_end()
    assert "staged for review: 0" not in output  # the window does reach extraction
    content = _content(folder / "w.duckdb")
    assert len(content["papers"]) > 50 and len(content["extractions"]) >= 2
    ((_, _, polled),) = _runs(folder / "w.duckdb")
    assert int(polled) > 100  # more than one arXiv page: a kill can land between pages
    return content, int(polled)


@pytest.mark.parametrize(
    "marker",
    [
        "Stored 80/",  # mid-window: two batches committed, the rest of the listing not read
        "Warehouse:",  # window and watchlist stored; no PDF downloaded yet
        "Extracted 2/",  # PDFs cached, extraction half done
    ],
)
def test_kill_9_then_rerun_equals_a_clean_run(marker, clean_run, tmp_path, ingest, replay):
    run = ingest(replay, tmp_path)
    run.kill_when(marker)
    output = run.run_to_end()

    clean, window_size = clean_run
    diff = diff_snapshots(clean, _content(tmp_path / "w.duckdb"))
    assert diff == [], "\n".join(diff[:40])
    runs = _runs(tmp_path / "w.duckdb")
    assert [status for status, *_ in runs] == ["interrupted", "completed"]
    if marker == "Stored 80/":
        # The second run took over the first one's checkpoint instead of re-reading the window.
        assert runs[1][1] is True and "resumed run" in output
        assert int(runs[1][2]) == window_size - 80
