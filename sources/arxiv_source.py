"""arXiv API client built on the ``arxiv`` package (4.0.2), with a configurable base URL.

What we add on top of ``arxiv.Client``:

* the base URL (``query_url_format`` set on the instance), so tests and offline runs use the
  local replay server;
* our User-Agent and a request timeout (the package sends ``arxiv.py/<version>`` per request and
  no timeout at all) via a small ``requests.Session`` subclass;
* retries with exponential backoff (the package retries at once, only ``delay_seconds`` apart),
  including a first page that claims results but carries none, short/truncated bodies, and
  HTTP 5xx/429; HTTP 4xx is not retried; connection refused fails at once;
* every final failure becomes :class:`~paramtrack.core.errors.SourceUnavailableError` naming the URL;
* bytes that are not UTF-8 and XML-illegal control characters become U+FFFD before parsing, and
  a page that is still not well-formed XML (garbled in transit) is retried — the package's
  lenient parser would otherwise read it as an empty page (see :func:`_clean_feed_bytes`);
* ``close()`` / ``with ArxivSource(...) as src:`` to release the session's connections;
* :meth:`ArxivSource.window_page`: one page of a window listing at a given offset, so a run can
  commit page by page and a killed run can resume at the offset it had committed.

arXiv asks for at most one request every 3 seconds. The package enforces ``delay_seconds`` per
``Client`` instance; a run builds several sources (window poll, id fetches, OAI-PMH), so the
spacing is enforced instead by the process-wide :func:`sources.pacing.shared_limiter` before
every request, retries included.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

import arxiv
import requests
from lxml import etree

from paramtrack.core.errors import ParamtrackError, SourceUnavailableError
from paramtrack.core.settings import ARXIV_API_URL, ARXIV_DELAY_S
from paramtrack.sources._http import is_connection_refused
from paramtrack.sources.arxiv_ids import parse_arxiv_id
from paramtrack.sources.pacing import ARXIV, SourceProblems, shared_limiter
from paramtrack.sources.retrying import Backoff, Retry, kind, refused
from paramtrack.sources.user_agent import NO_CONTACT_AGENT
from paramtrack.sources.user_agent import user_agent as make_user_agent

__all__ = [
    "ArxivPaper",
    "ArxivSource",
    "ML_CATEGORIES",
    "ARXIV_CATEGORIES",
    "DEFAULT_USER_AGENT",
    "validate_categories",
    "window_query",
    "UnknownCategoryError",
    "WindowPage",
]

log = logging.getLogger(__name__)

#: The agent without a contact (``sources.user_agent``: PARAMTRACK_CONTACT / --contact add one).
DEFAULT_USER_AGENT = NO_CONTACT_AGENT

# Machine-learning-relevant categories (suggested in error messages).
ML_CATEGORIES = (
    "cs.LG",
    "cs.CL",
    "cs.CV",
    "cs.AI",
    "cs.NE",
    "stat.ML",
    "cs.IR",
    "cs.RO",
    "cs.SD",
    "cs.MA",
    "eess.AS",
    "eess.IV",
    "eess.SP",
)

# arXiv category taxonomy (https://arxiv.org/category_taxonomy), the archives we may plausibly
# query; anything else is most likely a typo.
ARXIV_CATEGORIES = frozenset(
    [
        f"cs.{c}"
        for c in (
            "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI "
            "OH OS PF PL RO SC SD SE SI SY"
        ).split()
    ]
    + [f"stat.{c}" for c in "AP CO ME ML OT TH".split()]
    + [f"eess.{c}" for c in "AS IV SP SY".split()]
    + [
        f"math.{c}"
        for c in (
            "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST"
        ).split()
    ]
    + [f"q-bio.{c}" for c in "BM CB GN MN NC OT PE QM SC TO".split()]
    + [f"q-fin.{c}" for c in "CP EC GN MF PM PR RM ST TR".split()]
    + [f"econ.{c}" for c in "EM GN TH".split()]
    + [
        f"physics.{c}"
        for c in (
            "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph "
            "flu-dyn gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph"
        ).split()
    ]
    + [f"cond-mat.{c}" for c in ("dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con").split()]
    + [f"astro-ph.{c}" for c in "CO EP GA HE IM SR".split()]
    + [f"nlin.{c}" for c in "AO CD CG PS SI".split()]
    + [
        "quant-ph",
        "hep-th",
        "hep-ph",
        "hep-ex",
        "hep-lat",
        "gr-qc",
        "math-ph",
        "nucl-th",
        "nucl-ex",
        "astro-ph",
        "cond-mat",
    ]
)


class UnknownCategoryError(ParamtrackError, ValueError):
    """A category that is not in arXiv's taxonomy (a ValueError and a one-line CLI error)."""


def validate_categories(categories: Iterable[str]) -> tuple[str, ...]:
    cats = tuple(dict.fromkeys(c.strip() for c in categories if c and c.strip()))
    if not cats:
        raise UnknownCategoryError(f"no arXiv categories given; ML categories: {', '.join(ML_CATEGORIES)}")
    bad = [c for c in cats if c not in ARXIV_CATEGORIES]
    if bad:
        raise UnknownCategoryError(
            f"unknown arXiv categor{'y' if len(bad) == 1 else 'ies'} {', '.join(bad)}; "
            f"valid ML categories: {', '.join(ML_CATEGORIES)} (see https://arxiv.org/category_taxonomy)"
        )
    return cats


def window_query(categories: Iterable[str], since: date, until: date) -> str:
    """``(cat:cs.LG OR cat:cs.CL) AND submittedDate:[YYYYMMDD0000 TO YYYYMMDD2359]``."""
    cats = validate_categories(categories)
    if until < since:
        raise ValueError(f"empty window: until ({until}) is before since ({since})")
    cat_q = " OR ".join(f"cat:{c}" for c in cats)
    return f"({cat_q}) AND submittedDate:[{since:%Y%m%d}0000 TO {until:%Y%m%d}2359]"


@dataclass(frozen=True)
class ArxivPaper:
    arxiv_id: str
    version: int | None
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    primary_category: str
    published: date  # first-version (v1) submission date
    updated: datetime  # this version's timestamp
    doi: str | None
    journal_ref: str | None
    pdf_url: str | None

    @classmethod
    def from_result(cls, r: arxiv.Result) -> ArxivPaper:
        aid = parse_arxiv_id(r.get_short_id())
        return cls(
            arxiv_id=aid.id,
            version=aid.version,
            title=" ".join(r.title.split()),
            abstract=" ".join((r.summary or "").split()),
            authors=tuple(a.name for a in r.authors),
            categories=tuple(r.categories),
            primary_category=r.primary_category or (r.categories[0] if r.categories else ""),
            published=r.published.date(),
            updated=r.updated,
            doi=r.doi or None,
            journal_ref=r.journal_ref or None,
            pdf_url=r.pdf_url,
        )


@dataclass(frozen=True)
class WindowPage:
    """One page of a window listing: its papers, where it started and the listing's size."""

    papers: list[ArxivPaper]
    start: int
    total: int

    @property
    def next_start(self) -> int:
        return self.start + len(self.papers)

    @property
    def last(self) -> bool:
        return not self.papers or self.next_start >= self.total


class _FeedTruncated(requests.RequestException):
    """The body did not end with ``</feed>``: cut off in transit."""


class _FeedMalformed(requests.RequestException):
    """The body is not well-formed XML even after :func:`_clean_feed_bytes` (garbled in transit)."""


#: Characters XML 1.0 forbids even as raw text (C0 controls except tab/LF/CR, and U+FFFE/FFFF).
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


#: A feed field this big (UTF-8 bytes) is near lxml's 10 MB text cap and is cut to
#: ``_MAX_FIELD_CHARS``, 50x the largest screening limit (see :func:`_clean_feed_bytes`).
_NEAR_CAP_BYTES = 9_000_000
_MAX_FIELD_CHARS = 1_000_000


def _clean_feed_bytes(content: bytes, url: str) -> bytes:
    """The feed with non-UTF-8 bytes and XML-illegal characters replaced by U+FFFD, checked
    to be well-formed.

    Why: the ``arxiv`` package parses with lxml's ``recover=True``, which copes with one bad
    byte but also turns a garbled page into an *empty* one (0 results, no error: the window
    would silently lose every paper). So we make the bytes decodable ourselves, keeping every
    entry of a page with one bad title, and then insist on a strict parse: a page that still
    does not parse was damaged in transit and is retried like a truncated one.
    """
    text = content.decode("utf-8", errors="replace")
    cleaned = _XML_ILLEGAL.sub("\ufffd", text).encode("utf-8")
    try:
        root = etree.fromstring(cleaned, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True))
    except etree.XMLSyntaxError as exc:
        raise _FeedMalformed(f"malformed Atom feed ({len(content)} bytes) from {url}: {exc}") from exc
    # The package's parser (huge_tree=False) silently drops a text node over lxml's 10 MB cap
    # *and every entry after it* on the page. Cut such fields to _MAX_FIELD_CHARS: still far over
    # every screening limit, so the record is rejected with a reason instead of taking the page
    # along. (A node under 2.25 M characters is under 9 MB whatever it holds: no encoding needed.)
    cut = False
    for element in root.iter():
        text = element.text
        if text is not None and len(text) > _NEAR_CAP_BYTES // 4 and len(text.encode()) > _NEAR_CAP_BYTES:
            element.text = text[:_MAX_FIELD_CHARS]
            cut = True
    if cut:
        log.warning("arXiv feed from %s has a field near lxml's 10 MB cap; cut to %d characters", url, _MAX_FIELD_CHARS)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    return cleaned


class _Session(requests.Session):
    """Forces our User-Agent (the package passes its own per request) and a timeout, and waits
    for the run-wide arXiv pacing before every request."""

    def __init__(self, user_agent: str, timeout: float, delay_seconds: float) -> None:
        super().__init__()
        self.user_agent = user_agent
        self.timeout = timeout
        self.limiter = shared_limiter(ARXIV, delay_seconds)

    def request(self, method, url, **kwargs):
        self.limiter.wait()
        headers = dict(kwargs.pop("headers", None) or {})
        headers = {k: v for k, v in headers.items() if k.lower() != "user-agent"}
        headers["User-Agent"] = self.user_agent
        kwargs.setdefault("timeout", self.timeout)
        resp = super().request(method, url, headers=headers, **kwargs)
        if resp.status_code == 200 and not resp.content.rstrip().endswith(b"</feed>"):
            raise _FeedTruncated(f"truncated Atom feed ({len(resp.content)} bytes) from {url}")
        if resp.status_code == 200:
            resp._content = _clean_feed_bytes(resp.content, url)
        return resp


class _RetryingClient(arxiv.Client):
    """``arxiv.Client`` whose per-page retries back off exponentially and fail fast when refused."""

    def __init__(
        self,
        *,
        page_size: int,
        num_retries: int,
        backoff_base: float,
        max_backoff: float,
        sleep: Callable[[float], None],
        problems: SourceProblems | None,
    ) -> None:
        # delay_seconds=0: the shared limiter in _Session paces every request instead.
        super().__init__(page_size=page_size, delay_seconds=0.0, num_retries=0)
        self._backoff = Backoff(num_retries, backoff_base, max_backoff, sleep, random.Random())
        self.waits = self._backoff.waits
        self.problems = problems

    def _record(self, problem: str) -> None:
        if self.problems is not None:
            self.problems.record(ARXIV, kind(problem))

    def _parse_feed(self, url: str, first_page: bool = True, _try_index: int = 0) -> arxiv.Feed:
        def attempt() -> arxiv.Feed:
            try:
                feed = super(_RetryingClient, self)._parse_feed(url, first_page=first_page, _try_index=0)
            except arxiv.HTTPError as exc:
                if 400 <= exc.status < 500 and exc.status != 429:
                    raise SourceUnavailableError(
                        f"arXiv API rejected the request with HTTP {exc.status}: {url}", url=url
                    ) from exc
                raise Retry(f"HTTP {exc.status}") from exc
            except arxiv.UnexpectedEmptyPageError as exc:
                raise Retry(f"empty page ({exc})") from exc
            except requests.RequestException as exc:
                if is_connection_refused(exc):
                    raise refused("arXiv API", url.split("?", 1)[0]) from exc
                raise Retry(f"{_problem_kind(exc)} ({exc})") from exc
            if first_page and not feed.results and feed.header.total_results > feed.header.start_index:
                # The package would silently stop here; it is the same arXiv hiccup.
                raise Retry(f"empty page ({feed.header.total_results} results announced)")
            return feed

        def gave_up(last: str) -> SourceUnavailableError:
            return SourceUnavailableError(
                f"arXiv API kept failing after {self._backoff.tries} attempts: {url} (last: {last})", url=url
            )

        return self._backoff.run(attempt, what="arXiv API request", on_problem=self._record, gave_up=gave_up)


def _problem_kind(exc: requests.RequestException) -> str:
    if isinstance(exc, _FeedTruncated):
        return "truncated feed"
    if isinstance(exc, _FeedMalformed):
        return "malformed feed"
    return "timeout" if isinstance(exc, requests.Timeout) else "connection error"


class ArxivSource:
    """Search arXiv by category and submission window, or fetch papers by id."""

    def __init__(
        self,
        api_url: str = ARXIV_API_URL,
        *,
        delay_seconds: float = ARXIV_DELAY_S,
        page_size: int = 100,
        num_retries: int = 3,
        user_agent: str | None = None,
        timeout: float = 30.0,
        backoff_base: float = 3.0,
        max_backoff: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        problems: SourceProblems | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("?")
        self.client = _RetryingClient(
            page_size=page_size,
            num_retries=num_retries,
            backoff_base=backoff_base,
            max_backoff=max_backoff,
            sleep=sleep,
            problems=problems,
        )
        self.client.query_url_format = f"{self.api_url}?{{}}"
        self.client._session.close()  # the package's own session, replaced by ours
        agent = user_agent or make_user_agent()  # PARAMTRACK_CONTACT at construction time
        self.client._session = _Session(agent, timeout, delay_seconds)
        self.user_agent = agent

    def close(self) -> None:
        """Close the HTTP session: its keep-alive connections otherwise stay open (one socket per
        host) until garbage collection. Safe to call twice."""
        self.client._session.close()

    def __enter__(self) -> ArxivSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def search_window(self, categories: Iterable[str], since: date, until: date) -> Iterator[ArxivPaper]:
        """Papers first submitted in ``[since, until]`` (UTC days) in any of ``categories``,
        oldest first."""
        query = window_query(categories, since, until)
        search = arxiv.Search(
            query=query,
            max_results=None,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        yield from self._run(search)

    def window_page(
        self, categories: Iterable[str], since: date, until: date, start: int = 0, page_size: int | None = None
    ) -> WindowPage:
        """The page of :meth:`search_window`'s listing that begins at ``start``.

        A page that claims results but carries none is retried like any arXiv hiccup; past the
        end the page is empty and ``last``.
        """
        search = arxiv.Search(
            query=window_query(categories, since, until),
            max_results=None,
            sort_by=arxiv.SortCriterion.SubmittedDate,
            sort_order=arxiv.SortOrder.Ascending,
        )
        url = self.client._format_url(search, start, page_size or self.client.page_size)
        try:
            feed = self.client._parse_feed(url, first_page=True)
        except (arxiv.ArxivError, requests.RequestException) as exc:  # pragma: no cover - safety net
            raise SourceUnavailableError(f"arXiv API failed: {exc} ({self.api_url})") from exc
        papers = [ArxivPaper.from_result(r) for r in feed.results]
        return WindowPage(papers=papers, start=start, total=feed.header.total_results)

    def fetch_ids(self, ids: Iterable[str], *, chunk_size: int | None = None) -> list[ArxivPaper]:
        """Metadata for ``ids`` (any form :func:`parse_arxiv_id` accepts), in chunks of ``page_size``.
        Unknown ids are simply absent from the result."""
        parsed = [parse_arxiv_id(i).versioned for i in ids]
        size = chunk_size or self.client.page_size
        out: list[ArxivPaper] = []
        for start in range(0, len(parsed), size):
            chunk = parsed[start : start + size]
            out.extend(self._run(arxiv.Search(id_list=chunk, max_results=len(chunk))))
        return out

    def _run(self, search: arxiv.Search) -> Iterator[ArxivPaper]:
        try:
            for result in self.client.results(search):
                yield ArxivPaper.from_result(result)
        except (arxiv.ArxivError, requests.RequestException) as exc:  # pragma: no cover - safety net
            raise SourceUnavailableError(f"arXiv API failed: {exc} ({self.api_url})") from exc
