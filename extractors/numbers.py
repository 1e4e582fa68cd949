"""Turn the ways papers write sizes into integers.

Papers write the same count as "175B", "175 billion", "1.75 × 10^11", "175,000M" or, in a table
whose header says "(in millions)", a bare "175000". All of those must become 175_000_000_000;
getting the scale wrong by 10^3 is the worst error this product can make, so the scale words are
listed explicitly and nothing is guessed from magnitude.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

#: Scale words and suffixes -> multiplier. Single letters are case-sensitive on purpose: "M"/"B"/"T"
#: are the size suffixes ("350M", "7B", "1.6T"); lower-case "m"/"b" are accepted only where the
#: caller knows the context is a parameter column (REALM writes "330m"), see ``parse_scaled``.
SCALE_WORDS: dict[str, int] = {
    "thousand": 10**3,
    "k": 10**3,
    "K": 10**3,
    "million": 10**6,
    "millions": 10**6,
    "mn": 10**6,
    "mil": 10**6,
    "M": 10**6,
    "billion": 10**9,
    "billions": 10**9,
    "bn": 10**9,
    "B": 10**9,
    "trillion": 10**12,
    "trillions": 10**12,
    "T": 10**12,
}
LOWERCASE_SUFFIXES: dict[str, int] = {"k": 10**3, "m": 10**6, "b": 10**9, "t": 10**12}

#: A number as printed: "1,309", "7.0", "0.5", "175" (thousands separators and decimals).
NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
#: Scale written as a word or a suffix letter.
SCALE = r"(?:[Tt]housand|[Mm]illions?|[Bb]illions?|[Tt]rillions?|bn|mn|[KMBT])"

_SCI = re.compile(r"^(?P<mant>\d+(?:\.\d+)?)\s*(?:[×x\*·]\s*10\s*\^?\s*(?P<exp>-?\d{1,2})|[eE](?P<exp2>[+-]?\d{1,2}))$")


def parse_number(text: str) -> float:
    """ "1,309" -> 1309.0, "7.0" -> 7.0; raises ValueError on anything else."""
    cleaned = text.strip().replace(",", "").replace(" ", "")
    if not re.fullmatch(r"\d+(?:\.\d+)?", cleaned):
        raise ValueError(f"not a number: {text!r}")
    return float(cleaned)


def scale_of(word: str | None, *, allow_lowercase_suffix: bool = False) -> int:
    """Multiplier for a scale word/suffix; 1 for none. Raises ValueError for unknown words."""
    if not word:
        return 1
    w = word.strip()
    if w in SCALE_WORDS:
        return SCALE_WORDS[w]
    if w.lower() in SCALE_WORDS and len(w) > 1:
        return SCALE_WORDS[w.lower()]
    if allow_lowercase_suffix and w in LOWERCASE_SUFFIXES:
        return LOWERCASE_SUFFIXES[w]
    raise ValueError(f"unknown scale {word!r}")


def to_int(number: str, scale: str | None = None, *, allow_lowercase_suffix: bool = False) -> int:
    """ "1.5", "billion" -> 1_500_000_000. Rounds to an integer (counts are integers)."""
    return int(round(parse_number(number) * scale_of(scale, allow_lowercase_suffix=allow_lowercase_suffix)))


def parse_scientific(text: str) -> int | None:
    """ "1.2 × 10^9" / "1.2e9" -> 1_200_000_000; None if ``text`` is not in that form."""
    m = _SCI.match(text.strip())
    if not m:
        return None
    exp = m.group("exp") or m.group("exp2")
    from decimal import Decimal

    return int(Decimal(m.group("mant")) * 10 ** int(exp))


_SCALED = re.compile(rf"^~?\s*(?P<num>{NUMBER})\s*-?\s*(?P<scale>{SCALE}|[kmbt])?$")


def parse_scaled(text: str, *, allow_lowercase_suffix: bool = False, unit: int = 1) -> int | None:
    """Parse one size token: "175B", "1.5 billion", "7,532M", "330m", "~1.2 × 10^9".

    ``unit`` multiplies a bare number (a table whose header says "(M)"). Returns None when the
    text is not a size (so callers can try other readings).
    """
    t = text.strip().lstrip("~≈").strip()
    sci = parse_scientific(t)
    if sci is not None:
        return sci
    m = _SCALED.match(t)
    if not m:
        return None
    scale = m.group("scale")
    if scale is None:
        return int(round(parse_number(m.group("num")) * unit))
    try:
        return to_int(m.group("num"), scale, allow_lowercase_suffix=allow_lowercase_suffix)
    except ValueError:
        return None


def header_unit(header: str) -> int | None:
    """Unit a table header declares for its numbers: "Params (M)" -> 10^6, "(in billions)" -> 10^9.

    Returns None when the header declares no unit.
    """
    h = header.lower()
    m = re.search(r"\(\s*(?:in\s+)?(millions?|billions?|thousands?|trillions?|[mbkt])\s*\)", h)
    if not m:
        m = re.search(r"\bin\s+(millions|billions|thousands)\b", h)
    if not m:
        return None
    word = m.group(1)
    return {"m": 10**6, "b": 10**9, "k": 10**3, "t": 10**12}[word[0]]


def finditer_near(
    rx: re.Pattern[str], text: str, anchor: re.Pattern[str], *, before: int, after: int
) -> Iterator[re.Match[str]]:
    """``rx.finditer(text)``, scanning only around the matches of a cheap ``anchor``.

    Equal to the full scan whenever every match of ``rx`` contains an anchor match that starts at
    most ``before`` characters after the match starts and ends at most ``after - 1`` characters
    before the match ends (so look-behinds, which see before ``pos``, and a final ``\\b``, which
    needs one character past the match, see the same text). A literal unit word ("tokens",
    "FLOPs") is such an anchor, and scanning a 60-page paper for a number-led pattern at every
    position was a sixth of the extraction time.
    """
    windows: list[list[int]] = []
    for a in anchor.finditer(text):
        lo, hi = max(0, a.start() - before), min(len(text), a.end() + after)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], hi)
        else:
            windows.append([lo, hi])
    for lo, hi in windows:
        yield from rx.finditer(text, lo, hi)


#: Two counts are the same figure when within 5 %: "7B" for 6.7B, a rounded label for its count.
TOLERANCE = 0.05


def within(value: float | None, expected: float | None, tol: float = TOLERANCE) -> bool:
    return bool(value and expected) and abs(value - expected) <= tol * expected  # type: ignore[operator]
