"""PDF bytes/path -> normalised per-page text.

pypdfium2 reads every page (100-300 pages/s per core, see ENVIRONMENT.md), and lays out, from its
character boxes, the few pages that look like they hold a parameter table. Every pdfium handle is closed explicitly: relying on the garbage collector keeps
native memory alive across thousands of extractions.

Errors are returned as values (:class:`PdfTextError`) so that one bad PDF never takes down a batch.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium

from paramtrack.extractors.layout import WHITESPACE, PageLayout, layout_page
from paramtrack.extractors.title import split_runs, title_from_runs

#: Pages read at most; a 2,000-page "paper" is a thesis dump or a hostile file, and the parameter
#: count of a paper's main model is stated in its first pages or its tables anyway.
MAX_PAGES = 300

#: Fewer non-space characters than this over all pages read means there is no usable text layer.
MIN_TEXT_CHARS = 200


@dataclass
class PdfText:
    """The text of one PDF: ``pages[i]`` is physical page ``i + 1`` (1-based in all output)."""

    pages: list[str]
    page_count: int
    truncated: bool = False
    raw_pages: list[str] = field(default_factory=list, repr=False)
    #: Word positions of the pages the caller asked to lay out (1-based page -> layout).
    layouts: dict[int, PageLayout] = field(default_factory=dict, repr=False)
    #: The title as page 1 sets it (``extractors.title``), or None when no text stands out.
    title: str | None = None

    def page_numbers(self) -> range:
        return range(1, len(self.pages) + 1)


class PdfTextError(Exception):
    """A PDF we cannot read, with a reason a user understands."""


_LIGATURES = {
    "\ufb00": "ff",
    "\ufb01": "fi",
    "\ufb02": "fl",
    "\ufb03": "ffi",
    "\ufb04": "ffl",
    "\ufb05": "st",
    "\ufb06": "st",
}
_CHAR_MAP = {
    "\u00d7": "×",  # keep ×, but unify look-alikes below onto it
    "\u2715": "×",
    "\u2716": "×",
    "\u22c5": "·",
    "\u2212": "-",  # unicode minus
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",  # en dash: ranges "125M–175B" read as "125M-175B"
    "\u2014": " - ",
    "\u00a0": " ",
    "\u2009": " ",  # thin space
    "\u202f": " ",  # narrow no-break space: "7 532" style thousands
    "\u2007": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u200b": "",
    "\u00ad": "",  # soft hyphen
    "\ufffe": "",
    "\u0002": "-",  # pdfium's marker for a hyphen it judged to be a line-break hyphen
    "\u2018": "'",
    "\u2019": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u223c": "~",  # tilde operator, as in "∼1.2B"
    "\u2248": "~",
    "\u02dc": "~",
}
_CHAR_MAP.update(_LIGATURES)
#: One character class for every mapped character: a regex scan finds the few present ten
#: times faster than ``str.translate`` looks up every character of a page in a dict.
_MAPPED_CHAR = re.compile("[" + "".join(re.escape(c) for c in _CHAR_MAP) + "]")
_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")

_HYPHEN_BREAK = re.compile(r"([a-z])-\n([a-z])")
# "10^9", "10 9" after ×: PDF superscripts usually come out as a separate small number.
_POW_SPACED = re.compile(r"(\d(?:\.\d+)?\s*[×x]\s*10)\s?(?:\^\s?)?(-?\d{1,2})\b")
_SUPERSCRIPT_RUN = re.compile(r"10([⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+)")


def normalise_text(text: str) -> str:
    """Make extracted text uniform so the rules see one spelling of each thing.

    - ``\\r\\n`` -> ``\\n`` (pypdfium2 ends lines with CRLF);
    - ligatures (``ﬁ``) and look-alike characters (unicode minus, dashes, thin spaces) -> ASCII;
    - ``10⁹`` -> ``10^9`` and ``1.2 × 10 9`` -> ``1.2 × 10^9`` (superscripts come out as a
      separate run of digits after ``10``);
    - line-end hyphenation ``param-\\neters`` -> ``parameters`` (lower-case on both sides only, so
      "GPT-\\n3" and "LLaMA-\\n65B" keep their hyphen).
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SUPERSCRIPT_RUN.sub(lambda m: "10^" + m.group(1).translate(_SUPERSCRIPTS), text)
    text = _MAPPED_CHAR.sub(lambda m: _CHAR_MAP[m.group()], text)
    text = unicodedata.normalize("NFKC", text) if _needs_nfkc(text) else text
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    text = _POW_SPACED.sub(lambda m: f"{m.group(1)}^{m.group(2)}", text)
    return text


def _needs_nfkc(text: str) -> bool:
    """NFKC is slow-ish on 100 KB; only run it when compatibility characters are present."""
    return any(ord(c) > 0x2000 and unicodedata.decomposition(c).startswith("<") for c in set(text))


def _open(source: Path | bytes) -> pdfium.PdfDocument:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if not data.lstrip()[:5].startswith(b"%PDF"):
            # pdfium tolerates junk before the header, but bytes with no header at all are not a PDF
            if b"%PDF-" not in data[:1024]:
                raise PdfTextError("not a PDF (no %PDF header)")
        input_: str | bytes = data
    else:
        path = Path(source)
        if not path.is_file():
            raise PdfTextError(f"file not found: {path}")
        with path.open("rb") as fh:
            head = fh.read(1024)
        if b"%PDF-" not in head:
            raise PdfTextError("not a PDF (no %PDF header)")
        input_ = str(path)
    try:
        return pdfium.PdfDocument(input_)
    except pdfium.PdfiumError as exc:
        # pdfium's error code is process-global and can be stale ("Success" after a failure, or the
        # previous file's "password" error), so the reason is confirmed from the bytes themselves.
        msg = str(exc)
        raw = input_ if isinstance(input_, bytes) else Path(input_).read_bytes()
        if "password" in msg.lower() and b"/Encrypt" in raw:
            raise PdfTextError("encrypted PDF (password required)") from exc
        if re.search(rb"/Count\s+0\b", raw) and not re.search(rb"/Count\s+[1-9]", raw):
            raise PdfTextError("PDF has zero pages") from exc
        if b"%%EOF" not in raw[-2048:]:
            raise PdfTextError(f"truncated PDF (no end-of-file marker; {msg})") from exc
        raise PdfTextError(f"corrupt PDF ({msg})") from exc


def _layout(textpage: pdfium.PdfTextPage, page: pdfium.PdfPage, text: str) -> PageLayout:
    """Word positions from pdfium's per-character boxes.

    The raw call is twice as fast as the helper, and whitespace gets no call at all: word grouping
    ignores its box, and a sixth of a table page's characters are spaces and line breaks.
    """
    import pypdfium2.raw as pdfium_c

    rect = pdfium_c.FS_RECTF()
    raw = textpage.raw
    char_box = pdfium_c.FPDFText_GetLooseCharBox
    blank = (0.0, 0.0, 0.0, 0.0)
    boxes: list[tuple[float, float, float, float]] = []
    add = boxes.append
    for i, ch in enumerate(text):
        if ch in WHITESPACE:
            add(blank)
            continue
        char_box(raw, i, rect)
        add((rect.left, rect.bottom, rect.right, rect.top))
    return layout_page(text, boxes, page.get_width(), page.get_height())


#: Characters of page 1 whose heights are read for the title: the title comes before the body.
TITLE_CHARS = 2500


def _first_page_title(textpage: pdfium.PdfTextPage, text: str) -> str | None:
    """The title of page 1 from character heights (rotated text, the arXiv stamp, is skipped)."""
    import pypdfium2.raw as pdfium_c

    rect = pdfium_c.FS_RECTF()
    raw = textpage.raw
    chars: list[tuple[str, float]] = []
    for i, ch in enumerate(text[:TITLE_CHARS]):
        if ch.isspace():
            chars.append((ch, 0.0))
        elif abs(pdfium_c.FPDFText_GetCharAngle(raw, i)) < 0.01:
            pdfium_c.FPDFText_GetLooseCharBox(raw, i, rect)
            chars.append((ch, rect.top - rect.bottom))
    title = title_from_runs(split_runs(chars))
    return normalise_text(title) if title else None


def read_pdf_text(
    source: Path | bytes, *, max_pages: int = MAX_PAGES, layout_if: Callable[[str], bool] | None = None
) -> PdfText:
    """Read up to ``max_pages`` pages of text with pypdfium2; raise :class:`PdfTextError`.

    ``layout_if`` is asked about each page's normalised text; pages it accepts also get word
    positions (``PdfText.layouts``), which cost a few milliseconds a page. Each page and text page
    is closed as soon as its text is copied out.
    """
    doc = _open(source)
    try:
        count = len(doc)
        if count <= 0:
            raise PdfTextError("PDF has zero pages")
        n = min(count, max_pages)
        raw: list[str] = []
        pages: list[str] = []
        layouts: dict[int, PageLayout] = {}
        title: str | None = None
        for i in range(n):
            try:
                page = doc[i]
            except pdfium.PdfiumError as exc:
                raise PdfTextError(f"corrupt or truncated PDF (page {i + 1}: {exc})") from exc
            try:
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                    raw.append(text)
                    pages.append(normalise_text(text))
                    if i == 0:
                        title = _first_page_title(textpage, text)
                    if layout_if is not None and layout_if(pages[-1]):
                        layouts[i + 1] = _layout(textpage, page, text)
                finally:
                    textpage.close()
            finally:
                page.close()
    finally:
        doc.close()
    if sum(len(p) - p.count(" ") - p.count("\n") for p in pages) < MIN_TEXT_CHARS:
        raise PdfTextError("no text layer (scanned?)")
    return PdfText(pages=pages, page_count=count, truncated=count > n, raw_pages=raw, layouts=layouts, title=title)
