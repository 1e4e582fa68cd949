"""The fault suite: the real discover flow against the replay server, one fault kind at a time and
a seeded random mix, each compared table by table with a fault-free baseline run.

Faults a run can absorb by retrying (429, 5xx, timeouts, truncated or garbled answers, an empty
arXiv page) must leave a warehouse equal to the baseline's after that one run. Faults no retry
fixes within a run (a PDF that answers 404, a PDF that keeps arriving corrupt) must be recorded
in ``pdfs.error``, lose nothing else, and the warehouse must equal the baseline once the fault
clears and the next run goes through. Every test asserts its fault fired, so none passes
vacuously. Timeouts and backoffs are scaled down (``http_timeout_s``, ``backoff_base_s``).
"""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path

import pytest

from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.snapshot import content_snapshot, diff_snapshots

pytestmark = [pytest.mark.prefect, pytest.mark.slow]

# Ten papers, all notable under RULE, two with small PDFs (DQN 1312.5602, GAN 1406.2661), so
# every stage runs (arXiv, Semantic Scholar, PDFs, extraction, staging) in a few seconds.
SINCE, UNTIL = date(2013, 12, 1), date(2014, 6, 30)
AS_OF = date(2026, 11, 23)
RULE = "3:10,12:50,36:150"
PDF_A, PDF_B = "1312.5602", "1406.2661"
HTTP_TIMEOUT_S = 1.0
HOLD_S = 2.5  # a `timeout` fault holds the request this long: longer than HTTP_TIMEOUT_S

# PDF faults target a paper the corpus has a PDF for: a fault on the first PDF request would
# otherwise hit a paper that answers 404 anyway, and prove nothing.
ARXIV, S2, PDF = "/api/query", "/graph/v1/paper/batch", f"/pdf/{PDF_B}"


@pytest.fixture(scope="module")
def with_pdf(replay, ids_with_pdfs) -> set[str]:
    """The window's papers the corpus holds a PDF for (the rest answer 404)."""
    ids = ids_with_pdfs(replay.corpus, SINCE, UNTIL)
    assert {PDF_A, PDF_B} <= ids
    return ids


@pytest.fixture(scope="module")
def run(discover):
    """A run of the window with short timeouts and backoffs, and no wait before a failed PDF is
    tried again: "the next run" here comes seconds later."""
    return discover.bind(
        since=SINCE,
        until=UNTIL,
        rule=RULE,
        as_of=AS_OF,
        bulk_search=False,
        pdf_retry_base_days=0,
        sources=dict(http_timeout_s=HTTP_TIMEOUT_S, backoff_base_s=0.05),
    )


def _snapshot(db: Path):
    with Warehouse(db).read() as con:
        return content_snapshot(con)


def _runs(db: Path) -> list[tuple]:
    with Warehouse(db).read() as con:
        return con.execute("SELECT status, error FROM runs ORDER BY started_at").fetchall()


def _assert_same(expected, got) -> None:
    diff = diff_snapshots(expected, got)
    assert diff == [], "warehouse differs from the baseline:\n" + "\n".join(diff)


@pytest.fixture(scope="module")
def baseline(run, replay, with_pdf, tmp_path_factory):
    db = tmp_path_factory.mktemp("baseline") / "w.duckdb"
    replay.faults.clear()
    summary = run(db, replay)
    snap = _snapshot(db)
    # A baseline that stored nothing would make every comparison pass: check it did the work.
    assert summary.polled == 10 and summary.verdicts.get("notable") == 10
    # The corpus has PDFs for some of them; the others answer 404 and are recorded as such.
    with Warehouse(db).read() as con:
        downloaded = {r[0] for r in con.execute("SELECT arxiv_id FROM pdfs WHERE sha256 IS NOT NULL").fetchall()}
    assert downloaded == with_pdf
    assert summary.pdfs_downloaded == len(with_pdf) and summary.pdfs_failed == 10 - len(with_pdf)
    assert {r[0] for r in snap["review_items"]} >= with_pdf  # (and papers staged from their abstract)
    assert summary.extracted == len(with_pdf) and summary.extraction_errors == 0
    assert not any(e["fault"] for e in replay.request_log)
    return snap


# (id, path, kind, options): each is absorbed by the clients' retries within one run.
RETRIED = [
    ("s2-429-retry-after", S2, "429", {"retry_after": "1"}),
    ("arxiv-429-no-retry-after", ARXIV, "429", {}),
    ("pdf-429-no-retry-after", PDF, "429", {}),
    ("s2-500", S2, "500", {}),
    ("arxiv-503", ARXIV, "503", {}),
    ("pdf-503", PDF, "503", {}),
    ("s2-timeout", S2, "timeout", {"delay": HOLD_S}),
    ("arxiv-timeout", ARXIV, "timeout", {"delay": HOLD_S}),
    ("pdf-timeout", PDF, "timeout", {"delay": HOLD_S}),
    ("truncated-xml", ARXIV, "truncate", {}),
    ("truncated-json", S2, "truncate", {}),
    ("truncated-pdf", PDF, "truncate", {}),
    ("empty-arxiv-page", ARXIV, "empty_page", {}),
    ("corrupt-xml", ARXIV, "corrupt", {}),
    ("corrupt-json", S2, "corrupt", {}),
    ("corrupt-pdf-once", PDF, "corrupt", {}),
]


@pytest.mark.parametrize("path,kind,options", [r[1:] for r in RETRIED], ids=[r[0] for r in RETRIED])
def test_a_retried_fault_leaves_the_baseline_warehouse(run, baseline, replay, tmp_path, path, kind, options):
    rule = replay.add_fault(path, kind, times=1, **options)
    db = tmp_path / "w.duckdb"

    run(db, replay)

    assert rule.fired == 1, f"the {kind} fault on {path} never fired"
    assert any(e["fault"] == kind and e["path"].startswith(path) for e in replay.request_log)
    assert _runs(db) == [("completed", None)]
    _assert_same(baseline, _snapshot(db))


def _without_paper(snap, arxiv_id: str):
    """The snapshot minus one paper's PDF, extraction, candidate and review rows."""
    out = {t: list(rows) for t, rows in snap.items()}
    for table in ("pdfs", "extractions", "candidates", "review_items"):
        out[table] = [r for r in out.get(table, []) if r[0] != arxiv_id]
    return out


@pytest.mark.parametrize(
    "kind,reason", [("404", "HTTP 404"), ("corrupt", "corrupt PDF")], ids=["pdf-404", "pdf-corrupt-every-time"]
)
def test_a_pdf_no_retry_fixes_is_recorded_and_the_next_run_completes_the_warehouse(
    run, baseline, replay, with_pdf, tmp_path, kind, reason
):
    rule = replay.add_fault(f"/pdf/{PDF_A}", kind, times=None)  # every request, until cleared
    db = tmp_path / "w.duckdb"

    first = run(db, replay)

    assert rule.fired >= 1
    assert first.pdfs_failed == 10 - len(with_pdf) + 1 and first.pdfs_downloaded == len(with_pdf) - 1
    with Warehouse(db).read() as con:
        sha, error = con.execute("SELECT sha256, error FROM pdfs WHERE arxiv_id = ?", [PDF_A]).fetchone()
    assert sha is None and reason in error, error
    # Nothing else is lost: every other table and every other paper's rows are the baseline's.
    _assert_same(_without_paper(baseline, PDF_A), _without_paper(_snapshot(db), PDF_A))

    replay.faults.clear()
    fired = rule.fired
    second = run(db, replay)

    assert rule.fired == fired  # cleared: the second run met no fault
    assert second.pdfs_downloaded == 1 and second.extracted == 1
    assert _runs(db) == [("completed", None), ("completed", None)]
    _assert_same(baseline, _snapshot(db))


MIX_SEEDS = [7, 2026]


@pytest.mark.parametrize("seed", MIX_SEEDS)
def test_a_seeded_random_mix_of_every_fault_kind(run, baseline, replay, with_pdf, tmp_path, seed):
    """Every kind once, placed and ordered by a seeded RNG within what each client can retry.

    Rules with ``times=1`` on one path fire on consecutive requests, so a path gets at most as
    many as its client retries: arXiv 3 (4 tries per page), Semantic Scholar 5 (6 tries), one
    PDF 4 (5 tries). The 404 sits on its own PDF and is cleared before the second run.
    """
    rng = random.Random(seed)
    placed: dict[str, list[tuple[str, dict]]] = {
        ARXIV: [("empty_page", {}), ("truncate", {})],
        S2: [("truncate", {})],
        f"/pdf/{PDF_B}": [("truncate", {}), ("corrupt", {})],
    }
    capacity = {ARXIV: 3, S2: 5, f"/pdf/{PDF_B}": 4}
    anywhere = [
        ("429", {"retry_after": "1"}),
        ("429", {}),
        ("500", {}),
        ("503", {}),
        ("timeout", {"delay": HOLD_S}),
        ("corrupt", {}),
    ]
    rng.shuffle(anywhere)
    for kind, options in anywhere:
        targets = [
            p
            for p in placed
            if len(placed[p]) < capacity[p]
            and not (kind == "corrupt" and p == f"/pdf/{PDF_B}" and ("corrupt", {}) in placed[p])
        ]
        placed[rng.choice(targets)].append((kind, options))
    rules = [replay.add_fault(f"/pdf/{PDF_A}", "404", times=None)]
    for path, kinds in placed.items():
        rng.shuffle(kinds)
        rules += [replay.add_fault(path, kind, times=1, **options) for kind, options in kinds]
    db = tmp_path / "w.duckdb"

    first = run(db, replay)

    fired = {(r.path, r.kind) for r in rules if r.fired}
    assert fired == {(r.path, r.kind) for r in rules}, "some faults of the mix never fired"
    kinds_fired = {r.kind for r in rules if r.fired}
    assert kinds_fired == {"404", "429", "500", "503", "timeout", "truncate", "empty_page", "corrupt"}
    assert first.pdfs_failed == 10 - len(with_pdf) + 1  # the papers without a PDF, and the 404
    replay.faults.clear()
    run(db, replay)
    assert _runs(db) == [("completed", None), ("completed", None)]
    _assert_same(baseline, _snapshot(db))
