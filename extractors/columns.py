"""Parameter counts read from tables by column: a value belongs to the header cell it sits under.

Two table shapes carry parameter counts:

- a **parameter column** ("#param.", "Params (M)", "Million / Parameters" over two lines): every
  row below gives one model's count, and the row's first cells name the model;
- a **parameter row** ("# Parameters  8B  6.7B  7.3B ..."): the values run to the right and the
  column headers above them name the models.

The header cell decides how bare numbers read: "Params (M)", "Million Parameters", "×10^6" or a
caption "(in millions)" make "4.2" 4.2 million; without a declared unit only sizes with a suffix
("86.1M", "1550M", "330m") count. A value is taken only when the header cell it sits under is the
parameter cell and not a neighbouring one (FLOPs, training steps, tokens), which is what the text
stream alone cannot tell. Works on :class:`extractors.layout.PageLayout` pages; pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from paramtrack.extractors.candidates import Document, Mention
from paramtrack.extractors.layout import Line, PageLayout, Word, median_line_gap
from paramtrack.extractors.names import label_systems
from paramtrack.extractors.numbers import header_unit, parse_scaled

#: One word that heads a parameter column or row ("#param.", "Params", "Parameters", "#Params(M)",
#: "Weights", "#weights": a network's weights are its parameters).
PARAM_WORD = re.compile(
    r"^[#(\[]?\s*(?:params?|parameters?|param\.|n_?params|weights|#weights)\.?(?:\(\w+\))?[):\]]?[,:]?$",
    re.IGNORECASE,
)
#: "Size" heads a parameter column only with a count's unit beside it ("Size (B)", "Size (M)"):
#: alone it is as often an image, batch or dataset size.
SIZE_WORD = re.compile(r"^(?:model\s*)?size$", re.IGNORECASE)
_COUNT_UNIT = re.compile(r"^\(?(?:[KMB]|millions?|billions?|thousands?|#\s*params?)\)?$", re.IGNORECASE)
#: Words that may stand in a parameter header cell beside the parameter word.
_HEADER_PARTS = re.compile(
    r"^(?:#|no\.?|num\.?|number|of|total|non-?emb\.?|non-?embedding|embedding|emb\.?|activ\w*|active|trainable|"
    r"learnable|model|\(?in|\(?millions?\)?|\(?billions?\)?|\(?thousands?\)?|\(\w\)|\[\w\]|[×x]\s*10\^?\d+|\(?[×x]10\^?\d+\)?|"
    r"10\^?\d+\)?|\(?m\)?|\(?b\)?|\(?k\)?|count|size)[,:.]?$",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"^\s*(?:Table|TABLE|Tab\.)\s*[0-9IVX]+[.:]?", re.IGNORECASE)
_FIGURE = re.compile(r"^\s*(?:Figure|Fig\.)\s*\d+", re.IGNORECASE)
_NUMERIC = re.compile(r"^[~≈<>±(]?[-+]?\d[\d,.]*(?:[%×x]|[KMBTkmbtG]|e[+-]?\d+)?[)*†‡²]?$")
_SCALE_WORD = re.compile(r"^(?:[Mm]illions?|[Bb]illions?|[Tt]housands?|[Tt]rillions?|[KMBT])$")
_CITE_IN_LABEL = re.compile(
    r"\[\s*\d{1,3}(?:\s*[,-]\s*\d{1,3})*\s*\]|\(\s*[A-Z][A-Za-z'-]+(?:\s+et\s+al\.?)?,?\s*\d{4}[a-z]?\s*\)|et al\."
)
_OURS = re.compile(r"\bours?\b|\(ours\)|\bthis (?:work|paper)\b", re.IGNORECASE)
#: Row labels of a per-layer table ("conv1", "inception (4a)", "pool", "fc", "softmax"): its
#: parameter column counts layers, not models.
_LAYER_LABEL = re.compile(
    r"^(?:conv\w*|convolution\w*|pool\w*|max ?pool\w*|avg ?pool\w*|fc\w*|linear|dropout|softmax|layer\s*\d+|"
    r"inception|block\s*\d+|stage\s*\d+|res\d|embedding|lstm\s*\d*|attention|mlp|head)\b"
)
_BULLET = re.compile(r"^[•◦·▪‣∗*†‡-]+\s*")
MAX_ROWS = 90  # a comparison table of two training regimes runs past 45 rows (the end is found by its breaks)
MISSES_TO_STOP = 3


@dataclass(frozen=True)
class HeaderCell:
    x0: float
    x1: float
    text: str

    @property
    def cx(self) -> float:
        return (self.x0 + self.x1) / 2

    def distance(self, w: Word) -> float:
        if w.x1 > self.x0 and w.x0 < self.x1:
            return 0.0
        return min(abs(w.x0 - self.x1), abs(self.x0 - w.x1))


_SIZE_LIKE = re.compile(
    r"\d(?:\.\d+)?\s?[KMBTmb]\b|\b(?:millions?|billions?)\b|\(M\)|\(B\)|\d{1,3}(?:,\d{3}){2,}", re.IGNORECASE
)


def heads_parameters(words: list[str], i: int) -> bool:
    """``words[i]`` heads a parameter column or row: a parameter word, or "Size" with a count unit."""
    if PARAM_WORD.match(words[i]):
        return True
    return bool(SIZE_WORD.match(words[i]) and i + 1 < len(words) and _COUNT_UNIT.match(words[i + 1]))


def may_hold_a_parameter_table(page_text: str) -> bool:
    """Cheap test on a page's text: a short line a parameter header could be, and sizes to read.

    Decides which pages get laid out (per-character boxes, a few milliseconds a page); prose that
    merely mentions parameters does not qualify, nor a header with no size or unit anywhere.
    """
    if "aram" not in page_text and "eights" not in page_text and "EIGHTS" not in page_text and "ize" not in page_text:
        return False
    for line in page_text.split("\n"):
        if len(line) > 120 or not ("aram" in line or "EIGHT" in line or "eight" in line or "ize" in line):
            continue
        words = line.split()
        if len(words) <= 16 and any(heads_parameters(words, i) for i in range(len(words))):
            prose = sum(1 for w in words if re.fullmatch(r"[a-z]{3,}[,;.]?", w))
            if prose <= max(2, len(words) // 3):
                return bool(_SIZE_LIKE.search(page_text))
    return False


def _is_value_word(w: Word) -> bool:
    return bool(_NUMERIC.match(w.text))


def _prose(words: list[Word]) -> bool:
    """A run of ordinary lower-case words: running text, not a table line."""
    lower = sum(1 for w in words if re.fullmatch(r"[a-z][a-z'-]{2,}[,;.]?", w.text))
    return len(words) >= 6 and lower >= 0.6 * len(words)


def _side(layout: PageLayout, x: float, band: Iterable[Line]) -> tuple[float, float]:
    """Horizontal extent of the table around x: its page column, unless the table spans both.

    On a two-column page a table set in one column has no word across the gutter; a full-width
    table does (its header and rows run over it).
    """
    if layout.gutter is None:
        return 0.0, layout.width
    g = layout.gutter
    if any(w.x0 < g - 2 < g + 2 < w.x1 for line in band for w in line.words):
        return 0.0, layout.width
    return (0.0, g) if x < g else (g, layout.width)


def _parse(tok: str, unit: int | None) -> int | None:
    tok = tok.strip("()[]*†‡²,;:").lstrip("~≈")
    if not tok or not tok[0].isdigit():
        return None
    if re.fullmatch(r"[\d,.]+[KMBT]", tok) or re.fullmatch(r"[\d,.]+[mbk]", tok):
        v = parse_scaled(tok, allow_lowercase_suffix=True)
        return v if v and v >= 10_000 else None
    if unit and re.fullmatch(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?", tok):
        v = parse_scaled(tok, unit=unit)
        return v if v and v >= 1_000 else None
    if not unit and re.fullmatch(r"\d{1,3}(?:,\d{3}){2,}|\d{6,13}", tok):
        return int(tok.replace(",", ""))  # a count written out in full ("22,855,952") needs no unit
    return None


def _cell_unit(text: str) -> int | None:
    t = text.lower()
    unit = header_unit(t)
    if unit:
        return unit
    if re.search(r"\bmillions?\b|\(m\)|\[m\]|\bmn\b", t):
        return 10**6
    if re.search(r"\bbillions?\b|\(b\)|\[b\]", t):
        return 10**9
    if re.search(r"\bthousands?\b|\(k\)|\[k\]", t):
        return 10**3
    m = re.search(r"10\^?(\d{1,2})", t)
    if m and int(m.group(1)) in (3, 6, 9, 12):
        return 10 ** int(m.group(1))
    return None


def _kind(text: str) -> str:
    t = text.lower()
    if re.search(r"non-?\s?emb", t):
        return "non_embedding"
    if re.search(r"activ", t):
        return "moe_active"
    if "emb" in t:
        return "embedding"
    return "dense_total"


def _header_cell(line: Line, i: int, lines: list[Line], li: int) -> HeaderCell:
    """The parameter word plus its neighbours on the line ("# Non-Emb. Params (M)") and the words
    stacked over/under it ("Million" over "Parameters")."""
    words = line.words
    h = max(words[i].height, 6.0)
    lo = hi = i
    while lo > 0 and words[lo].x0 - words[lo - 1].x1 < 0.8 * h and _HEADER_PARTS.match(words[lo - 1].text):
        lo -= 1
    while hi + 1 < len(words) and words[hi + 1].x0 - words[hi].x1 < 0.8 * h and _HEADER_PARTS.match(words[hi + 1].text):
        hi += 1
    x0, x1 = words[lo].x0, words[hi].x1
    parts = [w.text for w in words[lo : hi + 1]]
    for lj in (li - 1, li + 1):
        if 0 <= lj < len(lines) and abs(lines[lj].cy - line.cy) < 1.9 * h:
            stacked = [w for w in lines[lj].within(x0 - 0.3 * h, x1 + 0.3 * h) if not _is_value_word(w)]
            if stacked and all(_HEADER_PARTS.match(w.text) for w in stacked):
                parts = [w.text for w in stacked] + parts if lj < li else parts + [w.text for w in stacked]
                x0, x1 = min(x0, *(w.x0 for w in stacked)), max(x1, *(w.x1 for w in stacked))
    return HeaderCell(x0, x1, " ".join(parts))


def _band_cells(lines: list[Line], li: int, x0: float, x1: float, h: float) -> list[HeaderCell]:
    """Header cells of the lines around the header line (a header may take two or three lines)."""
    cells: list[HeaderCell] = []
    for lj in range(max(0, li - 2), min(len(lines), li + 3)):
        if abs(lines[lj].cy - lines[li].cy) > 2.6 * h:
            continue
        ws = [w for w in lines[lj].within(x0, x1)]
        numeric = sum(1 for w in ws if _is_value_word(w))
        if lj != li and (sum(1 for w in ws if _parse(w.text, None)) >= 1 or numeric >= 0.4 * len(ws) or _prose(ws)):
            continue  # a row of the table (or running text), not a line of its header
        cur: list[Word] = []
        for w in ws:
            if cur and w.x0 - cur[-1].x1 > 0.8 * h:
                cells.append(HeaderCell(cur[0].x0, cur[-1].x1, " ".join(c.text for c in cur)))
                cur = []
            cur.append(w)
        if cur:
            cells.append(HeaderCell(cur[0].x0, cur[-1].x1, " ".join(c.text for c in cur)))
    return cells


def _caption(lines: list[Line], li: int, x0: float, x1: float) -> str:
    """The nearest "Table N" caption above (within 25 lines) or below (within 60) the header."""
    best: tuple[int, int] | None = None
    for lj in range(max(0, li - 25), min(len(lines), li + 60)):
        ws = lines[lj].within(x0, x1)
        if ws and _CAPTION.match(" ".join(w.text for w in ws)):
            d = abs(lj - li)
            if best is None or d < best[0]:
                best = (d, lj)
    if best is None:
        return ""
    lj = best[1]
    parts = [" ".join(w.text for w in lines[lj].within(x0, x1))]
    for lk in range(lj + 1, min(len(lines), lj + 3)):
        ws = lines[lk].within(x0, x1)
        if not ws or sum(_is_value_word(w) for w in ws) > len(ws) / 3:
            break
        parts.append(" ".join(w.text for w in ws))
    return " ".join(parts)


def _table_id(caption: str, page: int, li: int) -> str:
    """ "T3" for a table captioned "Table 3" (its parts (a), (b) are one table), else page:line."""
    m = re.match(r"\s*(?:Table|TABLE|Tab\.)\s*(\d+)", caption)
    return f"T{int(m.group(1)):03d}" if m else f"P{page:03d}:{li:03d}"


def _clean_label(words: list[Word]) -> str | None:
    text = " ".join(w.text for w in words)
    text = _BULLET.sub("", text).strip()
    text = re.sub(r"\s*\[\s*\d{1,3}(?:\s*[,-]\s*\d{1,3})*\s*\]", "", text)
    text = re.sub(r"\s+", " ", text).strip(" |:;,")
    if not text or not re.search(r"[A-Za-z]{2}", text):
        return None
    if sum(1 for w in text.split() if re.fullmatch(r"[a-z]{3,}[,.;]?", w)) >= 3:
        return None  # running text caught beside a table, not a row's name
    return text[:60]


_UNIT_WORD = re.compile(r"^(?:ms|s|sec|GB|MB|G|M|B|%|x|×|fps|FLOPs?|GFLOPs?)$")
_GENERIC_HEADER = re.compile(r"^(?:models?|methods?|benchmarks?|networks?|architectures?|systems?)$", re.IGNORECASE)


def _row_label(words: list[Word], x_min: float) -> list[Word]:
    """The row's leading cells: words up to the first number that follows a word ("1.0 MobileNet-224 70.6%")."""
    out: list[Word] = []
    seen_alpha = False
    first = next((i for i, w in enumerate(words) if w.x0 >= x_min), len(words))
    # a label wider than its header cell starts left of the cut: "Conv MobileNet" centred under
    # "Model" keeps "Conv", the words of one cell being a space apart
    while 0 < first < len(words) and words[first].x0 - words[first - 1].x1 < 0.6 * max(words[first].height, 6.0):
        first -= 1
    for w in words[first:]:
        if _is_value_word(w) and seen_alpha:
            break
        out.append(w)
        seen_alpha = seen_alpha or bool(re.search(r"[A-Za-z]", w.text))
    while out and _is_value_word(out[-1]):
        out.pop()
    return out


def _features(
    doc: Document,
    page: int,
    label: str,
    row: str,
    unit: int | None,
    title_terms: set[str],
    kind_text: str,
    table: str,
    line_no: int,
) -> dict[str, bool | int | float | str]:
    off = doc.page_starts[page - 1] if 0 < page <= len(doc.page_starts) else 0
    own_name, other = label_systems(label, title_terms)
    return {
        "page": page,
        "own": bool(_OURS.search(label)),
        "title": own_name,
        "named_main": own_name and not other,
        "other_name": other and not own_name,
        "composite": own_name and other,
        "layer_row": bool(_LAYER_LABEL.match(label)),
        "table_id": table,
        "table_pos": page * 10_000 + line_no,
        "cite": bool(_CITE_IN_LABEL.search(label) or _CITE_IN_LABEL.search(row)),
        "refs": doc.in_references(off + 1),
        "appendix": doc.in_appendix(off + 1),
        "unit_header": unit is not None,
        "param_word": True,
        "total": "total" in kind_text.lower(),
        "trainable": bool(re.search(r"trainable|learnable|tunable", kind_text, re.IGNORECASE)),
        "offset_frac": off / max(1, len(doc.text)),
        "layout": True,
    }


def _evidence(caption: str, header: str, row: str) -> str:
    text = " | ".join(p for p in (caption.strip(), header.strip(), row.strip()) if p)
    return re.sub(r"\s+", " ", text)[:400]


def _value_at(words: list[Word], k: int, unit: int | None) -> int | None:
    """The value of words[k], joined with a scale word right after it ("4.2 Million")."""
    w = words[k]
    v = _parse(w.text, unit)
    if (
        v is None
        and k + 1 < len(words)
        and _SCALE_WORD.match(words[k + 1].text)
        and words[k + 1].x0 - w.x1 < 1.2 * max(w.height, 6.0)
    ):
        v = parse_scaled(f"{w.text.strip('()*')} {words[k + 1].text}")
    return v


def read_layout_tables(layouts: dict[int, PageLayout], doc: Document, title_terms: set[str]) -> list[Mention]:
    """Mentions from every parameter column and parameter row on the laid-out pages."""
    out: list[Mention] = []
    for page, layout in sorted(layouts.items()):
        out.extend(_page_mentions(page, layout, doc, title_terms))
    return out


def _page_mentions(page: int, layout: PageLayout, doc: Document, title_terms: set[str]) -> list[Mention]:
    lines = list(layout.lines)
    out: list[Mention] = []
    seen: set[tuple[float, float]] = set()
    for li, line in enumerate(lines):
        texts = [w.text for w in line.words]
        for i, w in enumerate(line.words):
            if not heads_parameters(texts, i) or (w.x0, line.cy) in seen:
                continue
            seen.add((w.x0, line.cy))
            h = max(w.height, 6.0)
            x0, x1 = _side(layout, w.cx, lines[max(0, li - 2) : li + 8])
            mine = [v for v in line.words if v.x1 > x0 and v.x0 < x1]
            if _prose(mine) and not any(_parse(v.text, None) for v in mine):
                continue  # "... the number of parameters in each layer ..." in running text
            cell = _header_cell(line, i, lines, li)
            caption = _caption(lines, li, x0, x1)
            unit = _cell_unit(cell.text) or _cell_unit(caption)
            right = [v for v in mine if v.x0 >= cell.x1 - 0.1]
            row_values = [(k, v) for k, v in enumerate(line.words) if v in right and _value_at(line.words, k, unit)]
            if row_values and len(row_values) >= 0.4 * len([v for v in right if not _SCALE_WORD.match(v.text)]):
                out.extend(_row_layout(page, lines, li, row_values, unit, cell, caption, doc, title_terms, x0, x1))
            else:
                out.extend(_column_layout(page, lines, li, cell, unit, caption, doc, title_terms, x0, x1, h))
    return out


def _row_layout(
    page: int,
    lines: list[Line],
    li: int,
    row_values: list[tuple[int, Word]],
    unit: int | None,
    cell: HeaderCell,
    caption: str,
    doc: Document,
    title_terms: set[str],
    x0: float,
    x1: float,
) -> list[Mention]:
    """ "# Parameters 8B 6.7B ... 8.3B": each value's model is named by the header words above it."""
    line = lines[li]
    out = []
    for k, w in row_values:
        v = _value_at(line.words, k, unit)
        assert v is not None
        label_words: list[Word] = []
        # Up by distance, not by line count: on a two-column page the other column's lines
        # interleave with the table's, and a header stacked over two lines ("FCN-" over
        # "VGG16") sits seven rows above a "parameters" row.
        for lj in range(li - 1, max(-1, li - 25), -1):
            if lines[lj].cy < line.cy - 10 * max(w.height, 6.0) or _CAPTION.match(lines[lj].text):
                break
            if _prose([a for a in lines[lj].words if x0 <= a.cx <= x1]):
                break  # the caption's or the page's running text: the table starts below it
            above = [a for a in lines[lj].within(w.x0 - 4, w.x1 + 4) if x0 <= a.cx <= x1]
            if not above:
                continue
            if any(_parse(a.text, unit) for a in above) and label_words:
                break
            names = [a for a in above if not _is_value_word(a) and not _UNIT_WORD.match(a.text)]
            if not names:
                continue  # another row of the transposed table ("conv. layers 8 16 22"), not its header
            if label_words and all(
                _is_value_word(a) or _UNIT_WORD.match(a.text) for a in lines[lj].words if x0 <= a.cx <= x1
            ):
                continue
            label_words.insert(0, min(names, key=lambda a: abs(a.cx - w.cx)))
        while len(label_words) > 1 and _GENERIC_HEADER.match(label_words[0].text):
            label_words = label_words[1:]
        label = (_clean_label(label_words) or "").replace("- ", "-")
        header_row = " ".join(x.text for x in line.words if x1 >= x.cx >= x0)
        feats = _features(doc, page, label, header_row, unit, title_terms, cell.text, _table_id(caption, page, li), li)
        out.append(
            Mention(v, _kind(cell.text), label or None, _evidence(caption, label, header_row), page, "table", feats)
        )
    return out


def _column_layout(
    page: int,
    lines: list[Line],
    li: int,
    cell: HeaderCell,
    unit: int | None,
    caption: str,
    doc: Document,
    title_terms: set[str],
    x0: float,
    x1: float,
    h: float,
) -> list[Mention]:
    """A parameter column: read down from the header, one value per row, named by the row's first cells."""
    cells = _band_cells(lines, li, x0, x1, h)
    param_cells = [c for c in cells if c.x0 <= cell.cx <= c.x1] or [cell]
    header_text = " ".join(c.text for c in sorted(cells, key=lambda c: c.x0))
    table_x0 = min([c.x0 for c in cells] + [cell.x0])
    gap = median_line_gap([ln for ln in lines[li : li + 12]])
    tol = max(0.5 * (cell.x1 - cell.x0), 1.5 * h)
    out: list[Mention] = []
    misses = 0
    prev_cy = lines[li].cy
    for lj in range(li + 1, min(len(lines), li + 1 + MAX_ROWS)):
        row = lines[lj]
        ws = [w for w in row.words if x0 <= w.cx <= x1]
        if not ws:
            continue
        text = " ".join(w.text for w in ws)
        if row.cy - prev_cy > max(3.2 * gap, 4 * h) or _CAPTION.match(text) or _FIGURE.match(text) or _prose(ws):
            break
        if any(PARAM_WORD.match(w.text) for w in ws) and lj > li + 2:
            break  # the next table's header
        prev_cy = row.cy
        under = [(k, w) for k, w in enumerate(row.words) if w in ws and w.x1 > cell.x0 - tol and w.x0 < cell.x1 + tol]
        under = [(k, w) for k, w in under if min(cells, key=lambda c: (c.distance(w), abs(c.cx - w.cx))) in param_cells]
        value = None
        for k, _w in sorted(under, key=lambda t: abs(t[1].cx - cell.cx)):
            value = _value_at(row.words, k, unit)
            if value:
                break
        if not value:
            if lj > li + 2 or any(_is_value_word(w) for w in ws):
                misses += 1
            if misses >= MISSES_TO_STOP:
                break
            continue
        misses = 0
        label = _clean_label(_row_label(ws, table_x0 - 2 * h)) or ""
        feats = _features(doc, page, label, text, unit, title_terms, cell.text, _table_id(caption, page, li), li)
        out.append(
            Mention(value, _kind(cell.text), label or None, _evidence(caption, header_text, text), page, "table", feats)
        )
    return out
