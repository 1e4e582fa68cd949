"""Supersede by column, not by row: a review replaces what it reviewed and keeps every other
column of the Epoch row of its system, with provenance per column, in the curated view, the
export and the fits."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from paramtrack.review_queue.service import Correction, ReviewService
from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.models_store import read_curated

PCD = "pcd_notable_ml_systems_2022-09.csv"
FILE_ROW_BERT = f"{PCD} row 351"  # BERT-Large: Google AI, 2.9e20 FLOP, 3.3e9 datapoints, 340M


@pytest.fixture()
def epoch_db(tmp_path: Path, corpus_dir: Path, cli, seed_paper) -> Warehouse:
    """A warehouse with Epoch's 2022-09 vintage imported through the CLI, and BERT's paper
    staged with the candidate the extractor proposes (PDF small caps: "BERTLARGE")."""
    db = tmp_path / "w.duckdb"
    imported = cli("--db", str(db), "import-epoch", str(corpus_dir / "epoch" / PCD))
    assert imported.exit_code == 0, imported.stderr
    wh = Warehouse(db)
    seed_paper(
        wh,
        "1810.04805",
        "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding",
        [
            {
                "value": 335e6,
                "model": "BERTLARGE",
                "evidence": "BERTLARGE (L=24, H=1024, A=16, Total Parameters=335M).",
                "page": 3,
            }
        ],
        published=date(2018, 10, 11),
    )
    return wh


def _approve(wh: Warehouse, **kwargs) -> dict:
    service = ReviewService(wh)
    view = service.paper_view("1810.04805", "alice")
    top = view["candidates"][0]
    kwargs.setdefault("system", top["system"])  # what the page prefilled
    outcome = service.decide(
        "1810.04805",
        reviewer="alice",
        action=kwargs.pop("action", "approve"),
        candidate_id=top["candidate_id"],
        expected_version=view["paper"]["version"],
        **kwargs,
    )
    return outcome.decision


def _curated(wh: Warehouse, arxiv_id: str = "1810.04805") -> list[dict]:
    with wh.read() as con:
        cur = con.execute(
            "SELECT system, parameters, organization, training_compute, dataset_size, publication_date,"
            " domain, source, source_file, source_row, decision_id, provenance FROM curated_models"
            " WHERE arxiv_id = ?",
            [arxiv_id],
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, r)) for r in cur.fetchall()]


def test_an_approval_keeps_epochs_organization_compute_and_dataset_size_with_provenance(epoch_db, tmp_path, cli):
    decision = _approve(epoch_db)
    did = decision["decision_id"]
    [row] = _curated(epoch_db)
    # the reviewed count, with everything else of Epoch's BERT-Large row
    assert row["parameters"] == 335e6 and row["source"] == "review" and row["decision_id"] == did
    assert row["organization"] == "Google AI"
    assert row["training_compute"] == pytest.approx(2.9e20)
    assert row["dataset_size"] == pytest.approx(3.3e9)
    assert row["system"] == "BERT-Large"  # Epoch's spelling: the reviewer typed no name
    assert (row["source_file"], row["source_row"]) == (PCD, 351)
    assert row["provenance"] == {
        "system": FILE_ROW_BERT,
        "parameters": f"decision {did}",
        "parameters_kind": f"decision {did}",
        "publication_date": FILE_ROW_BERT,
        "domain": FILE_ROW_BERT,
        "organization": FILE_ROW_BERT,
        "training_compute": FILE_ROW_BERT,
        "dataset_size": FILE_ROW_BERT,
    }

    out = tmp_path / "export"
    exported = cli("--db", str(epoch_db.path), "export", str(out))
    assert exported.exit_code == 0, exported.stderr
    with open(out / "models.csv", newline="", encoding="utf-8") as fh:
        [bert] = [r for r in csv.DictReader(fh) if r["arXiv id"] == "1810.04805"]
    assert bert["System"] == "BERT-Large" and float(bert["Parameters"]) == 335e6
    assert bert["Organization"] == "Google AI"
    assert float(bert["Training compute (FLOP)"]) == pytest.approx(2.9e20)
    assert float(bert["Training dataset size (datapoints)"]) == pytest.approx(3.3e9)
    assert bert["Decision"] == str(did) and bert["Reviewer"] == "alice"
    assert (bert["Epoch file"], bert["Epoch row"]) == (PCD, "351")
    assert bert["Provenance"] == (
        f"decision {did}: Parameters, Parameters kind; {FILE_ROW_BERT}: System, Publication date, Domain, "
        "Organization, Training compute (FLOP), Training dataset size (datapoints)"
    )


def test_the_fits_read_the_merged_row(epoch_db):
    """An approval keeps the reviewed model's compute: the compute fits keep every model."""
    with epoch_db.read() as con:
        before = read_curated(con)
    _approve(epoch_db)
    with epoch_db.read() as con:
        after = read_curated(con)
    assert len(after) == len(before)
    assert after["training_compute"].notna().sum() == before["training_compute"].notna().sum()
    bert = after[after["arxiv_id"] == "1810.04805"].iloc[0]
    assert bert["parameters"] == 335e6 and bert["training_compute"] == pytest.approx(2.9e20)


def test_a_typed_name_date_and_domain_are_the_reviewers_the_rest_stays_epochs(epoch_db):
    decision = _approve(
        epoch_db,
        action="correct",
        system=None,
        correction=Correction(model="Bert-Large (cased)", date=date(2018, 10, 1), domain="multimodal"),
    )
    [row] = [r for r in _curated(epoch_db) if r["source"] == "review"]
    did = f"decision {decision['decision_id']}"
    # a name typed by the reviewer is a new system (another key): nothing of Epoch's is kept
    assert row["system"] == "Bert-Large (cased)" and row["organization"] is None
    assert row["provenance"]["system"] == did

    # the same key typed in another spelling is the reviewer's spelling of Epoch's system
    decision = _approve(epoch_db, action="correct", system=None, correction=Correction(model="bert large"))
    rows = {r["system"]: r for r in _curated(epoch_db)}
    assert "BERT-Large" not in rows  # superseded by the reviewed row ...
    merged = rows["bert large"]  # ... which keeps Epoch's columns but the typed name
    assert merged["organization"] == "Google AI" and merged["provenance"]["system"] == (
        f"decision {decision['decision_id']}"
    )
    assert merged["publication_date"] == date(2018, 10, 11)  # not corrected: Epoch's date
    assert merged["provenance"]["publication_date"] == FILE_ROW_BERT


def test_a_corrected_date_and_domain_replace_epochs(epoch_db):
    decision = _approve(epoch_db, action="correct", correction=Correction(date=date(2018, 10, 1), domain="multimodal"))
    [row] = _curated(epoch_db)
    did = f"decision {decision['decision_id']}"
    assert row["system"] == "BERT-Large" and row["organization"] == "Google AI"
    assert (row["publication_date"], row["domain"]) == (date(2018, 10, 1), "multimodal")
    assert row["provenance"]["publication_date"] == did and row["provenance"]["domain"] == did
    assert json.loads(decision["new_value"])["reviewed_columns"] == [
        "parameters",
        "parameters_kind",
        "publication_date",
        "domain",
    ]


def test_the_queue_names_its_rows_as_the_paper_page_does(epoch_db, seed_paper):
    """The queue asks for every row's name in one query; it must be the paper page's name."""
    from paramtrack.review_queue.service import suggested_system, suggested_systems

    seed_paper(
        epoch_db,
        "2005.14165",
        "Language Models are Few-Shot Learners",
        [{"value": 175e9, "model": "GPT-3", "evidence": "175 billion parameters", "page": 1}],
    )
    seed_paper(
        epoch_db, "2401.00009", "Nameless", [{"value": 3e9, "model": None, "evidence": "A 3B model.", "page": 2}]
    )
    asked = [
        ("1810.04805", {"model": "BERTLARGE", "value": 335e6}),
        ("2005.14165", {"model": "GPT-3", "value": 175e9}),
        ("2401.00009", {"model": None, "value": 3e9}),
    ]
    with epoch_db.read() as con:
        batch = suggested_systems(con, asked)
        one_by_one = {arxiv_id: suggested_system(con, arxiv_id, cand) for arxiv_id, cand in asked}
    assert batch == one_by_one == {"1810.04805": "BERT-Large", "2005.14165": "GPT-3 175B", "2401.00009": ""}
