"""What one replay server knows: its corpus as of a date, its fault plan and its request log.

Every endpoint module reads it from the request (:func:`replay_state`): the app keeps it as
``app.state.replay``, so the endpoints are plain functions instead of closures in one factory.
"""

from __future__ import annotations

import re
import threading
from datetime import date
from typing import Any, cast

from starlette.requests import Request

from paramtrack.replay.corpus import Corpus, CorpusPaper
from paramtrack.replay.faults import FaultPlan
from paramtrack.replay.oai import OaiRepository
from paramtrack.sources.arxiv_ids import parse_arxiv_id

__all__ = ["ReplayState", "replay_state", "DEFAULT_BULK_PAGE"]

#: Semantic Scholar's bulk search answers 1,000 papers a page.
DEFAULT_BULK_PAGE = 1000


class ReplayState:
    """The corpus as of ``as_of`` (a paper exists from its first version on), the fault plan,
    the request log, and what tests may change while the server runs (``pdf_base``,
    ``oai.page_size``)."""

    def __init__(self, corpus: Corpus, as_of: date, faults: FaultPlan, bulk_page_size: int = DEFAULT_BULK_PAGE) -> None:
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
        self.oai = OaiRepository(self)
        self._by_paper_id = {p.paper_id: p for p in corpus.papers.values()}
        self._by_corpus_id = {p.corpus_id: p for p in corpus.papers.values()}
        self._by_doi = {p.doi.lower(): p for p in corpus.papers.values() if p.doi}

    def arxiv_papers(self) -> list[CorpusPaper]:
        """The papers arXiv lists as of the server's date."""
        return [p for p in self.corpus.papers.values() if p.published.date() <= self.as_of]

    def s2_count(self, p: CorpusPaper) -> int | None:
        """Semantic Scholar's citation count as of the server's date (None: not known yet)."""
        if p.published.date() > self.as_of:
            return None
        return p.citation_count(self.as_of)

    def s2_lookup(self, ident: str) -> CorpusPaper | None:
        """A Graph API paper id (``ARXIV:``, ``CorpusId:``, ``DOI:``, ``URL:``, a bare S2 id or
        DOI) to the paper, when Semantic Scholar knows it as of the server's date."""
        s = ident.strip()
        prefix, _, rest = s.partition(":")
        up = prefix.upper()
        p: CorpusPaper | None = None
        if rest and up in ("ARXIV", "URL"):
            p = self._by_arxiv_id(rest)
        elif rest and up == "CORPUSID":
            p = self._by_corpus_id.get(int(rest)) if rest.isdigit() else None
        elif rest and up == "DOI":
            p = self._by_doi.get(rest.lower())
        elif re.fullmatch(r"[0-9a-f]{40}", s):
            p = self._by_paper_id.get(s)
        elif s.startswith("10."):
            p = self._by_doi.get(s.lower())
        if p is None or self.s2_count(p) is None:
            return None
        return p

    def _by_arxiv_id(self, text: str) -> CorpusPaper | None:
        try:
            return self.corpus.papers.get(parse_arxiv_id(text).id)
        except ValueError:
            return None


def replay_state(request: Request) -> ReplayState:
    """The state of the server answering ``request``."""
    return cast(ReplayState, request.app.state.replay)
