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
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from starlette.requests import Request
from starlette.responses import Response

from paramtrack.replay.corpus import CorpusPaper
from paramtrack.sources.arxiv_ids import parse_arxiv_id
from paramtrack.sources.arxiv_oai import oai_set_for

__all__ = ["OaiRepository", "endpoint", "DEFAULT_PAGE_SIZE"]

#: arXiv answers ListRecords 1,000 records at a time.
DEFAULT_PAGE_SIZE = 1000
EARLIEST_DATESTAMP = "2007-05-23"
XML_TYPE = "text/xml; charset=utf-8"

_ROOT_OPEN = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://www.openarchives.org/OAI/2.0/ '
    'http://www.openarchives.org/OAI/2.0/OAI-PMH.xsd">\n'
)
_ARXIV_OPEN = (
    ' <arXiv xmlns="http://arxiv.org/OAI/arXiv/" '
    'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
    'xsi:schemaLocation="http://arxiv.org/OAI/arXiv/ http://arxiv.org/OAI/arXiv.xsd">\n'
)


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


def _author_xml(name: str) -> str:
    parts = name.split()
    if len(parts) <= 1:
        return f"<author><keyname>{escape(name)}</keyname></author>"
    return (
        f"<author><keyname>{escape(parts[-1])}</keyname><forenames>{escape(' '.join(parts[:-1]))}</forenames></author>"
    )


def record_xml(p: CorpusPaper, set_specs: list[str]) -> str:
    """One ``<record>`` in the layout of the recorded ListRecords answers."""
    created = p.published.date()
    updated = p.updated.date()
    meta = [f"<id>{escape(p.arxiv_id)}</id>", f"<created>{created.isoformat()}</created>"]
    if updated != created:
        meta.append(f"<updated>{updated.isoformat()}</updated>")
    if p.authors:
        meta.append("<authors>" + "".join(_author_xml(a) for a in p.authors) + "</authors>")
    meta.append(f"<title>{escape(p.title)}</title>")
    meta.append(f"<categories>{escape(' '.join(p.categories))}</categories>")
    if p.journal_ref:
        meta.append(f"<journal-ref>{escape(p.journal_ref)}</journal-ref>")
    if p.doi:
        meta.append(f"<doi>{escape(p.doi)}</doi>")
    meta.append("<license>http://arxiv.org/licenses/nonexclusive-distrib/1.0/</license>")
    meta.append(f"<abstract>  {escape(p.abstract)}\n</abstract>")
    specs = "".join(f" <setSpec>{escape(s)}</setSpec>\n" for s in set_specs)
    return (
        "<record>\n<header>\n"
        f" <identifier>oai:arXiv.org:{escape(p.arxiv_id)}</identifier>\n"
        f" <datestamp>{datestamp(p).isoformat()}</datestamp>\n"
        f"{specs}</header>\n<metadata>\n{_ARXIV_OPEN} {''.join(meta)}</arXiv>\n</metadata>\n</record>\n"
    )


def _envelope(base: str, request_attrs: dict[str, str], inner: str) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    attrs = "".join(f" {k}={quoteattr(v)}" for k, v in request_attrs.items())
    return (
        f"{_ROOT_OPEN}<responseDate>{now}</responseDate>\n<request{attrs}>{escape(base)}</request>\n{inner}</OAI-PMH>\n"
    )


def _day(value: str, name: str) -> date:
    try:
        if len(value) != 10:
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise _OaiProblem(
            "badArgument", f"Illegal date format for {name}: {value!r} (granularity is YYYY-MM-DD)"
        ) from None


class OaiRepository:
    """The OAI-PMH view of a replay server's corpus; ``page_size`` and token expiry are settable
    by tests (``server.state.oai``)."""

    def __init__(self, state: Any, page_size: int = DEFAULT_PAGE_SIZE) -> None:
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
    def answer(self, params: dict[str, str], base: str) -> str:
        verb = params.get("verb", "")
        try:
            if verb == "Identify":
                return self._identify(params, base)
            if verb == "ListRecords":
                return self._list_records(params, base)
            if verb == "GetRecord":
                return self._get_record(params, base)
            raise _OaiProblem("badVerb", f"Illegal verb {verb!r}" if verb else "No verb given")
        except _OaiProblem as problem:
            # OAI-PMH: no request attributes echoed for badVerb/badArgument.
            attrs = {} if problem.code in ("badVerb", "badArgument") else dict(params)
            body = f'<error code="{problem.code}">{escape(problem.message)}</error>\n'
            return _envelope(base, attrs, body)

    def _identify(self, params: dict[str, str], base: str) -> str:
        if set(params) != {"verb"}:
            raise _OaiProblem("badArgument", "Identify takes no arguments")
        inner = (
            "<Identify>\n<repositoryName>arXiv</repositoryName>\n"
            f"<baseURL>{escape(base)}</baseURL>\n<protocolVersion>2.0</protocolVersion>\n"
            "<adminEmail>help@arxiv.org</adminEmail>\n"
            f"<earliestDatestamp>{EARLIEST_DATESTAMP}</earliestDatestamp>\n"
            "<deletedRecord>persistent</deletedRecord>\n<granularity>YYYY-MM-DD</granularity>\n"
            "</Identify>\n"
        )
        return _envelope(base, {"verb": "Identify"}, inner)

    def _list_records(self, params: dict[str, str], base: str) -> str:
        token = params.get("resumptionToken")
        if token is not None:
            if set(params) != {"verb", "resumptionToken"}:
                raise _OaiProblem("badArgument", "resumptionToken is an exclusive argument")
            query, offset = self._decode(token)
        else:
            allowed = {"verb", "metadataPrefix", "set", "from", "until"}
            extra = set(params) - allowed
            if extra:
                raise _OaiProblem("badArgument", f"Illegal argument(s): {', '.join(sorted(extra))}")
            if "metadataPrefix" not in params:
                raise _OaiProblem("badArgument", "metadataPrefix is required")
            query = {k: v for k, v in params.items() if k != "verb"}
            offset = 0
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
        selected.sort(key=lambda p: (datestamp(p), p.arxiv_id))
        if offset >= len(selected) or offset < 0:
            raise _OaiProblem("badResumptionToken", f"Invalid or expired resumptionToken: {token}")
        page = selected[offset : offset + self.page_size]
        records = "".join(record_xml(p, [set_spec] if set_spec else sets_of(p)) for p in page)
        nxt = offset + len(page)
        if nxt < len(selected):
            records += (
                f'<resumptionToken cursor="{offset}" completeListSize="{len(selected)}">'
                f"{escape(self._encode(query, nxt))}</resumptionToken>\n"
            )
        elif offset > 0:
            records += f'<resumptionToken cursor="{offset}" completeListSize="{len(selected)}"/>\n'
        return _envelope(base, dict(params), f"<ListRecords>\n{records}</ListRecords>\n")

    def _get_record(self, params: dict[str, str], base: str) -> str:
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
        return _envelope(base, dict(params), f"<GetRecord>\n{record_xml(p, sets_of(p))}</GetRecord>\n")


def endpoint(state: Any):
    """The Starlette endpoint for ``/oai2``; its repository is kept as ``state.oai``."""
    state.oai = OaiRepository(state)

    async def oai2(request: Request) -> Response:
        params = dict(request.query_params)
        if request.method == "POST":
            params.update({k: str(v) for k, v in (await request.form()).items()})
        base = str(request.base_url).rstrip("/") + "/oai2"
        return Response(state.oai.answer(params, base), media_type=XML_TYPE)

    return oai2
