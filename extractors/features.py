"""What the ranker knows about a candidate: explicit, readable features of the places it is stated.

A candidate is one value with all its mentions (``extractors.candidates.Mention``). The features
describe those mentions in words a reviewer would use -- "stated in the abstract", "next to a
citation", "the largest size the paper attributes to itself", "the top of a range" -- so that the
learned weights (``extractors.ranker``) read as rules and can be argued with. Nothing here looks at
a paper's identity or at any dataset's value: the same features are computed for a paper nobody
has curated yet.

Shares (``*_share``) are the fraction of a candidate's mentions with a cue; ``*_any`` whether at
least one has it. Paper-level features (``paper_*``) are the same for every candidate of a paper:
they cannot change the order, only how confident the top candidate is (a method paper that never
says "we train N parameters" should propose nothing confidently).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from paramtrack.extractors.candidates import Mention

#: Every feature, in the order the model file stores its weights. Adding one means retraining.
FEATURES: tuple[str, ...] = (
    # how the size is stated
    "src_sentence",  # "N parameters", "a model with N parameters"
    "src_size",  # "a 7B model", "at the 7B scale": a size used as a model's name
    "src_name",  # "LLaMA-65B", "GPT-3 (175B)": glued to a system name
    "src_table",  # a parameter column of a table
    "mentions_log",  # log(1 + distinct places stating it)
    "pages_log",  # log(1 + distinct pages stating it)
    # where
    "in_abstract",  # the arXiv abstract or the title (page 0) states it, not as a bound or a hope
    "in_title",  # the title states it ("Nemotron 15B", "... to 22 Billion Parameters")
    "first_page",  # page 1 of the PDF states it, not as a bound or a hope
    "intro",  # pages 2-3
    "position",  # 1 - where the first mention sits in the text (0 = end, 1 = start)
    "refs_only",  # every mention is in the bibliography
    "appendix_only",  # every mention is after the bibliography
    # whose model
    "own_any",  # "we train", "our model", an "Ours" row
    "own_share",
    "title_any",  # the paper's system name (title or most-used name) within the sentence
    "named_main",  # glued to the paper's own system name ("the 7.5B Retro model", "Retro-7B")
    "named_share",
    "other_name_share",  # attached to another system's name ("AlexNet, which used 60M", "GPT-3 175B")
    "cite_share",  # a citation marker right next to it
    "cited_name_share",  # attributed to a system the paper cites elsewhere
    "comparison_share",  # "than", "compared to", "such as", "previous"
    "third_party_share",  # "their model", "researchers have used"
    "baseline_share",  # "as baselines, we train ..."
    "ensemble_share",  # stated for an ensemble of models, not for one member
    # hedges
    "hypothetical_share",  # "could scale to", "future", "up to"
    "bound_share",  # "over", "less than", "at least"
    "approx_any",  # "about", "approximately", "~": a rounded size of a real model
    "hardware_share",  # memory/GPU framing
    "total_any",  # "a total of N", "N total parameters"
    "sum_total",  # the total of parts the same sentence states ("A and B, a total of N")
    "part_share",  # a part of such a total
    "trainable_share",  # "N trainable parameters", a "# Trainable Params" column: what a method tunes
    # kind (dense total is the reference level)
    "kind_moe_total",
    "kind_moe_active",
    "kind_non_embedding",
    "kind_embedding",
    "kind_unknown",  # no parameter word: a bare size
    # relative size among the paper's candidates
    "size_rank",  # 0 = the paper's smallest candidate, 1 = its largest (log scale)
    "largest_explicit",  # the largest value stated with a parameter word or in a parameter column
    "largest_own",  # the largest value with an own-work cue
    "largest_named",  # the largest value attached to the paper's own system name
    "range_high",  # the top of a range or list ("from 7B to 65B", "1.3B, 2.7B and 6.7B")
    "range_low",  # the bottom of one
    # tables
    "table_own_row",  # a row named like the paper's system or marked "ours"
    "table_cited_row",  # a row with a citation marker
    "table_unit_header",  # read through a header unit ("Params (M)", "(in millions)")
    "first_own_table",  # an own-named row of the first table that has one (main results come first)
    "largest_in_main_table",  # the largest own-named row of that table: the flagship of the main results
    "table_layer_rows",  # a per-layer table ("conv1", "inception (4a)"): layer sizes, not a model's
    # the hand-written prior (see RULE_WEIGHTS)
    "rule_score",
    # paper level (same for all candidates of a paper)
    "paper_own_sentence",  # the paper states some size as its own in a sentence
    "paper_moe",  # the paper is about a mixture-of-experts model
    "paper_candidates_log",  # log(1 + number of candidates)
)


#: A hand-written prior: what a careful reader weighs, one principle per line, set once by hand
#: and never fitted. It enters the model as one more feature (``rule_score``), so the learned
#: weights decide how far to trust it; with few training papers it carries principles that too
#: few papers exhibit to be learned (a main-results table's flagship, for one).
RULE_WEIGHTS: dict[str, float] = {
    "named_main": 1.0,  # stated for the paper's own system by name
    "largest_named": 1.0,  # the largest size of the paper's own system: the dataset records that one
    "largest_in_main_table": 1.0,  # the flagship row of the first table that lists own systems
    "largest_own": 0.6,  # the largest size the paper states as its own
    "first_page": 0.6,  # abstract and introduction state the headline size (a statement, not a bound)
    "in_abstract": 0.6,
    "in_title": 0.8,  # a title that states a size states the paper's own
    "own_any": 0.4,  # "we train", "our model"
    "range_high": 0.5,  # the top of "from 7B to 65B"
    "mentions_log": 0.3,  # repeated
    "range_low": -0.7,  # the bottom of a range is a smaller sibling
    "other_name_share": -1.5,  # another system's size
    "cite_share": -1.0,  # next to a citation
    "cited_name_share": -1.0,
    "comparison_share": -0.5,  # "larger than", "compared to"
    "hypothetical_share": -0.7,  # "could scale to"
    "baseline_share": -0.5,
    "ensemble_share": -0.7,  # an ensemble's sum is not one model's size
    "bound_share": -0.3,  # "over 100B" is a bound, not a size
    "trainable_share": -0.8,  # what a method fine-tunes, not the model's size
    "appendix_only": -0.8,  # ablations and sweeps
    "refs_only": -2.0,  # the bibliography
    "kind_moe_active": -1.5,  # parts of a model, not the model
    "part_share": -1.5,
    "sum_total": 1.0,  # the whole those parts make: what the dataset records
    "kind_embedding": -1.5,
    "table_layer_rows": -2.0,  # a per-layer table
}


def rule_score(f: dict[str, float]) -> float:
    return sum(w * f.get(name, 0.0) for name, w in RULE_WEIGHTS.items())


@dataclass(frozen=True)
class PaperContext:
    """What is known about the whole paper when its candidates are described."""

    moe: bool = False
    #: sizes the title states (``patterns.title_sizes``): a title's size is the paper's own
    title_values: frozenset[int] = frozenset()


def _share(mentions: Sequence[Mention], key: str) -> float:
    return sum(1 for m in mentions if m.features.get(key)) / len(mentions)


def _any(mentions: Sequence[Mention], key: str) -> float:
    return float(any(m.features.get(key) for m in mentions))


def _states(m: Mention) -> bool:
    """A mention that states a size, not a bound or a hope ("over 100B", "could scale to 1T")."""
    return not (m.features.get("bound") or m.features.get("hypothetical"))


def _explicit(m: Mention) -> bool:
    return m.source in ("sentence", "table", "abstract") or bool(m.features.get("param_word"))


def group_features(groups: Sequence[tuple[int, str, Sequence[Mention]]], paper: PaperContext) -> list[dict[str, float]]:
    """Features for each ``(value, kind, mentions)`` group of one paper, in the same order.

    Cross-candidate features (size rank, "largest") need every group at once, so this works on
    the whole paper rather than one candidate.
    """
    if not groups:
        return []
    logs = [math.log10(max(v, 1)) for v, _, _ in groups]
    lo, hi = min(logs), max(logs)
    clean = [
        not all(m.features.get("refs") or m.features.get("appendix") for m in ms)
        and _share(ms, "cite") < 1
        and _share(ms, "cited_name") < 1
        and (_share(ms, "other_name") < 0.5 or any(m.features.get("named_main") for m in ms))
        and not all(m.features.get("layer_row") for m in ms)
        and kind not in ("moe_active", "embedding")
        and _share(ms, "part_of_total") < 1
        and _share(ms, "ensemble") < 1
        # a size stated only as a comparison's reference point ("more than X with N") is not one
        # the paper states for a model of its own: it cannot be the largest explicit/own/named one
        and _share(ms, "comparison") < 1
        for _, kind, ms in groups
    ]
    explicit = [c and any(_explicit(m) for m in ms) for c, (_, _, ms) in zip(clean, groups)]
    own = [
        c and any(m.features.get("own") or m.features.get("named_main") for m in ms)
        for c, (_, _, ms) in zip(clean, groups)
    ]
    max_explicit = max((v for e, (v, _, _) in zip(explicit, groups) if e), default=None)
    max_own = max((v for o, (v, _, _) in zip(own, groups) if o), default=None)
    own_rows = [
        m
        for _, _, ms in groups
        for m in ms
        if m.source == "table" and m.features.get("named_main") and m.features.get("table_id")
    ]
    first_table = (
        min(own_rows, key=lambda m: int(m.features.get("table_pos", 0))).features["table_id"] if own_rows else None
    )
    main_rows = [m.value for m in own_rows if m.features["table_id"] == first_table]
    main_max = max(main_rows, default=None)
    named = [c and any(m.features.get("named_main") for m in ms) for c, (_, _, ms) in zip(clean, groups)]
    max_named = max((v for n, (v, _, _) in zip(named, groups) if n), default=None)
    all_mentions = [m for _, _, ms in groups for m in ms]
    paper_own_sentence = float(
        any(
            m.source in ("sentence", "abstract")
            and m.features.get("own")
            and not m.features.get("cite")
            and not m.features.get("cited_name")
            for m in all_mentions
        )
    )
    out: list[dict[str, float]] = []
    for (value, kind, ms), log_v in zip(groups, logs):
        sources = {m.source for m in ms}
        pages = {m.page for m in ms}
        first = min(float(m.features.get("offset_frac", 1.0)) for m in ms)
        tables = [m for m in ms if m.source == "table"]
        f = {
            "src_sentence": float(
                "sentence" in sources or "abstract" in sources and any(m.features.get("param_word") for m in ms)
            ),
            "src_size": float("size" in sources),
            "src_name": float("name" in sources),
            "src_table": float("table" in sources),
            "mentions_log": math.log1p(len(ms)),
            "pages_log": math.log1p(len(pages)),
            "in_abstract": float(any((m.page == 0 or m.features.get("abstract")) and _states(m) for m in ms)),
            "in_title": float(value in paper.title_values),
            "first_page": float(any(m.page == 1 and _states(m) for m in ms)),
            "intro": float(bool(pages & {2, 3})),
            "position": 1.0 - first,
            "refs_only": float(all(m.features.get("refs") for m in ms)),
            "appendix_only": float(all(m.features.get("appendix") for m in ms)),
            "own_any": _any(ms, "own"),
            "own_share": _share(ms, "own"),
            "title_any": _any(ms, "title"),
            "named_main": _any(ms, "named_main"),
            "named_share": _share(ms, "named_main"),
            "other_name_share": _share(ms, "other_name"),
            "cite_share": _share(ms, "cite"),
            "cited_name_share": _share(ms, "cited_name"),
            "comparison_share": _share(ms, "comparison"),
            "third_party_share": _share(ms, "third_party"),
            "baseline_share": _share(ms, "baseline"),
            "ensemble_share": _share(ms, "ensemble"),
            "hypothetical_share": _share(ms, "hypothetical"),
            "bound_share": _share(ms, "bound"),
            "approx_any": _any(ms, "approx"),
            "hardware_share": _share(ms, "hardware"),
            "total_any": _any(ms, "total"),
            "sum_total": _any(ms, "sum_total"),
            "part_share": _share(ms, "part_of_total"),
            "trainable_share": _share(ms, "trainable"),
            "kind_moe_total": float(kind == "moe_total"),
            "kind_moe_active": float(kind == "moe_active"),
            "kind_non_embedding": float(kind == "non_embedding"),
            "kind_embedding": float(kind == "embedding"),
            "kind_unknown": float(kind == "unknown"),
            "size_rank": (log_v - lo) / (hi - lo) if hi > lo else 1.0,
            "largest_explicit": float(max_explicit is not None and value == max_explicit),
            "largest_own": float(max_own is not None and value == max_own),
            "largest_named": float(max_named is not None and value == max_named),
            "range_high": _any(ms, "range_high"),
            "range_low": float(all(m.features.get("range_low") for m in ms)),
            "table_own_row": float(any(m.features.get("own") or m.features.get("title") for m in tables)),
            "table_cited_row": float(bool(tables) and all(m.features.get("cite") for m in tables)),
            "table_unit_header": _any(tables, "unit_header") if tables else 0.0,
            "first_own_table": float(
                first_table is not None
                and any(m.features.get("table_id") == first_table and m.features.get("named_main") for m in tables)
            ),
            "largest_in_main_table": float(
                main_max is not None
                and any(
                    m.value == main_max and m.features.get("table_id") == first_table and m.features.get("named_main")
                    for m in tables
                )
            ),
            "table_layer_rows": _any(tables, "layer_row") if tables else 0.0,
            "rule_score": 0.0,
            "paper_own_sentence": paper_own_sentence,
            "paper_moe": float(paper.moe),
            "paper_candidates_log": math.log1p(len(groups)),
        }
        f["rule_score"] = rule_score(f)
        out.append(f)
    return out
