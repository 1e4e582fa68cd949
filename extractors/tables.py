"""Parameter counts printed in tables ("# params" columns, "Number of parameters (in millions)").

Tables are read from the fast pypdfium2 text first: a line whose words name a parameter column
("Params", "#Params", "Parameters", "Model size"), then the rows under it. Sizes with a suffix
("330m", "7,532M") are unambiguous wherever they sit in the row. Bare numbers are read only when a
unit is declared ("Params (M)", "(in millions)") and they follow the parameter label on the same
line; when a declared unit meets bare numbers in rows *below* the header, the row text no longer
says which number is in the parameter column, and pdfplumber's table finder — 50x slower, so used
only on those pages — recovers the column.
"""

from __future__ import annotations

import re
from pathlib import Path

from paramtrack.extractors import patterns as P
from paramtrack.extractors.candidates import Document, Mention
from paramtrack.extractors.names import label_systems
from paramtrack.extractors.numbers import header_unit, parse_scaled

PARAM_HEADER = re.compile(
    r"(?:#\s*params?\b|#\s*parameters\b|\bparams?\b|\bparameters?\b|\bmodel size\b|\bnum(?:ber)?\.? of param|\bn_?params\b"
    r"|#\s*(?:of\s+)?weights\b|\bweights\b(?!\s+(?:decay|init|sharing|of\b)))",
    re.IGNORECASE,
)
_NOT_HEADER = re.compile(r"hyper-?param|parametri[sz]|parameteri", re.IGNORECASE)
_SUFFIXED = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)\s?([KMBT]|[mb])(?![\w%])")
_BARE = re.compile(r"(?<![\w.,-])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?![\w.%,]\d|[\w%])")
_CAPTION = re.compile(r"^\s*(?:Table|TABLE)\s*[0-9IVX]+", re.IGNORECASE)
_PROSE_END = re.compile(r"[a-z]{3,}[.;:]\s*$")
MAX_ROWS = 30
MAX_PLUMBER_PAGES = 1  # pdfplumber costs ~0.3 s a page: only the first flagged pages


def _may_name_params(text: str) -> bool:
    """Cheap pre-check for :data:`PARAM_HEADER`: every spelling it accepts contains one of these.

    Substring tests cost a fraction of the case-folded regex, which was a third of the table step.
    """
    low = text.lower()
    return "param" in low or "model size" in low or "weights" in low


def _header_like(line: str) -> bool:
    """A table header or caption, not a prose sentence that mentions parameters."""
    if not _may_name_params(line) or not PARAM_HEADER.search(line) or _NOT_HEADER.search(line):
        return False
    if _CAPTION.match(line):
        return True
    words = line.split()
    prose = sum(1 for w in words if re.fullmatch(r"[a-z]{2,}[,;.]?", w))
    return len(words) <= 14 and prose / max(1, len(words)) <= 0.5 and not _PROSE_END.search(line)


def _row_like(line: str) -> bool:
    words = line.split()
    if not words or _CAPTION.match(line) or line.lower().startswith(("figure", "fig.")):
        return False
    numeric = sum(1 for w in words if re.search(r"\d", w))
    prose = sum(1 for w in words if re.fullmatch(r"[a-z]{2,}[,;.]?", w))
    return numeric >= 1 and len(words) <= 30 and numeric / len(words) >= 0.25 and prose / len(words) < 0.4


def find_table_mentions(pages: list[str], doc: Document, title_terms: set[str]) -> tuple[list[Mention], list[int]]:
    """Mentions read from parameter tables, and the pages that need pdfplumber's column finder."""
    out: list[Mention] = []
    plumber_pages: list[int] = []
    for pno, page in enumerate(pages, start=1):
        if not _may_name_params(page) or not PARAM_HEADER.search(page):
            continue
        lines = page.split("\n")
        used: set[int] = set()
        for i, line in enumerate(lines):
            if i in used or not _header_like(line):
                continue
            lo, hi = max(0, i - 6), min(len(lines), i + 4)
            context = " ".join(lines[lo:hi])
            caption = next((lines[j] for j in range(lo, min(len(lines), i + MAX_ROWS)) if _CAPTION.match(lines[j])), "")
            unit = header_unit(line) or header_unit(caption)
            header_rest = PARAM_HEADER.split(line, maxsplit=1)
            rows = [(i, header_rest[-1] if len(header_rest) > 1 else "")]
            for j in range(i + 1, min(len(lines), i + 1 + MAX_ROWS)):
                if _CAPTION.match(lines[j]) and j > i + 1 or (len(lines[j]) > 90 and _PROSE_END.search(lines[j])):
                    break
                rows.append((j, lines[j]))
            found_any = False
            bare_below = False
            pos = _param_column(line)
            near_caption = _near_table_caption(lines, i)
            for j, row in rows:
                if not _row_like(row):
                    continue
                values = _row_values(row, j == i, pos, unit, near_caption)
                if not values and unit and j == i:
                    for m in _BARE.finditer(row):
                        v = parse_scaled(m.group(0), unit=unit)
                        if v:
                            values.append((v, m.group(0)))
                elif not values and unit and _BARE.search(row) and not (j != i and _header_like(row)):
                    bare_below = (
                        True  # (a header-like row below, "Number of parameters 133 144", is read as its own header)
                    )
                if not values:
                    continue
                found_any = True
                used.add(j)
                label = re.split(r"\s\d", row.strip(), maxsplit=1)[0].strip()[:60] or None
                if label and _SUFFIXED.fullmatch(label):
                    label = None  # the row starts with its size ("1542M 48 1600"): no name
                text = re.sub(
                    r"\s+",
                    " ",
                    f"{caption.strip()} | {line.strip()} | {row.strip()}"
                    if j != i
                    else f"{caption.strip()} | {line.strip()}",
                )
                feats = _row_features(doc, pno, row, caption + " " + context, title_terms)
                kind = (
                    "non_embedding"
                    if P.NON_EMBEDDING.search(caption + " " + line)
                    else ("moe_active" if re.search(r"activ", line, re.I) else "dense_total")
                )
                for v, _tok in values:
                    out.append(Mention(v, kind, label, text[:400], pno, "table", dict(feats)))
            if unit and bare_below and not found_any and near_caption:
                plumber_pages.append(pno)
    return out, sorted(set(plumber_pages))


_UNIT_TAIL = re.compile(r"\s*(?:\((?:in\s+)?[A-Za-z]{1,9}\)|\[[A-Za-z]{1,9}\])?\s*[.:]?\s*$")


def _param_column(header: str) -> str:
    """Where the parameter column sits in a one-line header: "first", "last" or "middle".

    "Model Layers Width Params (M)" -> last; "params dimension n heads ..." -> first. Only the two
    ends can be matched to a row's tokens without knowing the column layout.
    """
    labels = list(PARAM_HEADER.finditer(header))
    if len(labels) != 1:
        return "middle"  # "Params PPLX Params PPLX": two parameter columns
    m = labels[0]
    if _UNIT_TAIL.fullmatch(header[m.end() :]):
        return "last"
    if not header[: m.start()].strip(" #("):
        return "first"
    return "middle"


def _size_token(tok: str, *, lowercase: bool, unit: int | None) -> int | None:
    """A row token read as a parameter count: "632M", "1,542M", "330m" (lowercase only when allowed), "770" with a unit."""
    m = _SUFFIXED.fullmatch(tok)
    if m:
        if m.group(2) in "mb" and not lowercase:
            return None
        v = parse_scaled(tok, allow_lowercase_suffix=lowercase)
        return v if v and v >= 10_000 else None
    if unit and _BARE.fullmatch(tok):
        return parse_scaled(tok, unit=unit)
    return None


def _row_values(
    row: str, is_header: bool, pos: str, unit: int | None, near_caption: bool = False
) -> list[tuple[int, str]]:
    """Sizes in one table row, read from the parameter column when the header says where it is.

    With the parameter column first or last, the row's first/last token is that column: so
    "117M 12 768" gives 117M and "6.7B 4096 ... 4M 1.0T" does not also give batch size and token
    counts. Lower-case suffixes ("330m") and bare numbers under a unit header ("Params (M)" over
    "770") are read only there, where the column is known. A row made only of sizes
    ("172M 425M 1.5B 7.5B" under "Params (M)") is a transposed table: all of them.
    Elsewhere every upper-case-suffixed size counts (they are unambiguous). Bare numbers need a
    "Table N" caption nearby too: a plot's "Model Size (B)" axis over tick labels is no table.
    """
    anywhere = [
        (v, m.group(0))
        for m in _SUFFIXED.finditer(row)
        if m.group(2) not in "mb"
        and (v := parse_scaled(m.group(0)))
        and v >= 10_000
        and not P.NOT_PARAMS_AFTER.match(row[m.end() :])
    ]
    toks = row.split()
    if is_header or not toks:
        return anywhere  # the header's own line: what follows the label ("Number of parameters 133 ...")
    lead = []
    for t in toks:
        v = _size_token(t, lowercase=False, unit=None)
        if not v:
            break
        lead.append((v, t))
    if len(lead) >= 2:
        return lead  # "172M 425M 1.5B 7.5B ...": a row of sizes under a sideways header
    if pos == "last":
        v = _size_token(toks[-1], lowercase=True, unit=unit if near_caption else None)
        if v:
            return [(v, toks[-1])]
    elif pos == "first":
        tok = next((t for t in toks if _SUFFIXED.fullmatch(t)), "")
        v = _size_token(tok, lowercase=False, unit=None)
        return [(v, tok)] if v else []
    return anywhere  # header spread over several lines: the column cannot be located


def _near_table_caption(lines: list[str], i: int) -> bool:
    """A "Table N" caption within a table's reach of line ``i``: a real table, not a figure's axis label.

    Plot axes ("Non-Embedding Params (M)", "Model Size (B)" over tick labels) look like a unit
    header over bare numbers, but pdfplumber's table finder (the slow path) finds nothing in a plot.
    """
    return any(_CAPTION.match(lines[j]) for j in range(max(0, i - 15), min(len(lines), i + MAX_ROWS)))


def _row_features(
    doc: Document, page: int, row: str, caption: str, title_terms: set[str]
) -> dict[str, bool | int | float | str]:
    low = (row + " " + caption).lower()
    off = doc.page_starts[page - 1] if page - 1 < len(doc.page_starts) else 0
    label = re.split(r"\s\d", row.strip(), maxsplit=1)[0]
    own_name, other = label_systems(label, title_terms)
    return {
        "page": page,
        "own": bool(re.search(r"\b(?:ours|our)\b", low)),
        "title": any(re.search(rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])", row.lower()) for t in title_terms),
        # a row is named for the paper's system or another one, as in a laid-out table
        "named_main": own_name and not other,
        "other_name": other and not own_name,
        "cite": bool(P.CITATION.search(row)),
        "comparison": False,
        "hypothetical": False,
        "hardware": False,
        "refs": doc.in_references(off + 1),
        "appendix": doc.in_appendix(off + 1),
        "offset_frac": off / max(1, len(doc.text)),
    }


def plumber_table_mentions(
    source: Path | bytes, page_numbers: list[int], doc: Document, title_terms: set[str]
) -> list[Mention]:
    """Read parameter columns with pdfplumber's table finder, only on ``page_numbers``.

    Each page is closed right after use: pdfplumber keeps per-page layout objects alive otherwise.
    """
    if not page_numbers:
        return []
    import io

    import pdfplumber

    out: list[Mention] = []
    fh = io.BytesIO(source) if isinstance(source, (bytes, bytearray)) else str(source)
    with pdfplumber.open(fh) as pdf:
        for pno in page_numbers[:MAX_PLUMBER_PAGES]:
            page = pdf.pages[pno - 1]
            try:
                # lazily: the ruled-table strategy only when the text-column strategy found no parameter column
                for settings in ({"vertical_strategy": "text", "horizontal_strategy": "lines"}, None):
                    found = [
                        m
                        for table in (page.extract_tables(settings) or [])
                        for m in _mentions_from_grid(table, pno, doc, title_terms)
                    ]
                    out.extend(found)
                    if found:
                        break
            finally:
                page.close()
    return out


def _mentions_from_grid(table: list[list[str | None]], pno: int, doc: Document, title_terms: set[str]) -> list[Mention]:
    out: list[Mention] = []
    for hi, header in enumerate(table[:3]):
        cells = [(c or "").replace("\n", " ") for c in header]
        cols = [k for k, c in enumerate(cells) if PARAM_HEADER.search(c) and not _NOT_HEADER.search(c)]
        if not cols:
            continue
        for col in cols:
            unit = header_unit(cells[col]) or 1
            for row in table[hi + 1 :]:
                cell = row[col] if col < len(row) else None
                if not cell:
                    continue
                v = parse_scaled(cell.strip(), allow_lowercase_suffix=True, unit=unit)
                if not v or v < 10_000:
                    continue
                row_text = " ".join((c or "") for c in row)
                label = (row[0] or "").strip()[:60] or None
                feats = _row_features(doc, pno, row_text, " ".join(cells), title_terms)
                out.append(Mention(v, "dense_total", label, f"{cells[col]} | {row_text}"[:400], pno, "table", feats))
        break
    return out
