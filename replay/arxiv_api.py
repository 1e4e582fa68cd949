"""arXiv on the replay server: the API (``/api/query``), PDFs (``/pdf/<id>[vN]``) and abstract
pages (``/abs/<id>[vN]``), answered from the corpus as of the server's date.

``/api/query`` takes ``search_query`` (:mod:`replay.arxiv_query`), ``id_list``, ``start``,
``max_results`` (at most 2,000), ``sortBy`` and ``sortOrder``, and answers Atom
(:mod:`replay.atom`); what arXiv refuses (a malformed id, a query it cannot read, a negative
``start``) answers HTTP 400 with arXiv's error feed. PDFs honour ``Range``.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from paramtrack.replay import atom
from paramtrack.replay.arxiv_query import Node, QueryError, matches, parse_query
from paramtrack.replay.corpus import CorpusPaper
from paramtrack.replay.state import ReplayState, replay_state
from paramtrack.sources.arxiv_ids import parse_arxiv_id

__all__ = ["routes", "ArxivApiError"]

MAX_RESULTS = 2000

Selection = list[tuple[CorpusPaper, int]]  # (paper, version served)


class ArxivApiError(Exception):
    """A request arXiv answers with HTTP 400 and its error feed (``anchor`` names the error)."""

    def __init__(self, message: str, anchor: str) -> None:
        super().__init__(message)
        self.message = message
        self.anchor = anchor


def _paging(qp: QueryParams) -> tuple[int, int]:
    """``start`` and ``max_results`` (capped at 2,000), or :class:`ArxivApiError`."""
    try:
        start = int(qp.get("start", "0") or 0)
        max_results = int(qp.get("max_results", "10") or 10)
    except ValueError:
        raise ArxivApiError("start and max_results must be integers", "start_or_max_results_not_integer") from None
    if start < 0 or max_results < 0:
        raise ArxivApiError("start and max_results must be non-negative", "start_must_be_non_negative")
    return start, min(max_results, MAX_RESULTS)


def _by_ids(state: ReplayState, id_list: str) -> Selection:
    """The listed papers at the listed versions; unknown ids and versions are left out, as
    arXiv does, and a malformed id is an error."""
    known = {p.arxiv_id: p for p in state.arxiv_papers()}
    selected: Selection = []
    for raw in id_list.split(","):
        raw = raw.strip()
        try:
            aid = parse_arxiv_id(raw)
        except ValueError:
            anchor = "incorrect_id_format_for_" + re.sub(r"\W", "_", raw)
            raise ArxivApiError(f"incorrect id format for {raw}", anchor) from None
        p = known.get(aid.id)
        if p is None or (aid.version is not None and aid.version > p.version):
            continue
        selected.append((p, aid.version or p.version))
    return selected


def _sort(selected: Selection, sort_by: str, sort_order: str) -> None:
    """arXiv's orders; "relevance" (the default) is the id order here."""
    reverse = sort_order != "ascending"
    if sort_by == "submittedDate":
        selected.sort(key=lambda pv: (pv[0].published, pv[0].arxiv_id), reverse=reverse)
    elif sort_by == "lastUpdatedDate":
        selected.sort(key=lambda pv: (pv[0].updated, pv[0].arxiv_id), reverse=reverse)
    else:
        selected.sort(key=lambda pv: pv[0].arxiv_id)


def _select(state: ReplayState, qp: QueryParams, search_query: str, id_list: str) -> Selection:
    """The papers a query names: ``id_list`` (else every paper) narrowed by ``search_query``,
    in arXiv's order unless only ids were given (then in the order listed)."""
    tree: Node | None = parse_query(search_query) if search_query.strip() else None
    if id_list.strip():
        selected = _by_ids(state, id_list)
    else:
        selected = [(p, p.version) for p in state.arxiv_papers()]
    if tree is not None:
        selected = [(p, v) for p, v in selected if matches(tree, p)]
    if not id_list.strip() or search_query.strip():
        _sort(selected, qp.get("sortBy", "relevance"), qp.get("sortOrder", "descending"))
    return selected


async def api_query(request: Request) -> Response:
    """``GET|POST /api/query``: one page of results as Atom."""
    state = replay_state(request)
    qp = request.query_params
    search_query = qp.get("search_query", "") or ""
    id_list = qp.get("id_list", "") or ""
    try:
        start, max_results = _paging(qp)
        selected = _select(state, qp, search_query, id_list)
    except QueryError as exc:
        raise ArxivApiError(str(exc), "malformed_query") from None
    link_q = f"search_query={search_query}&start={start}&max_results={max_results}&id_list={id_list}"
    title_q = f"search_query={search_query}&id_list={id_list}&start={start}&max_results={max_results}"
    base = str(request.base_url).rstrip("/")
    entries = [atom.entry(p, v, base, state.pdf_base) for p, v in selected[start : start + max_results]]
    body = atom.feed(title_q, link_q, entries, len(selected), start, max_results)
    return Response(body, media_type=atom.ATOM_TYPE)


async def arxiv_error(request: Request, exc: Exception) -> Response:
    """Starlette's handler for :class:`ArxivApiError`: HTTP 400 with arXiv's error feed."""
    assert isinstance(exc, ArxivApiError)
    return Response(atom.error_feed(exc.message, exc.anchor), 400, media_type=atom.ATOM_TYPE)


def _served_paper(state: ReplayState, ident: str) -> tuple[CorpusPaper | None, int | None]:
    """The paper (and version asked for) behind ``/pdf/<ident>`` or ``/abs/<ident>``."""
    ident = ident[:-4] if ident.endswith(".pdf") else ident
    try:
        aid = parse_arxiv_id(ident)
    except ValueError:
        return None, None
    p = state.corpus.papers.get(aid.id)
    if p is None or p.published.date() > state.as_of:
        return None, None
    return p, aid.version


def _byte_range(header: str, size: int) -> tuple[int, int] | None:
    """``bytes=A-B`` / ``bytes=A-`` / ``bytes=-N`` to (first, last); None when unsatisfiable."""
    m = re.fullmatch(r"bytes=(\d*)-(\d*)", header.strip())
    if not m or (not m.group(1) and not m.group(2)):
        return None
    if m.group(1):
        first = int(m.group(1))
        last = min(int(m.group(2)), size - 1) if m.group(2) else size - 1
    else:
        first, last = max(0, size - int(m.group(2))), size - 1
    if first >= size or first > last:
        return None
    return first, last


async def pdf(request: Request) -> Response:
    """``GET|HEAD /pdf/<id>[vN]``: the served version's PDF (HTTP 404 for any other)."""
    p, version = _served_paper(replay_state(request), request.path_params["ident"])
    if p is None or p.pdf_path is None or (version is not None and version != p.version):
        return Response("PDF not available\n", 404, media_type="text/plain")
    data = p.pdf_path.read_bytes()
    headers = {"Accept-Ranges": "bytes"}
    rng = request.headers.get("range")
    if not rng:
        return Response(data, 200, headers=headers, media_type="application/pdf")
    span = _byte_range(rng, len(data))
    if span is None:
        return Response(status_code=416, headers={"Content-Range": f"bytes */{len(data)}"})
    first, last = span
    headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
    return Response(data[first : last + 1], 206, headers=headers, media_type="application/pdf")


async def abs_page(request: Request) -> Response:
    """``GET /abs/<id>[vN]``: a minimal abstract page (title and abstract)."""
    p, _ = _served_paper(replay_state(request), request.path_params["ident"])
    if p is None:
        return Response("Article not found\n", 404, media_type="text/plain")
    html = (
        f"<!DOCTYPE html><html><head><title>[{escape(p.arxiv_id)}] {escape(p.title)}</title>"
        f"</head><body><h1>{escape(p.title)}</h1><p>{escape(p.abstract)}</p></body></html>"
    )
    return Response(html, media_type="text/html")


def routes() -> list[Route]:
    return [
        Route("/api/query", api_query, methods=["GET", "POST"]),
        Route("/pdf/{ident:path}", pdf, methods=["GET", "HEAD"]),
        Route("/abs/{ident:path}", abs_page, methods=["GET"]),
    ]
