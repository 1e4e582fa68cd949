"""Words with their positions on the page, for the few pages whose tables must be read by column.

A PDF's text stream says nothing reliable about table columns: pypdfium2 emits a row's cells in
reading order, and a header spread over two lines ("Million" over "Parameters") or a number column
next to a "training steps" column looks, as text, like any other run of numbers. Positions settle
it: a value belongs to the header cell it sits under. pdfium reports one box per character
(``FPDFText_GetLooseCharBox``, ~1 us each); words are runs of characters without a space or a gap,
lines are words sharing a vertical band. Only pages that look like they hold a parameter table
are laid out (see ``extractors.pdf_text``), so this costs a few milliseconds per paper.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Word:
    """A run of characters; coordinates in points, ``top`` measured down from the page's top edge."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass
class Line:
    """Words sharing a vertical band, left to right."""

    words: list[Word] = field(default_factory=list)

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def cy(self) -> float:
        return (self.top + self.bottom) / 2

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)

    def within(self, x0: float, x1: float) -> list[Word]:
        return [w for w in self.words if w.x1 > x0 and w.x0 < x1]


@dataclass(frozen=True)
class PageLayout:
    """One page's words and lines, and the page-column split when the page is set in two columns."""

    width: float
    height: float
    words: tuple[Word, ...]
    lines: tuple[Line, ...]
    gutter: float | None  # x of the gap between two text columns, or None for one column


#: Characters that end a word; their boxes are never read (``pdf_text`` does not even ask pdfium).
WHITESPACE = frozenset({" ", "\t", "\r", "\n", "\x00"})
#: pdfium's marker for a hyphen it judged to be a line-break hyphen ("FCN\ufffe" over "AlexNet").
_BREAK_HYPHEN = frozenset({"\x02", "\ufffe"})


def words_from_chars(text: str, boxes: Sequence[tuple[float, float, float, float]], page_height: float) -> list[Word]:
    """Group characters into words. ``boxes[i]`` is (left, bottom, right, top) in PDF coordinates.

    A new word starts after whitespace, at a horizontal gap wider than a fifth of the glyph height,
    when the pen moves back left, or when the glyph sits off the word's vertical band. The loop is
    written flat (no per-character min/max calls): it runs once per character of every table page.
    """
    words: list[Word] = []
    add = words.append
    cur: list[str] = []
    x0 = x1 = top = bottom = 0.0
    for ch, (left, low, right, high) in zip(text, boxes):
        if ch in WHITESPACE:
            if cur:
                add(Word("".join(cur), x0, x1, top, bottom))
                cur = []
            continue
        if ch in _BREAK_HYPHEN:
            ch = "-"
        t, b = page_height - high, page_height - low
        h = b - t if b - t > 1.0 else 1.0
        if cur and (left - x1 > 0.18 * h or left < x0 - 0.5 * h or abs((t + b) / 2 - (top + bottom) / 2) > 0.45 * h):
            add(Word("".join(cur), x0, x1, top, bottom))
            cur = []
        if cur:
            if right > x1:
                x1 = right
            if t < top:
                top = t
            if b > bottom:
                bottom = b
        else:
            x0, x1, top, bottom = left, right, t, b
        cur.append(ch)
    if cur:
        add(Word("".join(cur), x0, x1, top, bottom))
    return words


def group_lines(words: Sequence[Word]) -> list[Line]:
    """Words whose vertical centres are within half a word height of a line's centre share it."""
    lines: list[Line] = []
    cy_line = 0.0
    for w in sorted(words, key=lambda w: (w.cy, w.x0)):
        cy = (w.top + w.bottom) / 2
        if lines and abs(cy - cy_line) <= 0.5 * max(w.bottom - w.top, 1.0):
            lines[-1].words.append(w)
        else:
            lines.append(Line([w]))
            cy_line = cy
    for line in lines:
        line.words.sort(key=lambda w: w.x0)
    return lines


def find_gutter(lines: Sequence[Line], width: float) -> float | None:
    """The x of the gap between two text columns: near the page's middle, crossed by hardly any
    line, with words on both sides of it on several lines.

    Lines set in one column only say nothing either way; a single-column page has most of its
    lines run across the middle.
    """
    text_lines = [ln for ln in lines if len(ln.words) >= 4]
    if len(text_lines) < 10 or width <= 0:
        return None
    step = width / 200
    xs = [width / 2 + k * width / 200 for k in range(-12, 13)]
    crossing = [0] * len(xs)
    both = [0] * len(xs)
    for ln in text_lines:
        # a gutter is wider than the space between two words: nothing within 4 pt of it. Each
        # word blocks only the few candidate x it spans, so look those up instead of every x.
        blocked = [False] * len(xs)
        for w in ln.words:
            lo = max(0, math.floor((w.x0 - 4 - xs[0]) / step))
            hi = min(len(xs) - 1, math.ceil((w.x1 + 4 - xs[0]) / step))
            for k in range(lo, hi + 1):
                if w.x0 < xs[k] + 4 and w.x1 > xs[k] - 4:
                    blocked[k] = True
        first, last = ln.words[0].x0, ln.words[-1].x1
        for k, x in enumerate(xs):
            if blocked[k]:
                crossing[k] += 1
            elif first < x - 4 and last > x + 4:
                both[k] += 1
    best: tuple[int, float] | None = None
    for k, x in enumerate(xs):
        if crossing[k] <= 0.15 * len(text_lines) and both[k] >= 5 and (best is None or both[k] > best[0]):
            best = (both[k], x)
    return best[1] if best else None


def layout_page(
    text: str, boxes: Sequence[tuple[float, float, float, float]], width: float, height: float
) -> PageLayout:
    words = words_from_chars(text, boxes, height)
    lines = group_lines(words)
    return PageLayout(width, height, tuple(words), tuple(lines), find_gutter(lines, width))


def median_line_gap(lines: Sequence[Line]) -> float:
    gaps = [b.cy - a.cy for a, b in zip(lines, lines[1:]) if b.cy > a.cy]
    return statistics.median(gaps) if gaps else 12.0
