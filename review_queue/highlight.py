"""Mark the proposed number inside its evidence sentence, safely.

Evidence comes from untrusted PDFs. The sentence is split into (before, number, after) on the RAW
text, each piece is HTML-escaped, and only then are the pieces joined with our own ``<mark>`` tags,
so nothing from the PDF is ever emitted unescaped.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_SCALE = {
    "thousand": 1e3,
    "k": 1e3,
    "K": 1e3,
    "million": 1e6,
    "millions": 1e6,
    "mn": 1e6,
    "M": 1e6,
    "billion": 1e9,
    "billions": 1e9,
    "bn": 1e9,
    "B": 1e9,
    "trillion": 1e12,
    "trillions": 1e12,
    "T": 1e12,
}
_NUM_RE = re.compile(
    r"(?<![\w.])(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?:\s*(?:[×x\*·]\s*10\s*\^?\s*(?P<exp>\d{1,2})|[eE](?P<exp2>\d{1,2})))?"
    r"(?:\s*-?\s*(?P<scale>[Tt]housand|[Mm]illions?|[Bb]illions?|[Tt]rillions?|bn|mn|[KkMBT])(?![A-Za-z]))?"
)


def _value(m: re.Match[str]) -> tuple[float, float]:
    """(full value, bare number) of a match."""
    bare = float(m.group("num").replace(",", ""))
    value = bare
    exp = m.group("exp") or m.group("exp2")
    if exp:
        value *= 10 ** int(exp)
    scale = m.group("scale")
    if scale:
        value *= _SCALE.get(scale, _SCALE.get(scale.lower(), 1))
    return value, bare


def _close(a: float, b: float) -> bool:
    return b != 0 and abs(a - b) / abs(b) < 0.006


def find_number(evidence: str, value: float | None) -> tuple[int, int] | None:
    """Span of the number in ``evidence`` that states ``value`` (exact, else a scaled table cell)."""
    if not evidence or value is None:
        return None
    matches = list(_NUM_RE.finditer(evidence))
    for m in matches:
        if _close(_value(m)[0], value):
            return m.span()
    for m in matches:  # "(in millions)" tables: a bare 175000 for 175e9
        bare = _value(m)[1]
        for factor in (1e3, 1e6, 1e9, 1e12):
            if _close(bare * factor, value):
                return m.span()
    return None


def highlight(evidence: str | None, value: float | None) -> Markup:
    """Escaped evidence with the number that states ``value`` wrapped in ``<mark>``."""
    text = evidence or ""
    span = find_number(text, value)
    if span is None:
        return Markup(escape(text))
    start, end = span
    return Markup("{}<mark>{}</mark>{}").format(text[:start], text[start:end], text[end:])
