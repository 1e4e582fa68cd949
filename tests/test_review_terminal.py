"""`paramtrack review` in the terminal (in-process, piped input): a correction asks for its
evidence first when the candidate's cannot apply, and never offers another system's name."""

from __future__ import annotations

from datetime import date

from cli_support import cli
from test_review_support import Cand, seed_paper

from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.models_store import import_epoch_rows

VGG = "1409.1556"
CANDIDATES = [
    # the top candidate is a comparison's: another system, another count
    Cand(
        5e6,
        model="MultiBox",
        evidence="Compared with MultiBox (5M parameters), our localisation is better.",
        page=7,
        score=0.7,
    ),
    Cand(138e6, model=None, evidence="The 16-layer network has 138M parameters.", page=3, score=0.4),
]


def _seed(wh: Warehouse, *, epoch: bool) -> None:
    seed_paper(
        wh,
        VGG,
        "Very Deep Convolutional Networks for Large-Scale Image Recognition",
        CANDIDATES,
        published=date(2014, 9, 4),
        domain="vision",
    )
    if epoch:
        row = {
            "system": "VGG16",
            "arxiv_id": VGG,
            "parameters": 138e6,
            "training_compute": 8.5e18,
            "dataset_size": 1.3e6,
            "publication_date": date(2014, 9, 4),
            "domain": "vision",
            "domain_raw": "Vision",
            "organization": "University of Oxford",
            "source_file": "mini.csv",
            "source_row": 1,
        }
        with wh.write() as con:
            import_epoch_rows(con, "mini.csv", [row], sha256="x")


def _review(wh: Warehouse, keys: list[str]):
    return cli("--db", str(wh.path), "review", "--reviewer", "erin", input="\n".join(keys) + "\n")


def _saved(wh: Warehouse) -> list[tuple]:
    with wh.read() as con:
        return con.execute(
            "SELECT system, parameters, evidence, evidence_page, evidence_source FROM models WHERE source = 'review'"
        ).fetchall()


def test_a_changed_count_asks_for_its_evidence_first_and_offers_epochs_name_of_that_count(warehouse):
    _seed(warehouse, epoch=True)
    result = _review(
        warehouse,
        [
            "e",
            "138M",  # the count: not the top candidate's
            "",  # Enter does not take the replaced candidate's sentence ...
            "2",  # ... the second candidate's sentence states 138M
            "",  # kind (kept)
            "",  # date (kept)
            "",  # domain (kept)
            "",  # system: Enter takes what is offered, Epoch's name of a 138M row of this paper
            "y",
            "q",
        ],
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Enter: the candidate's own" not in out
    # the evidence is asked before any other question, and Enter is refused at once
    assert out.index("evidence: candidate number") < out.index("  kind")
    assert out.index("evidence is required for a changed count") < out.index("  kind")
    assert "2. page 3: The 16-layer network has 138M parameters." in out
    assert "system [VGG16]" in out and "MultiBox]" not in out
    assert _saved(warehouse) == [("VGG16", 138e6, "The 16-layer network has 138M parameters.", 3, "picked")]


def test_without_an_epoch_row_of_that_count_no_name_is_offered(warehouse):
    _seed(warehouse, epoch=False)
    result = _review(
        warehouse,
        ["e", "138M", "The 16-layer network has 138M parameters.", "3", "", "", "", "", "VGG-16", "y", "q"],
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    out = result.stdout
    assert "MultiBox]" not in out  # never the other system's name as the default
    assert "  system: " in out  # offered nothing: Enter on the empty name just asks again
    assert _saved(warehouse) == [("VGG-16", 138e6, "The 16-layer network has 138M parameters.", 3, "typed")]


def test_a_kept_count_keeps_its_sentence_without_asking(warehouse):
    _seed(warehouse, epoch=False)
    result = _review(warehouse, ["e", "", "", "2014-09-10", "", "", "y", "q"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "evidence:" not in result.stdout
    assert "system [MultiBox]" in result.stdout  # the count is MultiBox's own: its name is right
    assert _saved(warehouse) == [
        ("MultiBox", 5e6, "Compared with MultiBox (5M parameters), our localisation is better.", 7, "candidate")
    ]
