"""How a run is configured: one value per run instead of two dozen keyword arguments.

``RunOptions`` is what the discover and backfill flows take besides their window;
``SourceSettings`` (inside it) says where the sources are and how politely to ask them, and
builds the clients. The CLI and the scheduled flow each build one value and hand it down, so a
default (arXiv's 3 s, the notability rule) is written once, in ``paramtrack.core.settings``.
Both are frozen dataclasses: Prefect records them as the flow run's parameters and Dask pickles
them to workers. No Prefect import here, so the CLI can build options before Prefect loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from paramtrack.core.settings import (
    ARXIV_API_URL,
    ARXIV_DELAY_S,
    ARXIV_OAI_URL,
    ARXIV_PDF_URL,
    DEFAULT_RULE,
    PDF_DELAY_S,
    S2_API_URL,
)
from paramtrack.discovery.intake import DEFAULT_BULK_QUERY
from paramtrack.sources.pacing import SourceProblems
from paramtrack.warehouse.papers_store import PDF_RETRY_BASE_DAYS


@dataclass(frozen=True)
class SourceSettings:
    """Where the sources are and how politely to ask them: one value handed to every task."""

    arxiv_url: str = ARXIV_API_URL
    s2_url: str = S2_API_URL
    oai_url: str = ARXIV_OAI_URL
    pdf_url_format: str = ARXIV_PDF_URL
    arxiv_delay_s: float = ARXIV_DELAY_S
    s2_min_interval: float | None = None  # None: 1 s with S2_API_KEY, 3 s without
    pdf_delay_s: float = PDF_DELAY_S
    http_timeout_s: float = 30.0
    backoff_base_s: float | None = None  # None: each client's own default
    contact: str | None = None  # the User-Agent's mailto (None: PARAMTRACK_CONTACT, if set)

    def _backoff(self) -> dict[str, Any]:
        return {} if self.backoff_base_s is None else {"backoff_base": self.backoff_base_s}

    @property
    def user_agent(self) -> str:
        from paramtrack.sources.user_agent import user_agent

        return user_agent(self.contact)

    def arxiv(self, problems: SourceProblems | None = None) -> Any:
        from paramtrack.sources.arxiv_source import ArxivSource

        return ArxivSource(
            self.arxiv_url,
            delay_seconds=self.arxiv_delay_s,
            timeout=self.http_timeout_s,
            problems=problems,
            user_agent=self.user_agent,
            **self._backoff(),
        )

    def oai(self) -> Any:
        from paramtrack.sources.arxiv_oai import ArxivOaiClient

        return ArxivOaiClient(
            self.oai_url,
            delay_seconds=self.arxiv_delay_s,
            pdf_url_format=self.pdf_url_format,
            user_agent=self.user_agent,
            **self._backoff(),
        )

    def s2(self, problems: SourceProblems | None = None) -> Any:
        from paramtrack.core.settings import read_settings
        from paramtrack.sources.semantic_scholar import SemanticScholarSource

        return SemanticScholarSource(
            self.s2_url,
            api_key=read_settings().s2_api_key,  # S2_API_KEY of the process that runs the flow, never a parameter
            min_interval=self.s2_min_interval,
            timeout=self.http_timeout_s,
            problems=problems,
            user_agent=self.user_agent,
            **self._backoff(),
        )

    def pdfs(self, cache_dir: str, max_mb: int, problems: SourceProblems | None = None) -> Any:
        from paramtrack.sources.pdf_cache import PdfCache

        return PdfCache(
            Path(cache_dir),
            max_bytes=max_mb * 1024 * 1024,
            timeout=max(self.http_timeout_s, 1.0) * 2,
            min_interval=self.pdf_delay_s,
            problems=problems,
            user_agent=self.user_agent,
            **self._backoff(),
        )


@dataclass(frozen=True)
class RunOptions:
    """Everything a discover or backfill run is told besides its window and categories.

    ``as_of`` None judges notability as of today; ``pdf_cache_dir`` None keeps PDFs in
    ``pdfs/`` beside the warehouse. A PDF that fails waits ``pdf_retry_base_days`` days
    (doubling per failed run) before later runs try it again. ``extraction_timeout_s`` bounds
    each PDF's extraction. ``batch_size`` papers are judged and committed together (1-500,
    Semantic Scholar's batch limit): what a killed run can lose.
    """

    sources: SourceSettings = field(default_factory=SourceSettings)
    rule: str = DEFAULT_RULE
    as_of: date | None = None
    bulk_search: bool = True
    bulk_query: str = DEFAULT_BULK_QUERY
    bulk_lookback_years: int = 3
    extract: bool = True
    pdf_cache_dir: str | None = None
    max_pdf_mb: int = 50
    extraction_timeout_s: float = 60.0
    batch_size: int = 500
    pdf_breaker_threshold: int = 5
    pdf_retry_base_days: float = PDF_RETRY_BASE_DAYS

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 500:
            raise ValueError("batch_size must be within 1..500 (Semantic Scholar's batch limit)")

    def cache_dir(self, db_path: str | Path) -> str:
        return self.pdf_cache_dir or str(Path(db_path).parent / "pdfs")
