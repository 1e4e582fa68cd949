"""A sentence cut by a page break is read whole, on the page where it starts (pure text work)."""

from __future__ import annotations

from paramtrack.extractors.page_breaks import join_page_breaks

SENTENCE_START = "The encoder and the decoder of our system hold, taken together, 626M trainable"


def test_the_continuation_at_the_top_of_the_next_page_moves_back() -> None:
    pages = [f"Intro text.\n{SENTENCE_START}\n18", "parameters. The next sentence stays.\nMore text."]
    first, second = join_page_breaks(pages)
    assert first.endswith(f"{SENTENCE_START} parameters.")
    assert second == "The next sentence stays.\nMore text."


def test_a_continuation_below_a_floated_table_moves_back_and_the_table_stays() -> None:
    table = "Table 7: Number of instances.\nTask Train Test\nQA 79169 3611"
    pages = [SENTENCE_START, f"{table}\nparameters, as Section 2 says. Then more.\nText."]
    first, second = join_page_breaks(pages)
    assert first == f"{SENTENCE_START} parameters, as Section 2 says."
    assert second == f"{table}\nThen more.\nText."


def test_a_continuation_over_several_lines_moves_to_its_sentence_end() -> None:
    pages = [SENTENCE_START, "parameters in all, counted\nafter pruning. Next one.\n"]
    first, second = join_page_breaks(pages)
    assert first.endswith("626M trainable parameters in all, counted after pruning.")
    assert second.startswith("Next one.")


def test_nothing_moves_when_the_page_ends_a_sentence_or_the_next_one_starts_anew() -> None:
    ended = ["We train the model for a week on our cluster.\n4", "parameters are shared. More."]
    assert join_page_breaks(ended) == ended
    anew = [SENTENCE_START, "Section 5 starts here with a capital letter.\nparameters."]
    assert join_page_breaks(anew) == anew
    row = ["Model A 12 13 14\nModel B 15 16 17", "parameters. Table rows are not prose."]
    assert join_page_breaks(row) == row


def test_a_float_without_its_sentence_end_in_reach_moves_nothing() -> None:
    pages = [SENTENCE_START, "Figure 2: A plot.\n" + "axis label\n" * 80 + "parameters."]
    assert join_page_breaks(pages) == pages
