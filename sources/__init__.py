"""Live data sources: arXiv (via the ``arxiv`` package), Semantic Scholar (httpx), PDF downloads.

Every client takes its base URL as a parameter so that it can run against the local replay
server (``paramtrack replay-server``) on a machine without internet.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paramtrack.sources.arxiv_ids import ArxivId, arxiv_ids_in, parse_arxiv_id
    from paramtrack.sources.arxiv_source import (
        ARXIV_CATEGORIES,
        ML_CATEGORIES,
        ArxivPaper,
        ArxivSource,
        UnknownCategoryError,
        validate_categories,
        window_query,
    )
    from paramtrack.sources.pdf_cache import CachedPdf, NotAPdfError, PdfCache, PdfNotFoundError, PdfTooLargeError
    from paramtrack.sources.semantic_scholar import BATCH_LIMIT, S2Paper, SemanticScholarSource

#: Where each public name lives: imported on first use, so importing the package stays cheap
#: (the clients pull arxiv, requests, lxml and httpx).
_HOME: dict[str, str] = {
    "ArxivId": "arxiv_ids",
    "arxiv_ids_in": "arxiv_ids",
    "parse_arxiv_id": "arxiv_ids",
    "ARXIV_CATEGORIES": "arxiv_source",
    "ML_CATEGORIES": "arxiv_source",
    "ArxivPaper": "arxiv_source",
    "ArxivSource": "arxiv_source",
    "UnknownCategoryError": "arxiv_source",
    "validate_categories": "arxiv_source",
    "window_query": "arxiv_source",
    "CachedPdf": "pdf_cache",
    "NotAPdfError": "pdf_cache",
    "PdfCache": "pdf_cache",
    "PdfNotFoundError": "pdf_cache",
    "PdfTooLargeError": "pdf_cache",
    "BATCH_LIMIT": "semantic_scholar",
    "S2Paper": "semantic_scholar",
    "SemanticScholarSource": "semantic_scholar",
}

__all__ = [
    "ArxivId",
    "parse_arxiv_id",
    "arxiv_ids_in",
    "ArxivPaper",
    "ArxivSource",
    "ARXIV_CATEGORIES",
    "ML_CATEGORIES",
    "UnknownCategoryError",
    "validate_categories",
    "window_query",
    "S2Paper",
    "SemanticScholarSource",
    "BATCH_LIMIT",
    "CachedPdf",
    "PdfCache",
    "PdfTooLargeError",
    "NotAPdfError",
    "PdfNotFoundError",
]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(f"paramtrack.sources.{_HOME[name]}"), name)
    raise AttributeError(f"module 'paramtrack.sources' has no attribute {name!r}")
