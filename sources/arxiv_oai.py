"""arXiv OAI-PMH client (httpx): harvest years of metadata a page of ~1,000 records at a time.

Why OAI-PMH and not the search API: the search API pages 100 results per 3 s and caps deep
paging, so a backfill of hundreds of thousands of papers would take days; ``ListRecords`` with
``metadataPrefix=arXiv`` returns about 1,000 full records per request and is what arXiv asks
bulk harvesters to use (https://info.arxiv.org/help/oa/index.html).

What this client does, and why:

* ``ListRecords`` per OAI *set* (``cs``, ``stat``, ``eess``, ``math``, ``physics:hep-th`` ...:
  arXiv's sets are archives, not categories, see :func:`oai_set_for`), ``from=`` the window's
  first day and **no** ``until``: OAI datestamps are last-modified dates, so a paper submitted in
  the window may carry any later datestamp. The caller keeps a record only if its own
  ``<created>`` date (the first version's) is in the window and a category matches
  (:func:`in_window`).
* follows ``resumptionToken`` until it is empty or absent; each page comes back with its token
  so the caller can checkpoint it and resume a killed harvest;
* OAI errors are explicit: ``noRecordsMatch`` is an empty result, ``badResumptionToken`` raises
  :class:`BadResumptionTokenError` (tokens expire: the caller restarts from the window start),
  ``badArgument`` and the rest raise :class:`OaiError` naming the code;
* arXiv's flow control (HTTP 503 with ``Retry-After``) is honoured; other 5xx/429, timeouts,
  network errors and truncated XML are retried with exponential backoff and our own jitter
  (:func:`sources._http.backoff_delay`); connection refused fails at once with a hint;
* every request goes through the process-wide ``ARXIV`` limiter (one request / 3 s by default,
  shared with the search API client, :mod:`sources.pacing`).
"""

from __future__ import annotations

import logging
import random
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from datetime import time as dtime
from typing import Any

import httpx

from paramtrack.core.errors import SourceUnavailableError
from paramtrack.core.settings import ARXIV_DELAY_S, ARXIV_OAI_URL, ARXIV_PDF_URL
from paramtrack.sources._http import (
    RETRY_STATUSES,
    OwnsHttpClient,
    describe,
    is_connection_refused,
    parse_retry_after,
)
from paramtrack.sources.arxiv_ids import parse_arxiv_id
from paramtrack.sources.arxiv_source import ArxivPaper
from paramtrack.sources.pacing import ARXIV, shared_limiter
from paramtrack.sources.retrying import Backoff, Retry, refused
from paramtrack.sources.user_agent import user_agent as make_user_agent

__all__ = [
    "OAI_NS",
    "ARXIV_NS",
    "OaiPage",
    "OaiError",
    "BadResumptionTokenError",
    "ArxivOaiClient",
    "oai_set_for",
    "oai_sets_for",
    "parse_oai_response",
    "in_window",
]

log = logging.getLogger(__name__)

OAI_NS = "http://www.openarchives.org/OAI/2.0/"
ARXIV_NS = "http://arxiv.org/OAI/arXiv/"
_O = f"{{{OAI_NS}}}"

#: Archives that arXiv's OAI interface files under the ``physics`` group (``physics:<archive>``).
_PHYSICS_ARCHIVES = frozenset(
    {
        "astro-ph",
        "cond-mat",
        "gr-qc",
        "hep-ex",
        "hep-lat",
        "hep-ph",
        "hep-th",
        "math-ph",
        "nlin",
        "nucl-ex",
        "nucl-th",
        "physics",
        "quant-ph",
    }
)


def oai_set_for(category: str) -> str:
    """arXiv's OAI set holding ``category``: ``cs.LG`` -> ``cs``, ``hep-th`` -> ``physics:hep-th``,
    ``physics.optics`` -> ``physics:physics``, ``stat.ML`` -> ``stat``."""
    archive = category.split(".", 1)[0]
    if archive in _PHYSICS_ARCHIVES:
        return f"physics:{archive}"
    return archive


def oai_sets_for(categories: Iterable[str]) -> list[str]:
    """The sets to harvest for ``categories``, each once, in first-seen order."""
    return list(dict.fromkeys(oai_set_for(c) for c in categories))


def in_window(paper: ArxivPaper, since: date, until: date, categories: Iterable[str]) -> bool:
    """Keep a harvested record? Its first-version date in [since, until] and a category shared.

    The harvest runs on last-modified datestamps, so most records of an old window's harvest are
    old papers touched recently, or new papers after the window: this is the filter that matters.
    """
    wanted = set(categories)
    return since <= paper.published <= until and bool(wanted.intersection(paper.categories))


class OaiError(SourceUnavailableError):
    """An OAI-PMH ``<error code="...">`` answer other than ``noRecordsMatch``."""

    def __init__(self, code: str, message: str, url: str) -> None:
        self.code = code
        super().__init__(f"arXiv OAI-PMH answered {code}: {message or 'no detail'} ({url})")


class BadResumptionTokenError(OaiError):
    """The resumption token expired or is unknown: restart the harvest from the window start."""


@dataclass(frozen=True)
class OaiPage:
    """One ``ListRecords`` answer: its records and where the next page starts."""

    records: list[ArxivPaper]
    token: str | None  # None on the last page
    complete_list_size: int | None
    cursor: int | None
    datestamps: dict[str, date]  # arxiv_id -> OAI datestamp (last modified)


def _text(el: ET.Element | None) -> str:
    return "".join(el.itertext()) if el is not None else ""


def _child(parent: ET.Element, name: str) -> ET.Element | None:
    """The arXiv-format child ``name``, namespaced or not.

    Real responses are not uniform: ``sample_arxiv_record.xml``'s first record declares no
    ``xmlns`` on ``<arXiv>``, so its children sit in the OAI namespace instead.
    """
    for ns in (f"{{{ARXIV_NS}}}", _O, ""):
        el = parent.find(f"{ns}{name}")
        if el is not None:
            return el
    return None


def _children(parent: ET.Element | None, name: str) -> list[ET.Element]:
    if parent is None:
        return []
    for ns in (f"{{{ARXIV_NS}}}", _O, ""):
        found = parent.findall(f"{ns}{name}")
        if found:
            return found
    return []


def _day(text: str) -> date | None:
    text = text.strip()
    return date.fromisoformat(text[:10]) if text else None


def _paper(meta: ET.Element, pdf_url_format: str) -> ArxivPaper | None:
    """An ``<arXiv>`` metadata element as an :class:`ArxivPaper` (None without id or created)."""
    raw_id = _text(_child(meta, "id")).strip()
    created = _day(_text(_child(meta, "created")))
    if not raw_id or created is None:
        return None
    aid = parse_arxiv_id(raw_id)
    updated_day = _day(_text(_child(meta, "updated"))) or created
    authors = []
    for author in _children(_child(meta, "authors"), "author"):
        parts = [" ".join(_text(_child(author, n)).split()) for n in ("forenames", "keyname", "suffix")]
        name = " ".join(p for p in parts if p)
        if name:
            authors.append(name)
    categories = tuple(_text(_child(meta, "categories")).split())
    doi = " ".join(_text(_child(meta, "doi")).split()) or None
    journal_ref = " ".join(_text(_child(meta, "journal-ref")).split()) or None
    return ArxivPaper(
        arxiv_id=aid.id,
        version=aid.version,  # the arXiv format names no version: the latest one is served
        title=" ".join(_text(_child(meta, "title")).split()),
        abstract=" ".join(_text(_child(meta, "abstract")).split()),
        authors=tuple(authors),
        categories=categories,
        primary_category=categories[0] if categories else "",  # arXiv lists the primary first
        published=created,
        updated=datetime.combine(updated_day, dtime(0, 0), tzinfo=UTC),
        doi=doi,
        journal_ref=journal_ref,
        pdf_url=pdf_url_format.format(id=aid.id),
    )


def _int_attr(el: ET.Element, name: str) -> int | None:
    value = el.get(name)
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def parse_oai_response(body: bytes, *, url: str = "", pdf_url_format: str = ARXIV_PDF_URL) -> OaiPage:
    """Parse a ``ListRecords`` or ``GetRecord`` answer; raises :class:`OaiError` for OAI errors
    (``noRecordsMatch`` is an empty page) and ``ET.ParseError`` for broken XML."""
    root = ET.fromstring(body)
    if root.tag != f"{_O}OAI-PMH":
        raise ET.ParseError(f"not an OAI-PMH response (root element {root.tag})")
    for err in root.findall(f"{_O}error"):
        code = err.get("code", "")
        if code == "noRecordsMatch":
            return OaiPage([], None, 0, 0, {})
        cls = BadResumptionTokenError if code == "badResumptionToken" else OaiError
        raise cls(code, " ".join(_text(err).split()), url)
    container = root.find(f"{_O}ListRecords")
    if container is None:
        container = root.find(f"{_O}GetRecord")
    if container is None:
        raise ET.ParseError("OAI-PMH response holds neither ListRecords nor GetRecord")
    records: list[ArxivPaper] = []
    datestamps: dict[str, date] = {}
    for rec in container.findall(f"{_O}record"):
        header = rec.find(f"{_O}header")
        if header is not None and header.get("status") == "deleted":
            continue
        meta_wrap = rec.find(f"{_O}metadata")
        if meta_wrap is None or len(meta_wrap) == 0:
            continue
        paper = _paper(meta_wrap[0], pdf_url_format)
        if paper is None:
            continue
        records.append(paper)
        stamp = _day(_text(header.find(f"{_O}datestamp"))) if header is not None else None
        if stamp:
            datestamps[paper.arxiv_id] = stamp
    token_el = container.find(f"{_O}resumptionToken")
    token = size = cursor = None
    if token_el is not None:
        token = (token_el.text or "").strip() or None
        size = _int_attr(token_el, "completeListSize")
        cursor = _int_attr(token_el, "cursor")
    return OaiPage(records, token, size, cursor, datestamps)


class ArxivOaiClient(OwnsHttpClient):
    """``ListRecords``/``GetRecord``/``Identify`` against arXiv's OAI-PMH endpoint (or the replay
    server's ``/oai2``)."""

    def __init__(
        self,
        base_url: str = ARXIV_OAI_URL,
        *,
        delay_seconds: float = ARXIV_DELAY_S,
        max_retries: int = 5,
        backoff_base: float = 3.0,
        max_backoff: float = 120.0,
        timeout: float = 120.0,
        pdf_url_format: str = ARXIV_PDF_URL,
        user_agent: str | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("?")
        self.limiter = shared_limiter(ARXIV, delay_seconds)
        self.timeout = timeout
        self.pdf_url_format = pdf_url_format
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=timeout, headers={"User-Agent": user_agent or make_user_agent()})
        self._backoff = Backoff(max_retries, backoff_base, max_backoff, sleep, random.Random(seed))
        self.waits = self._backoff.waits  # backoff / Retry-After waits taken
        self.problems: list[str] = []  # one line per retried request (for run reports)

    # -- verbs
    def list_records(self, set_spec: str, from_day: date, token: str | None = None) -> OaiPage:
        """One page: the first of the set from ``from_day`` or, with ``token``, the next one.

        With a token, OAI allows no other argument but the verb (arXiv answers badArgument).
        """
        if token:
            params = {"verb": "ListRecords", "resumptionToken": token}
        else:
            params = {"verb": "ListRecords", "metadataPrefix": "arXiv", "set": set_spec, "from": from_day.isoformat()}
        return self._request(params)

    def harvest(self, set_spec: str, from_day: date, token: str | None = None) -> Iterator[OaiPage]:
        """Every page of the set from ``from_day`` (or from ``token``), following tokens."""
        while True:
            page = self.list_records(set_spec, from_day, token)
            yield page
            token = page.token
            if not token:
                return

    def get_record(self, arxiv_id: str) -> ArxivPaper | None:
        aid = parse_arxiv_id(arxiv_id)
        try:
            page = self._request(
                {"verb": "GetRecord", "metadataPrefix": "arXiv", "identifier": f"oai:arXiv.org:{aid.id}"}
            )
        except OaiError as exc:
            if exc.code == "idDoesNotExist":
                return None
            raise
        return page.records[0] if page.records else None

    def identify(self) -> dict[str, str]:
        """``Identify``'s simple fields (repositoryName, baseURL, earliestDatestamp, ...)."""
        body = self._fetch({"verb": "Identify"})
        root = ET.fromstring(body)
        ident = root.find(f"{_O}Identify")
        if ident is None:
            raise SourceUnavailableError(f"arXiv OAI-PMH Identify answered no <Identify> ({self.base_url})")
        return {child.tag.removeprefix(_O): (child.text or "").strip() for child in ident if len(child) == 0}

    # -- transport
    def _request(self, params: dict[str, str]) -> OaiPage:
        return self._fetch(params, parse=True)

    def _fetch(self, params: dict[str, str], *, parse: bool = False) -> Any:
        url = self.base_url
        shown = f"{url}?verb={params.get('verb')}"

        def attempt() -> Any:
            self.limiter.wait()
            try:
                resp = self._client.get(url, params=params, timeout=self.timeout)
                body = resp.content
            except httpx.TransportError as exc:
                if is_connection_refused(exc):
                    raise refused("arXiv OAI-PMH", url) from exc
                raise Retry(describe(exc)) from exc
            if resp.status_code in RETRY_STATUSES:
                # arXiv's flow control: it says when to come back (Retry-After), and that is the rule.
                raise Retry(f"HTTP {resp.status_code}", retry_after=parse_retry_after(resp.headers.get("retry-after")))
            if resp.status_code != 200:
                raise SourceUnavailableError(
                    f"arXiv OAI-PMH {shown} answered HTTP {resp.status_code}: "
                    f"{body[:200].decode('utf-8', 'replace').strip()}",
                    url=url,
                )
            if not parse:
                return body
            try:
                return parse_oai_response(body, url=shown, pdf_url_format=self.pdf_url_format)
            except ET.ParseError as exc:
                raise Retry(f"malformed or truncated XML ({exc}, {len(body)} bytes)") from exc

        def gave_up(last: str) -> SourceUnavailableError:
            return SourceUnavailableError(
                f"arXiv OAI-PMH {shown} kept failing after {self._backoff.tries} attempts (last: {last})", url=url
            )

        return self._backoff.run(
            attempt, what=f"arXiv OAI-PMH {shown}", on_problem=self.problems.append, gave_up=gave_up
        )
