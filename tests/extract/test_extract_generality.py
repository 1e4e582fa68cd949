"""Papers *outside* the shared corpus, written in the style of well-known papers, through ``rank_pages``.

The shared 28 PDFs tune nothing here: each case is a phrasing other papers use (GPT-2, LLaMA,
Chinchilla, Gopher, T5, CLIP, GLaM, an AlphaFold-style paper, a small-model paper
that cites GPT-3). The texts are paraphrased page snippets, not copies; the numbers are the
published ones. Each checks: the top candidate's value and kind, that cited systems are not ranked
first, and that a paper stating no count gets no confident candidate.
"""

from __future__ import annotations

import pytest

from paramtrack.extractors.pipeline import rank_pages
from paramtrack.extractors.types import CONFIDENT_SCORE

FILL = "\n" + "This sentence is filler so the page reads like a paper. " * 20


def ranked(title: str, *pages: str):  # type: ignore[no-untyped-def]
    _doc, cands, _other = rank_pages(
        [title + "\nAbstract\n" + pages[0] + FILL, *(p + FILL for p in pages[1:])], title=title
    )
    return cands


def near(value: int, expected: int, tol: float = 0.05) -> bool:
    return abs(value - expected) <= tol * expected


GPT2 = (
    "Language Models are Unsupervised Multitask Learners",
    [
        "We demonstrate that language models begin to learn these tasks without any explicit supervision when trained "
        "on a new dataset of millions of webpages called WebText. Our largest model, GPT-2, is a 1.5B parameter "
        "Transformer that achieves state of the art results on 7 out of 8 tested language modeling datasets.",
        "2.3 Model\nWe use a Transformer (Vaswani et al., 2017) based architecture for our LMs.\n"
        "Table 2. Architecture hyperparameters for the 4 model sizes.\nParameters Layers dmodel\n"
        "117M 12 768\n345M 24 1024\n762M 36 1280\n1542M 48 1600\n",
    ],
)
LLAMA = (
    "LLaMA: Open and Efficient Foundation Language Models",
    [
        "We introduce LLaMA, a collection of foundation language models ranging from 7B to 65B parameters. "
        "In particular, LLaMA-13B outperforms GPT-3 (175B) on most benchmarks, and LLaMA-65B is competitive with "
        "the best models, Chinchilla-70B and PaLM-540B.",
        "Table 2: Model sizes, architectures, and optimization hyper-parameters.\n"
        "params dimension n heads n layers learning rate batch size n tokens\n"
        "6.7B 4096 32 32 3.0e-4 4M 1.0T\n13.0B 5120 40 40 3.0e-4 4M 1.0T\n"
        "32.5B 6656 52 60 1.5e-4 4M 1.4T\n65.2B 8192 64 80 1.5e-4 4M 1.4T\n",
    ],
)
CHINCHILLA = (
    "Training Compute-Optimal Large Language Models",
    [
        "By training over 400 language models ranging from 70 million to over 16 billion parameters on 5 to 500 billion "
        "tokens, we find that model size and training tokens should be scaled equally. We test this hypothesis by training "
        "a predicted compute-optimal model, Chinchilla, that uses the same compute budget as Gopher but with 70B parameters "
        "and 4x more data. Chinchilla uniformly and significantly outperforms Gopher (280B), GPT-3 (175B), Jurassic-1 (178B), "
        "and Megatron-Turing NLG (530B) on a large range of downstream evaluation tasks.",
        "Figure 1: Chinchilla (70B) lies below the predictions. Gopher (280B) and GPT-3 (175B) are shown for reference.",
    ],
)
GOPHER = (
    "Scaling Language Models: Methods, Analysis & Insights from Training Gopher",
    [
        "In this paper, we present an analysis of Transformer-based language model performance across a wide range of "
        "model scales - from models with tens of millions of parameters up to a 280 billion parameter model called Gopher.",
    ],
)
T5 = (
    "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer",
    [
        "We explore the landscape of transfer learning techniques for NLP by introducing a unified framework.",
        "Model sizes. Base has about 220 million parameters, Small has about 60 million parameters, Large has about "
        "770 million parameters, 3B has about 2.8 billion parameters, and 11B has about 11 billion parameters.",
    ],
)
CITES_GPT3 = (
    "Efficient Small Language Models",
    [
        "We train a 350M parameter decoder-only model on 300B tokens and show it matches much larger models.",
        "2 Related Work\nLarge language models such as GPT-3 (Brown et al., 2020) with 175B parameters, Gopher (Rae et al., "
        "2021) with 280B parameters and PaLM with 540 billion parameters have shown strong few-shot abilities. "
        "Megatron-Turing NLG 530B and the 1.6 trillion parameter Switch Transformer push the scale even further.",
    ],
)
GLAM = (
    "GLaM: Efficient Scaling of Language Models with Mixture-of-Experts",
    [
        "We propose a family of language models named GLaM, which uses a sparsely activated mixture-of-experts architecture "
        "to scale the model capacity. The largest GLaM has 1.2 trillion parameters, which is approximately 7x larger than GPT-3.",
        "Our largest model has 1.2T total parameters and 96B activated parameters per token.",
    ],
)
SWITCH_LIKE = (
    "Routing Tokens: Scaling Language Models with Sparsely-Activated Layers",
    [
        "We introduce a sparsely-activated mixture of experts model in which each token is routed to a single expert. "
        "We design a large model with 1.6 trillion parameters and train it on the C4 corpus.",
        "Our dense baseline has 1.3B parameters and matches the compute per token of the sparse model.",
    ],
)


@pytest.mark.parametrize(
    ("paper", "expected", "kind"),
    [
        pytest.param(GPT2, 1_542_000_000, "dense_total", id="gpt2-sentence-and-table"),
        pytest.param(LLAMA, 65_000_000_000, "dense_total", id="llama-range"),
        pytest.param(CHINCHILLA, 70_000_000_000, "dense_total", id="chinchilla-vs-cited"),
        pytest.param(GOPHER, 280_000_000_000, "dense_total", id="gopher-up-to-a"),
        pytest.param(T5, 11_000_000_000, "dense_total", id="t5-size-list"),
        pytest.param(CITES_GPT3, 350_000_000, "dense_total", id="small-model-citing-gpt3"),
        pytest.param(GLAM, 1_200_000_000_000, "moe_total", id="glam-moe-total"),
        pytest.param(SWITCH_LIKE, 1_600_000_000_000, "moe_total", id="moe-paper-level-kind"),
    ],
)
def test_unseen_papers_give_their_own_largest_model_first(paper, expected: int, kind: str) -> None:  # type: ignore[no-untyped-def]
    title, pages = paper
    cands = ranked(title, *pages)
    assert cands, "no candidate at all"
    assert near(cands[0].value, expected), [(c.value, c.score) for c in cands[:4]]
    assert cands[0].kind == kind


@pytest.mark.parametrize(
    ("paper", "cited"),
    [
        (LLAMA, [175_000_000_000, 70_000_000_000, 540_000_000_000]),
        (CHINCHILLA, [280_000_000_000, 175_000_000_000, 178_000_000_000, 530_000_000_000]),
        (CITES_GPT3, [175_000_000_000, 280_000_000_000, 540_000_000_000, 530_000_000_000, 1_600_000_000_000]),
    ],
)
def test_cited_systems_are_never_confident(paper, cited: list[int]) -> None:  # type: ignore[no-untyped-def]
    title, pages = paper
    for c in ranked(title, *pages):
        if any(near(c.value, v, 0.01) for v in cited):
            assert c.score < CONFIDENT_SCORE, c


def test_a_one_digit_size_class_is_not_merged_with_a_neighbouring_model() -> None:
    # LLaMA's "7B" is 6.7B in the table, but "16B" vs "15.7B" or "7B" vs "6.7B" are separate rows elsewhere
    from paramtrack.extractors.ranking import _same_model

    assert _same_model(1_500_000_000, 1_542_000_000)  # "1.5B" is 1,542M printed with two digits
    assert not _same_model(7_000_000_000, 6_700_000_000)
    assert not _same_model(16_000_000_000, 15_700_000_000)


def test_other_table_columns_are_not_read_as_parameters() -> None:
    title, pages = LLAMA
    values = {c.value for c in ranked(title, *pages)}
    assert 1_400_000_000_000 not in values and 1_000_000_000_000 not in values  # the tokens column
    assert 4_000_000 not in values  # the batch-size column


@pytest.mark.parametrize(
    ("title", "text"),
    [
        (
            "Learning Transferable Visual Models From Natural Language Supervision",
            "We learn image representations from scratch on a dataset of 400 million (image, text) pairs collected from the "
            "internet. We train a series of 5 ResNets and 3 Vision Transformers. The largest ResNet model, RN50x64, took 18 days "
            "to train on 592 V100 GPUs. We compare to Noisy Student EfficientNet-L2 trained on JFT-300M and to BiT-M.",
        ),
        (
            "Highly accurate protein structure prediction with AlphaFold",
            "The network comprises 48 Evoformer blocks and 8 structure module blocks. We train on 170,000 structures from the "
            "PDB and self-distil on 350K sequences, using 128 TPUv3 cores for 11 days.",
        ),
        (
            "Sample-Efficient Reinforcement Learning From Pixels",
            "Our agent is trained for 200M frames on 57 Atari games, and compared with Rainbow and the 1.5B parameter "
            "GPT-2 (Radford et al., 2019) used as a world model in prior work.",
        ),
    ],
    ids=["clip", "alphafold", "rl-citing-gpt2"],
)
def test_papers_without_a_count_get_no_confident_candidate(title: str, text: str) -> None:
    assert all(c.score < CONFIDENT_SCORE for c in ranked(title, text))


def test_a_dataset_named_with_a_size_is_not_a_model() -> None:
    cands = ranked("Scaling Vision Models", "We pre-train on the JFT-300M dataset and on LAION-400M, then fine-tune.")
    assert not any(c.value in (300_000_000, 400_000_000) for c in cands)


def test_a_generic_architecture_word_is_not_taken_for_a_cited_model() -> None:
    # "a 1.5B parameter Transformer": Transformer is cited (Vaswani et al.) in every paper; that must not
    # make the paper's own count look like someone else's
    title, pages = GPT2
    top = ranked(title, *pages)[0]
    assert abs(top.value - 1.5e9) < 0.05e9 and top.model != "Transformer" and top.features["other_name_share"] == 0.0


def test_moe_cue_needs_the_architecture_named_not_incidental_words() -> None:
    from paramtrack.extractors.patterns import is_moe_paper

    assert is_moe_paper("Mixtral of Experts", "")
    assert is_moe_paper("Switch Transformers", "we use a sparsely-activated model ... a Mixture of Experts (MoE) layer")
    assert not is_moe_paper(
        "Playing Atari with Deep Reinforcement Learning", "outperforms a human expert; sparse rewards"
    )
    assert not is_moe_paper("Generating Long Sequences with Sparse Transformers", "sparse factorizations of attention")


def test_dense_baseline_in_an_moe_paper_keeps_its_kind() -> None:
    title, pages = SWITCH_LIKE
    kinds = {c.value: c.kind for c in ranked(title, *pages)}
    assert kinds[1_600_000_000_000] == "moe_total"
    assert kinds.get(1_300_000_000) in (None, "dense_total")


def test_a_table_header_word_before_a_size_column_is_not_a_model_name():
    """A results table laid out as text ("Dataset 7B Baseline (Ours) ...") puts the column
    header word right before a size; it must not become the candidate's model name."""
    cands = ranked(
        "Scaling Retrieval for Small Language Models",
        (
            "We train retrieval-enhanced models with 7B parameters on a 2 trillion token database.\n"
            "Table 3 | Bits-per-byte on held-out sets.\n"
            "Dataset 7B Baseline (Ours) Retrieval (Ours)\narxiv 0.742 0.641\nbooks3 0.792 0.653\n"
        ),
    )
    assert near(cands[0].value, 7_000_000_000)
    assert all(c.model != "Dataset" for c in cands)
