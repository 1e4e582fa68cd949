"""`kill -9` of an ingest *together with its sources*, then the same command against sources that
came back elsewhere: the warehouse ends exactly as a clean run leaves it.

`paramtrack demo` starts its replay server inside the ingest process, so a kill takes the server
down with the run, and the next run's server answers on another port. Every address the dead run
stored (papers' PDF URLs) then points at nobody. A resumed run must re-read what it needs from
the source instead of trusting those addresses; before it did, every PDF of a paper stored
before the kill was "refused", each of those papers was put off for a day, and the run said
it completed.

Each ingest is a real `paramtrack ingest` process with a real Prefect server on loopback; each
gets a replay server of its own on a fresh port, and the killed run's server is stopped with it.
URLs are compared with the server's address replaced by ``REPLAY``: content, not ports.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.snapshot import Snapshot, content_snapshot, diff_snapshots

pytestmark = [pytest.mark.prefect, pytest.mark.slow]


def _normalised(db: Path, *servers) -> Snapshot:
    """The warehouse's content with every replay server's base URL written ``REPLAY``."""
    with Warehouse(db).read() as con:
        snap = content_snapshot(con)
    bases = [s.base_url for s in servers]

    def fix(value):
        if isinstance(value, str):
            for base in bases:
                value = value.replace(base, "REPLAY")
        elif isinstance(value, list):
            value = [fix(v) for v in value]
        return value

    out = Snapshot()
    for table, rows in snap.items():
        out[table] = sorted((tuple(fix(v) for v in row) for row in rows), key=repr)
        out.columns[table] = snap.columns[table]
    return out


def _statuses(db: Path) -> list[str]:
    with Warehouse(db).read() as con:
        return [s for (s,) in con.execute("SELECT status FROM runs ORDER BY started_at").fetchall()]


@pytest.fixture(scope="module")
def clean(tmp_path_factory, corpus_dir, ingest) -> Snapshot:
    from paramtrack.replay.server import ReplayServer

    folder = tmp_path_factory.mktemp("clean")
    with ReplayServer(corpus_dir, log_level="critical") as server:
        output = ingest(server, folder).run_to_end()
        snap = _normalised(folder / "w.duckdb", server)
    assert "Stored 40/" in output and "PDFs: 10/" in output and "Extracted 2/" in output
    assert len(snap["extractions"]) >= 4 and len(snap["pdfs"]) >= 10
    return snap


@pytest.mark.parametrize(
    "marker",
    [
        "Stored 40/",  # right after the first batch of the window is committed
        "PDFs: 10/",  # window stored, PDFs downloading
        "Extracted 2/",  # PDFs cached, extraction and staging half done
    ],
)
def test_killed_with_its_sources_then_rerun_against_sources_elsewhere_equals_a_clean_run(
    marker, clean, tmp_path, corpus_dir, ingest
):
    from paramtrack.replay.server import ReplayServer

    with ReplayServer(corpus_dir, log_level="critical") as first:
        ingest(first, tmp_path).kill_when(marker)
    # The first server is gone with the run: its port refuses connections from now on.
    with ReplayServer(corpus_dir, log_level="critical") as second:
        assert second.port != first.port
        output = ingest(second, tmp_path).run_to_end()
        got = _normalised(tmp_path / "w.duckdb", first, second)

    diff = diff_snapshots(clean, got)
    assert diff == [], "\n".join(diff[:60])
    assert _statuses(tmp_path / "w.duckdb") == ["interrupted", "completed"]
    assert "refused" not in output
