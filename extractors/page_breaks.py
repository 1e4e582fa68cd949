"""Read a sentence that a page break cuts in two as one sentence, on the page where it starts.

A PDF's text comes page by page, and a sentence that runs over a page break arrives in two
pieces with a page number between them, and often a table or figure that the layout floated to
the top of the next page: "... making a total of 626M trainable | 18 | Table 7: ... | parameters.
The best ...". Read that way, the size loses the word that says it is a parameter count. This
module moves the continuation (up to the end of its sentence) back to the end of the page where
the sentence starts, and leaves everything else where it was. It is pure text work and knows
nothing about parameters: it applies to any sentence.
"""

from __future__ import annotations

import re

#: A line that is only a page number or a running header's number ("18", "- 18 -", "Page 18").
_PAGE_NUMBER = re.compile(
    r"^[ \t]*(?:(?:[-–—]\s*)?(?:page\s+)?\d{1,4}(?:\s*[-–—])?|arXiv:\d{4}\.\d{4,5}\S*\s+\[[^\]]+\].*)[ \t]*$",
    re.IGNORECASE,
)
#: The start of a float that layouts put at the top of a page, before the running text resumes.
_FLOAT_CAPTION = re.compile(r"^[ \t]*(?:Table|TABLE|Figure|FIGURE|Fig\.|Algorithm)\s*[A-Z]?\d+")
#: The end of a sentence: terminal punctuation, optionally closed by a quote or a bracket.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s|$)")
#: How far into the next page (in lines) the continuation may sit below a floated table or figure.
MAX_FLOAT_LINES = 60
#: How many lines a continuation may run before its sentence ends; longer, it is not one sentence.
MAX_SENTENCE_LINES = 6


def _body_end(page: str) -> str:
    """The page without the page-number and blank lines that close it."""
    lines = page.rstrip().split("\n")
    while lines and (not lines[-1].strip() or _PAGE_NUMBER.match(lines[-1])):
        lines.pop()
    return "\n".join(lines)


def _ends_mid_sentence(body: str) -> bool:
    """A prose line (a few words, not a table row) that ends in a word, a number or a comma."""
    last = body.rstrip().rsplit("\n", 1)[-1]
    tail = last[-1:]
    words = re.findall(r"[A-Za-z]{2,}", last)
    return bool(tail) and (tail.isalnum() or tail in ",;(-–") and len(words) >= 3


def _continuation_line(lines: list[str]) -> int | None:
    """The index of the line where the broken sentence resumes, or None when it cannot be told.

    The sentence resumes on the first line that starts with a lower-case word, provided that
    everything before it is either nothing, page furniture (numbers), or one float that begins
    with its caption ("Table 7: ..."): then the lines between are the float's, not prose.
    """
    i = 0
    while i < len(lines) and (not lines[i].strip() or _PAGE_NUMBER.match(lines[i])):
        i += 1
    if i < len(lines) and lines[i].lstrip()[:1].islower():
        return i
    if i >= len(lines) or not _FLOAT_CAPTION.match(lines[i]):
        return None
    for j in range(i + 1, min(len(lines), i + MAX_FLOAT_LINES)):
        first = lines[j].lstrip()[:1]
        if first.islower() and _SENTENCE_END.search(lines[j]):
            return j
    return None


def join_page_breaks(pages: list[str]) -> list[str]:
    """Pages with every sentence cut by a page break moved whole onto the page where it starts.

    Only the continuation up to its sentence's end moves; when the continuation cannot be told
    apart from a table or a caption, nothing moves (a missed join costs one sentence, a wrong
    one would glue a table row to prose).
    """
    out = list(pages)
    for k in range(len(out) - 1):
        body = _body_end(out[k])
        if not _ends_mid_sentence(body):
            continue
        lines = out[k + 1].split("\n")
        at = _continuation_line(lines)
        if at is None:
            continue
        last = at
        while last < min(len(lines), at + MAX_SENTENCE_LINES) - 1 and not _SENTENCE_END.search(lines[last]):
            last += 1
        end = _SENTENCE_END.search(lines[last])
        if end is None:
            continue
        fragment = " ".join(line.strip() for line in lines[at:last]) + " " + lines[last][: end.end()].strip()
        rest = lines[last][end.end() :].lstrip()
        out[k] = f"{body} {fragment.strip()}"
        lines[at : last + 1] = [rest] if rest else []
        out[k + 1] = "\n".join(lines)
    return out
