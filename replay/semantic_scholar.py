"""Semantic Scholar's Graph API on the replay server, in the shapes of the recorded cassettes.

``POST /graph/v1/paper/batch`` (at most 500 ids, ``null`` for unknown ones, in order),
``GET /graph/v1/paper/search/bulk`` (continuation tokens, ``sort``), ``GET /graph/v1/paper/search``
(``offset``/``limit``), ``GET /graph/v1/paper/{id}``. Both searches filter by ``query``,
``minCitationCount``, ``publicationDateOrYear``, ``year`` and ``fieldsOfStudy``. Citation counts
are the corpus's as of the server's date; a paper not yet published is unknown.
"""

from __future__ import annotations

import base64
import calendar
import json
import re
import zlib
from collections.abc import Callable
from datetime import date
from typing import Any

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from paramtrack.replay.arxiv_query import text_match
from paramtrack.replay.corpus import CorpusPaper
from paramtrack.replay.state import ReplayState, replay_state

__all__ = ["routes", "S2Error", "S2_PAPER_FIELDS", "S2_429_BODY", "paper_json"]

#: The body of Semantic Scholar's real 429 (the fault layer sends it).
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
MAX_BATCH = 500
MAX_SEARCH_LIMIT = 100


class S2Error(Exception):
    """An answer Semantic Scholar gives as ``{"error": message}`` with an HTTP ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


async def s2_error(request: Request, exc: Exception) -> Response:
    """Starlette's handler for :class:`S2Error`."""
    assert isinstance(exc, S2Error)
    return JSONResponse({"error": exc.message}, status_code=exc.status)


def _fields(raw: str | None) -> list[str]:
    """The top-level fields asked for (``title`` when none); unknown ones are an error."""
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
        raise S2Error(400, f"Unrecognized or unsupported fields: [{', '.join(bad)}]")
    return fields


def paper_json(p: CorpusPaper, count: int, fields: list[str]) -> dict[str, Any]:
    """The Graph API's paper object: ``paperId`` and the fields asked for."""
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


def _json(state: ReplayState, p: CorpusPaper, fields: list[str]) -> dict[str, Any]:
    return paper_json(p, state.s2_count(p) or 0, fields)


# ---------------------------------------------------------------- search filters ----


def _period(text: str, end: bool) -> date:
    """``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD`` to its first day (its last when ``end``)."""
    parts = [int(x) for x in text.split("-")]
    if len(parts) == 1:
        return date(parts[0], 12, 31) if end else date(parts[0], 1, 1)
    if len(parts) == 2:
        y, m = parts
        return date(y, m, calendar.monthrange(y, m)[1]) if end else date(y, m, 1)
    return date(*parts)


def _date_range(spec: str) -> tuple[date, date]:
    """``publicationDateOrYear``: a period, or ``A:B`` with either end open."""
    if not re.fullmatch(r"(\d{4}(-\d{2}(-\d{2})?)?)?(:(\d{4}(-\d{2}(-\d{2})?)?)?)?", spec):
        raise ValueError(f"bad publicationDateOrYear {spec!r}")
    if ":" not in spec:
        return _period(spec, False), _period(spec, True)
    a, b = spec.split(":", 1)
    return (_period(a, False) if a else date.min), (_period(b, True) if b else date.max)


def _year_range(spec: str) -> tuple[int, int]:
    """``year``: ``2019``, ``2016-2020``, ``2010-`` or ``-2015``."""
    m = re.fullmatch(r"(\d{4})?(-)?(\d{4})?", spec.strip())
    if not m or not (m.group(1) or m.group(3)):
        raise ValueError(f"bad year {spec!r}")
    if not m.group(2):
        return int(m.group(1)), int(m.group(1))
    return int(m.group(1) or 0), int(m.group(3) or 9999)


def _query_match(query: str, p: CorpusPaper) -> bool:
    """The bulk search's query syntax: ``|`` alternatives of ``+``/``-`` words and phrases
    (a trailing ``*`` is dropped) against the title and abstract; ``*`` or nothing matches all."""
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
            if text_match(tok if tok.startswith('"') else tok.rstrip("*"), blob) == neg:
                ok = False
                break
        if ok:
            return True
    return False


def _bounds(qp: QueryParams, name: str, parse: Callable[[str], tuple[Any, Any]]) -> tuple[Any, Any] | None:
    """The range a filter names (None when absent); a value that does not parse is a 400."""
    if not qp.get(name):
        return None
    try:
        return parse(qp[name])
    except ValueError as exc:
        raise S2Error(400, str(exc)) from None


def _filtered(state: ReplayState, qp: QueryParams) -> list[CorpusPaper]:
    """The papers both searches start from: known as of the server's date and matching every
    filter given."""
    papers = [p for p in state.corpus.papers.values() if state.s2_count(p) is not None]
    papers = [p for p in papers if _query_match(qp.get("query", "") or "", p)]
    if qp.get("minCitationCount"):
        try:
            n = int(qp["minCitationCount"])
        except ValueError:
            raise S2Error(400, "minCitationCount must be an integer") from None
        papers = [p for p in papers if (state.s2_count(p) or 0) >= n]
    if dates := _bounds(qp, "publicationDateOrYear", _date_range):
        papers = [p for p in papers if dates[0] <= p.published.date() <= dates[1]]
    if years := _bounds(qp, "year", _year_range):
        papers = [p for p in papers if years[0] <= p.published.year <= years[1]]
    if qp.get("fieldsOfStudy"):
        wanted = {f.strip().lower() for f in qp["fieldsOfStudy"].split(",")}
        if "computer science" not in wanted:
            papers = []
    return papers


# ---------------------------------------------------------------- endpoints ----


def _encode_token(offset: int, key: str) -> str:
    raw = json.dumps({"o": offset, "k": key}).encode()
    return base64.b32encode(raw).decode().rstrip("=")


def _decode_token(token: str) -> tuple[int, str]:
    pad = "=" * (-len(token) % 8)
    data = json.loads(base64.b32decode(token + pad))
    return int(data["o"]), str(data["k"])


def _bulk_sort(state: ReplayState, papers: list[CorpusPaper], sort: str) -> None:
    """``sort=field[:asc|:desc]`` for paperId, publicationDate or citationCount."""
    sfield, _, order = sort.partition(":")
    keys: dict[str, Callable[[CorpusPaper], Any]] = {
        "paperId": lambda p: p.paper_id,
        "publicationDate": lambda p: (p.published, p.paper_id),
        "citationCount": lambda p: (state.s2_count(p) or 0, p.paper_id),
    }
    if sfield not in keys or order not in ("", "asc", "desc"):
        raise S2Error(400, f"Unsupported sort {sort!r}: use paperId, publicationDate or citationCount with :asc/:desc")
    papers.sort(key=keys[sfield], reverse=order == "desc")


def _bulk_offset(qp: QueryParams, query_key: str) -> int:
    """Where the page starts: 0, or the offset in ``token`` (which must belong to this query)."""
    if not qp.get("token"):
        return 0
    try:
        offset, tkey = _decode_token(qp["token"])
    except (ValueError, KeyError, TypeError, OverflowError):  # whatever a made-up token breaks
        raise S2Error(400, "Invalid token") from None
    if tkey != query_key:
        raise S2Error(400, "Token does not match this query")
    return offset


async def bulk_search(request: Request) -> Response:
    """``GET /graph/v1/paper/search/bulk``: pages of ``bulk_page_size`` with a ``token`` for the next."""
    state, qp = replay_state(request), request.query_params
    fields = _fields(qp.get("fields"))
    papers = _filtered(state, qp)
    _bulk_sort(state, papers, qp.get("sort") or "paperId:asc")
    key = json.dumps(sorted((k, v) for k, v in qp.items() if k not in {"token", "offset", "limit"}))
    query_key = str(zlib.crc32(key.encode()))
    offset = _bulk_offset(qp, query_key)
    page = papers[offset : offset + state.bulk_page_size]
    nxt = offset + len(page)
    token = _encode_token(nxt, query_key) if nxt < len(papers) else None
    return JSONResponse({"total": len(papers), "token": token, "data": [_json(state, p, fields) for p in page]})


async def search(request: Request) -> Response:
    """``GET /graph/v1/paper/search``: most cited first, ``offset``/``limit`` paging."""
    state, qp = replay_state(request), request.query_params
    fields = _fields(qp.get("fields"))
    papers = _filtered(state, qp)
    papers.sort(key=lambda p: (-(state.s2_count(p) or 0), p.paper_id))
    try:
        offset, limit = int(qp.get("offset", 0)), int(qp.get("limit", 100))
    except ValueError:
        raise S2Error(400, "offset and limit must be integers") from None
    if limit > MAX_SEARCH_LIMIT:
        raise S2Error(400, "The limit parameter must be between 1 and 100 inclusive.")
    out: dict[str, Any] = {"total": len(papers), "offset": offset}
    if offset + limit < len(papers):
        out["next"] = offset + limit
    out["data"] = [_json(state, p, fields) for p in papers[offset : offset + limit]]
    return JSONResponse(out)


async def batch(request: Request) -> Response:
    """``POST /graph/v1/paper/batch``: one object (or ``null``) per id, in order."""
    state = replay_state(request)
    fields = _fields(request.query_params.get("fields"))
    try:
        body = json.loads(await request.body() or b"null")
    except json.JSONDecodeError:
        raise S2Error(400, "Unacceptable request body: invalid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("ids"), list):
        raise S2Error(400, 'Request body must be a JSON object with an "ids" list')
    if len(body["ids"]) > MAX_BATCH:
        raise S2Error(400, "Cannot process more than 500 ids at once")
    papers = [state.s2_lookup(str(ident)) for ident in body["ids"]]
    return JSONResponse([None if p is None else _json(state, p, fields) for p in papers])


async def paper(request: Request) -> Response:
    """``GET /graph/v1/paper/{id}``: one paper (an arXiv URL works as an id, as on the real API)."""
    state, ident = replay_state(request), request.path_params["ident"]
    fields = _fields(request.query_params.get("fields"))
    p = state.s2_lookup(ident)
    if p is None and "arxiv.org" in ident:
        p = state.s2_lookup("URL:" + ident)
    if p is None:
        raise S2Error(404, f"Paper with id {ident} not found")
    return JSONResponse(_json(state, p, fields))


def routes() -> list[Route]:
    return [
        Route("/graph/v1/paper/batch", batch, methods=["POST"]),
        Route("/graph/v1/paper/search/bulk", bulk_search, methods=["GET"]),
        Route("/graph/v1/paper/search", search, methods=["GET"]),
        Route("/graph/v1/paper/{ident:path}", paper, methods=["GET"]),
    ]
