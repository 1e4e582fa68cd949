"""Tables read by column from word positions, on PDFs built here (``pdf_builders``).

A value belongs to the header cell it sits under: these tables put a parameter column next to
columns of other numbers (layers, training steps, FLOPs), spread headers and units over two
lines, run a parameter *row* to the right, and set a table beside running prose.
"""

from __future__ import annotations

from pdf_builders import build_pdf, positioned_stream, table_page

from paramtrack.extractors import extract_pdf


def table_values(pdf: bytes, title: str = "Gadgets: Scaling Widgets") -> dict[int, str | None]:
    """value -> row or column label, for every parameter cell the column reader finds."""
    from paramtrack.extractors.candidates import build_document
    from paramtrack.extractors.columns import may_hold_a_parameter_table, read_layout_tables
    from paramtrack.extractors.names import system_names
    from paramtrack.extractors.pdf_text import read_pdf_text

    text = read_pdf_text(pdf, layout_if=may_hold_a_parameter_table)
    assert text.layouts, "the page was not laid out"
    doc = build_document(text.pages)
    return {m.value: m.model for m in read_layout_tables(text.layouts, doc, system_names(title, doc.text))}


def test_the_parameter_column_is_read_and_a_neighbouring_column_of_numbers_is_not() -> None:
    header = [(60, "Model"), (150, "Layers"), (200, "Steps"), (250, "Params"), (300, "FLOPs")]
    rows = [
        [(60, "Gadget-S"), (150, "12"), (200, "300M"), (250, "117M"), (300, "2.1B")],
        [(60, "Gadget-L"), (150, "48"), (200, "900M"), (250, "1542M"), (300, "9.9B")],
    ]
    pdf = build_pdf([table_page("Gadgets: Scaling Widgets", header, rows, caption="Table 1: Model sizes.")])
    values = table_values(pdf)
    assert values == {117_000_000: "Gadget-S", 1_542_000_000: "Gadget-L"}
    top = extract_pdf(pdf, title="Gadgets: Scaling Widgets").top
    assert top is not None and top.value == 1_542_000_000 and top.source == "table"


def test_a_unit_in_the_header_reads_bare_numbers() -> None:
    header = [(60, "Model"), (150, "Layers"), (220, "Params (M)")]
    rows = [[(60, "Small"), (150, "12"), (225, "60")], [(60, "Gadget-XL"), (150, "24"), (225, "770")]]
    pdf = build_pdf([table_page("Gadgets: Scaling Widgets", header, rows, caption="Table 2: Configurations.")])
    values = table_values(pdf)
    assert 770_000_000 in values and 60_000_000 in values and 24_000_000 not in values


def test_a_unit_stacked_over_the_header_word_counts() -> None:
    header = [(60, "Model"), (160, "Million"), (220, "Million")]
    header2 = [(160, "Mult-Adds"), (220, "Parameters")]
    rows = [[(60, "1.0 Gadget-224"), (165, "569"), (225, "4.2")], [(60, "0.5 Gadget-224"), (165, "149"), (225, "1.3")]]
    pdf = build_pdf(
        [table_page("Gadgets: Scaling Widgets", header, rows, header2=header2, caption="Table 6: Width multiplier.")]
    )
    values = table_values(pdf)
    assert values.get(4_200_000) == "1.0 Gadget-224" and 1_300_000 in values
    assert 569_000_000 not in values  # the Mult-Adds column under its own header


def test_a_parameter_row_names_each_value_by_the_column_header_above_it() -> None:
    header = [(60, "Benchmark"), (180, "Llama-3"), (240, "Mistral"), (300, "GADGET")]
    rows = [
        [(60, "# Parameters"), (180, "8B"), (240, "7.3B"), (300, "8.3B")],
        [(60, "# Training Tokens"), (180, "15T"), (240, "8T"), (300, "94B")],
    ]
    pdf = build_pdf([table_page("Gadget: Pruned Widgets", header, rows, caption="Table 2: Comparison.")])
    values = table_values(pdf, title="Gadget: Pruned Widgets")
    assert values == {8_000_000_000: "Llama-3", 7_300_000_000: "Mistral", 8_300_000_000: "GADGET"}


def test_a_table_in_one_column_of_a_two_column_page_ignores_the_other_column() -> None:
    header = [(330, "Method"), (400, "Backbone"), (480, "#param.")]
    rows = [[(330, "UperNet"), (400, "Gadget-L"), (480, "234M")], [(330, "UperNet"), (400, "Gadget-B"), (480, "121M")]]
    page = table_page("Gadgets: Scaling Widgets", header, rows, caption="Table 3: Segmentation.", two_columns=True)
    result = extract_pdf(build_pdf([page]), title="Gadgets: Scaling Widgets")
    row = next(c for c in result.candidates if c.value == 234_000_000)
    assert row.model == "UperNet Gadget-L"  # not words of the prose beside it
    assert row.features["named_main"] == 0.0  # a downstream system around the backbone, not the backbone


def test_a_header_stacked_over_two_lines_names_a_parameter_row_far_below_it() -> None:
    """ "FCN-" over "VGG16", then four rows of other figures, then "parameters": on a two-column
    page the other column's lines interleave with the table's, so the header is found by distance,
    not by counting lines, and the prose above the table is not part of it."""
    items: list[tuple[float, float, str]] = [(60, 760, "Gadgets: Scaling Widgets")]
    items += [(60, 705 - 11 * i, "running prose in the left column here") for i in range(12)]
    items += [(330, 700, "the caption's last words run across the whole column here.")]
    items += [(400, 688, "Gadget-"), (460, 688, "Gadget-")]
    items += [(400, 679, "Small"), (460, 679, "Large")]
    for i, label in enumerate(["mean IU", "forward time", "conv. layers", "rf size"]):
        items += [(330, 667 - 11 * i, label), (400, 667 - 11 * i, f"{40 + i}.5"), (460, 667 - 11 * i, f"{50 + i}.5")]
    items += [(330, 623, "parameters"), (400, 623, "57M"), (460, 623, "134M")]
    values = table_values(build_pdf([positioned_stream(items)]))
    assert values == {57_000_000: "Gadget-Small", 134_000_000: "Gadget-Large"}


def test_a_row_label_wider_than_its_header_keeps_its_first_word() -> None:
    """ "Full Gadget" centred under "Model" starts left of the header cell; it is still one label."""
    header = [(80, "Model"), (160, "Accuracy"), (230, "Params (M)")]
    rows = [[(56, "Full Gadget"), (165, "71.7%"), (235, "29.3")], [(74, "Gadget"), (165, "70.6%"), (235, "4.2")]]
    pdf = build_pdf([table_page("Gadgets: Scaling Widgets", header, rows, caption="Table 4: Full vs separable.")])
    assert table_values(pdf) == {29_300_000: "Full Gadget", 4_200_000: "Gadget"}
