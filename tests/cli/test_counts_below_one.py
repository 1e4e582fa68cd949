"""A parameter count below 1 is refused wherever a reviewer can give one: the parser, a script
through the review service, a CSV import, the web form and the terminal."""

from __future__ import annotations

import csv
import io

import pytest

from paramtrack.review_queue.csv_io import ImportFailed, import_csv
from paramtrack.review_queue.service import Correction, InvalidDecision, ReviewService, parse_parameters


@pytest.mark.parametrize("text", ["1e-9", "0.5", "0", "0.999"])
def test_a_count_below_one_is_refused_by_the_parser(text):
    with pytest.raises(InvalidDecision, match="below 1|out of range"):
        parse_parameters(text)
    assert parse_parameters("1") == 1.0


@pytest.fixture()
def seeded(warehouse, seed_paper, candidate):
    """A staged paper whose one candidate is 7B."""
    cands = [candidate(7e9, model="Seven", evidence="Seven has 7 billion parameters.", page=2, score=0.9)]
    seed_paper(warehouse, "2301.00001", "A paper", cands)
    return warehouse


def test_a_count_below_one_is_refused_from_a_script(seeded, scalar):
    warehouse = seeded
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


def test_a_count_below_one_is_refused_from_a_csv(seeded, tmp_path, scalar):
    warehouse = seeded
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


@pytest.mark.slow
def test_a_count_below_one_is_refused_from_the_web_form_and_the_terminal(
    seeded, scalar, cli, review_server_process, csrf_client, form_fields
):
    warehouse = seeded
    with review_server_process(warehouse.path, "--reviewer", "alice") as srv:
        client, _ = csrf_client(srv.url)
        form = form_fields(client.get("/papers/2301.00001").text, "correct")
        form.update(parameters="0.5", evidence="It has half a parameter.", evidence_page="1", model="Half")
        answer = client.post("/papers/2301.00001/decide", data=form)
        assert answer.status_code == 400 and "is below 1" in answer.text
    keys = "e\n0.5\n7B\n\n\n\n\ny\nq\n"  # correct: 0.5 refused, asked again; 7B kept; kind, date, domain, system as offered
    proc = cli("--db", warehouse.path, "review", "--reviewer", "erin", input=keys)
    assert proc.exit_code == 0, proc.stderr
    assert "parameters '0.5' is below 1" in proc.stdout
    assert scalar(warehouse, "SELECT parameters FROM models WHERE source = 'review'") == 7e9
