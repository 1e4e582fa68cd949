"""Hostile records: arXiv entries (and Semantic Scholar counts) built to break a careless ingest.

Real feeds carry what authors type and what upstream bugs produce: markup in titles, quotes and
SQL-looking text, bidi overrides and zero-width characters, control characters, absurd dates,
enormous fields and, now and then, bytes that are not UTF-8 at all. The replay server serves the
records below when started with ``ReplayServer(..., hostile=True)`` (or ``hostile=<date>``), in
addition to the corpus, as ordinary search results *submitted* on that date (default
:data:`HOSTILE_DATE`), so any window containing the date returns them. Semantic Scholar gives each
one :data:`HOSTILE_CITATIONS` citations, so every rule judges them notable and they travel the
whole pipeline. The markup, SQL and control-character records are served with ``pdf`` (the
server passes its smallest corpus PDF), so they are extracted and reach the review queue, where
their titles are shown; the others have no PDF (HTTP 404, recorded in ``pdfs.error``).

Two things cannot be expressed as a Python string the server escapes into XML: raw bytes that
are not UTF-8, and dates that differ from the one the search matched on (arXiv matches
``submittedDate`` on its own record, whatever a bad ``<published>`` says). Each record therefore
lists ``wire_edits``: byte substitutions :class:`HostileWire` applies to every XML, JSON or HTML
body just before it leaves the server (the Semantic Scholar batch answer included).

``expect`` says what :mod:`discovery.screening` should do with the record: ``kept`` (stored as
is; it must only be *shown* safely), ``cleaned`` (stored with the bad characters removed or
replaced) or ``rejected`` (not stored; a ``rejected_records`` row says why).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from paramtrack.replay.corpus import Corpus, CorpusPaper

__all__ = [
    "HOSTILE_DATE",
    "HOSTILE_CITATIONS",
    "BAD_UTF8",
    "HostileRecord",
    "hostile_records",
    "with_hostile",
    "HostileWire",
]

#: Submission date of the hostile records unless the server is given another one.
HOSTILE_DATE = date(2020, 4, 15)
#: Citation count Semantic Scholar reports for each (notable under any sensible rule).
HOSTILE_CITATIONS = 5000
#: What stands in the served text for bytes that are not UTF-8; replaced on the wire.
PLACEHOLDER = "\ue000"
#: The raw bytes sent instead: a lone 0xFF, a lead byte followed by ASCII, a lone 0xFE.
BAD_UTF8 = b"\xff\xc3(\xfe"

XSS_TITLE = 'Attention <img src=x onerror="window.__xss=1"> Is <script>window.__xss=2</script> All'
SQL_TITLE = "Robert'); DROP TABLE papers; -- Scaling \"Laws\" for 'Quoted' Models"
CONTROL_TITLE = (
    "Zero\u200bwidth\u200d joins \u202egnirts desrever\u202c and \u2066isolates\u2069 "
    "with NUL\x00 BEL\x07 ESC\x1b[31m NEL\x85 and BOM\ufeff inside"
)
BAD_BYTES_TITLE = f"Invalid UTF-8 {PLACEHOLDER} in a title"


@dataclass(frozen=True)
class HostileRecord:
    key: str
    paper: CorpusPaper
    expect: str  # kept | cleaned | rejected
    why: str
    wire_edits: tuple[tuple[bytes, bytes], ...] = field(default=())


def _stamp(d: date, second: int) -> datetime:
    # A distinct second per record makes its <published>/<updated> text unique on the wire.
    return datetime.combine(d, time(12, 0, second), tzinfo=UTC)


def _iso(dt: datetime) -> bytes:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ").encode()


@dataclass(frozen=True)
class _Spec:
    """One hostile record before it gets its id and dates (see :func:`hostile_records`)."""

    n: int
    key: str
    expect: str
    why: str
    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ("A. Author",)
    published: bytes | None = None  # what the wire says instead of the real <published>
    updated: bytes | None = None  # ... and instead of the real <updated>
    with_pdf: bool = False


def _specs() -> list[_Spec]:
    """The records; built on demand (two of them are megabytes)."""
    return [
        _Spec(
            1,
            "xss_title",
            "kept",
            "markup in a title is text; the review app must escape it",
            title=XSS_TITLE,
            authors=('<b onmouseover="window.__xss=3">Mallory</b>',),
            with_pdf=True,
        ),
        _Spec(
            2,
            "sql_title",
            "kept",
            "quotes and SQL are text; the warehouse binds parameters",
            title=SQL_TITLE,
            abstract="x'); DELETE FROM review_items; SELECT ('1",
            with_pdf=True,
        ),
        _Spec(
            3,
            "control_characters",
            "cleaned",
            "bidi overrides, zero-width and control characters are removed",
            title=CONTROL_TITLE,
            abstract="Bell\x07 and\u200b bidi\u202e text\x00.",
            with_pdf=True,
        ),
        _Spec(
            4,
            "bad_utf8",
            "cleaned",
            "bytes that are not UTF-8 become U+FFFD instead of losing the page",
            title=BAD_BYTES_TITLE,
            abstract=f"Abstract with {PLACEHOLDER} raw bytes.",
        ),
        _Spec(
            5,
            "published_1899",
            "rejected",
            "published before arXiv existed",
            title="A Paper Published in 1899",
            published=b"1899-01-01T00:00:00Z",
        ),
        _Spec(
            6,
            "published_2999",
            "rejected",
            "published after the run's date",
            title="A Paper Published in 2999",
            published=b"2999-12-31T00:00:00Z",
            updated=b"2999-12-31T00:00:00Z",
        ),
        _Spec(
            7,
            "updated_before_published",
            "rejected",
            "a version updated before it was published",
            title="A Paper Updated Before It Was Published",
            updated=b"2001-01-01T00:00:00Z",
        ),
        _Spec(
            8,
            "huge_abstract",
            "rejected",
            "a 5 MB abstract",
            title="A Paper With a Five Megabyte Abstract",
            abstract=("All work and no play makes Jack a dull boy. " * 120_000)[:5_000_000],
        ),
        _Spec(
            9,
            "many_authors",
            "rejected",
            "50,000 authors",
            title="A Paper With Fifty Thousand Authors",
            authors=tuple(f"Author Number{i:05d}" for i in range(50_000)),
        ),
        _Spec(10, "huge_title", "rejected", "a 100 KB title", title=("Scaling " * 12_800)[:100_000].strip()),
    ]


def _record(spec: _Spec, submitted: date, pdf: Path | None) -> HostileRecord:
    """The record as a corpus paper submitted on ``submitted``, with its wire edits."""
    prefix = submitted.strftime("%y%m")
    # Ids had four digits after the dot until 2014, five since 1501 (arXiv's id scheme).
    number = f"990{spec.n:02d}" if submitted >= date(2015, 1, 1) else f"99{spec.n:02d}"
    vintage = date(2022, 9, 1)  # the corpus's oldest citation vintage: known for any as_of after it
    when = _stamp(submitted, spec.n)
    # Version 1: the feed's <updated> is then the record's own `updated`, unique per record.
    later = when + timedelta(days=1)
    paper = CorpusPaper(
        arxiv_id=f"{prefix}.{number}",
        version=1,
        title=spec.title,
        abstract=spec.abstract or f"A hostile test record ({spec.key}).",
        authors=spec.authors,
        categories=("cs.LG",),
        published=when,
        updated=later,
        citations={vintage: HOSTILE_CITATIONS},
        pdf_path=pdf if spec.with_pdf else None,
    )
    edits: list[tuple[bytes, bytes]] = []
    if spec.published is not None:
        edits.append((b"<published>" + _iso(when) + b"</published>", b"<published>" + spec.published + b"</published>"))
    if spec.updated is not None:
        edits.append((b"<updated>" + _iso(later) + b"</updated>", b"<updated>" + spec.updated + b"</updated>"))
    return HostileRecord(spec.key, paper, spec.expect, spec.why, tuple(edits))


def hostile_records(submitted: date = HOSTILE_DATE, *, pdf: Path | None = None) -> list[HostileRecord]:
    """The hostile records, each with an unused arXiv id in ``submitted``'s month (``YYMM.990NN``)."""
    return [_record(spec, submitted, pdf) for spec in _specs()]


def with_hostile(corpus: Corpus, records: list[HostileRecord]) -> Corpus:
    """A copy of ``corpus`` that also holds the hostile papers (the cached corpus is not changed)."""
    papers = dict(corpus.papers)
    for r in records:
        papers[r.paper.arxiv_id] = r.paper
    return replace(corpus, papers=papers)


def wire_edits(records: list[HostileRecord]) -> list[tuple[bytes, bytes]]:
    """Every byte substitution the records need, the non-UTF-8 placeholder included."""
    edits = [e for r in records for e in r.wire_edits]
    edits.append((PLACEHOLDER.encode(), BAD_UTF8))
    return edits


class HostileWire:
    """ASGI wrapper: applies byte substitutions to XML/JSON/HTML bodies (PDFs pass untouched)."""

    def __init__(self, app: Any, edits: list[tuple[bytes, bytes]]) -> None:
        self.app = app
        self.edits = edits

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] | None = None
        chunks: list[bytes] = []

        async def edit_send(message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                ctype = dict(message.get("headers", [])).get(b"content-type", b"")
                if any(t in ctype for t in (b"xml", b"json", b"html")):
                    start = message
                    return
            elif message["type"] == "http.response.body" and start is not None:
                chunks.append(message.get("body", b""))
                if message.get("more_body"):
                    return
                body = b"".join(chunks)
                for old, new in self.edits:
                    body = body.replace(old, new)
                headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
                headers.append((b"content-length", str(len(body)).encode()))
                await send({**start, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, edit_send)
