"""A paper's title read off its first page, for PDFs that arrive without arXiv's metadata.

``paramtrack extract paper.pdf`` has no title to go on, yet the title is where a paper names its
system ("PaLM: ...", "Mistral 7B") and the rules that tell the paper's own model from the ones it
compares against start from it. A reader finds the title as the first large text on page 1, so
this does the same: page 1's text runs are grouped by character height, the body's height is
the most common one, and the title is the first run clearly taller than the body that is not a
running header ("Published as a conference paper at ICLR") or a section heading ("Abstract"),
with the runs of the same height right after it (a title set over two or three lines).

Heights come from pdfium's loose character boxes, not from the font size: many PDFs set every
font at size 1 and scale it with the text matrix.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

#: Taller than the body by this factor: title type, not a bold body line.
TITLE_SCALE = 1.25
#: Runs whose heights differ by less than this share one title (small capitals, line breaks).
SAME_HEIGHT = 0.12
#: One line of pdfium's text holding two heights this far apart is two runs (a running header
#: beside the title); smaller steps are small capitals ("V" and "ERY") and stay one run.
SPLIT_SCALE = 1.5
MAX_TITLE_RUNS = 4

_NOT_TITLE = re.compile(
    r"published as|conference paper|proceedings|arxiv|preprint|under review|workshop|journal of|"
    r"correspond|equal contribution|^\W*(?:abstract|introduction|contents)\W*$|^[\d\W]+$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class TextRun:
    """Characters of one line of page 1 set at one height."""

    text: str
    height: float


def title_from_runs(runs: Sequence[TextRun]) -> str | None:
    """The title among page 1's text runs (in reading order), or None when no run stands out."""
    runs = [r for r in runs if sum(c.isalpha() for c in r.text) >= 3]
    if not runs:
        return None
    body = Counter(round(r.height, 1) for r in runs for c in r.text if c.isalpha()).most_common(1)[0][0]
    for i, run in enumerate(runs):
        if run.height < TITLE_SCALE * body or _NOT_TITLE.search(run.text):
            continue
        parts = [run.text]
        for nxt in runs[i + 1 : i + MAX_TITLE_RUNS]:
            if abs(nxt.height - run.height) > SAME_HEIGHT * run.height or _NOT_TITLE.search(nxt.text):
                break
            parts.append(nxt.text)
        title = " ".join(" ".join(parts).split())
        return title if len(title) >= 4 else None
    return None


def split_runs(chars: Sequence[tuple[str, float]]) -> list[TextRun]:
    """Group ``(character, height)`` pairs of one page, in text order, into runs.

    A line break ends a run, and so does a jump in height by ``SPLIT_SCALE`` between letters (a
    running header and the title can share one line of pdfium's text). Spaces and
    characters without a box have height 0 and join the run they sit in.
    """
    runs: list[TextRun] = []
    text: list[str] = []
    height = 0.0

    def close() -> None:
        nonlocal text, height
        if "".join(text).strip():
            runs.append(TextRun("".join(text).strip(), height))
        text, height = [], 0.0

    for ch, h in chars:
        if ch in "\r\n":
            close()
            continue
        if h > 0 and ch.isalpha():
            if height and max(h, height) > SPLIT_SCALE * min(h, height):
                close()
            height = max(height, h)
        text.append(ch)
    close()
    return runs
