"""Score mentions, merge them by value, and rank: the paper's own largest model first.

The score is a sum of evidence weights clipped to 0..1, calibrated on the shared corpus so that a
figure stated as "N parameters" for the paper's own model in its first pages lands well above
``CONFIDENT_SCORE`` (0.5), while sizes of cited systems, table entries with no own-work cue and
name-only sizes ("GPT-3 175B") stay below it. The weights are deliberately few and round so they
read as rules, not a fitted model.
"""

from __future__ import annotations

import math
from collections import Counter

from extractors.candidates import Mention
from extractors.types import Candidate

#: How strongly each way of stating a size says "this is a parameter count".
BASE = {"sentence": 0.42, "table": 0.32, "size": 0.26, "name": 0.2}
NAME_SPACE_BASE = 0.12
W_OWN = 0.14  # "we train", "our", "Ours" row, "these models"
W_TITLE = 0.1  # the paper's own system name nearby
W_PAGE1 = 0.12  # abstract / first page
W_EARLY = 0.05  # pages 2-3 (introduction)
P_CITE = 0.2  # a citation marker next to the size
P_COMPARE = 0.1  # "than", "such as", "compared to"
P_HYPO = 0.12  # "could", "up to", "beyond"
P_HARDWARE = 0.04  # memory/GPU framing
P_REFS = 0.45  # in the bibliography
P_ACTIVE = 0.12  # active parameters of a MoE are not the model's size
P_EMBEDDING = 0.15
W_REPEAT = 0.04  # per extra mention, up to W_REPEAT_MAX
W_REPEAT_MAX = 0.12
W_SIZE = 0.12  # the largest confident candidate gets this much more than the smallest
P_BOUND = 0.12  # "over 100B", "more than 1.4B": a bound, not a model's size
P_BASELINE = 0.08  # "as baselines, we train ...": not the paper's main model
W_NAMED = 0.08  # the size is attached to the paper's own system name ("the 7.5B Retro model")
P_APPENDIX = 0.08  # after the bibliography: ablations and hyper-parameter sweeps
W_TOTAL = 0.05  # "a total of N", "N total parameters"
NAME_ONLY_CAP = 0.45  # "Llama 2 70B" names another system's size: never confident on its own
TOP_BAND = 0.12  # candidates this close to the best score compete on size
MERGE_TOLERANCE = 0.015  # "7.5B" and "7,532M" are one model: merge values this close


def mention_score(m: Mention) -> float:
    f = m.features
    if m.source == "name" and f.get("name_space"):
        s = NAME_SPACE_BASE
    else:
        s = BASE.get(m.source, 0.2)
    page = int(f.get("page", 99))
    s += W_OWN * bool(f.get("own")) + W_TITLE * bool(f.get("title"))
    s += W_PAGE1 if page == 1 else (W_EARLY if page <= 3 else 0.0)
    s -= P_CITE * bool(f.get("cite")) + P_COMPARE * bool(f.get("comparison")) + P_HYPO * bool(f.get("hypothetical"))
    s -= P_HARDWARE * bool(f.get("hardware")) + P_REFS * bool(f.get("refs"))
    s -= P_BOUND * bool(f.get("bound")) + P_BASELINE * bool(f.get("baseline")) + P_CITE * bool(f.get("cited_name") and not f.get("cite"))
    s += W_TOTAL * bool(f.get("total")) + W_NAMED * bool(f.get("named_main"))
    s -= P_COMPARE * bool(f.get("third_party")) + P_APPENDIX * bool(f.get("appendix"))
    if m.kind == "moe_active":
        s -= P_ACTIVE
    elif m.kind == "embedding":
        s -= P_EMBEDDING
    return s


_KIND_PRIORITY = {"moe_total": 5, "non_embedding": 4, "dense_total": 3, "moe_active": 2, "embedding": 1, "unknown": 0}


def rank(mentions: list[Mention]) -> list[Candidate]:
    """Merge mentions with the same value (best evidence kept, mentions counted) and sort by score."""
    groups: dict[int, list[tuple[float, Mention]]] = {}
    for m in mentions:
        if m.value < 1000:
            continue
        groups.setdefault(m.value, []).append((mention_score(m), m))
    groups = _merge_close(groups)
    cands: list[Candidate] = []
    for value, scored in groups.items():
        scored.sort(key=lambda t: (-t[0], t[1].page))
        seen: set[tuple[int, str]] = set()
        unique = []
        for sc, m in scored:
            key = (m.page, m.evidence[:80])
            if key not in seen:
                seen.add(key)
                unique.append((sc, m))
        scored = unique
        value = scored[0][1].value
        best_score, best = scored[0]
        n = len(scored)
        score = best_score + min(W_REPEAT_MAX, W_REPEAT * (n - 1))
        kinds = Counter(m.kind for _, m in scored if m.kind != "unknown")
        kind = best.kind if best.kind != "unknown" or not kinds else max(kinds, key=lambda k: (kinds[k], _KIND_PRIORITY[k]))
        models = Counter(m.model for _, m in scored if m.model)
        model = best.model or (models.most_common(1)[0][0] if models else None)
        f = best.features
        hedged = bool(f.get("hypothetical") or f.get("bound") or f.get("cite") or f.get("cited_name") or f.get("comparison"))
        if best.source == "name" and not best.features.get("named_main"):
            score = min(score, NAME_ONLY_CAP)
        cands.append(Candidate("parameters", value, kind, model, best.evidence, best.page, score, mentions=n, source=best.source, hedged=hedged))
    plausible = [c for c in cands if c.score >= 0.5]
    if len(plausible) >= 2:
        lo = math.log10(min(c.value for c in plausible))
        hi = math.log10(max(c.value for c in plausible))
        if hi > lo:
            for c in plausible:
                c.score += W_SIZE * (math.log10(c.value) - lo) / (hi - lo)
    for c in cands:
        c.score = round(min(0.99, max(0.01, c.score)), 3)
    cands.sort(key=lambda c: (-c.score, -c.value))
    return _largest_in_top_band(cands)


def _largest_in_top_band(cands: list[Candidate]) -> list[Candidate]:
    """Among candidates about as well supported as the best one, put the largest first.

    The dataset wants the paper's *largest* trained model; a paper that trains 125M..175B states
    every size with the same kind of evidence, so score alone cannot choose and size decides.
    Active-parameter and embedding counts never win this way (they are parts of a model).
    """
    if len(cands) < 2 or cands[0].score < 0.5:
        return cands
    best = cands[0].score
    band = [c for c in cands if c.score >= best - TOP_BAND and c.kind not in ("moe_active", "embedding") and not c.hedged]
    if not band:
        return cands
    winner = max(band, key=lambda c: c.value)
    if winner is not cands[0]:
        winner.score = round(min(0.99, best + 0.01), 3)
        cands.remove(winner)
        cands.insert(0, winner)
    return cands


def _sig_digits(value: int) -> int:
    return len(str(value).rstrip("0"))


def _same_model(a: int, b: int) -> bool:
    """"7.5B" and "7,532M", "1.5B" and "1,542M": one count written at two precisions.

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


def _merge_close(groups: dict[int, list[tuple[float, Mention]]]) -> dict[int, list[tuple[float, Mention]]]:
    """Merge groups that are one count at two precisions (rounded label vs exact count)."""
    merged: dict[int, list[tuple[float, Mention]]] = {}
    for value in sorted(groups, key=lambda v: -max(sc for sc, _ in groups[v])):
        target = next((k for k in merged if _same_model(k, value)), None)
        if target is None:
            merged[value] = list(groups[value])
        else:
            merged[target].extend(groups[value])
    return merged
