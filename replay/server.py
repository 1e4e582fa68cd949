"""The replay server: arXiv, Semantic Scholar and PDF endpoints in their real formats, on loopback.

Endpoints (``base`` = ``http://127.0.0.1:PORT``):

* ``GET  /api/query`` — arXiv API (Atom, 2025+ style as recorded in
  ``api/arxiv/arxiv.py_fixtures_2026``): ``search_query`` (``cat: ti: abs: au: all: id:``, quoted
  phrases, ``AND``/``OR``/``ANDNOT``, parentheses, ``submittedDate:[A TO B]``,
  ``lastUpdatedDate:[A TO B]``), ``id_list``, ``start``, ``max_results``, ``sortBy``,
  ``sortOrder``. A malformed id in ``id_list`` answers HTTP 400 with arXiv's Atom error entry.
* ``GET  /pdf/<id>[vN]`` (Range requests honoured), ``GET /abs/<id>[vN]``. The feeds' PDF links
  point at this server unless ``state.pdf_base`` names another (a closed port, an ``https://``
  address of this plain-HTTP server): arxiv.org's PDF host down while its API answers.
* ``POST /graph/v1/paper/batch``, ``GET /graph/v1/paper/search/bulk``, ``GET /graph/v1/paper/search``,
  ``GET /graph/v1/paper/{id}`` — Semantic Scholar Graph API shapes as in the recorded cassettes.
* ``POST/GET/DELETE /_replay/faults``, ``GET/DELETE /_replay/log`` — test control (never faulted).

:class:`ReplayServer` runs the app with uvicorn in a background thread, bound to 127.0.0.1 only.
``ReplayServer(..., hostile=True)`` also serves the hostile records of :mod:`replay.hostile`.
"""

from __future__ import annotations

import asyncio
import base64
import calendar
import json
import re
import socket
import threading
import time as _time
import zlib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from paramtrack.replay import oai
from paramtrack.replay.corpus import Corpus, CorpusPaper, load_corpus
from paramtrack.replay.faults import FaultPlan, FaultRule, garble
from paramtrack.sources.arxiv_ids import parse_arxiv_id

__all__ = ["ReplayServer", "create_app", "LOOPBACK_HOSTS"]

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
ATOM_NS = (
    'xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/" '
    'xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns="http://www.w3.org/2005/Atom"'
)
S2_429_BODY = (
    '{"message": "Too Many Requests. Please wait and try again or apply for a key for higher '
    'rate limits. https://www.semanticscholar.org/product/api#api-key-form", "code": "429"}'
)
# Top-level paper fields the Graph API accepts (semanticscholar's Paper.FIELDS, top level).
S2_PAPER_FIELDS = {
    "paperId",
    "corpusId",
    "externalIds",
    "url",
    "title",
    "abstract",
    "venue",
    "publicationVenue",
    "year",
    "referenceCount",
    "citationCount",
    "influentialCitationCount",
    "isOpenAccess",
    "openAccessPdf",
    "fieldsOfStudy",
    "s2FieldsOfStudy",
    "publicationTypes",
    "publicationDate",
    "journal",
    "citationStyles",
    "authors",
    "citations",
    "references",
    "embedding",
    "tldr",
    "textAvailability",
}
DEFAULT_BULK_PAGE = 1000


# ---------------------------------------------------------------- arXiv query language ----


class QueryError(ValueError):
    pass


_TOKEN_RE = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<field>[A-Za-z_]+):(?P<range>\[[^\]]*\])"
    r'|(?P<fieldq>[A-Za-z_]+):"(?P<qval>[^"]*)"|"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]+))'
)


def _tokenize(q: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    q = q.strip()
    while pos < len(q):
        m = _TOKEN_RE.match(q, pos)
        if not m or m.end() == pos:
            raise QueryError(f"cannot parse search_query near {q[pos : pos + 20]!r}")
        pos = m.end()
        if m.group("lp"):
            tokens.append(("(", None))
        elif m.group("rp"):
            tokens.append((")", None))
        elif m.group("range"):
            tokens.append(("term", (m.group("field"), m.group("range"))))
        elif m.group("fieldq") is not None:
            tokens.append(("term", (m.group("fieldq"), '"' + m.group("qval") + '"')))
        elif m.group("phrase") is not None:
            tokens.append(("term", ("all", '"' + m.group("phrase") + '"')))
        else:
            word = m.group("word")
            if word in ("AND", "OR", "ANDNOT"):
                tokens.append(("op", word))
            elif ":" in word:
                f, v = word.split(":", 1)
                tokens.append(("term", (f, v)))
            else:
                tokens.append(("term", ("all", word)))
    return tokens


def _parse_query(q: str):
    """Parse into a tree: ('term', field, value) | (op, left, right)."""
    tokens = _tokenize(q)
    pos = 0

    def primary():
        nonlocal pos
        if pos >= len(tokens):
            raise QueryError("search_query ends unexpectedly")
        kind, val = tokens[pos]
        if kind == "(":
            pos += 1
            node = expr()
            if pos >= len(tokens) or tokens[pos][0] != ")":
                raise QueryError("unbalanced parentheses in search_query")
            pos += 1
            return node
        if kind == "term":
            pos += 1
            return ("term", val[0], val[1])
        raise QueryError(f"unexpected {val or kind!r} in search_query")

    def expr():
        nonlocal pos
        node = primary()
        while pos < len(tokens) and tokens[pos][0] != ")":
            if tokens[pos][0] == "op":
                op = tokens[pos][1]
                pos += 1
            else:  # juxtaposed terms: arXiv treats them as AND
                op = "AND"
            node = (op, node, primary())
        return node

    tree = expr()
    if pos != len(tokens):
        raise QueryError("unbalanced parentheses in search_query")
    return tree


def _parse_stamp(text: str, end: bool) -> datetime:
    digits = re.sub(r"\D", "", text)
    if len(digits) < 8:
        raise QueryError(f"bad date {text!r} in range; expected YYYYMMDD[HHMM[SS]]")
    y, mo, d = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    hh = int(digits[8:10]) if len(digits) >= 10 else (23 if end else 0)
    mm = int(digits[10:12]) if len(digits) >= 12 else (59 if end else 0)
    ss = int(digits[12:14]) if len(digits) >= 14 else (59 if end else 0)
    return datetime(y, mo, d, hh, mm, ss, tzinfo=UTC)


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _text_match(value: str, text: str) -> bool:
    v = value.strip()
    if v.startswith('"') and v.endswith('"') and len(v) >= 2:
        phrase = " ".join(re.findall(r"[a-z0-9]+", v[1:-1].lower()))
        return bool(phrase) and phrase in " ".join(re.findall(r"[a-z0-9]+", text.lower()))
    wanted = re.findall(r"[a-z0-9]+", v.lower().replace("_", " "))
    have = _words(text)
    return all(w in have for w in wanted) if wanted else False


def _match(node, p: CorpusPaper, version: int) -> bool:
    kind = node[0]
    if kind == "term":
        field, value = node[1], node[2]
        fl = field.lower()
        if value.startswith("[") and value.endswith("]"):
            parts = re.split(r"\s+TO\s+", value[1:-1].strip())
            if len(parts) != 2:
                raise QueryError(f"bad range {value!r}; expected [A TO B]")
            lo, hi = _parse_stamp(parts[0], False), _parse_stamp(parts[1], True)
            if fl == "submitteddate":
                return lo <= p.published.replace(second=0) <= hi
            if fl == "lastupdateddate":
                return lo <= p.updated.replace(second=0) <= hi
            raise QueryError(f"ranges are only supported for submittedDate/lastUpdatedDate, not {field}")
        if fl == "cat":
            v = value.strip('"')
            if v.endswith("*"):
                return any(c.startswith(v[:-1]) for c in p.categories)
            return v in p.categories
        if fl == "ti":
            return _text_match(value, p.title)
        if fl == "abs":
            return _text_match(value, p.abstract)
        if fl == "au":
            return any(_text_match(value, a) for a in p.authors)
        if fl == "id":
            try:
                return parse_arxiv_id(value.strip('"')).id == p.arxiv_id
            except ValueError:
                return False
        if fl in ("all", "co", "jr", "rn"):
            blob = " ".join([p.title, p.abstract, " ".join(p.authors), " ".join(p.categories)])
            return _text_match(value, blob)
        raise QueryError(f"unknown search field {field!r}")
    left, right = _match(node[1], p, version), None
    if kind == "AND":
        return left and _match(node[2], p, version)
    if kind == "OR":
        return left or _match(node[2], p, version)
    if kind == "ANDNOT":
        return left and not _match(node[2], p, version)
    del right
    raise QueryError(f"unknown operator {kind}")


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _entry_xml(p: CorpusPaper, version: int, base: str, pdf_base: str | None = None) -> str:
    vid = f"{p.arxiv_id}v{version}"
    updated = p.updated if version == p.version else p.published
    lines = [
        "  <entry>",
        f"    <id>http://arxiv.org/abs/{escape(vid)}</id>",
        f"    <title>{escape(p.title)}</title>",
        f"    <updated>{_iso(updated)}</updated>",
        f'    <link href={quoteattr(f"{base}/abs/{vid}")} rel="alternate" type="text/html"/>',
        f'    <link href={quoteattr(f"{pdf_base or base}/pdf/{vid}")} rel="related" type="application/pdf" title="pdf"/>',
        f"    <summary>{escape(p.abstract)}</summary>",
    ]
    for c in p.categories:
        lines.append(f'    <category term={quoteattr(c)} scheme="http://arxiv.org/schemas/atom"/>')
    lines.append(f"    <published>{_iso(p.published)}</published>")
    lines.append(f"    <arxiv:primary_category term={quoteattr(p.primary_category)}/>")
    if p.journal_ref:
        lines.append(f"    <arxiv:journal_ref>{escape(p.journal_ref)}</arxiv:journal_ref>")
    for a in p.authors:
        lines.append(f"    <author>\n      <name>{escape(a)}</name>\n    </author>")
    if p.doi:
        lines.append(f"    <arxiv:doi>{escape(p.doi)}</arxiv:doi>")
        lines.append(f'    <link rel="related" href={quoteattr("https://doi.org/" + p.doi)} title="doi"/>')
    lines.append("  </entry>")
    return "\n".join(lines)


def _feed_xml(title_query: str, link_query: str, entries: list[str], total: int, start: int, per_page: int) -> str:
    now = datetime.now(UTC)
    feed_id = base64.urlsafe_b64encode(title_query.encode()[:20]).decode().rstrip("=")
    head = [
        "<?xml version='1.0' encoding='UTF-8'?>",
        f"<feed {ATOM_NS}>",
        f"  <id>https://arxiv.org/api/{escape(feed_id)}</id>",
        f"  <title>arXiv Query: {escape(title_query)}</title>",
        f"  <updated>{_iso(now)}</updated>",
        f'  <link href={quoteattr("https://arxiv.org/api/query?" + link_query)} type="application/atom+xml"/>',
        f"  <opensearch:itemsPerPage>{per_page}</opensearch:itemsPerPage>",
        f"  <opensearch:totalResults>{total}</opensearch:totalResults>",
        f"  <opensearch:startIndex>{start}</opensearch:startIndex>",
    ]
    return "\n".join(head + entries + ["</feed>", ""])


def _error_feed(message: str, anchor: str) -> str:
    now = _iso(datetime.now(UTC))
    url = f"https://arxiv.org/api/errors#{anchor}"
    return "\n".join(
        [
            "<?xml version='1.0' encoding='UTF-8'?>",
            f"<feed {ATOM_NS}>",
            "  <id>https://arxiv.org/</id>",
            "  <title>arXiv Search Results</title>",
            f"  <updated>{now}</updated>",
            "  <opensearch:itemsPerPage>1</opensearch:itemsPerPage>",
            "  <opensearch:totalResults>1</opensearch:totalResults>",
            "  <opensearch:startIndex>0</opensearch:startIndex>",
            "  <entry>",
            f"    <id>{escape(url)}</id>",
            "    <title>Error</title>",
            f"    <updated>{now}</updated>",
            f'    <link href={quoteattr(url)} rel="alternate" type="text/html"/>',
            f"    <summary>{escape(message)}</summary>",
            "    <author>",
            "      <name>arXiv api core</name>",
            "    </author>",
            "  </entry>",
            "</feed>",
            "",
        ]
    )


ATOM_TYPE = "application/atom+xml; charset=utf-8"


# ---------------------------------------------------------------- Semantic Scholar helpers ----


def _s2_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _parse_fields(raw: str | None) -> list[str] | JSONResponse:
    if raw is None or not raw.strip():
        return ["title"]
    fields: list[str] = []
    bad: list[str] = []
    for f in raw.split(","):
        f = f.strip()
        if not f:
            continue
        top = f.split(".", 1)[0]
        if top not in S2_PAPER_FIELDS:
            bad.append(f)
        elif top not in fields:
            fields.append(top)
    if bad:
        return _s2_error(400, f"Unrecognized or unsupported fields: [{', '.join(bad)}]")
    return fields


def _s2_json(p: CorpusPaper, count: int, fields: list[str]) -> dict[str, Any]:
    full: dict[str, Any] = {
        "paperId": p.paper_id,
        "externalIds": {"ArXiv": p.arxiv_id, "CorpusId": p.corpus_id, **({"DOI": p.doi} if p.doi else {})},
        "corpusId": p.corpus_id,
        "publicationVenue": None,
        "url": f"https://www.semanticscholar.org/paper/{p.paper_id}",
        "title": p.title,
        "abstract": p.abstract or None,
        "venue": "arXiv.org",
        "year": p.published.year,
        "referenceCount": None,
        "citationCount": count,
        "influentialCitationCount": count // 10,
        "isOpenAccess": True,
        "openAccessPdf": None,
        "fieldsOfStudy": ["Computer Science"],
        "s2FieldsOfStudy": [{"category": "Computer Science", "source": "external"}],
        "publicationTypes": ["JournalArticle"],
        "publicationDate": p.published.date().isoformat(),
        "journal": {"name": "arXiv.org", "volume": p.arxiv_id},
        "citationStyles": None,
        "authors": [{"authorId": None, "name": a} for a in p.authors],
        "citations": [],
        "references": [],
        "embedding": None,
        "tldr": None,
        "textAvailability": None,
    }
    out = {"paperId": p.paper_id}
    for f in fields:
        out[f] = full[f]
    return out


def _period(text: str, end: bool) -> date:
    parts = [int(x) for x in text.split("-")]
    if len(parts) == 1:
        return date(parts[0], 12, 31) if end else date(parts[0], 1, 1)
    if len(parts) == 2:
        y, m = parts
        return date(y, m, calendar.monthrange(y, m)[1]) if end else date(y, m, 1)
    return date(*parts)


def _date_range(spec: str) -> tuple[date, date]:
    if not re.fullmatch(r"(\d{4}(-\d{2}(-\d{2})?)?)?(:(\d{4}(-\d{2}(-\d{2})?)?)?)?", spec):
        raise ValueError(f"bad publicationDateOrYear {spec!r}")
    if ":" not in spec:
        return _period(spec, False), _period(spec, True)
    a, b = spec.split(":", 1)
    return (_period(a, False) if a else date.min), (_period(b, True) if b else date.max)


def _year_range(spec: str) -> tuple[int, int]:
    m = re.fullmatch(r"(\d{4})?(-)?(\d{4})?", spec.strip())
    if not m or not (m.group(1) or m.group(3)):
        raise ValueError(f"bad year {spec!r}")
    if not m.group(2):
        return int(m.group(1)), int(m.group(1))
    return int(m.group(1) or 0), int(m.group(3) or 9999)


def _bulk_query_match(query: str, p: CorpusPaper) -> bool:
    q = query.strip()
    if not q or q == "*":
        return True
    blob = f"{p.title} {p.abstract}"
    for alternative in q.split("|"):
        ok = True
        for tok in re.findall(r'[+-]?"[^"]*"|[+-]?[^\s"]+', alternative):
            neg = tok.startswith("-")
            tok = tok.lstrip("+-")
            if not tok:
                continue
            hit = _text_match(tok if tok.startswith('"') else tok.rstrip("*"), blob)
            if hit == neg:
                ok = False
                break
        if ok:
            return True
    return False


def _encode_token(offset: int, key: str) -> str:
    raw = json.dumps({"o": offset, "k": key}).encode()
    return base64.b32encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, str]:
    pad = "=" * (-len(token) % 8)
    data = json.loads(base64.b32decode(token + pad))
    return int(data["o"]), str(data["k"])


# ---------------------------------------------------------------- the app ----


class ReplayState:
    def __init__(self, corpus: Corpus, as_of: date, faults: FaultPlan, bulk_page_size: int) -> None:
        self.corpus = corpus
        self.as_of = as_of
        self.faults = faults
        self.bulk_page_size = bulk_page_size
        self.log: list[dict[str, Any]] = []
        self.log_lock = threading.Lock()
        self.stopping = threading.Event()
        #: Where the feeds' PDF links point (None: this server). Tests set it to an address
        #: that refuses or fails TLS to take the PDF host down while the API still answers.
        self.pdf_base: str | None = None
        self._by_paper_id = {p.paper_id: p for p in corpus.papers.values()}
        self._by_corpus_id = {p.corpus_id: p for p in corpus.papers.values()}
        self._by_doi = {p.doi.lower(): p for p in corpus.papers.values() if p.doi}

    # What exists as of the server's date
    def arxiv_papers(self) -> list[CorpusPaper]:
        return [p for p in self.corpus.papers.values() if p.published.date() <= self.as_of]

    def s2_count(self, p: CorpusPaper) -> int | None:
        if p.published.date() > self.as_of:
            return None
        return p.citation_count(self.as_of)

    def s2_lookup(self, ident: str) -> CorpusPaper | None:
        s = ident.strip()
        prefix, _, rest = s.partition(":")
        up = prefix.upper()
        p: CorpusPaper | None = None
        if rest and up == "ARXIV":
            try:
                p = self.corpus.papers.get(parse_arxiv_id(rest).id)
            except ValueError:
                p = None
        elif rest and up == "CORPUSID":
            p = self._by_corpus_id.get(int(rest)) if rest.isdigit() else None
        elif rest and up == "DOI":
            p = self._by_doi.get(rest.lower())
        elif rest and up == "URL":
            try:
                p = self.corpus.papers.get(parse_arxiv_id(rest).id)
            except ValueError:
                p = None
        elif re.fullmatch(r"[0-9a-f]{40}", s):
            p = self._by_paper_id.get(s)
        elif s.startswith("10."):
            p = self._by_doi.get(s.lower())
        if p is None or self.s2_count(p) is None:
            return None
        return p


def create_app(state: ReplayState, hostile: list | None = None) -> Any:
    """The ASGI app (Starlette routes wrapped in the fault/log layer).

    With ``hostile`` records (:mod:`replay.hostile`), their raw-byte edits are applied to every
    body before faults are, so a fault garbles or cuts what a client would really receive.
    """

    async def api_query(request: Request) -> Response:
        qp = request.query_params
        base = str(request.base_url).rstrip("/")
        search_query = qp.get("search_query", "") or ""
        id_list_raw = qp.get("id_list", "") or ""
        try:
            start = int(qp.get("start", "0") or 0)
            max_results = int(qp.get("max_results", "10") or 10)
        except ValueError:
            return Response(
                _error_feed("start and max_results must be integers", "start_or_max_results_not_integer"),
                400,
                media_type=ATOM_TYPE,
            )
        if start < 0 or max_results < 0:
            return Response(
                _error_feed("start and max_results must be non-negative", "start_must_be_non_negative"),
                400,
                media_type=ATOM_TYPE,
            )
        max_results = min(max_results, 2000)
        sort_by = qp.get("sortBy", "relevance")
        sort_order = qp.get("sortOrder", "descending")
        link_q = f"search_query={search_query}&start={start}&max_results={max_results}&id_list={id_list_raw}"
        title_q = f"search_query={search_query}&id_list={id_list_raw}&start={start}&max_results={max_results}"

        selected: list[tuple[CorpusPaper, int]] = []
        known = {p.arxiv_id: p for p in state.arxiv_papers()}
        tree = None
        if search_query.strip():
            try:
                tree = _parse_query(search_query)
            except QueryError as exc:
                return Response(_error_feed(str(exc), "malformed_query"), 400, media_type=ATOM_TYPE)
        if id_list_raw.strip():
            for raw in id_list_raw.split(","):
                raw = raw.strip()
                try:
                    aid = parse_arxiv_id(raw)
                except ValueError:
                    anchor = "incorrect_id_format_for_" + re.sub(r"\W", "_", raw)
                    return Response(_error_feed(f"incorrect id format for {raw}", anchor), 400, media_type=ATOM_TYPE)
                p = known.get(aid.id)
                if p is None or (aid.version is not None and aid.version > p.version):
                    continue
                selected.append((p, aid.version or p.version))
        else:
            selected = [(p, p.version) for p in known.values()]
        try:
            if tree is not None:
                selected = [(p, v) for p, v in selected if _match(tree, p, v)]
        except QueryError as exc:
            return Response(_error_feed(str(exc), "malformed_query"), 400, media_type=ATOM_TYPE)
        if not id_list_raw.strip() or search_query.strip():
            reverse = sort_order != "ascending"
            if sort_by == "submittedDate":
                selected.sort(key=lambda pv: (pv[0].published, pv[0].arxiv_id), reverse=reverse)
            elif sort_by == "lastUpdatedDate":
                selected.sort(key=lambda pv: (pv[0].updated, pv[0].arxiv_id), reverse=reverse)
            else:
                selected.sort(key=lambda pv: pv[0].arxiv_id)
        total = len(selected)
        page = selected[start : start + max_results]
        entries = [_entry_xml(p, v, base, state.pdf_base) for p, v in page]
        return Response(_feed_xml(title_q, link_q, entries, total, start, max_results), media_type=ATOM_TYPE)

    def _pdf_paper(ident: str) -> tuple[CorpusPaper | None, int | None]:
        ident = ident[:-4] if ident.endswith(".pdf") else ident
        try:
            aid = parse_arxiv_id(ident)
        except ValueError:
            return None, None
        p = state.corpus.papers.get(aid.id)
        if p is None or p.published.date() > state.as_of:
            return None, None
        return p, aid.version

    async def pdf(request: Request) -> Response:
        p, version = _pdf_paper(request.path_params["ident"])
        if p is None or p.pdf_path is None or (version is not None and version != p.version):
            return Response("PDF not available\n", 404, media_type="text/plain")
        data = p.pdf_path.read_bytes()
        size = len(data)
        headers = {"Accept-Ranges": "bytes"}
        rng = request.headers.get("range")
        if rng:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if not m or (not m.group(1) and not m.group(2)):
                return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
            if m.group(1):
                first = int(m.group(1))
                last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
            else:
                first, last = max(0, size - int(m.group(2))), size - 1
            if first >= size or first > last:
                return Response(status_code=416, headers={"Content-Range": f"bytes */{size}"})
            headers["Content-Range"] = f"bytes {first}-{last}/{size}"
            return Response(data[first : last + 1], 206, headers=headers, media_type="application/pdf")
        return Response(data, 200, headers=headers, media_type="application/pdf")

    async def abs_page(request: Request) -> Response:
        p, _ = _pdf_paper(request.path_params["ident"])
        if p is None:
            return Response("Article not found\n", 404, media_type="text/plain")
        html = (
            f"<!DOCTYPE html><html><head><title>[{escape(p.arxiv_id)}] {escape(p.title)}</title>"
            f"</head><body><h1>{escape(p.title)}</h1><p>{escape(p.abstract)}</p></body></html>"
        )
        return Response(html, media_type="text/html")

    async def s2_batch(request: Request) -> Response:
        fields = _parse_fields(request.query_params.get("fields"))
        if isinstance(fields, Response):
            return fields
        try:
            body = json.loads(await request.body() or b"null")
        except json.JSONDecodeError:
            return _s2_error(400, "Unacceptable request body: invalid JSON")
        if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
            return _s2_error(400, 'Request body must be a JSON object with an "ids" list')
        ids = body["ids"]
        if len(ids) > 500:
            return _s2_error(400, "Cannot process more than 500 ids at once")
        out: list[Any] = []
        for ident in ids:
            p = state.s2_lookup(str(ident))
            out.append(None if p is None else _s2_json(p, state.s2_count(p) or 0, fields))
        return JSONResponse(out)

    def _filtered(qp) -> list[CorpusPaper] | Response:
        papers = [p for p in state.corpus.papers.values() if state.s2_count(p) is not None]
        query = qp.get("query", "") or ""
        papers = [p for p in papers if _bulk_query_match(query, p)]
        if qp.get("minCitationCount"):
            try:
                n = int(qp["minCitationCount"])
            except ValueError:
                return _s2_error(400, "minCitationCount must be an integer")
            papers = [p for p in papers if (state.s2_count(p) or 0) >= n]
        if qp.get("publicationDateOrYear"):
            try:
                lo, hi = _date_range(qp["publicationDateOrYear"])
            except ValueError as exc:
                return _s2_error(400, str(exc))
            papers = [p for p in papers if lo <= p.published.date() <= hi]
        if qp.get("year"):
            try:
                ylo, yhi = _year_range(qp["year"])
            except ValueError as exc:
                return _s2_error(400, str(exc))
            papers = [p for p in papers if ylo <= p.published.year <= yhi]
        if qp.get("fieldsOfStudy"):
            wanted = {f.strip().lower() for f in qp["fieldsOfStudy"].split(",")}
            if "computer science" not in wanted:
                papers = []
        return papers

    async def s2_bulk(request: Request) -> Response:
        qp = request.query_params
        fields = _parse_fields(qp.get("fields"))
        if isinstance(fields, Response):
            return fields
        papers = _filtered(qp)
        if isinstance(papers, Response):
            return papers
        sort = qp.get("sort") or "paperId:asc"
        sfield, _, order = sort.partition(":")
        keys = {
            "paperId": lambda p: p.paper_id,
            "publicationDate": lambda p: (p.published, p.paper_id),
            "citationCount": lambda p: (state.s2_count(p) or 0, p.paper_id),
        }
        if sfield not in keys or order not in ("", "asc", "desc"):
            return _s2_error(
                400, f"Unsupported sort {sort!r}: use paperId, publicationDate or citationCount with :asc/:desc"
            )
        papers.sort(key=keys[sfield], reverse=order == "desc")
        key = json.dumps(sorted((k, v) for k, v in qp.items() if k not in {"token", "offset", "limit"}))
        offset = 0
        if qp.get("token"):
            try:
                offset, tkey = _decode_token(qp["token"])
            except Exception:
                return _s2_error(400, "Invalid token")
            if tkey != str(zlib.crc32(key.encode())):
                return _s2_error(400, "Token does not match this query")
        page = papers[offset : offset + state.bulk_page_size]
        nxt = offset + len(page)
        token = _encode_token(nxt, str(zlib.crc32(key.encode()))) if nxt < len(papers) else None
        return JSONResponse(
            {"total": len(papers), "token": token, "data": [_s2_json(p, state.s2_count(p) or 0, fields) for p in page]}
        )

    async def s2_search(request: Request) -> Response:
        qp = request.query_params
        fields = _parse_fields(qp.get("fields"))
        if isinstance(fields, Response):
            return fields
        papers = _filtered(qp)
        if isinstance(papers, Response):
            return papers
        papers.sort(key=lambda p: (-(state.s2_count(p) or 0), p.paper_id))
        try:
            offset, limit = int(qp.get("offset", 0)), int(qp.get("limit", 100))
        except ValueError:
            return _s2_error(400, "offset and limit must be integers")
        if limit > 100:
            return _s2_error(400, "The limit parameter must be between 1 and 100 inclusive.")
        page = papers[offset : offset + limit]
        out: dict[str, Any] = {"total": len(papers), "offset": offset}
        if offset + limit < len(papers):
            out["next"] = offset + limit
        out["data"] = [_s2_json(p, state.s2_count(p) or 0, fields) for p in page]
        return JSONResponse(out)

    async def s2_paper(request: Request) -> Response:
        ident = request.path_params["ident"]
        fields = _parse_fields(request.query_params.get("fields"))
        if isinstance(fields, Response):
            return fields
        p = state.s2_lookup(ident)
        if p is None:
            # arXiv URLs and bare ids without prefix are accepted by the real API too
            if "arxiv.org" in ident:
                p = state.s2_lookup("URL:" + ident)
            if p is None:
                return _s2_error(404, f"Paper with id {ident} not found")
        return JSONResponse(_s2_json(p, state.s2_count(p) or 0, fields))

    async def faults_endpoint(request: Request) -> Response:
        if request.method == "DELETE":
            state.faults.clear()
            return JSONResponse({"rules": []})
        if request.method == "POST":
            try:
                body = json.loads(await request.body() or b"null")
                items = body.get("rules", [body]) if isinstance(body, dict) else body
                if not isinstance(items, list):
                    raise ValueError('expected a rule object, a list, or {"rules": [...]}')
                for item in items:
                    if isinstance(item, str):
                        state.faults.add_spec(item)
                    else:
                        state.faults.add_dict(item)
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse({"rules": state.faults.to_list()})

    async def log_endpoint(request: Request) -> Response:
        if request.method == "DELETE":
            with state.log_lock:
                state.log.clear()
            return JSONResponse({"requests": []})
        with state.log_lock:
            return JSONResponse({"requests": list(state.log)})

    async def status_endpoint(request: Request) -> Response:
        return JSONResponse({"as_of": state.as_of.isoformat(), **state.corpus.stats(state.as_of)})

    routes = [
        Route("/api/query", api_query, methods=["GET", "POST"]),
        Route("/pdf/{ident:path}", pdf, methods=["GET", "HEAD"]),
        Route("/abs/{ident:path}", abs_page, methods=["GET"]),
        Route("/oai2", oai.endpoint(state), methods=["GET", "POST"]),
        Route("/graph/v1/paper/batch", s2_batch, methods=["POST"]),
        Route("/graph/v1/paper/search/bulk", s2_bulk, methods=["GET"]),
        Route("/graph/v1/paper/search", s2_search, methods=["GET"]),
        Route("/graph/v1/paper/{ident:path}", s2_paper, methods=["GET"]),
        Route("/_replay/faults", faults_endpoint, methods=["GET", "POST", "DELETE"]),
        Route("/_replay/log", log_endpoint, methods=["GET", "DELETE"]),
        Route("/_replay/status", status_endpoint, methods=["GET"]),
    ]
    inner: Any = Starlette(routes=routes)
    if hostile:
        from paramtrack.replay.hostile import HostileWire, wire_edits

        inner = HostileWire(inner, wire_edits(hostile))
    return FaultLayer(inner, state)


class FaultLayer:
    """ASGI wrapper: refuses non-loopback Host headers, logs requests and applies the FaultPlan."""

    def __init__(self, app: Any, state: ReplayState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "").rsplit(":", 1)[0].strip("[]")
        if host and host not in LOOPBACK_HOSTS:
            await _send_simple(send, 421, b"replay server answers loopback hosts only\n", "text/plain")
            return
        if path.startswith("/_replay/"):
            await self.app(scope, receive, send)
            return
        rule = self.state.faults.match(scope["method"], path)
        entry = {
            "time": _time.time(),
            "method": scope["method"],
            "path": path,
            "query": scope.get("query_string", b"").decode("latin-1"),
            "range": headers.get("range"),
            "user_agent": headers.get("user-agent"),
            "api_key": "x-api-key" in headers,
            "fault": rule.kind if rule else None,
            "status": None,
        }
        with self.state.log_lock:
            self.state.log.append(entry)

        async def logging_send(message):
            if message["type"] == "http.response.start":
                entry["status"] = message["status"]
            await send(message)

        if rule is None:
            await self.app(scope, receive, logging_send)
            return
        kind = rule.kind
        s2 = path.startswith("/graph/")
        if kind == "429":
            extra = {"Retry-After": rule.retry_after} if rule.retry_after is not None else {}
            await _send_simple(logging_send, 429, S2_429_BODY.encode(), "application/json", extra)
        elif kind in ("500", "503"):
            status = int(kind)
            if s2:
                msg = "Internal Server Error" if status == 500 else "Service Unavailable"
                body = json.dumps({"message": msg}).encode()
                await _send_simple(logging_send, status, body, "application/json")
            else:
                extra = {"Retry-After": rule.retry_after} if rule.retry_after is not None else {}
                await _send_simple(logging_send, status, f"HTTP {status}\n".encode(), "text/plain", extra)
        elif kind == "404":
            if s2:
                await _send_simple(logging_send, 404, b'{"error": "Paper not found"}', "application/json")
            else:
                await _send_simple(logging_send, 404, b"PDF not available\n", "text/plain")
        elif kind == "corrupt":
            status, resp_headers, body = await _capture(self.app, scope, receive)
            entry["status"] = status
            ctype = dict(resp_headers).get(b"content-type", b"").decode("latin-1")
            await send({"type": "http.response.start", "status": status, "headers": resp_headers})
            await send({"type": "http.response.body", "body": garble(body, ctype)})
        elif kind == "slow":
            await self._sleep(rule.delay if rule.delay is not None else 1.0)
            await self.app(scope, receive, logging_send)
        elif kind == "timeout":
            await self._sleep(rule.delay if rule.delay is not None else 30.0)
            entry["status"] = "dropped"
            raise _Dropped()
        elif kind in ("truncate", "empty_page"):
            status, resp_headers, body = await _capture(self.app, scope, receive)
            entry["status"] = status
            if kind == "empty_page":
                body = re.sub(rb"\s*<entry>.*?</entry>", b"", body, flags=re.S)
                resp_headers = [(k, v) for k, v in resp_headers if k.lower() != b"content-length"]
                resp_headers.append((b"content-length", str(len(body)).encode()))
                await send({"type": "http.response.start", "status": status, "headers": resp_headers})
                await send({"type": "http.response.body", "body": body})
                return
            cut = max(1, int(len(body) * rule.fraction)) if body else 0
            await send({"type": "http.response.start", "status": status, "headers": resp_headers})
            # Announce the full length, send part of it, then drop the connection.
            await send({"type": "http.response.body", "body": body[:cut], "more_body": True})
            raise _Dropped()

    async def _sleep(self, seconds: float) -> None:
        deadline = _time.monotonic() + seconds
        while not self.state.stopping.is_set():
            left = deadline - _time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(0.05, left))


class _Dropped(Exception):
    """Raised to make uvicorn close the connection without completing the response."""


async def _send_simple(send, status: int, body: bytes, ctype: str, extra: dict[str, str] | None = None) -> None:
    headers = [(b"content-type", ctype.encode()), (b"content-length", str(len(body)).encode())]
    for k, v in (extra or {}).items():
        headers.append((k.lower().encode(), str(v).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _capture(app, scope, receive) -> tuple[int, list, bytes]:
    status = 500
    headers: list = []
    chunks: list[bytes] = []

    async def capture_send(message):
        nonlocal status, headers
        if message["type"] == "http.response.start":
            status = message["status"]
            headers = list(message.get("headers", []))
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, capture_send)
    return status, headers, b"".join(chunks)


class _DropFilter:
    """Keep uvicorn's log quiet about connections we drop on purpose."""

    def filter(self, record) -> bool:  # logging.Filter protocol
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, _Dropped)


class ReplayServer:
    """Run the replay app with uvicorn on 127.0.0.1 in a background thread.

    >>> with ReplayServer() as srv:          # doctest: +SKIP
    ...     client.query_url_format = srv.arxiv_api_url + "?{}"
    """

    def __init__(
        self,
        corpus: Corpus | Path | str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        as_of: date | None = None,
        faults: FaultPlan | None = None,
        bulk_page_size: int = DEFAULT_BULK_PAGE,
        log_level: str = "warning",
        hostile: bool | date = False,
    ) -> None:
        if host not in ("127.0.0.1", "localhost"):
            raise ValueError(f"the replay server binds 127.0.0.1 only, not {host!r}")
        self.corpus = corpus if isinstance(corpus, Corpus) else load_corpus(corpus)
        self.as_of = as_of or date.today()
        self.faults = faults or FaultPlan()
        self.hostile: list = []  # replay.hostile.HostileRecord, served when hostile is set
        if hostile:
            from paramtrack.replay.hostile import HOSTILE_DATE, hostile_records, with_hostile

            pdfs = [p.pdf_path for p in self.corpus.with_pdfs if p.pdf_path is not None]  # all of them
            smallest = min(pdfs, key=lambda path: path.stat().st_size)
            self.hostile = hostile_records(hostile if isinstance(hostile, date) else HOSTILE_DATE, pdf=smallest)
            self.corpus = with_hostile(self.corpus, self.hostile)
        self.state = ReplayState(self.corpus, self.as_of, self.faults, bulk_page_size)
        self.app = create_app(self.state, hostile=self.hostile)
        self._requested_port = port
        self._log_level = log_level
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self.port: int | None = None

    # -- lifecycle
    def start(self) -> ReplayServer:
        import logging

        import uvicorn

        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self._requested_port))
        sock.listen(128)
        self._sock = sock
        self.port = sock.getsockname()[1]
        logging.getLogger("uvicorn.error").addFilter(_DropFilter())
        config = uvicorn.Config(
            self.app,
            log_level=self._log_level,
            access_log=False,
            http="h11",
            lifespan="off",
            timeout_graceful_shutdown=1,
            timeout_keep_alive=5,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [sock]}, name=f"replay-server-{self.port}", daemon=True
        )
        self._thread.start()
        deadline = _time.monotonic() + 10
        while not self._server.started:
            if not self._thread.is_alive() or _time.monotonic() > deadline:
                raise RuntimeError("replay server did not start")
            _time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.state.stopping.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._sock is not None:
            self._sock.close()
        self._server = self._thread = self._sock = None

    def serve_forever(self) -> None:
        """Block until Ctrl-C or until the server stops, then stop it (used by the CLI).

        Starts the server unless ``start()`` already ran: the CLI starts it first so it can turn
        a busy port into a one-line error and print the URLs before blocking here.
        """
        if self._thread is None:
            self.start()
        thread = self._thread  # stop() from another thread sets the attribute to None
        try:
            while thread is not None and thread.is_alive():
                # Sleep, not join(): on Python < 3.12 a Ctrl-C landing inside join() marks the
                # still-running thread as finished (python/cpython#90882), so stop() would not
                # wait for uvicorn and would close the socket under it.
                _time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- addresses
    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("replay server not started")
        return f"http://127.0.0.1:{self.port}"

    @property
    def arxiv_api_url(self) -> str:
        return f"{self.base_url}/api/query"

    @property
    def s2_api_url(self) -> str:
        return self.base_url

    def pdf_url(self, arxiv_id: str) -> str:
        aid = parse_arxiv_id(arxiv_id)
        if aid.version is None:
            p = self.corpus.papers.get(aid.id)
            return f"{self.base_url}/pdf/{aid.id}v{p.version}" if p else f"{self.base_url}/pdf/{aid.id}"
        return f"{self.base_url}/pdf/{aid.versioned}"

    # -- test helpers
    @property
    def request_log(self) -> list[dict[str, Any]]:
        with self.state.log_lock:
            return list(self.state.log)

    def clear_log(self) -> None:
        with self.state.log_lock:
            self.state.log.clear()

    def add_fault(self, path: str, kind: str, **kwargs: Any) -> FaultRule:
        return self.faults.add(path, kind, **kwargs)
