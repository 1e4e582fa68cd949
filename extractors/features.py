"""What the ranker knows about a candidate: explicit, readable features of the places it is stated.

A candidate is one value with all its mentions (``extractors.candidates.Mention``). The features
describe those mentions in words a reviewer would use -- "stated in the abstract", "next to a
citation", "the largest size the paper attributes to itself", "the top of a range" -- so that the
learned weights (``extractors.ranker``) read as rules and can be argued with. Each feature has a
direction fixed in advance (``SIGNED_FEATURES``); the data decides only how much it counts. Nothing here looks at
a paper's identity or at any dataset's value: the same features are computed for a paper nobody
has curated yet.

Shares (``*_share``) are the fraction of a candidate's mentions with a cue; ``*_any`` whether at
least one has it. Paper-level features (``paper_*``) are the same for every candidate of a paper:
they cannot change the order, only how confident the top candidate is (a method paper that never
says "we train N parameters" should propose nothing confidently).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from paramtrack.extractors.candidates import Mention

#: Every feature with the direction its weight must take, and why: +1 (evidence for the paper's
#: own main-model count), -1 (evidence against), 0 (no direction known in advance: learned freely).
#: The signs come from how papers are written, not from any paper; training enforces them
#: (``extractors.training``), so a handful of training papers cannot flip a principle. Adding a
#: feature means retraining.
SIGNED_FEATURES: dict[str, tuple[int, str]] = {
    # how the size is stated
    "src_sentence": (+1, 'a sentence with a parameter word: "N parameters", "a model with N parameters"'),
    "src_size": (0, 'a size used as a name: "a 7B model", "at the 7B scale"'),
    "src_name": (0, 'glued to a system name: "LLaMA-65B", "GPT-3 (175B)"'),
    "src_table": (0, "a parameter column or row of a table"),
    "mentions_log": (+1, "log(1 + distinct places stating it): the paper's own size is repeated"),
    "pages_log": (+1, "log(1 + distinct pages stating it)"),
    # where
    "in_abstract": (+1, "the abstract or the title states it, not as a bound or a hope"),
    "first_page": (+1, "page 1 states it, not as a bound or a hope"),
    "intro": (+1, "pages 2-3 state it"),
    "position": (+1, "how early its first mention comes (1 = the start of the text)"),
    "refs_only": (-1, "every mention is in the bibliography"),
    "appendix_only": (-1, "every mention is after the bibliography: ablations and sweeps"),
    # whose model
    "own_any": (+1, '"we train", "our model", an "Ours" row'),
    "own_share": (+1, "the share of its mentions with an own-work cue"),
    "title_any": (+1, "the paper's system name is in the sentence"),
    "named_main": (+1, 'glued to the paper\'s own system name ("Retro-7B", "the 7.5B Retro model")'),
    "named_share": (+1, "the share of its mentions glued to the paper's own system name"),
    "other_name_share": (-1, "attached to another system's name (\"GPT-3 175B\", a baseline's table row)"),
    "cite_share": (-1, "a citation marker right next to it"),
    "comparison_share": (-1, '"than", "compared to", "such as", "previous"'),
    "third_party_share": (-1, '"their model", "researchers have used"'),
    "baseline_share": (-1, '"as baselines, we train ..."'),
    # hedges
    "hypothetical_share": (-1, '"could scale to", "future", "up to"'),
    "bound_share": (-1, '"over", "less than", "at least": a bound, not a size'),
    "approx_any": (0, '"about", "~": a rounded size, of the paper\'s model or another'),
    "hardware_share": (-1, "memory or hardware framing: what fits, not what was trained"),
    "total_any": (+1, '"a total of N", "N total parameters"'),
    "trainable_share": (-1, "what a method fine-tunes, not the model's size"),
    # kind (dense total is the reference level)
    "kind_moe_total": (0, "a mixture-of-experts total"),
    "kind_moe_active": (-1, "parameters active per token: a part of the model"),
    "kind_non_embedding": (0, "a count without embeddings (some papers report only this one)"),
    "kind_embedding": (-1, "the embeddings alone"),
    "kind_unknown": (0, "no parameter word: a bare size"),
    # relative size among the paper's candidates
    "size_rank": (0, "0 = the paper's smallest candidate, 1 = its largest (log scale)"),
    "largest_explicit": (+1, "the largest value stated with a parameter word or in a parameter column"),
    "largest_own": (+1, "the largest value with an own-work cue: the dataset records the flagship"),
    "largest_named": (+1, "the largest value attached to the paper's own system name"),
    "range_high": (+1, 'the top of a range or list ("from 7B to 65B")'),
    "range_low": (-1, "the bottom or middle of one: a smaller sibling"),
    # tables
    "table_own_row": (+1, 'a row named like the paper\'s system or marked "ours"'),
    "table_cited_row": (-1, "a row with a citation marker"),
    "table_unit_header": (0, 'read through a header unit ("Params (M)")'),
    "first_own_table": (+1, "an own-named row of the first table that has one (main results come first)"),
    "largest_in_main_table": (+1, "the largest own-named row of that table: the flagship"),
    "table_layer_rows": (-1, 'a per-layer table ("conv1", "inception (4a)"): layer sizes'),
    # paper level (the same for every candidate of a paper: they move confidence, not order)
    "paper_own_sentence": (0, "the paper states some size as its own in a sentence"),
    "paper_moe": (0, "the paper is about a mixture-of-experts model"),
    "paper_candidates_log": (0, "log(1 + number of candidates)"),
}

#: Every feature, in the order the model file stores its weights.
FEATURES: tuple[str, ...] = tuple(SIGNED_FEATURES)
#: The enforced direction of each feature's weight.
SIGNS: dict[str, int] = {name: sign for name, (sign, _) in SIGNED_FEATURES.items()}


@dataclass(frozen=True)
class PaperContext:
    """What is known about the whole paper when its candidates are described."""

    moe: bool = False


def _share(mentions: Sequence[Mention], key: str) -> float:
    return sum(1 for m in mentions if m.features.get(key)) / len(mentions)


def _any(mentions: Sequence[Mention], key: str) -> float:
    return float(any(m.features.get(key) for m in mentions))


def _states(m: Mention) -> bool:
    """A mention that states a size, not a bound or a hope ("over 100B", "could scale to 1T")."""
    return not (m.features.get("bound") or m.features.get("hypothetical"))


def _explicit(m: Mention) -> bool:
    return m.source in ("sentence", "table", "abstract") or bool(m.features.get("param_word"))


Group = tuple[int, str, Sequence[Mention]]


@dataclass(frozen=True)
class _PaperFacts:
    """What the "largest" and table features compare a candidate with: the whole paper's values."""

    lo: float  # log10 of the paper's smallest and largest candidate
    hi: float
    max_explicit: int | None
    max_own: int | None
    max_named: int | None
    first_table: str | None  # the first table with a row named for the paper's system
    main_max: int | None  # the largest such row of that table
    own_sentence: float
    moe: float
    candidates_log: float


def _clean(kind: str, ms: Sequence[Mention]) -> bool:
    """A value the paper states for a model of its own (not only cited, compared against, a layer,
    a part, or in the bibliography): only these can be its "largest" of anything."""
    return (
        not all(m.features.get("refs") or m.features.get("appendix") for m in ms)
        and _share(ms, "cite") < 1
        and (_share(ms, "other_name") < 0.5 or any(m.features.get("named_main") for m in ms))
        and not all(m.features.get("layer_row") for m in ms)
        and kind not in ("moe_active", "embedding")
        # a size stated only as a comparison's reference point ("more than X with N") is not one
        # the paper states for a model of its own
        and _share(ms, "comparison") < 1
    )


def _largest(groups: Sequence[Group], keep: list[bool]) -> int | None:
    return max((v for k, (v, _, _) in zip(keep, groups) if k), default=None)


def _paper_facts(groups: Sequence[Group], paper: PaperContext) -> _PaperFacts:
    logs = [math.log10(max(v, 1)) for v, _, _ in groups]
    clean = [_clean(kind, ms) for _, kind, ms in groups]

    def clean_with(test: Callable[[Mention], object]) -> list[bool]:
        return [c and any(test(m) for m in ms) for c, (_, _, ms) in zip(clean, groups)]

    own_rows = [
        m
        for _, _, ms in groups
        for m in ms
        if m.source == "table" and m.features.get("named_main") and m.features.get("table_id")
    ]
    first_table = (
        str(min(own_rows, key=lambda m: int(m.features.get("table_pos", 0))).features["table_id"]) if own_rows else None
    )
    own_sentence = any(
        m.source in ("sentence", "abstract") and m.features.get("own") and not m.features.get("cite")
        for _, _, ms in groups
        for m in ms
    )
    return _PaperFacts(
        lo=min(logs),
        hi=max(logs),
        max_explicit=_largest(groups, clean_with(_explicit)),
        max_own=_largest(groups, clean_with(lambda m: m.features.get("own") or m.features.get("named_main"))),
        max_named=_largest(groups, clean_with(lambda m: m.features.get("named_main"))),
        first_table=first_table,
        main_max=max((m.value for m in own_rows if m.features["table_id"] == first_table), default=None),
        own_sentence=float(own_sentence),
        moe=float(paper.moe),
        candidates_log=math.log1p(len(groups)),
    )


def _how_and_where(ms: Sequence[Mention]) -> dict[str, float]:
    sources = {m.source for m in ms}
    pages = {m.page for m in ms}
    return {
        "src_sentence": float(
            "sentence" in sources or "abstract" in sources and any(m.features.get("param_word") for m in ms)
        ),
        "src_size": float("size" in sources),
        "src_name": float("name" in sources),
        "src_table": float("table" in sources),
        "mentions_log": math.log1p(len(ms)),
        "pages_log": math.log1p(len(pages)),
        "in_abstract": float(any((m.page == 0 or m.features.get("abstract")) and _states(m) for m in ms)),
        "first_page": float(any(m.page == 1 and _states(m) for m in ms)),
        "intro": float(bool(pages & {2, 3})),
        "position": 1.0 - min(float(m.features.get("offset_frac", 1.0)) for m in ms),
        "refs_only": float(all(m.features.get("refs") for m in ms)),
        "appendix_only": float(all(m.features.get("appendix") for m in ms)),
    }


def _whose_and_hedges(ms: Sequence[Mention]) -> dict[str, float]:
    return {
        "own_any": _any(ms, "own"),
        "own_share": _share(ms, "own"),
        "title_any": _any(ms, "title"),
        "named_main": _any(ms, "named_main"),
        "named_share": _share(ms, "named_main"),
        "other_name_share": _share(ms, "other_name"),
        "cite_share": _share(ms, "cite"),
        "comparison_share": _share(ms, "comparison"),
        "third_party_share": _share(ms, "third_party"),
        "baseline_share": _share(ms, "baseline"),
        "hypothetical_share": _share(ms, "hypothetical"),
        "bound_share": _share(ms, "bound"),
        "approx_any": _any(ms, "approx"),
        "hardware_share": _share(ms, "hardware"),
        "total_any": _any(ms, "total"),
        "trainable_share": _share(ms, "trainable"),
    }


def _kind_and_size(value: int, kind: str, ms: Sequence[Mention], facts: _PaperFacts) -> dict[str, float]:
    log_v = math.log10(max(value, 1))
    return {
        "kind_moe_total": float(kind == "moe_total"),
        "kind_moe_active": float(kind == "moe_active"),
        "kind_non_embedding": float(kind == "non_embedding"),
        "kind_embedding": float(kind == "embedding"),
        "kind_unknown": float(kind == "unknown"),
        "size_rank": (log_v - facts.lo) / (facts.hi - facts.lo) if facts.hi > facts.lo else 1.0,
        "largest_explicit": float(value == facts.max_explicit),
        "largest_own": float(value == facts.max_own),
        "largest_named": float(value == facts.max_named),
        "range_high": _any(ms, "range_high"),
        "range_low": float(all(m.features.get("range_low") for m in ms)),
    }


def _tables(value: int, ms: Sequence[Mention], facts: _PaperFacts) -> dict[str, float]:
    tables = [m for m in ms if m.source == "table"]
    main = [m for m in tables if m.features.get("table_id") == facts.first_table and m.features.get("named_main")]
    return {
        "table_own_row": float(any(m.features.get("own") or m.features.get("title") for m in tables)),
        "table_cited_row": float(bool(tables) and all(m.features.get("cite") for m in tables)),
        "table_unit_header": _any(tables, "unit_header") if tables else 0.0,
        "first_own_table": float(facts.first_table is not None and bool(main)),
        "largest_in_main_table": float(facts.main_max is not None and any(m.value == facts.main_max for m in main)),
        "table_layer_rows": _any(tables, "layer_row") if tables else 0.0,
    }


def group_features(groups: Sequence[Group], paper: PaperContext) -> list[dict[str, float]]:
    """Features for each ``(value, kind, mentions)`` group of one paper, in the same order.

    Cross-candidate features (size rank, "largest") need every group at once, so this works on
    the whole paper rather than one candidate.
    """
    if not groups:
        return []
    facts = _paper_facts(groups, paper)
    paper_level = {
        "paper_own_sentence": facts.own_sentence,
        "paper_moe": facts.moe,
        "paper_candidates_log": facts.candidates_log,
    }
    return [
        {
            **_how_and_where(ms),
            **_whose_and_hedges(ms),
            **_kind_and_size(value, kind, ms, facts),
            **_tables(value, ms, facts),
            **paper_level,
        }
        for value, kind, ms in groups
    ]
