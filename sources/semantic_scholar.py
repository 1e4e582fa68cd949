"""Semantic Scholar Graph API client (httpx): citation counts for arXiv papers.

Endpoints used (https://api.semanticscholar.org/api-docs/graph):

* ``POST /graph/v1/paper/batch?fields=...`` with ``{"ids": ["ARXIV:2204.02311", ...]}`` —
  at most 500 ids per call; the answer is a list in request order with ``null`` for unknown ids.
* ``GET /graph/v1/paper/search/bulk`` — ``query``, ``minCitationCount``,
  ``publicationDateOrYear`` (``2020-01-01:2021-12-31``, ``2019:``), ``fieldsOfStudy``, ``fields``,
  ``sort``; pages of up to 1,000 with a continuation ``token`` (``null`` on the last page).

Rate limits: unauthenticated traffic shares a pool that answers 429 often and without a wait
hint; a key (header ``x-api-key``) gets about 1 request/second. So: at least ``min_interval``
seconds between requests (1.0 by default with a key, 3.0 without), paced by the process-wide
:func:`sources.pacing.shared_limiter` so every task of a run shares one budget; exponential
backoff with our own jitter on
429/5xx/timeouts/transport errors, honouring ``Retry-After`` (seconds or HTTP date) when present.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx

from paramtrack.core.errors import SourceUnavailableError
from paramtrack.core.settings import S2_API_URL
from paramtrack.sources._http import (
    RETRY_STATUSES,
    OwnsHttpClient,
    describe,
    is_connection_refused,
    parse_retry_after,
)
from paramtrack.sources.arxiv_ids import parse_arxiv_id
from paramtrack.sources.pacing import S2, SourceProblems, shared_limiter
from paramtrack.sources.retrying import Backoff, Retry, kind, refused
from paramtrack.sources.user_agent import user_agent as make_user_agent

__all__ = ["S2Paper", "SemanticScholarSource", "BATCH_LIMIT", "PAPER_FIELDS"]

BATCH_LIMIT = 500
PAPER_FIELDS = (
    "paperId",
    "externalIds",
    "title",
    "year",
    "publicationDate",
    "citationCount",
    "influentialCitationCount",
)


@dataclass(frozen=True)
class S2Paper:
    paper_id: str
    arxiv_id: str | None
    doi: str | None
    title: str | None
    year: int | None
    publication_date: date | None
    citation_count: int | None
    influential_citation_count: int | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> S2Paper:
        """Parse one Graph API paper object (fields missing from the request come out ``None``)."""
        if not isinstance(data, dict) or not data.get("paperId"):
            raise ValueError(f"not a Semantic Scholar paper object: {str(data)[:200]}")
        ext = data.get("externalIds") or {}
        arxiv = ext.get("ArXiv")
        if arxiv:
            try:
                arxiv = parse_arxiv_id(str(arxiv)).id
            except ValueError:
                arxiv = str(arxiv)
        pub = data.get("publicationDate")
        year = data.get("year")
        return cls(
            paper_id=str(data["paperId"]),
            arxiv_id=arxiv or None,
            doi=ext.get("DOI") or None,
            title=data.get("title"),
            year=int(year) if year is not None else None,
            publication_date=date.fromisoformat(pub[:10]) if pub else None,
            citation_count=_opt_int(data.get("citationCount")),
            influential_citation_count=_opt_int(data.get("influentialCitationCount")),
        )


def _opt_int(v: Any) -> int | None:
    return None if v is None else int(v)


class SemanticScholarSource(OwnsHttpClient):
    """Batch lookups and bulk search against the Graph API (or the local replay server)."""

    def __init__(
        self,
        api_url: str = S2_API_URL,
        *,
        api_key: str | None = None,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff_base: float = 1.0,
        max_backoff: float = 60.0,
        min_interval: float | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        seed: int | None = None,
        problems: SourceProblems | None = None,
        user_agent: str | None = None,
    ) -> None:
        self.api_url = api_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout
        # With a key S2 allows ~1 request/s; without one we share a pool that answers 429 at the
        # slightest burst, so go slower.
        if min_interval is None:
            min_interval = 1.0 if api_key else 3.0
        self.min_interval = min_interval
        self._limiter = shared_limiter(S2, min_interval)
        self.problems = problems
        headers = {"User-Agent": user_agent or make_user_agent()}  # PARAMTRACK_CONTACT
        if api_key:
            headers["x-api-key"] = api_key
        self._own_client = client is None
        self._client = client or httpx.Client(timeout=timeout)
        self._headers = headers
        self._backoff = Backoff(max_retries, backoff_base, max_backoff, sleep, random.Random(seed))
        self.waits = self._backoff.waits  # backoff waits actually taken (for logs and tests)

    # -- public API
    def batch_by_arxiv(
        self, arxiv_ids: Iterable[str], *, fields: Iterable[str] = PAPER_FIELDS
    ) -> dict[str, S2Paper | None]:
        """``{arxiv_id: S2Paper or None}`` for each id (bare, versionless), in chunks of <= 500."""
        ids = []
        for raw in arxiv_ids:
            aid = parse_arxiv_id(raw).id
            if aid not in ids:
                ids.append(aid)
        fields_param = ",".join(dict.fromkeys(["paperId", *fields]))
        out: dict[str, S2Paper | None] = {}
        for start in range(0, len(ids), BATCH_LIMIT):
            chunk = ids[start : start + BATCH_LIMIT]
            data = self._request(
                "POST",
                "/graph/v1/paper/batch",
                params={"fields": fields_param},
                json_body={"ids": [f"ARXIV:{a}" for a in chunk]},
            )
            if not isinstance(data, list) or len(data) != len(chunk):
                raise SourceUnavailableError(
                    f"Semantic Scholar batch answered {type(data).__name__} of "
                    f"{len(data) if isinstance(data, list) else '?'} items for {len(chunk)} ids "
                    f"({self.api_url}/graph/v1/paper/batch)"
                )
            for aid, item in zip(chunk, data):
                out[aid] = None if item is None else S2Paper.from_json(item)
        return out

    def bulk_search(
        self,
        *,
        query: str = "",
        min_citation_count: int | None = None,
        publication_date_or_year: str | None = None,
        fields_of_study: str | None = "Computer Science",
        sort: str | None = None,
        fields: Iterable[str] = PAPER_FIELDS,
    ) -> Iterator[S2Paper]:
        """All papers matching the filters, following the continuation token page by page."""
        params: dict[str, Any] = {"query": query, "fields": ",".join(dict.fromkeys(["paperId", *fields]))}
        if min_citation_count is not None:
            params["minCitationCount"] = int(min_citation_count)
        if publication_date_or_year:
            params["publicationDateOrYear"] = publication_date_or_year
        if fields_of_study:
            params["fieldsOfStudy"] = fields_of_study
        if sort:
            params["sort"] = sort
        token: str | None = None
        while True:
            page_params = dict(params)
            if token:
                page_params["token"] = token
            data = self._request("GET", "/graph/v1/paper/search/bulk", params=page_params)
            if not isinstance(data, dict):
                raise SourceUnavailableError(
                    f"Semantic Scholar bulk search answered {type(data).__name__}, expected an object "
                    f"({self.api_url}/graph/v1/paper/search/bulk)"
                )
            for item in data.get("data") or []:
                yield S2Paper.from_json(item)
            token = data.get("token")
            if not token:
                return

    # -- transport
    def _request(self, method: str, path: str, *, params: dict | None = None, json_body: Any = None) -> Any:
        url = f"{self.api_url}{path}"

        def attempt() -> Any:
            self._limiter.wait()
            try:
                resp = self._client.request(
                    method, url, params=params, json=json_body, headers=self._headers, timeout=self.timeout
                )
                body = resp.content  # reads the whole body; a cut connection raises here
            except httpx.TransportError as exc:
                if is_connection_refused(exc):
                    raise refused("Semantic Scholar API", url) from exc
                raise Retry(describe(exc)) from exc
            if resp.status_code in RETRY_STATUSES:
                raise Retry(f"HTTP {resp.status_code}", retry_after=parse_retry_after(resp.headers.get("retry-after")))
            if resp.status_code != 200:
                raise SourceUnavailableError(
                    f"Semantic Scholar API {method} {url} answered HTTP {resp.status_code}: {_error_text(body)}",
                    url=url,
                )
            try:
                # Decode leniently: one byte that is not UTF-8 (a bad title upstream) would
                # otherwise fail the whole batch of 500 papers, on every retry. It becomes
                # U+FFFD; screening keeps or rejects that one record.
                return json.loads(body.decode("utf-8", errors="replace"))
            except json.JSONDecodeError as exc:
                raise Retry(f"malformed JSON ({exc.msg}, {len(body)} bytes)") from exc

        def gave_up(last: str) -> SourceUnavailableError:
            return SourceUnavailableError(
                f"Semantic Scholar API {method} {url} kept failing after {self._backoff.tries} attempts (last: {last})",
                url=url,
            )

        return self._backoff.run(
            attempt, what=f"Semantic Scholar {method} {path}", on_problem=self._problem, gave_up=gave_up
        )

    def _problem(self, problem: str) -> None:
        if self.problems is not None:
            self.problems.record(S2, kind(problem))


def _error_text(body: bytes) -> str:
    try:
        data = json.loads(body)
        if isinstance(data, dict):
            return str(data.get("error") or data.get("message") or data)[:300]
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    return body[:300].decode("utf-8", "replace")
