"""Live data sources: arXiv (via the ``arxiv`` package), Semantic Scholar (httpx), PDF downloads.

Every client takes its base URL as a parameter so that it can run against the local replay
server (``paramtrack replay-server``) on a machine without internet.
"""

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
