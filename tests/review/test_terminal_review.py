"""``paramtrack review`` in the terminal, with piped input: the keys, a correction's exact value,
its evidence asked first when the candidate's cannot apply, never another system's name offered.

One run goes through the installed console script, end to end; the others run the CLI in
this process (Typer's CliRunner).
"""

from __future__ import annotations

import os
import subprocess
from datetime import date

import pytest

from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.models_store import import_epoch_rows

VGG = "1409.1556"
CANDIDATES = [
    # the top candidate is a comparison's: another system, another count
    {
        "value": 5e6,
        "model": "MultiBox",
        "evidence": "Compared with MultiBox (5M parameters), our localisation is better.",
        "page": 7,
        "score": 0.7,
    },
    {"value": 138e6, "model": None, "evidence": "The 16-layer network has 138M parameters.", "page": 3, "score": 0.4},
]


@pytest.fixture()
def vgg(warehouse, seed_paper):
    """``vgg(epoch=...)``: VGG's paper staged, with Epoch's VGG16 row imported or not."""

    def seed(*, epoch: bool) -> None:
        _seed(warehouse, seed_paper, epoch=epoch)

    return seed


def _seed(wh: Warehouse, seed_paper, *, epoch: bool) -> None:
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


@pytest.fixture()
def review(warehouse, cli):
    """``review(keys)``: ``paramtrack review --reviewer erin`` with the keys piped in."""
    return lambda keys: cli("--db", str(warehouse.path), "review", "--reviewer", "erin", input="\n".join(keys) + "\n")


def _saved(wh: Warehouse) -> list[tuple]:
    with wh.read() as con:
        return con.execute(
            "SELECT system, parameters, evidence, evidence_page, evidence_source FROM models WHERE source = 'review'"
        ).fetchall()


def test_a_changed_count_asks_for_its_evidence_first_and_offers_epochs_name_of_that_count(warehouse, vgg, review):
    vgg(epoch=True)
    result = review(
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


def test_without_an_epoch_row_of_that_count_no_name_is_offered(warehouse, vgg, review):
    vgg(epoch=False)
    result = review(
        ["e", "138M", "The 16-layer network has 138M parameters.", "3", "", "", "", "", "VGG-16", "y", "q"],
    )
    assert result.exit_code == 0, result.stdout + result.stderr
    out = result.stdout
    assert "MultiBox]" not in out  # never the other system's name as the default
    assert "  system: " in out  # offered nothing: Enter on the empty name just asks again
    assert _saved(warehouse) == [("VGG-16", 138e6, "The 16-layer network has 138M parameters.", 3, "typed")]


def test_a_kept_count_keeps_its_sentence_without_asking(warehouse, vgg, review):
    vgg(epoch=False)
    result = review(["e", "", "", "2014-09-10", "", "", "y", "q"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "evidence:" not in result.stdout
    assert "system [MultiBox]" in result.stdout  # the count is MultiBox's own: its name is right
    assert _saved(warehouse) == [
        ("MultiBox", 5e6, "Compared with MultiBox (5M parameters), our localisation is better.", 7, "candidate")
    ]


@pytest.mark.slow
def test_the_review_walks_the_queue_by_keys_through_the_console_script(warehouse, demo_queue, paramtrack_exe):
    assert demo_queue[:4] == ["2204.02311", "2005.14165", "1706.03762", "2112.04426"]
    keys = (
        "\n".join(
            [
                "2",
                "",
                "",  # PaLM: approve candidate 2 (62B), its system, confirm
                "e",
                "175 billion",
                "dense_total",
                "2020-05-28",
                "language",  # GPT-3: correct (same count: its own sentence stays, nothing asked)
                "GPT-3 175B",
                "y",  # ... system, shown its Epoch match, confirmed
                "x",  # unknown key: help, same paper
                "r",
                "4",
                "not a model paper",  # Transformer: reject, reason 4 (not ML)
                "n",
                "check table 2",  # RETRO: note (stays on the paper)
                "s",
                "ask bob",  # RETRO: second look
                "q",
            ]
        )
        + "\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PARAMTRACK_REVIEWER"}
    proc = subprocess.run(
        [paramtrack_exe, "--db", str(warehouse.path), "review", "--reviewer", "erin"],
        input=keys,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "5 paper(s) to review as erin" in out
    assert "1.    540B  dense_total" in out and "We trained PaLM, a 540-billion parameter model." in out
    assert "unknown key 'x'" in out
    assert "done: 1 approve, 1 correct, 1 note, 1 reject, 1 second_look" in out
    with warehouse.read() as con:
        models = con.execute(
            "SELECT arxiv_id, system, parameters, publication_date::VARCHAR, reviewer FROM models ORDER BY arxiv_id"
        ).fetchall()
        statuses = dict(con.execute("SELECT arxiv_id, status FROM review_items").fetchall())
        reasons = con.execute("SELECT reason, note FROM decisions WHERE action = 'reject'").fetchall()
    assert models == [
        ("2005.14165", "GPT-3 175B", 175e9, "2020-05-28", "erin"),
        ("2204.02311", "PaLM 62B", 62e9, "2024-03-01", "erin"),
    ]
    assert statuses["1706.03762"] == "rejected" and statuses["2112.04426"] == "second_look"
    assert statuses["2401.00001"] == "pending"
    assert reasons == [("not_ml", "not a model paper")]


def test_end_of_input_quits_cleanly(warehouse, demo_queue, cli):
    result = cli("--db", str(warehouse.path), "review", input="", env={"PARAMTRACK_REVIEWER": "erin"})
    assert result.exit_code == 0, result.stderr
    assert "done: nothing decided" in result.stdout


def test_correct_with_enter_keeps_the_exact_value(warehouse, seed_paper, cli):
    seed_paper(
        warehouse,
        "2301.00001",
        "A model",
        [{"value": 7.532e9, "model": "M-7.5B", "evidence": "M has 7,532 million parameters."}],
    )
    keys = "\n".join(["e", "", "", "", "", "", "", "q"]) + "\n"  # correct, Enter through every field
    result = cli("--db", str(warehouse.path), "review", "--reviewer", "erin", input=keys)
    assert result.exit_code == 0, result.stderr
    assert "Enter keeps 7,532,000,000 = 7.53B" in result.stdout
    with warehouse.read() as con:
        assert con.execute("SELECT parameters, system FROM models").fetchall() == [(7.532e9, "M-7.5B")]
