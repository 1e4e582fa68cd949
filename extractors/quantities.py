"""Secondary quantities: training compute (FLOP) and training dataset size (tokens / images).

Same evidence form as parameter candidates, fewer rules: these are proposals for a reviewer.
"""

from __future__ import annotations

import re
from decimal import Decimal

from paramtrack.extractors import patterns as P
from paramtrack.extractors.candidates import Document, _evidence
from paramtrack.extractors.cleaning import clean_text
from paramtrack.extractors.numbers import NUMBER, SCALE, finditer_near, to_int
from paramtrack.extractors.plausibility import IMPLAUSIBLE_CAP, plausible
from paramtrack.extractors.types import Candidate, Quantity

_SCI_NUM = (
    r"(?P<mant>\d+(?:\.\d+)?)\s*[×x\*·]\s*10\s*\^\s*(?P<exp>\d{1,2})|(?P<mant2>\d+(?:\.\d+)?)[eE]\+?(?P<exp2>\d{1,2})"
)
_COMPUTE = re.compile(rf"(?:{_SCI_NUM})\s*(?:training\s+)?(?:FLOPs?|FLOP|floating[- ]point operations)\b")
_PFS_DAYS = re.compile(
    rf"(?P<num>{NUMBER})\s*(?P<scale>{SCALE})?\s*(?:petaflop/s-days|PF-days|pfs-days|petaflop/s-day)", re.I
)
_DATA = re.compile(
    rf"(?<![\w.])(?P<num>{NUMBER})\s?(?P<scale>{SCALE})\s+(?:training\s+|text\s+|unique\s+)?(?P<unit>tokens|images|words|image-text pairs|frames)\b"
)
_TRAIN_CTX = re.compile(r"\b(?:train\w*|pre-?train\w*|corpus|dataset|data)\b", re.I)
PFS_DAY_FLOP = 8.64e19
#: Literal words every match of the pattern beside them ends with: scans start from these.
_COMPUTE_ANCHOR = re.compile(r"FLOP|floating")
_PFS_ANCHOR = re.compile(r"days?", re.I)
_DATA_ANCHOR = re.compile(r"tokens|images|words|image-text pairs|frames")
_REACH = 200  # characters a number, its scale and "training" may take before the unit word


def find_other_quantities(doc: Document) -> list[Candidate]:
    """Compute and dataset-size candidates, ranked by score and merged by value per quantity."""
    out: dict[tuple[str, int], Candidate] = {}
    text = doc.text
    low = text.lower()
    checks: tuple[tuple[bool, re.Pattern[str], re.Pattern[str], int, Quantity], ...] = (
        ("flop" in low or "floating" in low, _COMPUTE, _COMPUTE_ANCHOR, 40, "training_compute"),
        ("days" in low, _PFS_DAYS, _PFS_ANCHOR, 2, "training_compute"),
        (True, _DATA, _DATA_ANCHOR, 2, "dataset_size"),
    )
    for present, rx, anchor, after, quantity in checks:
        if not present:
            continue
        for m in finditer_near(rx, text, anchor, before=_REACH, after=after):
            if doc.in_references(m.start()):
                continue
            gd = m.groupdict()
            try:
                if quantity == "training_compute" and gd.get("mant") is not None:
                    value = int(Decimal(gd["mant"]) * 10 ** int(gd["exp"]))
                elif quantity == "training_compute" and gd.get("mant2") is not None:
                    value = int(Decimal(gd["mant2"]) * 10 ** int(gd["exp2"]))
                elif quantity == "training_compute":
                    value = int(to_int(gd["num"], gd.get("scale")) * PFS_DAY_FLOP)
                else:
                    value = to_int(gd["num"], gd["scale"])
            except (ValueError, TypeError):
                continue
            if value <= 0:
                continue
            a, b = max(0, m.start() - 200), min(len(text), m.end() + 150)
            window = text[a:b]
            score = 0.3 + 0.15 * bool(_TRAIN_CTX.search(window)) + 0.15 * bool(P.OWN_WORDS.search(window))
            score -= 0.2 * bool(P.CITATION.search(text[max(0, m.start() - 80) : m.end() + 60]))
            page = doc.page_of(m.start())
            score += 0.1 if page <= 2 else 0.0
            unit = "FLOP" if quantity == "training_compute" else gd.get("unit")
            key = (quantity, value)
            if key in out:
                out[key].mentions += 1
                out[key].score = min(0.95, out[key].score + 0.03)
                continue
            raw = _evidence(text[a:b], m.start() - a, m.end() - a)
            ev = clean_text(raw)
            out[key] = Candidate(
                quantity,
                value,
                "unknown",
                None,
                ev,
                page,
                round(max(0.01, min(0.9, score)), 3),
                source="sentence",
                unit=unit,
                evidence_raw=raw if raw != ev else None,
            )
    for c in out.values():
        if not plausible(c.quantity, c.value):
            c.score = min(c.score, IMPLAUSIBLE_CAP)
    return sorted(out.values(), key=lambda c: (c.quantity, -c.score, -c.value))
