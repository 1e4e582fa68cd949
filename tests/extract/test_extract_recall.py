"""Recall: every way a paper writes its model's size gives a candidate, and other counts do not.

A careful reader finds a count however it is written: a size qualified by adjectives before its
noun ("a compact 1.1B language model"), a list introduced by its noun ("six models (1.5B, 7B)"),
a name with a version or a variant suffix ("Llama 3.1 8B", "Gemma-2-9B-it"), a table column
headed "# of Weights" or "Size (B)", a count written out in full. Ranking decides which one is the
paper's own; here only whether it is found at all. Sentences are invented for the wording; tables
are drawn into real PDFs (``pdf_builders``).
"""

from __future__ import annotations

import pytest
from pdf_builders import build_pdf, table_page, text_stream

from paramtrack.extractors import extract_pdf
from paramtrack.extractors.pipeline import rank_pages

FILL = "\n" + "This sentence is filler so the page reads like a paper. " * 20
B = 1_000_000_000


def values(text: str) -> set[int]:
    _doc, found, _other = rank_pages([text + FILL])
    return {c.value for c in found}


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("We present Tiny, a compact 1.1B language model pretrained on web text.", {1_100_000_000}),
        ("Today we announce Gizmo, a 124B open-weights multimodal model.", {124 * B}),
        ("Widget: a versatile 3B VLM for transfer to new tasks.", {3 * B}),
        ("We release all artifacts openly, with models at 7B and 13B scales.", {7 * B, 13 * B}),
        (
            "The models are offered in three configurations: 32B, 7.8B, and 2.4B.",
            {32 * B, 7_800_000_000, 2_400_000_000},
        ),
        ("We distil six dense models (1.5B, 7B, 14B) from the teacher.", {1_500_000_000, 7 * B, 14 * B}),
        (
            "Yuan is a language model with parameters ranging from 2.1 billion to 102.6 billion.",
            {2_100_000_000, 102_600_000_000},
        ),
        ("The network has 1 billion connections and is trained on 10 million images.", {B}),
    ],
)
def test_a_size_is_read_however_its_noun_is_phrased(sentence: str, expected: set[int]) -> None:
    assert values(sentence) == expected


@pytest.mark.parametrize(
    ("sentence", "value", "model"),
    [
        ("Our model starts from Gemma-2-9B-it and is tuned further.", 9 * B, "Gemma-2"),
        ("Granite-3.1-8B-Base extends the context length of its predecessor.", 8 * B, "Granite-3.1"),
        ("Our flagship model, Qwen3-235B-A22B, achieves strong results.", 235 * B, "Qwen3"),
        ("The instruct variant is built on top of Llama 3.1 8B for accuracy.", 8 * B, "Llama 3.1"),
        # found, though a name with neither a capital nor a digit is never proposed as a system's
        ("We share two new models: pplx-7b-online and its larger sibling.", 7 * B, None),
    ],
)
def test_a_size_inside_a_model_name_with_a_version_or_variant_is_read(
    sentence: str, value: int, model: str | None
) -> None:
    _doc, found, _other = rank_pages([sentence + FILL])
    c = next((c for c in found if c.value == value), None)
    assert c is not None and c.model == model


@pytest.mark.parametrize(
    "sentence",
    [
        "We pretrain Tiny, a small language model, on 5.7T tokens of text.",
        "The corpus holds 2B images and 400M captions collected from the web.",
        "Training took 3.2M GPU hours and 1.5B steps in total.",
        "The model was trained with 4.2e23 FLOPs on a cluster.",
    ],
)
def test_token_image_step_and_flop_counts_are_not_parameter_candidates(sentence: str) -> None:
    assert values(sentence) == set()


TITLE = "Gadgets: Scaling Widgets"


@pytest.mark.parametrize(
    ("head", "cells", "expected"),
    [
        ("# of Weights", ("25M", "138M"), {25_000_000, 138_000_000}),
        ("WEIGHTS", ("25M", "138M"), {25_000_000, 138_000_000}),
        ("Parameter count", ("1.3B", "7B"), {1_300_000_000, 7 * B}),
        ("#Params (M)", ("22.9", "86.4"), {22_900_000, 86_400_000}),
        ("Size (B)", ("1.3", "6.7"), {1_300_000_000, 6_700_000_000}),
        ("Params", ("11,689,512", "22,855,952"), {11_689_512, 22_855_952}),
    ],
)
def test_a_parameter_column_is_found_whatever_its_header_calls_it(
    head: str, cells: tuple[str, str], expected: set[int]
) -> None:
    header = [(60, "Model"), (150, "Layers"), (230, head)]
    rows = [[(60, "Gadget-S"), (150, "12"), (235, cells[0])], [(60, "Gadget-L"), (150, "48"), (235, cells[1])]]
    pdf = build_pdf([table_page(TITLE, header, rows, caption="Table 1: Model sizes.")])
    found = {c.value: c.model for c in extract_pdf(pdf, title=TITLE).candidates}
    assert expected <= set(found) and found[max(expected)] == "Gadget-L"


def test_a_column_headed_size_without_a_count_unit_is_not_read_as_parameters() -> None:
    header = [(60, "Model"), (150, "Layers"), (230, "Size")]
    rows = [[(60, "Gadget-S"), (150, "12"), (235, "224")], [(60, "Gadget-L"), (150, "48"), (235, "384")]]
    pdf = build_pdf([table_page(TITLE, header, rows, caption="Table 1: Input sizes.")])
    assert extract_pdf(pdf, title=TITLE).candidates == []


def test_a_title_printed_larger_than_the_body_names_the_paper_without_metadata() -> None:
    from paramtrack.extractors.pdf_text import read_pdf_text

    title_line = b"BT /F1 20 Tf 60 740 Td (Gizmo: A Small Model for Widgets) Tj ET\n"
    body = text_stream(
        ["", "", "Abstract. We train Gizmo, a 2.7B parameter model."] + ["Filler text of the body."] * 10
    )
    assert read_pdf_text(build_pdf([title_line + body])).title == "Gizmo: A Small Model for Widgets"
    assert read_pdf_text(build_pdf([body])).title is None  # nothing stands out: no title guessed
