"""arXiv API answers as Atom feeds, in the 2025+ layout recorded in
``api/arxiv/arxiv.py_fixtures_2026`` (namespaces, element order, two-space indentation).

:func:`entry` builds one ``<entry>``, :func:`feed` the page around the entries, and
:func:`error_feed` the feed arXiv answers with HTTP 400 (one entry titled ``Error``).
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import UTC, datetime

from lxml import etree

from paramtrack.replay.corpus import CorpusPaper
from paramtrack.replay.xml_wire import child, to_bytes

__all__ = ["ATOM_TYPE", "entry", "feed", "error_feed"]

ATOM_TYPE = "application/atom+xml; charset=utf-8"
ATOM = "http://www.w3.org/2005/Atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
ARXIV = "http://arxiv.org/schemas/atom"
_NSMAP = {"opensearch": OPENSEARCH, "arxiv": ARXIV, None: ATOM}
_DECLARATION = b"<?xml version='1.0' encoding='UTF-8'?>\n"


def _a(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _x(name: str) -> str:
    return f"{{{ARXIV}}}{name}"


def _os(name: str) -> str:
    return f"{{{OPENSEARCH}}}{name}"


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def entry(p: CorpusPaper, version: int, base: str, pdf_base: str | None = None) -> etree._Element:
    """One paper's ``<entry>`` at ``version``; its links point at ``base`` (PDFs at ``pdf_base``
    when given). An older version's ``<updated>`` is its first-version date."""
    vid = f"{p.arxiv_id}v{version}"
    updated = p.updated if version == p.version else p.published
    e = etree.Element(_a("entry"), nsmap=_NSMAP)
    child(e, _a("id"), f"http://arxiv.org/abs/{vid}")
    child(e, _a("title"), p.title)
    child(e, _a("updated"), _iso(updated))
    child(e, _a("link"), attrib={"href": f"{base}/abs/{vid}", "rel": "alternate", "type": "text/html"})
    pdf = {"href": f"{pdf_base or base}/pdf/{vid}", "rel": "related", "type": "application/pdf", "title": "pdf"}
    child(e, _a("link"), attrib=pdf)
    child(e, _a("summary"), p.abstract)
    for c in p.categories:
        child(e, _a("category"), attrib={"term": c, "scheme": "http://arxiv.org/schemas/atom"})
    child(e, _a("published"), _iso(p.published))
    child(e, _x("primary_category"), attrib={"term": p.primary_category})
    if p.journal_ref:
        child(e, _x("journal_ref"), p.journal_ref)
    for a in p.authors:
        child(child(e, _a("author")), _a("name"), a)
    if p.doi:
        child(e, _x("doi"), p.doi)
        child(e, _a("link"), attrib={"rel": "related", "href": "https://doi.org/" + p.doi, "title": "doi"})
    return e


def _head(feed_id: str, title: str, updated: str, counts: tuple[int, int, int], link: str | None) -> etree._Element:
    """The feed's own elements; ``counts`` are (items per page, total results, start index)."""
    root = etree.Element(_a("feed"), nsmap=_NSMAP)
    child(root, _a("id"), feed_id)
    child(root, _a("title"), title)
    child(root, _a("updated"), updated)
    if link is not None:
        child(root, _a("link"), attrib={"href": link, "type": "application/atom+xml"})
    for name, count in zip(("itemsPerPage", "totalResults", "startIndex"), counts):
        child(root, _os(name), str(count))
    return root


def feed(
    title_query: str, link_query: str, entries: Iterable[etree._Element], total: int, start: int, per_page: int
) -> bytes:
    """A result page: ``total`` matches, these ``entries`` from ``start``; arXiv names the feed
    after the first 20 bytes of its query."""
    feed_id = base64.urlsafe_b64encode(title_query.encode()[:20]).decode().rstrip("=")
    root = _head(
        f"https://arxiv.org/api/{feed_id}",
        f"arXiv Query: {title_query}",
        _iso(datetime.now(UTC)),
        (per_page, total, start),
        link="https://arxiv.org/api/query?" + link_query,
    )
    root.extend(entries)
    return to_bytes(root, declaration=_DECLARATION, pretty=True)


def error_feed(message: str, anchor: str) -> bytes:
    """arXiv's answer to a bad request: one entry titled ``Error`` whose summary says why and
    whose id links to ``https://arxiv.org/api/errors#<anchor>``."""
    now = _iso(datetime.now(UTC))
    root = _head("https://arxiv.org/", "arXiv Search Results", now, (1, 1, 0), link=None)
    url = f"https://arxiv.org/api/errors#{anchor}"
    e = child(root, _a("entry"))
    child(e, _a("id"), url)
    child(e, _a("title"), "Error")
    child(e, _a("updated"), now)
    child(e, _a("link"), attrib={"href": url, "rel": "alternate", "type": "text/html"})
    child(e, _a("summary"), message)
    child(child(e, _a("author")), _a("name"), "arXiv api core")
    return to_bytes(root, declaration=_DECLARATION, pretty=True)
