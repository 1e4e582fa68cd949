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
W_SIZE = 0.08  # the largest plausible candidate gets this much more than the smallest


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
    cands: list[Candidate] = []
    for value, scored in groups.items():
        scored.sort(key=lambda t: (-t[0], t[1].page))
        best_score, best = scored[0]
        n = len(scored)
        score = best_score + min(W_REPEAT_MAX, W_REPEAT * (n - 1))
        kinds = Counter(m.kind for _, m in scored if m.kind != "unknown")
        kind = best.kind if best.kind != "unknown" or not kinds else max(kinds, key=lambda k: (kinds[k], _KIND_PRIORITY[k]))
        models = Counter(m.model for _, m in scored if m.model)
        model = best.model or (models.most_common(1)[0][0] if models else None)
        cands.append(Candidate("parameters", value, kind, model, best.evidence, best.page, score, mentions=n, source=best.source))
    plausible = [c for c in cands if c.score >= 0.35]
    if len(plausible) >= 2:
        lo = math.log10(min(c.value for c in plausible))
        hi = math.log10(max(c.value for c in plausible))
        if hi > lo:
            for c in plausible:
                c.score += W_SIZE * (math.log10(c.value) - lo) / (hi - lo)
    for c in cands:
        c.score = round(min(0.99, max(0.01, c.score)), 3)
    cands.sort(key=lambda c: (-c.score, -c.value))
    return cands
