"""Parse one of Epoch AI's published model CSVs into curated-dataset rows (pure: no SQL, no I/O
beyond reading the file).

Every vintage in ``../shared/data/epoch/`` is handled (see SOURCES.md §1):

* key column ``System`` (2022/2023 PCD sheets, 2023-12 full view) or ``Model`` (2025 files);
* dates ``DD/MM/YYYY`` (PCD sheets) or ISO ``YYYY-MM-DD`` (everything newer, sometimes with a
  time); a bare year is *not* accepted as a date (it would pin the model to 1 January);
* numbers as ``3.40E+08``, ``340000000.0``, ``1693362.00``; ``N/A``, ``NA``, ``-``, ``?`` and
  the empty string mean "unknown";
* ``Link`` may hold several URLs separated by ``,``, ``;`` or whitespace; the first arxiv.org
  link gives ``arxiv_id``;
* organisation column ``Organization(s)`` (PCD) or ``Organization``;
* extra columns are ignored, missing optional columns give NULLs.

Skip reasons (the row is not imported, and the import report says why):

* ``missing system name`` - the key column is empty. Such rows in the PCD sheets are
  placeholders (mostly with no parameters either); a curated row needs a name to be reviewed.
* ``missing publication date`` / ``unparseable publication date: '...'`` - a model without a
  date cannot be placed on the timeline.
* ``unparseable parameters: '...'`` - a value is present but is not a number (a missing value
  is *not* a skip reason: the row is kept with ``parameters`` NULL, and fits ignore it).

Domain mapping (``core.domains.primary_domain``), decided as follows and documented in the README:

* each comma-separated label maps to one primary domain with ``EPOCH_DOMAIN_MAP`` (``Drawing``,
  ``Image generation``, ``Video``, ``3D reconstruction`` -> vision; ``Audio`` -> speech;
  ``Driving`` -> robotics; ``Reading`` -> language; ``Biology``, ``Search``, ... -> other);
* ``other`` is dropped when a more specific label is also present;
* one distinct primary domain left -> that domain; an explicit ``Multimodal`` label or two or
  more distinct primaries (``Language,Vision``) -> ``multimodal``. We chose multimodal over
  "first label wins" because Epoch's label order is arbitrary (``Multimodal,Language,Vision``
  and ``Language,Vision,Multimodal`` both occur) and the first label would make the same system
  flip domains between vintages;
* empty -> NULL domain (the row is kept; it counts in the all-domain fits only).

``domain_raw`` keeps the source text unchanged.
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from paramtrack.core.domains import DOMAINS, primary_domain
from paramtrack.core.text import restore_cell

PRIMARY_DOMAINS = DOMAINS


_NA = {"", "n/a", "na", "nan", "none", "null", "-", "?", "unknown", "#n/a", "#value!"}
_ARXIV_RE = re.compile(
    r"arxiv\.org/(?:abs|pdf|html)/(?P<id>(?:\d{4}\.\d{4,5})|(?:[a-z\-]+(?:\.[A-Z]{2})?/\d{7}))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class SkippedRow:
    row: int  # 1-based data row (CSV record) in the file
    system: str | None
    reason: str


@dataclass
class ParseResult:
    file_name: str
    layout: str  # key column: "System" or "Model"
    rows: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[SkippedRow] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.rows) + len(self.skipped)

    def skip_reasons(self) -> dict[str, int]:
        """Skip counts by reason family (text before ':')."""
        out: dict[str, int] = {}
        for s in self.skipped:
            key = s.reason.split(":", 1)[0]
            out[key] = out.get(key, 0) + 1
        return dict(sorted(out.items(), key=lambda kv: (-kv[1], kv[0])))


class EpochFormatError(ValueError):
    """The file is not an Epoch model CSV (no System/Model column, no Publication date)."""


def _clean(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return None if text.lower() in _NA else text


def parse_number(value: Any) -> float | None:
    """``'3.40E+08'`` / ``'340000000.0'`` / ``'1,000'`` -> float; unknown markers -> None.

    Raises ValueError when a value is present but is not a number.
    """
    text = _clean(value)
    if text is None:
        return None
    text = text.replace(",", "").replace("\u2009", "").replace(" ", "")
    number = float(text)
    if math.isnan(number) or math.isinf(number):
        return None
    return number


def parse_date(value: Any) -> date | None:
    """``DD/MM/YYYY``, ``YYYY-MM-DD`` (optionally with a time) -> date; empty -> None.

    Raises ValueError for anything else (including a bare year).
    """
    text = _clean(value)
    if text is None:
        return None
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text)
    if m:
        return date(int(m.group(3)), int(m.group(2)), int(m.group(1)))
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[ T].*)?", text)
    if m:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    raise ValueError(f"unrecognised date {text!r}")


def split_links(value: Any) -> list[str]:
    text = _clean(value)
    if text is None:
        return []
    parts = re.split(r"[,;\s]+", text)
    return [p.strip() for p in parts if p.strip().lower().startswith(("http://", "https://"))]


def arxiv_id_from_links(value: Any) -> str | None:
    """The first arXiv id in a Link cell (version suffix dropped), or None."""
    text = _clean(value)
    if text is None:
        return None
    m = _ARXIV_RE.search(text)
    if not m:
        return None
    return re.sub(r"v\d+$", "", m.group("id"))


def _first_col(header: list[str], *names: str) -> str | None:
    lower = {h.strip().lower(): h for h in header}
    for name in names:
        if name.lower() in lower:
            return lower[name.lower()]
    return None


def parse_epoch_csv(source: Path | str, *, file_name: str | None = None, text: str | None = None) -> ParseResult:
    """Parse an Epoch CSV file (or its ``text``) into model rows and skipped rows.

    Returned rows are dicts with the ``models`` columns an import sets: ``system``,
    ``arxiv_id``, ``parameters``, ``training_compute``, ``dataset_size``, ``publication_date``,
    ``domain``, ``domain_raw``, ``organization``, ``source_file``, ``source_row``.
    ``source_row`` is the 1-based CSV record number (a record may span several lines).
    """
    path = Path(source)
    if text is None:
        text = path.read_text(encoding="utf-8-sig")
    elif text.startswith("\ufeff"):
        text = text[1:]
    name = file_name or path.name
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise EpochFormatError(f"{name}: empty file") from None
    columns = _Columns.find(name, header)
    result = ParseResult(file_name=name, layout=columns.key)  # "System" (2022-2023) or "Model" (2025)
    for row_no, record in enumerate(reader, start=1):
        parsed = _parse_record(columns, record, row_no)
        if isinstance(parsed, SkippedRow):
            result.skipped.append(parsed)
        else:
            result.rows.append({**parsed, "source_file": name, "source_row": row_no})
    return result


@dataclass(frozen=True)
class _Columns:
    """Where each field is in a file's records: the key and date columns every vintage has,
    and the optional ones (None when the vintage lacks them), whatever the vintage calls them."""

    key: str
    date: str
    domain: str | None
    organization: str | None
    link: str | None
    parameters: str | None
    compute: str | None
    dataset: str | None
    index: dict[str, int]

    @classmethod
    def find(cls, name: str, header: list[str]) -> _Columns:
        """The columns of ``header``; EpochFormatError without a key or a date column."""
        header = [h.strip() for h in header]
        key_col = _first_col(header, "Model", "System")
        date_col = _first_col(header, "Publication date")
        if key_col is None or date_col is None:
            raise EpochFormatError(
                f"{name}: not an Epoch model CSV (needs a 'Model' or 'System' column and "
                f"'Publication date'; found {', '.join(header[:8])}...)"
            )
        return cls(
            key=key_col,
            date=date_col,
            domain=_first_col(header, "Domain"),
            organization=_first_col(header, "Organization", "Organization(s)"),
            link=_first_col(header, "Link"),
            parameters=_first_col(header, "Parameters"),
            compute=_first_col(header, "Training compute (FLOP)", "Training compute (FLOPs)"),
            dataset=_first_col(header, "Training dataset size (datapoints)"),
            index={h: i for i, h in enumerate(header)},
        )

    def cell(self, record: list[str], col: str | None) -> str | None:
        """The record's text in ``col`` (None for a missing column or a short record), with the
        leading "'" that paramtrack's own export puts on formula-like text taken off again."""
        if col is None:
            return None
        i = self.index[col]
        return restore_cell(record[i]) if i < len(record) else None


def _parse_record(columns: _Columns, record: list[str], row_no: int) -> dict[str, Any] | SkippedRow:
    """One CSV record as a model row (without its source file and row), or why it is skipped."""
    if not any(field.strip() for field in record):
        return SkippedRow(row_no, None, "blank row")
    system = _clean(columns.cell(record, columns.key))
    if system is None:
        return SkippedRow(row_no, None, "missing system name")
    system = re.sub(r"\s+", " ", system)
    raw_date = columns.cell(record, columns.date)
    try:
        pub = parse_date(raw_date)
    except ValueError:
        return SkippedRow(row_no, system, f"unparseable publication date: {raw_date!r}")
    if pub is None:
        return SkippedRow(row_no, system, "missing publication date")
    raw_params = columns.cell(record, columns.parameters)
    try:
        params = parse_number(raw_params)
    except ValueError:
        return SkippedRow(row_no, system, f"unparseable parameters: {raw_params!r}")
    if params is not None and params <= 0:
        params = None  # "0.00E+00" in the PCD sheet means unknown, not a 0-parameter model
    domain_raw = _clean(columns.cell(record, columns.domain))
    return {
        "system": system,
        "arxiv_id": arxiv_id_from_links(columns.cell(record, columns.link)),
        "parameters": params,
        "training_compute": _positive_or_none(columns.cell(record, columns.compute)),
        "dataset_size": _positive_or_none(columns.cell(record, columns.dataset)),
        "publication_date": pub,
        "domain": primary_domain(domain_raw),
        "domain_raw": domain_raw,
        "organization": _clean(columns.cell(record, columns.organization)),
    }


def _positive_or_none(raw: str | None) -> float | None:
    """A training compute or dataset size: a positive number, else None. Garbage here costs
    the value, not the row (unlike an unparseable parameter count, which skips the row)."""
    try:
        number = parse_number(raw)
    except ValueError:
        return None
    return number if (number or 0) > 0 else None


def fractional_year(d: date | datetime) -> float:
    """2018-07-02 -> 2018.5: year plus the elapsed fraction of that year."""
    if isinstance(d, datetime):
        d = d.date()
    start = date(d.year, 1, 1)
    length = (date(d.year + 1, 1, 1) - start).days
    return d.year + (d - start).days / length
