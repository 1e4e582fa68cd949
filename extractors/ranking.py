"""Merge mentions into candidates (one per value) and rank them with the learned model.

Mentions of one value ("7.5B" on page 2, "7,532M" in Table 2) become one candidate whose features
(``extractors.features``) describe all of them; the model (``extractors.ranker``) turns those
features of all of a paper's candidates into P(this one is the paper's own main-model count), which
is the candidate's score. A score at or
above ``CONFIDENT_SCORE`` (0.5) is a confident proposal. Which of a candidate's mentions is shown
as its evidence is a fixed preference (a sentence before a table row before a bare size, own work
before cited work, earlier pages first), so evidence never depends on the model in use.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from paramtrack.extractors.candidates import Mention
from paramtrack.extractors.cleaning import clean_text
from paramtrack.extractors.features import PaperContext, group_features
from paramtrack.extractors.names import clean_model_name
from paramtrack.extractors.plausibility import IMPLAUSIBLE_CAP, plausible
from paramtrack.extractors.ranker import RankerModel, load_model
from paramtrack.extractors.types import Candidate

MERGE_TOLERANCE = 0.015  # "7.5B" and "7,532M" are one model: merge values this close
MIN_VALUE = 1000  # smaller "counts" are layer widths and list numbers, never a model's size

_SOURCE_ORDER = {"abstract": 0, "sentence": 0, "table": 1, "size": 2, "name": 3}
_KIND_PRIORITY = {"moe_total": 5, "non_embedding": 4, "dense_total": 3, "moe_active": 2, "embedding": 1, "unknown": 0}


def _evidence_key(m: Mention) -> tuple[int, ...]:
    """Sort key for the mention to show as evidence: the plainest statement of the paper's own size."""
    f = m.features
    return (
        int(bool(f.get("refs"))),
        int(bool(f.get("cite"))),
        int(bool(f.get("comparison") or f.get("third_party") or f.get("hypothetical"))),
        int(not (f.get("own") or f.get("named_main") or f.get("title"))),
        _SOURCE_ORDER.get(m.source, 4),
        m.page,
    )


def group_mentions(mentions: Sequence[Mention], paper: PaperContext | None = None) -> list[Candidate]:
    """One unscored candidate per value, with its features; the order is not meaningful yet."""
    groups: dict[int, list[Mention]] = {}
    for m in mentions:
        if m.value >= MIN_VALUE:
            groups.setdefault(m.value, []).append(m)
    merged = _merge_close(groups)
    built: list[tuple[int, str, list[Mention], Mention]] = []
    for ms in merged.values():
        unique: list[Mention] = []
        seen: dict[tuple[int, str], Mention] = {}
        for m in sorted(ms, key=_evidence_key):
            key = (m.page, m.evidence[:80])
            if key not in seen:
                seen[key] = m
                unique.append(m)
            else:
                _absorb_name(seen[key], m)
        best = unique[0]
        kind = _group_kind(unique, best)
        built.append((best.value, kind, unique, best))
    feats = group_features([(v, k, ms) for v, k, ms, _ in built], paper or PaperContext())
    cands: list[Candidate] = []
    for (value, kind, ms, best), f in zip(built, feats):
        models = Counter(name for m in ms if (name := clean_model_name(m.model, m.evidence)))
        model = clean_model_name(best.model, best.evidence) or (models.most_common(1)[0][0] if models else None)
        bf = best.features
        hedged = bool(bf.get("hypothetical") or bf.get("bound") or bf.get("cite") or bf.get("comparison"))
        source = "abstract" if best.page == 0 else best.source
        evidence = clean_text(best.evidence)
        cands.append(
            Candidate(
                "parameters",
                value,
                kind,
                model and clean_text(model),
                evidence,
                best.page,
                0.0,
                mentions=len(ms),
                source=source,
                hedged=hedged,
                features=f,
                evidence_raw=best.evidence if evidence != best.evidence else None,
            )
        )
    return cands


def _absorb_name(kept: Mention, dropped: Mention) -> None:
    """One statement read twice keeps who it names: in "Baichuan-13B is ... containing 13 billion
    parameters" the sentence mention is kept as evidence and the glued name "Baichuan-13B", the same
    value in the same sentence, is dropped as a repeat; the name still says whose size it is."""
    f = kept.features
    if dropped.features.get("named_main") and not kept.model and not f.get("other_name"):
        f["named_main"] = True


_PARTS = ("moe_active", "embedding")


def _group_kind(mentions: Sequence[Mention], best: Mention) -> str:
    """The kind of a value: what its explicit statements say, "active" winning over plain totals.

    "Mixtral only uses 13B active parameters" and "Llama 2 13B" are one value to the ranker; the
    sentence with the parameter word says what 13B is here.
    """
    explicit = [m.kind for m in mentions if m.features.get("param_word") and m.kind != "unknown"]
    parts = [k for k in explicit if k in _PARTS]
    if parts and 2 * len(parts) >= len(explicit) and "moe_total" not in explicit:
        return parts[0]
    kinds = Counter(m.kind for m in mentions if m.kind != "unknown")
    if best.kind != "unknown" or not kinds:
        return best.kind
    return max(kinds, key=lambda k: (kinds[k], _KIND_PRIORITY[k]))


def paper_scores(cands: Sequence[Candidate], model: RankerModel) -> list[float]:
    """The model's probabilities for one paper's candidates (same order), with the one rule of the
    dataset's definition on top: an implausible size never scores above ``IMPLAUSIBLE_CAP``."""
    probs = model.scores([c.features for c in cands])
    out = []
    for c, p in zip(cands, probs):
        if not plausible(c.quantity, c.value):
            p = min(p, IMPLAUSIBLE_CAP)
        out.append(round(min(0.99, max(0.001, p)), 3))
    return out


def score_candidates(cands: list[Candidate], model: RankerModel | None = None) -> list[Candidate]:
    """Score a paper's candidates with ``model`` (default: the active model) and sort, best first."""
    model = model or load_model()
    for c, p in zip(cands, paper_scores(cands, model)):
        c.score = p
    cands.sort(key=lambda c: (-c.score, -c.value))
    return cands


def rank(
    mentions: Sequence[Mention], paper: PaperContext | None = None, model: RankerModel | None = None
) -> list[Candidate]:
    """Merge mentions with the same value and sort the candidates by the model's score."""
    return score_candidates(group_mentions(mentions, paper), model)


def _sig_digits(value: int) -> int:
    return len(str(value).rstrip("0"))


def _same_model(a: int, b: int) -> bool:
    """ "7.5B" and "7,532M", "1.5B" and "1,542M": one count written at two precisions.

    Within MERGE_TOLERANCE always; beyond it when the less precise value is the more precise one
    rounded to the printed digits and the label has a decimal ("1.5B" for 1,542M; not "7B" for 6.7B
    nor "16B" for 15.7B: a whole-number label is a size class, and papers train neighbouring sizes).
    """
    if abs(a - b) <= MERGE_TOLERANCE * max(a, b):
        return True
    coarse, fine = (a, b) if _sig_digits(a) < _sig_digits(b) else (b, a)
    digits = _sig_digits(coarse)
    scale = next((d for d in (10**12, 10**9, 10**6, 10**3) if coarse >= d), 1)
    if digits < 2 or digits == _sig_digits(fine) or coarse % scale == 0:
        return False  # "16B" is a size class like "7B"; only "1.5B"-style labels are roundings
    step = 10 ** (len(str(coarse)) - digits)
    return abs(fine - coarse) * 2 < step


def _merge_close(groups: dict[int, list[Mention]]) -> dict[int, list[Mention]]:
    """Merge groups that are one count at two precisions (rounded label vs exact count).

    The group stated most often keeps its value ("7B" said 13 times absorbs nothing it should
    not, since only roundings merge: see ``_same_model``).
    """
    merged: dict[int, list[Mention]] = {}
    for value in sorted(groups, key=lambda v: (-len(groups[v]), -_sig_digits(v), v)):
        target = next((k for k in merged if _same_model(k, value)), None)
        if target is None:
            merged[value] = list(groups[value])
        else:
            merged[target].extend(groups[value])
    return merged
