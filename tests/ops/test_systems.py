"""A model is a system, not a paper, through the review service on a real warehouse.

The warehouse is the real demo's (replay server -> discover flow -> real PDFs -> extractor ->
DuckDB) with Epoch's 2022-09 vintage imported on top, as a new user would have it. Decisions go
through ``paramtrack review-server`` over HTTP (the page shows the Epoch match before a value
is saved) and ``paramtrack review`` with piped stdin; every check reads the warehouse's SQL.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC
from pathlib import Path

import duckdb
import pytest

pytestmark = [pytest.mark.slow, pytest.mark.prefect]

PCD = "pcd_notable_ml_systems_2022-09.csv"
NEWER = "all_ai_models_2025-04.csv"
OPT, RESNET = "2205.01068", "1512.03385"


@pytest.fixture()
def run(cli):
    """``run(db, *args, stdin=...)``: `paramtrack --db DB ARGS` in the warehouse's folder."""

    def at(db: Path, *args: str, stdin: str | None = None):
        return cli("--db", db, *args, input=stdin, cwd=db.parent)

    return at


def _sql(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


@pytest.fixture()
def real_db(demo_db, corpus_dir, run, tmp_path) -> Path:
    """A copy of the demo warehouse with Epoch's 2022-09 vintage imported."""
    db = tmp_path / "data" / "paramtrack.duckdb"
    db.parent.mkdir()
    shutil.copy(demo_db, db)
    r = run(db, "import-epoch", str(corpus_dir / "epoch" / PCD))
    assert r.exit_code == 0, r.stderr
    return db


def _candidate_row(page: str, value_text: str) -> str:
    """The HTML of the candidate row whose value cell shows ``value_text``."""
    for row in re.findall(r"<tr data-nav-row.*?</tr>", page, re.S):
        if f'data-value="{value_text}"' in row:
            return row
    raise AssertionError(f"no candidate row {value_text}")


def test_approving_opt_leaves_one_opt_175b(real_db, review_server_process, csrf_client, form_fields):
    assert _sql(real_db, "SELECT count(*) FROM curated_models WHERE system = 'OPT-175B'") == [(1,)]
    with review_server_process(real_db, "--reviewer", "ada") as srv:
        client, _ = csrf_client(srv.url)
        page = client.get(f"/papers/{OPT}").text
        row = _candidate_row(page, "175B")
        # the reviewer sees, before saving, the system the value is for and what it supersedes:
        # Epoch's OPT-175B has no arXiv id, so it matches by name alone
        assert 'name="system" value="OPT-175B"' in row
        assert "Supersedes Epoch: OPT-175B (pcd_notable_ml_systems_2022-09.csv row 504, name (no arXiv id))" in row
        fields = form_fields(row, "approve")
        r = client.post(f"/papers/{OPT}/decide", data=fields | {"system": "OPT-175B"})
        assert r.status_code == 303, r.text
    rows = _sql(real_db, "SELECT system, source, parameters FROM curated_models WHERE system_key LIKE 'opt175b%'")
    assert rows == [("OPT-175B", "review", 175e9)]
    logged = _sql(
        real_db,
        "SELECT new_value->>'$.supersedes[0].source_row' FROM decisions WHERE arxiv_id = ? AND action = 'approve'",
        [OPT],
    )
    assert logged == [("504",)]


def test_approving_resnet_152_keeps_resnet_110_and_the_correction_carries_its_own_evidence(
    real_db, review_server_process, csrf_client, form_fields
):
    before = _sql(
        real_db,
        "SELECT count(*) FROM curated_models WHERE domain = 'vision'"
        " AND parameters > 0 AND publication_date < DATE '2018-01-01'",
    )[0][0]
    cifar = _sql(
        real_db,
        "SELECT evidence FROM ranked_candidates WHERE arxiv_id = ? AND quantity = 'parameters' AND rank = 1",
        [RESNET],
    )[0][0]
    assert "CIFAR-10" in cifar
    with review_server_process(real_db, "--reviewer", "ada") as srv:
        client, _ = csrf_client(srv.url)
        page = client.get(f"/papers/{RESNET}").text
        # Epoch lists two systems for this paper; the page shows both
        assert "ResNet-152 (ImageNet)" in page and "ResNet-110 (CIFAR-10)" in page
        fields = form_fields(page, "correct")
        assert fields["supersedes"] == "-"  # the top candidate's "ResNet" (19.4M) is no Epoch row
        correction = fields | {"parameters": "60.2M", "model": "ResNet-152 (ImageNet)"}
        # a corrected count without evidence is refused: the CIFAR sentence does not state it
        r = client.post(f"/papers/{RESNET}/decide", data=correction)
        assert r.status_code == 400 and "needs its own evidence" in r.text
        sentence = "ResNet-152 has 60.2M parameters and 11.3 billion FLOPs."
        # the name now matches Epoch's ResNet-152 row, not the "-" the page showed: the server
        # asks for confirmation and writes nothing yet
        r = client.post(f"/papers/{RESNET}/decide", data=correction | {"evidence": sentence, "evidence_page": "4"})
        assert r.status_code == 200 and "Confirm the system" in r.text
        assert "ResNet-152 (ImageNet)" in r.text and "row 251" in r.text
        assert _sql(real_db, "SELECT count(*) FROM models WHERE source = 'review'") == [(0,)]
        confirm = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', r.text))
        r = client.post(f"/papers/{RESNET}/decide", data=confirm)
        assert r.status_code == 303, r.text
    rows = _sql(
        real_db,
        "SELECT system, source, parameters, evidence, evidence_page, evidence_source"
        " FROM curated_models WHERE arxiv_id = ? ORDER BY system",
        [RESNET],
    )
    assert rows == [
        ("ResNet-110 (CIFAR-10)", "epoch", 1.7e6, None, None, None),
        ("ResNet-152 (ImageNet)", "review", 60.2e6, sentence, 4, "typed"),
    ]
    assert all(cifar != r[3] for r in rows)
    after = _sql(
        real_db,
        "SELECT count(*) FROM curated_models WHERE domain = 'vision'"
        " AND parameters > 0 AND publication_date < DATE '2018-01-01'",
    )[0][0]
    assert after == before  # ResNet-152 replaced, not both rows of the paper


def test_a_second_system_from_one_paper_and_evidence_picked_from_another_candidate(
    real_db, review_server_process, csrf_client, form_fields
):
    with review_server_process(real_db, "--reviewer", "ada") as srv:
        client, _ = csrf_client(srv.url)
        page = client.get(f"/papers/{RESNET}").text
        row = _candidate_row(page, "1.7M")
        # the 1.7M candidate is prefilled with Epoch's name of the system of that size
        assert 'name="system" value="ResNet-110 (CIFAR-10)"' in row
        r = client.post(f"/papers/{RESNET}/decide", data=form_fields(row, "approve"))
        assert r.status_code == 303, r.text
        page = client.get(f"/papers/{RESNET}").text
        cid = re.search(r'data-candidate="(\d+)"', _candidate_row(page, "19.4M")).group(1)
        start = re.search(r'data-candidate="(\d+)"', _candidate_row(page, "850K")).group(1)
        fields = form_fields(page, "correct")
        # a second system of the same paper, corrected from the 850K candidate: its evidence is
        # the sentence of the candidate that states 19.4M, picked by the reviewer
        r = client.post(
            f"/papers/{RESNET}/decide",
            data=fields
            | {
                "candidate_id": start,
                "parameters": "19.4M",
                "model": "ResNet-1202",
                "evidence_candidate_id": cid,
                "supersedes": "-",
            },
        )
        assert r.status_code == 303, r.text
    rows = _sql(
        real_db,
        "SELECT c.system, c.source, m.evidence_source, m.evidence_candidate_id,"
        " m.evidence_page FROM curated_models c JOIN models m USING (model_id)"
        " WHERE c.arxiv_id = ? ORDER BY c.system",
        [RESNET],
    )
    assert [r[:2] for r in rows] == [
        ("ResNet-110 (CIFAR-10)", "review"),
        ("ResNet-1202", "review"),
        ("ResNet-152 (ImageNet)", "epoch"),
    ]
    assert rows[1][2:] == ("picked", int(cid), 7)


def test_reimporting_a_vintage_changes_nothing(real_db, corpus_dir, run):
    from paramtrack.review_queue.service import ReviewService
    from paramtrack.warehouse import Warehouse

    svc = ReviewService(Warehouse(real_db))
    top = svc.paper_view(OPT)["candidates"][0]
    svc.decide(OPT, reviewer="ada", action="approve", candidate_id=top["candidate_id"])
    curated = "SELECT * EXCLUDE (system_key) FROM curated_models ORDER BY model_id"
    snapshot = _sql(real_db, curated)
    events = _sql(real_db, "SELECT count(*) FROM dataset_events")
    r = run(real_db, "import-epoch", str(corpus_dir / "epoch" / PCD))
    assert r.exit_code == 0 and "0 imported, 0 updated, 362 unchanged" in r.stdout, r.stdout
    assert _sql(real_db, curated) == snapshot
    assert _sql(real_db, "SELECT count(*) FROM dataset_events") == events
    # A newer vintage lists OPT-175B (with its arXiv id this time) and both ResNets: the review
    # still supersedes OPT in both files, and each ResNet counts once.
    r = run(real_db, "import-epoch", str(corpus_dir / "epoch" / NEWER))
    assert r.exit_code == 0, r.stderr
    assert _sql(real_db, "SELECT system, source FROM curated_models WHERE system_key = 'opt175b'") == [
        ("OPT-175B", "review")
    ]
    assert _sql(
        real_db,
        "SELECT system, source_file FROM curated_models"
        " WHERE system_key IN ('resnet110cifar10', 'resnet152imagenet')"
        " ORDER BY system",
    ) == [("ResNet-110 (CIFAR-10)", NEWER), ("ResNet-152 (ImageNet)", NEWER)]
    hidden = dict(
        _sql(
            real_db,
            "SELECT superseded_by_source, count(*) FROM superseded_models WHERE system = 'OPT-175B' GROUP BY ALL",
        )
    )
    assert hidden == {"review": 2, "epoch": 1}  # the 2022-09 row: by the review and by 2025-04
    again = _sql(real_db, curated)
    r = run(real_db, "import-epoch", str(corpus_dir / "epoch" / NEWER))
    assert "0 imported, 0 updated" in r.stdout and _sql(real_db, curated) == again


def test_terminal_review_shows_the_match_before_saving(real_db, run):
    ids = [
        r[0]
        for r in _sql(
            real_db,
            "SELECT arxiv_id FROM review_queue ORDER BY citations DESC NULLS LAST, top_score DESC NULLS LAST, arxiv_id",
        )
    ]
    keys = []
    for arxiv_id in ids:
        if arxiv_id == OPT:
            keys += ["1", "", "y", "q"]  # approve the top candidate, keep its system, confirm
            break
        keys.append("k")
    r = run(real_db, "review", "--reviewer", "ada", stdin="\n".join(keys) + "\n")
    assert r.exit_code == 0, r.stderr
    assert (
        "OPT-175B: supersedes Epoch: OPT-175B (pcd_notable_ml_systems_2022-09.csv row 504, name (no arXiv id))"
    ) in r.stdout
    assert _sql(real_db, "SELECT system, source FROM curated_models WHERE system_key = 'opt175b'") == [
        ("OPT-175B", "review")
    ]


def test_a_system_is_never_named_after_the_paper_title(warehouse, seed_paper, candidate):
    """A candidate without a model name and no Epoch row to borrow one from: the reviewer must
    name the system; the paper's title is never used."""

    from paramtrack.review_queue.service import InvalidDecision, ReviewService

    title = "Megatron-LM: Training Multi-Billion Parameter Language Models Using Model Parallelism"
    seed_paper(warehouse, "1909.08053", title, [candidate(8.3e9, model=None, evidence="8.3 billion")])
    svc = ReviewService(warehouse)
    assert svc.paper_view("1909.08053")["candidates"][0]["system"] == ""
    with pytest.raises(InvalidDecision, match="names no system"):
        svc.decide("1909.08053", reviewer="ada", action="approve")
    svc.decide("1909.08053", reviewer="ada", action="approve", system="Megatron-LM")
    with warehouse.read() as con:
        assert con.execute("SELECT system FROM models").fetchall() == [("Megatron-LM",)]


def test_same_system_rule_in_sql(warehouse):
    """The rule itself, on hand-made rows: arXiv id + normalised name, or name alone when one
    side has no arXiv id; vintages: the most recently imported file's row counts."""
    from datetime import datetime, timedelta

    now = datetime.now(UTC)
    rows = [  # system, arxiv_id, file, row
        ("ResNet-152", "1512.03385", "old.csv", 1),
        ("ResNet-110", "1512.03385", "old.csv", 2),
        ("OPT-175B", None, "old.csv", 3),
        ("GPT-3 175B", "2005.14165", "old.csv", 4),
        ("resnet 152", "1512.03385", "new.csv", 1),  # same system, newer file
        ("OPT 175B", "2205.01068", "new.csv", 2),  # old row had no id: name alone
        ("GPT-3 175B", "2999.00001", "new.csv", 3),  # same name, another paper: not the same
    ]
    with warehouse.write() as con:
        for f, when in (("old.csv", now - timedelta(days=1)), ("new.csv", now)):
            con.execute(
                "INSERT INTO epoch_imports (source_file, sha256, imported_at, rows_total,"
                " inserted, updated, unchanged, skipped) VALUES (?, 'x', ?, 0, 0, 0, 0, 0)",
                [f, when],
            )
        for system, aid, f, row in rows:
            con.execute(
                "INSERT INTO models (system, arxiv_id, parameters, source, source_file,"
                " source_row, updated_at) VALUES (?, ?, 1e9, 'epoch', ?, ?, now())",
                [system, aid, f, row],
            )
        con.execute(
            "INSERT INTO models (system, arxiv_id, parameters, source, updated_at)"
            " VALUES ('ResNet-110', '1512.03385', 1.7e6, 'review', now())"
        )
        got = con.execute(
            "SELECT system, source, source_file FROM curated_models ORDER BY system, source_file"
        ).fetchall()
        why = con.execute(
            "SELECT system, source_file, superseded_by_source, matched_on"
            " FROM superseded_models ORDER BY system, source_file"
        ).fetchall()
    assert got == [
        ("GPT-3 175B", "epoch", "new.csv"),
        ("GPT-3 175B", "epoch", "old.csv"),
        ("OPT 175B", "epoch", "new.csv"),
        ("ResNet-110", "review", "old.csv"),  # reviewed, keeping the Epoch row's other columns
        ("resnet 152", "epoch", "new.csv"),
    ]
    assert why == [
        ("OPT-175B", "old.csv", "epoch", "name (no arXiv id)"),
        ("ResNet-110", "old.csv", "review", "arXiv id and name"),
        ("ResNet-152", "old.csv", "epoch", "arXiv id and name"),
    ]
