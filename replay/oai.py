"""arXiv's OAI-PMH interface on the replay server (``GET/POST /oai2``), built from the corpus.

Shaped like the real answers recorded in ``api/arxiv/oai_pmh/`` (same namespaces, element order,
header/metadata layout, one element per line as arXiv writes them): ``Identify``,
``ListRecords`` (``metadataPrefix=arXiv``, ``set``, ``from``/``until`` on datestamps, resumption
tokens with ``cursor`` and ``completeListSize``), ``GetRecord``, and the OAI error codes
(``badVerb``, ``badArgument``, ``badResumptionToken``, ``cannotDisseminateFormat``,
``idDoesNotExist``, ``noRecordsMatch``). Flow control (503 + ``Retry-After``) comes from the
server's fault plan like every other fault.

**Derived** (the corpus records no OAI data): a record's datestamp (its last-modified date) is
the date of the corpus paper's ``updated`` (the arXiv stamp of the served PDF version for
ground-truth papers, else the first-version date); its sets come from its categories through
:func:`sources.arxiv_oai.oai_set_for`. As in the recorded ``ListRecords`` answers, a
set-restricted list names only the requested set in each header; ``GetRecord`` names them all.

Tokens are stateless (the query and an offset) but carry the repository's *generation*:
:meth:`OaiRepository.expire_tokens` makes every token issued so far answer
``badResumptionToken``, as arXiv's do after a while.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from lxml import etree
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from paramtrack.replay.corpus import CorpusPaper
from paramtrack.replay.xml_wire import child, element, to_bytes
from paramtrack.sources.arxiv_ids import parse_arxiv_id
from paramtrack.sources.arxiv_oai import oai_set_for

if TYPE_CHECKING:
    from paramtrack.replay.state import ReplayState

__all__ = ["OaiRepository", "routes", "DEFAULT_PAGE_SIZE", "datestamp", "sets_of"]

#: arXiv answers ListRecords 1,000 records at a time.
DEFAULT_PAGE_SIZE = 1000
EARLIEST_DATESTAMP = "2007-05-23"
XML_TYPE = "text/xml; charset=utf-8"

OAI = "http://www.openarchives.org/OAI/2.0/"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
ARXIV_FORMAT = "http://arxiv.org/OAI/arXiv/"
_SCHEMA_LOCATION = f"{{{XSI}}}schemaLocation"
_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
# arXiv declares xmlns:xsi again on every <arXiv>; lxml leaves out a declaration already in
# scope, so it is put back after serialising (the recordings' bytes, not a different meaning).
_ARXIV_OPEN = f'<arXiv xmlns="{ARXIV_FORMAT}" xsi:schemaLocation='.encode()
_ARXIV_OPEN_AS_RECORDED = f'<arXiv xmlns="{ARXIV_FORMAT}" xmlns:xsi="{XSI}" xsi:schemaLocation='.encode()


class _OaiProblem(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def datestamp(p: CorpusPaper) -> date:
    """The derived OAI datestamp (last modified): the paper's ``updated`` day."""
    return p.updated.date()


def sets_of(p: CorpusPaper) -> list[str]:
    return list(dict.fromkeys(oai_set_for(c) for c in p.categories))


def _o(name: str) -> str:
    return f"{{{OAI}}}{name}"


def _m(name: str) -> str:
    return f"{{{ARXIV_FORMAT}}}{name}"


def _one_per_line(parent: etree._Element, indent: str = "") -> etree._Element:
    """arXiv's layout: each child of ``parent`` on a line of its own, ``indent`` in."""
    parent.text = "\n" + indent
    for c in parent:
        c.tail = "\n" + indent
    if len(parent):
        parent[-1].tail = "\n"
    return parent


def _author(authors: etree._Element, name: str) -> None:
    """``<author><keyname>Last</keyname><forenames>First Middle</forenames></author>``."""
    parts = name.split()
    author = child(authors, _m("author"))
    if len(parts) <= 1:
        child(author, _m("keyname"), name)
        return
    child(author, _m("keyname"), parts[-1])
    child(author, _m("forenames"), " ".join(parts[:-1]))


def _arxiv_metadata(p: CorpusPaper) -> etree._Element:
    """The ``<arXiv>`` metadata format: its elements in arXiv.xsd's order, on one line."""
    schema = f"{ARXIV_FORMAT} http://arxiv.org/OAI/arXiv.xsd"
    m = element(_m("arXiv"), "\n ", {_SCHEMA_LOCATION: schema}, nsmap={None: ARXIV_FORMAT, "xsi": XSI})
    created, updated = p.published.date(), p.updated.date()
    child(m, _m("id"), p.arxiv_id)
    child(m, _m("created"), created.isoformat())
    if updated != created:
        child(m, _m("updated"), updated.isoformat())
    if p.authors:
        authors = child(m, _m("authors"))
        for a in p.authors:
            _author(authors, a)
    child(m, _m("title"), p.title)
    child(m, _m("categories"), " ".join(p.categories))
    if p.journal_ref:
        child(m, _m("journal-ref"), p.journal_ref)
    if p.doi:
        child(m, _m("doi"), p.doi)
    child(m, _m("license"), "http://arxiv.org/licenses/nonexclusive-distrib/1.0/")
    child(m, _m("abstract"), f"  {p.abstract}\n")
    return m


def record(parent: etree._Element, p: CorpusPaper, set_specs: list[str]) -> None:
    """Append one ``<record>`` in the layout of the recorded ListRecords answers."""
    rec = child(parent, _o("record"))
    header = child(rec, _o("header"))
    child(header, _o("identifier"), f"oai:arXiv.org:{p.arxiv_id}")
    child(header, _o("datestamp"), datestamp(p).isoformat())
    for spec in set_specs:
        child(header, _o("setSpec"), spec)
    _one_per_line(header, " ")
    metadata = child(rec, _o("metadata"))
    metadata.append(_arxiv_metadata(p))
    _one_per_line(metadata, " ")
    _one_per_line(rec)


def _document(base: str, request_attrs: dict[str, str], inner: etree._Element) -> bytes:
    """The OAI-PMH envelope around ``inner``: the response date and the request echoed."""
    schema = f"{OAI} http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd"
    root = element(_o("OAI-PMH"), attrib={_SCHEMA_LOCATION: schema}, nsmap={None: OAI, "xsi": XSI})
    child(root, _o("responseDate"), datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    child(root, _o("request"), base, request_attrs)
    root.append(inner)
    body = to_bytes(_one_per_line(root), declaration=_DECLARATION)
    return body.replace(_ARXIV_OPEN, _ARXIV_OPEN_AS_RECORDED)


def _inner(name: str, text: str | None = None, attrib: dict[str, str] | None = None) -> etree._Element:
    return element(_o(name), text, attrib, nsmap={None: OAI})


def _day(value: str, name: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise _OaiProblem(
            "badArgument", f"Illegal date format for {name}: {value!r} (granularity is YYYY-MM-DD)"
        ) from None


Answer = tuple[dict[str, str], etree._Element]  # (request attributes echoed, the verb's element)


class OaiRepository:
    """The OAI-PMH view of a replay server's corpus; ``page_size`` and token expiry are settable
    by tests (``server.state.oai``)."""

    def __init__(self, state: ReplayState, page_size: int = DEFAULT_PAGE_SIZE) -> None:
        self.state = state
        self.page_size = page_size
        self.generation = 0

    def expire_tokens(self) -> None:
        """Every resumption token issued so far becomes invalid (``badResumptionToken``)."""
        self.generation += 1

    # -- tokens
    def _encode(self, query: dict[str, str], offset: int) -> str:
        raw = json.dumps({**query, "g": self.generation}, sort_keys=True).encode()
        return f"{base64.b32encode(raw).decode().rstrip('=')}|{offset}"

    def _decode(self, token: str) -> tuple[dict[str, str], int]:
        try:
            key, _, offset = token.partition("|")
            data = json.loads(base64.b32decode(key + "=" * (-len(key) % 8)))
            if data.pop("g") != self.generation:
                raise ValueError("expired")
            return data, int(offset)
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            raise _OaiProblem("badResumptionToken", f"Invalid or expired resumptionToken: {token}") from None

    # -- verbs
    def answer(self, params: dict[str, str], base: str) -> bytes:
        """The whole OAI-PMH document answering ``params`` (errors included, as OAI-PMH wants)."""
        verbs = {"Identify": self._identify, "ListRecords": self._list_records, "GetRecord": self._get_record}
        verb = params.get("verb", "")
        try:
            if verb not in verbs:
                raise _OaiProblem("badVerb", f"Illegal verb {verb!r}" if verb else "No verb given")
            attrs, inner = verbs[verb](params, base)
        except _OaiProblem as problem:
            # OAI-PMH: no request attributes echoed for badVerb/badArgument.
            attrs = {} if problem.code in ("badVerb", "badArgument") else dict(params)
            inner = _inner("error", problem.message, {"code": problem.code})
        return _document(base, attrs, inner)

    def _identify(self, params: dict[str, str], base: str) -> Answer:
        if set(params) != {"verb"}:
            raise _OaiProblem("badArgument", "Identify takes no arguments")
        inner = _inner("Identify")
        for tag, text in (
            ("repositoryName", "arXiv"),
            ("baseURL", base),
            ("protocolVersion", "2.0"),
            ("adminEmail", "help@arxiv.org"),
            ("earliestDatestamp", EARLIEST_DATESTAMP),
            ("deletedRecord", "persistent"),
            ("granularity", "YYYY-MM-DD"),
        ):
            child(inner, _o(tag), text)
        return {"verb": "Identify"}, _one_per_line(inner)

    def _list_query(self, params: dict[str, str]) -> tuple[dict[str, str], int]:
        """The query a ListRecords request stands for (its own, or its token's) and the offset."""
        token = params.get("resumptionToken")
        if token is not None:
            if set(params) != {"verb", "resumptionToken"}:
                raise _OaiProblem("badArgument", "resumptionToken is an exclusive argument")
            return self._decode(token)
        extra = set(params) - {"verb", "metadataPrefix", "set", "from", "until"}
        if extra:
            raise _OaiProblem("badArgument", f"Illegal argument(s): {', '.join(sorted(extra))}")
        if "metadataPrefix" not in params:
            raise _OaiProblem("badArgument", "metadataPrefix is required")
        return {k: v for k, v in params.items() if k != "verb"}, 0

    def _matching(self, query: dict[str, str]) -> list[CorpusPaper]:
        """The records of a ListRecords query, in datestamp order; none is an OAI error."""
        prefix = query.get("metadataPrefix", "")
        if prefix != "arXiv":
            raise _OaiProblem(
                "cannotDisseminateFormat", f"The replay server serves metadataPrefix=arXiv only, not {prefix!r}"
            )
        since = _day(query["from"], "from") if query.get("from") else None
        until = _day(query["until"], "until") if query.get("until") else None
        if since and until and until < since:
            raise _OaiProblem("badArgument", "until is before from")
        set_spec = query.get("set")
        selected = []
        for p in self.state.arxiv_papers():
            stamp = datestamp(p)
            if since and stamp < since or until and stamp > until:
                continue
            if set_spec and set_spec not in sets_of(p):
                continue
            selected.append(p)
        if not selected:
            raise _OaiProblem("noRecordsMatch", "No records match the request")
        return sorted(selected, key=lambda p: (datestamp(p), p.arxiv_id))

    def _list_records(self, params: dict[str, str], base: str) -> Answer:
        query, offset = self._list_query(params)
        selected = self._matching(query)
        if offset >= len(selected) or offset < 0:
            token = params.get("resumptionToken")
            raise _OaiProblem("badResumptionToken", f"Invalid or expired resumptionToken: {token}")
        set_spec = query.get("set")
        inner = _inner("ListRecords")
        page = selected[offset : offset + self.page_size]
        for p in page:
            record(inner, p, [set_spec] if set_spec else sets_of(p))
        nxt = offset + len(page)
        counts = {"cursor": str(offset), "completeListSize": str(len(selected))}
        if nxt < len(selected):
            child(inner, _o("resumptionToken"), self._encode(query, nxt), counts)
        elif offset > 0:
            child(inner, _o("resumptionToken"), None, counts)
        return dict(params), _one_per_line(inner)

    def _get_record(self, params: dict[str, str], base: str) -> Answer:
        if set(params) != {"verb", "identifier", "metadataPrefix"}:
            raise _OaiProblem("badArgument", "GetRecord needs identifier and metadataPrefix")
        if params["metadataPrefix"] != "arXiv":
            raise _OaiProblem("cannotDisseminateFormat", "The replay server serves metadataPrefix=arXiv only")
        ident = params["identifier"]
        p = None
        if ident.startswith("oai:arXiv.org:"):
            try:
                aid = parse_arxiv_id(ident.removeprefix("oai:arXiv.org:")).id
            except ValueError:
                aid = ""
            p = next((q for q in self.state.arxiv_papers() if q.arxiv_id == aid), None)
        if p is None:
            raise _OaiProblem(
                "idDoesNotExist", f"{ident} has the structure of a valid identifier but it maps to no known item"
            )
        inner = _inner("GetRecord")
        record(inner, p, sets_of(p))
        return dict(params), _one_per_line(inner)


async def oai2(request: Request) -> Response:
    """``GET|POST /oai2``: the server's :class:`OaiRepository` (``state.oai``) answers."""
    params = dict(request.query_params)
    if request.method == "POST":
        params.update({k: str(v) for k, v in (await request.form()).items()})
    base = str(request.base_url).rstrip("/") + "/oai2"
    repository: OaiRepository = request.app.state.replay.oai
    return Response(repository.answer(params, base), media_type=XML_TYPE)


def routes() -> list[Route]:
    return [Route("/oai2", oai2, methods=["GET", "POST"])]
