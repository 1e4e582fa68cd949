"""Each phrasing rule of the extractor on plain sentences, through ``rank_pages`` (no PDF).

These are behaviour, not accuracy: a rule either reads a phrasing or it does not. The sentences
are written for the rule, in the way papers in general phrase sizes; none is copied from the
shared corpus. Accuracy on real papers is measured by ``make eval``.
"""

from __future__ import annotations

from paramtrack.extractors import extract_abstract
from paramtrack.extractors.pipeline import rank_pages
from paramtrack.extractors.plausibility import IMPLAUSIBLE_CAP
from paramtrack.extractors.types import CONFIDENT_SCORE

FILL = "\n" + "This sentence is filler so the page reads like a paper. " * 20


def cands(*pages: str, title: str | None = None, abstract: str | None = None):  # type: ignore[no-untyped-def]
    _doc, found, _other = rank_pages([p + FILL for p in pages], title=title, abstract=abstract)
    return found


def by_value(found, value: int):  # type: ignore[no-untyped-def]
    return next(c for c in found if c.value == value)


def test_an_exact_count_without_a_scale_word_is_read() -> None:
    found = cands("The network has 836,096 parameters and 3 convolutional layers.")
    assert [c.value for c in found] == [836_096]
    assert cands("Each network had approximately 130,000 trainable parameters.")[0].value == 130_000


def test_a_size_glued_to_a_name_in_lower_case_is_read() -> None:
    found = cands("Our classifier is a Llama2-7b model that is instruction-tuned on our data.")
    assert found and found[0].value == 7_000_000_000 and found[0].model == "Llama2"


def test_the_top_of_a_range_is_marked_and_the_bottom_is_not_the_model() -> None:
    found = cands("We release a family of models ranging from 125M to 66B parameters.")
    top, low = by_value(found, 66_000_000_000), by_value(found, 125_000_000)
    assert top.features["range_high"] == 1.0 and low.features["range_low"] == 1.0
    assert found[0].value == 66_000_000_000


def test_a_list_of_sizes_shares_its_noun_and_marks_its_largest() -> None:
    found = cands("We train models with 1.3B, 2.7B and 6.7B parameters from scratch.")
    assert {c.value for c in found} == {1_300_000_000, 2_700_000_000, 6_700_000_000}
    assert by_value(found, 6_700_000_000).features["range_high"] == 1.0


def test_a_negative_number_is_not_a_size() -> None:
    assert cands("The difference to the baseline is -175B parameters in the table.") == []


def test_an_absurd_count_stays_visible_but_is_never_confident() -> None:
    found = cands("We train a model with 999999999999999999999999999999999999999B parameters.")
    assert found and all(c.score <= IMPLAUSIBLE_CAP for c in found)


def test_evidence_is_cleaned_of_bidi_overrides_and_keeps_the_raw_text() -> None:
    found = cands("Our model has 7B parameters and beats a \u202e571 billion parameter model.")
    for c in found:
        assert "\u202e" not in c.evidence and "\u202e" in (c.evidence_raw or "")


def test_active_parameters_of_a_mixture_of_experts_never_outrank_its_total() -> None:
    found = cands(
        "Our sparse mixture-of-experts model has 47B parameters, but only uses 13B active parameters per token.",
        title="Routing Experts: A Mixture-of-Experts Language Model",
    )
    total, active = by_value(found, 47_000_000_000), by_value(found, 13_000_000_000)
    assert active.kind == "moe_active" and total.kind == "moe_total"
    assert total.score > active.score and active.score < CONFIDENT_SCORE


def test_densely_activated_is_a_dense_model() -> None:
    found = cands("We train a 540 billion parameter, densely activated, autoregressive Transformer.")
    assert found[0].kind == "dense_total"


def test_a_name_before_which_owns_the_size_after_it() -> None:
    found = cands("Our model is small, while its predecessor AlexNet, which used 60 million parameters, was not.")
    c = by_value(found, 60_000_000)
    assert c.model == "AlexNet" and c.features["other_name_share"] == 1.0


def test_a_name_before_a_contrast_does_not_own_the_size_after_it() -> None:
    found = cands("Our model uses the same compute as Gopher but with 70B parameters.")
    assert by_value(found, 70_000_000_000).model != "Gopher"


def test_a_system_introduced_in_an_appositive_is_the_papers_own() -> None:
    found = cands(
        "We train a compute-optimal model, Zephyrine, that has 70B parameters. "
        "Zephyrine (70B) outperforms Gopher (280B) and GPT-3 (175B)."
    )
    assert by_value(found, 70_000_000_000).features["named_main"] == 1.0
    assert by_value(found, 280_000_000_000).features["other_name_share"] == 1.0
    assert found[0].value == 70_000_000_000


def test_the_titles_initials_name_the_papers_system() -> None:
    from paramtrack.extractors.names import system_names

    body = "We find cells with PNASNet-5, which reaches state-of-the-art accuracy. " * 3
    assert "pnas" in system_names("Progressive Neural Architecture Search", body)


def test_a_proposed_model_name_is_never_a_fragment_of_a_word() -> None:
    from paramtrack.extractors.names import clean_model_name

    assert clean_model_name("eters", "Number of param-eters (in millions)") is None
    assert clean_model_name("base", "base 108M 12 768") is None
    assert clean_model_name("Swin-L", "Swin-L 384 197M 103.9G") == "Swin-L"
    assert clean_model_name("54.0", "mIoU #param. FLOPs | 54.0 391M 3335G") is None  # a score, not a name
    assert clean_model_name("and Farhadi", "YOLOv2 [Redmon and Farhadi] 50.7M") is None  # a citation's tail


def test_an_abstract_alone_gives_candidates_on_page_zero() -> None:
    result = extract_abstract(
        title="Widgets: Open Foundation Language Models",
        abstract="We introduce Widgets, a collection of foundation language models ranging from 7B to 70B "
        "parameters. Widgets-13B outperforms GPT-3 (175B) on most benchmarks.",
    )
    top = result.top
    assert top is not None and top.value == 70_000_000_000 and top.page == 0 and top.source == "abstract"
    assert result.pages == 0 and result.error is None
    gpt3 = next(c for c in result.candidates if c.value == 175_000_000_000)
    assert gpt3.score < top.score and gpt3.features["other_name_share"] == 1.0


def test_an_abstract_without_a_size_gives_no_confident_candidate() -> None:
    result = extract_abstract(
        title="Attention Without Sizes", abstract="We study attention and report results on several benchmarks."
    )
    assert result.candidates == [] and result.domain in ("language", "other")


def test_arxivs_abstract_marks_the_values_it_states_without_counting_them_twice() -> None:
    page = "Widgets: a Study\nWe train a 13B parameter model. Later sections report a 2B ablation with 2B parameters."
    without = cands(page, title="Widgets: a Study")
    with_abstract = cands(
        page, title="Widgets: a Study", abstract="We present Widgets, a 13B parameter language model."
    )
    assert by_value(with_abstract, 13_000_000_000).features["in_abstract"] == 1.0
    assert by_value(with_abstract, 2_000_000_000).features["in_abstract"] == 0.0
    assert by_value(with_abstract, 13_000_000_000).mentions == by_value(without, 13_000_000_000).mentions
    only_in_abstract = cands(page, title="Widgets: a Study", abstract="Our largest model has 52B parameters.")
    c = by_value(only_in_abstract, 52_000_000_000)
    assert c.page == 0 and c.source == "abstract"


def test_the_than_of_a_bound_is_not_a_comparison_with_another_system() -> None:
    """ "less than 25 million parameters" bounds the paper's own network; "than AlexNet's 60M"
    compares with another one."""
    bound = by_value(cands("Our network uses less than 25 million parameters in total."), 25_000_000)
    assert bound.features["bound_share"] == 1.0 and bound.features["comparison_share"] == 0.0
    other = by_value(cands("It needs fewer weights than AlexNet with its 60 million parameters."), 60_000_000)
    assert other.features["comparison_share"] == 1.0


def test_a_size_that_modifies_the_next_word_is_not_glued_to_the_word_before() -> None:
    found = cands("Unified 100B-Scale Pre-trained Transformer for Proteins. We train it at 100 billion parameters.")
    assert by_value(found, 100_000_000_000).features["other_name_share"] == 0.0


def test_a_hyphenated_scale_word_is_a_size() -> None:
    found = cands("We introduce a 15-billion-parameter multilingual model trained on 8 trillion tokens.")
    assert found[0].value == 15_000_000_000 and found[0].source == "sentence"
    assert cands("Figure 3-B shows the learning curves for all runs of the sweep.") == []


def test_the_total_after_out_of_is_the_mixture_of_experts_total() -> None:
    found = cands("Our sparse mixture-of-experts model uses only 39B active parameters out of 141B.")
    assert found[0].value == 141_000_000_000 and found[0].kind == "moe_total"
    assert by_value(found, 39_000_000_000).kind == "moe_active"


def test_what_we_compare_against_is_not_our_own_model() -> None:
    found = cands("We compare against the Base, Large, and even larger 11-billion parameter model of that work.")
    assert by_value(found, 11_000_000_000).features["own_any"] == 0.0


def test_the_noun_and_what_it_counts_may_come_before_the_size() -> None:
    found = cands("The total number of parameters in our model is 1.3 billion, twice the previous one.")
    assert found[0].value == 1_300_000_000 and found[0].source == "sentence"


def test_a_power_of_ten_alone_is_a_size_and_a_token_count_is_not() -> None:
    assert cands("Our largest model has roughly 10^9 parameters.")[0].value == 1_000_000_000
    assert cands("We trained the model on 10^9 tokens of web text.") == []


def test_the_members_of_a_list_are_sibling_models_not_parts_of_its_last() -> None:
    found = cands("We train models with 125M, 350M and 1.3B total parameters on the same data.")
    assert {c.value for c in found} == {125_000_000, 350_000_000, 1_300_000_000}
    assert by_value(found, 1_300_000_000).features["range_high"] == 1.0


def test_a_contrast_ends_the_reach_of_another_systems_cues() -> None:
    """ "the baseline has 35M while Gizmo has 8M": the baseline's cue belongs to its own clause."""
    found = cands(
        "In terms of size the baseline has 35.4M parameters while Gizmo has 8.2M parameters.",
        title="Gizmo: Routing Between Capsules",
    )
    ours, theirs = by_value(found, 8_200_000), by_value(found, 35_400_000)
    assert ours.features["baseline_share"] == 0.0 and ours.features["comparison_share"] == 0.0
    assert theirs.features["baseline_share"] == 1.0
    assert ours.score > theirs.score
    after = cands("Gizmo has 8.2M parameters, whereas the baseline has 35.4M parameters.", title="Gizmo: Routing")
    assert by_value(after, 8_200_000).features["baseline_share"] == 0.0


def test_a_name_set_off_by_a_comma_owns_the_size_after_it() -> None:
    """ "Recently, GZM-3, with 175 billion parameters, ...": the appositive's "with" reaches back."""
    found = cands(
        "Recently, GZM-3, with 175 billion parameters, drew attention. "
        "To our knowledge, WidgetLM, with 2.6 billion parameters, is the largest of its kind.",
        title="WidgetLM: A Large-scale Generative Model",
    )
    theirs, ours = by_value(found, 175_000_000_000), by_value(found, 2_600_000_000)
    assert theirs.model == "GZM-3" and theirs.features["other_name_share"] == 1.0
    assert ours.model == "WidgetLM" and ours.features["named_main"] == 1.0
    assert found[0].value == 2_600_000_000


def test_upwards_of_is_a_bound() -> None:
    found = cands("At present, the largest language models contain upwards of 100B parameters.")
    assert by_value(found, 100_000_000_000).features["bound_share"] == 1.0


def test_only_marks_an_active_count_on_a_sparse_model_alone() -> None:
    dense = cands("Our recognizer reaches 2.9% error with only 10M parameters on the clean test set.")
    assert by_value(dense, 10_000_000).kind == "dense_total"
    sparse = cands("Each token is routed to two experts, so each step touches only 13B parameters.")
    assert by_value(sparse, 13_000_000_000).kind == "moe_active"


def test_an_own_cue_does_not_reach_past_a_comparison() -> None:
    """ "our model with 3.2B parameters outperforms the 48-layer model with 12B parameters"."""
    found = cands(
        "On the benchmark, our 200-layer model with 3.2B parameters outperforms the 48-layer "
        "state-of-the-art model with 12B parameters by 5 points."
    )
    ours, theirs = by_value(found, 3_200_000_000), by_value(found, 12_000_000_000)
    assert ours.features["own_any"] == 1.0 and theirs.features["own_any"] == 0.0
    assert ours.score > theirs.score


def test_a_size_stated_only_as_the_reference_of_a_comparison_is_not_the_papers_largest() -> None:
    """ "more parameters than GizNet with 12M": a reference point, not a statement of the model's size."""
    found = cands(
        "GizNet has 7.5M parameters and reaches 0.3% error on the test set. "
        "A wider network with 25M parameters, more parameters than GizNet with 12M parameters, does worse.",
        title="GizNet: Routing Between Capsules",
    )
    stated, reference = by_value(found, 7_500_000), by_value(found, 12_000_000)
    assert reference.features["comparison_share"] == 1.0 and reference.features["largest_named"] == 0.0
    assert stated.features["largest_named"] == 1.0
    assert found[0].value == 7_500_000


def test_a_bound_in_the_abstract_is_not_the_headline_size() -> None:
    """ "trains models of over 100B parameters" says how far it scales, not what it trained."""
    abstract = "We present GizTrain, which trains models of over 100B parameters on 400 GPUs."
    found = cands(
        "GizTrain runs a 170B parameter model on 400 GPUs with high throughput.",
        title="GizTrain: Memory Optimizations Toward Training Large Models",
        abstract=abstract,
    )
    bound = by_value(found, 100_000_000_000)
    assert bound.features["bound_share"] > 0 and bound.features["in_abstract"] == 0.0
    stated = cands("Our model is trained on text.", abstract="We train GizLM, a 13B parameter model, on web text.")
    assert by_value(stated, 13_000_000_000).features["in_abstract"] == 1.0


def test_a_name_glued_to_a_size_is_read_in_its_own_context_not_the_word_before_it() -> None:
    """ "Compared to Gizmo-33B": the match of a two-word name may start at "to"; the comparison
    before the name is still seen."""
    found = cands("Compared to Gizmo-33B, our new model reaches higher accuracy on every benchmark.")
    assert by_value(found, 33_000_000_000).features["comparison_share"] == 1.0


def test_a_sized_dataset_name_qualified_by_one_word_is_a_dataset() -> None:
    found = cands("A GizNet model trained with the WebPix-2B English subset of WebPix-5B, a set of image-text pairs.")
    assert 2_000_000_000 not in {c.value for c in found}


def test_a_total_named_after_its_parts_is_read_with_its_own_kind() -> None:
    """ "2.4B non-embedding and 0.3B embedding parameters, 2.7B in total": the total is a parameter
    count, and its kind comes from its own words, not from the parts before it."""
    found = cands("Widget has 2.4B non-embedding parameters and 0.3B embedding parameters, 2.7B in total.")
    total = by_value(found, 2_700_000_000)
    assert total.kind == "dense_total" and total.features["total_any"] == 1.0
    assert by_value(found, 300_000_000).kind == "embedding"


def test_in_total_after_a_token_count_is_not_a_parameter_count() -> None:
    found = cands("We train on 1T tokens of code and 1T tokens of text, 2T in total, with a 7B parameter model.")
    assert [c.value for c in found] == [7_000_000_000]
