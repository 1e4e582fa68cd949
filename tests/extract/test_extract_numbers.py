"""How sizes are written in papers, and what the extractor reads from each phrasing.

Each row is documentation: a phrase as it appears in a paper -> the parameter count and kind the
extractor must propose (or that it must propose nothing).
"""

from __future__ import annotations

import pytest

from paramtrack.extractors.numbers import header_unit, parse_scaled, parse_scientific, to_int
from paramtrack.extractors.pipeline import rank_pages

FILLER = "\n" + "This sentence is filler so the page reads like a paper. " * 20


def top(sentence: str):
    _doc, cands, _other = rank_pages([sentence + FILLER])
    return cands[0] if cands else None


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("175B", 175_000_000_000),
        ("1.5 billion", 1_500_000_000),
        ("340M", 340_000_000),
        ("1.6 trillion", 1_600_000_000_000),
        ("0.5B", 500_000_000),
        ("7,532M", 7_532_000_000),
        ("~1.2 × 10^9", 1_200_000_000),
        ("2.5e9", 2_500_000_000),
    ],
)
def test_size_tokens_parse_to_exact_integers(text: str, value: int) -> None:
    assert parse_scaled(text) == value


def test_lowercase_suffix_is_read_only_where_a_parameter_column_allows_it() -> None:
    assert parse_scaled("330m") is None
    assert parse_scaled("330m", allow_lowercase_suffix=True) == 330_000_000


@pytest.mark.parametrize(
    ("header", "unit"),
    [("Params (M)", 10**6), ("Number of parameters (in millions)", 10**6), ("Size (B)", 10**9), ("# params", None)],
)
def test_table_headers_declare_the_unit_of_bare_numbers(header: str, unit: int | None) -> None:
    assert header_unit(header) == unit


def test_scale_words_and_scientific_notation() -> None:
    assert to_int("1.3", "B") == 1_300_000_000
    assert parse_scientific("3.14 × 10^23") == 314 * 10**21


@pytest.mark.parametrize(
    ("sentence", "value", "kind"),
    [
        ("We train a model with 175B parameters.", 175_000_000_000, "dense_total"),
        ("Our model has 1.5 billion parameters.", 1_500_000_000, "dense_total"),
        ("Our encoder has 340M params.", 340_000_000, "dense_total"),
        ("We present a 6.7B-parameter model.", 6_700_000_000, "dense_total"),
        ("We release models ranging from 125M to 175B parameters.", 175_000_000_000, "dense_total"),
        ("We release models ranging in size from 169 million to 14 billion parameters.", 14_000_000_000, "dense_total"),
        ("Our model has ~1.2 × 10^9 parameters.", 1_200_000_000, "dense_total"),
        ("Our sparse model scales to 1.6 trillion parameters.", 1_600_000_000_000, "dense_total"),
        (
            "Our model comprises 236B total parameters, of which 21B are activated for each token.",
            236_000_000_000,
            "moe_total",
        ),
        ("Each token has access to 47B parameters, but only uses 13B active parameters.", 47_000_000_000, "moe_total"),
        (
            "We train transformers with 132M and 7.0B parameters (embedding matrices are excluded from parameter counts).",
            7_000_000_000,
            "non_embedding",
        ),
        (
            "BERTBASE (L=12, Total Parameters=110M) and BERTLARGE (L=24, Total Parameters=340M).",
            340_000_000,
            "dense_total",
        ),
    ],
)
def test_phrasings_give_the_main_count_and_its_kind(sentence: str, value: int, kind: str) -> None:
    c = top(sentence)
    assert c is not None and c.value == value and c.kind == kind


def test_moe_active_count_is_kept_but_ranked_below_the_total() -> None:
    _d, cands, _o = rank_pages(
        ["It comprises 236B total parameters, of which 21B are activated for each token." + FILLER]
    )
    kinds = {c.value: c.kind for c in cands}
    assert kinds == {236_000_000_000: "moe_total", 21_000_000_000: "moe_active"}
    assert cands[0].value == 236_000_000_000


@pytest.mark.parametrize(
    "sentence",
    [
        "We trained on 300B tokens.",
        "Training used 3.14 × 10^23 FLOPs on 1024 GPUs.",
        "Each GPU has 80GB of memory.",
        "The dataset has 1.28 million training images.",
        "In 2020 we reached 502 petaFLOP/s.",
        "See Figure 3B for details.",
    ],
)
def test_other_quantities_are_not_parameter_counts(sentence: str) -> None:
    assert top(sentence) is None


def test_cited_models_rank_below_the_papers_own_model() -> None:
    text = (
        "We train Tiny, a 2.7B parameter language model. "
        "Tiny outperforms GPT-3 (Brown et al., 2020) with 175B parameters."
    )
    _d, cands, _o = rank_pages([text + FILLER])
    assert cands[0].value == 2_700_000_000
    assert next(c for c in cands if c.value == 175_000_000_000).score < 0.5


def test_compute_and_dataset_size_are_proposed_separately() -> None:
    _d, _c, other = rank_pages(["We train our model on 300B tokens using 3.14 × 10^23 FLOPs." + FILLER])
    got = {(c.quantity, c.value) for c in other}
    assert ("dataset_size", 300_000_000_000) in got
    assert ("training_compute", 314 * 10**21) in got
