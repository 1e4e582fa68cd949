"""paramtrack: keeps a curated dataset of ML model sizes current.

For notebooks and scripts, the analyst's surface (``paramtrack.api``)::

    import paramtrack

    models = paramtrack.curated_models("data/paramtrack.duckdb")   # DataFrame, one row per system
    fits = paramtrack.fit_trends(models)                           # .trends, .breakpoints
    gap = paramtrack.gap_table(models)
    paramtrack.query("SELECT * FROM trends WHERE domain = 'language'")
    result = paramtrack.extract_pdf("paper.pdf")                    # .top, .candidates, .domain

One import namespace. The subpackages live in the repo's top-level folders (``flows/`` holds
``paramtrack.flows``, ``extractors/`` holds ``paramtrack.extractors``, ...); this folder holds the
CLI on top (``paramtrack.cli``, ``paramtrack.commands``), the analyst's API, and the kernel
underneath (``paramtrack.core``). Importing it is cheap and has no side effects: the names above
load their modules (pandas, DuckDB, the extractor) when first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from paramtrack.core.version import __version__

__all__ = ["__version__", "curated_models", "extract_pdf", "fit_trends", "gap_table", "query", "review_queue"]

if TYPE_CHECKING:
    from paramtrack.api import curated_models, extract_pdf, fit_trends, gap_table, query, review_queue


def __getattr__(name: str) -> Any:
    if name in __all__:
        from paramtrack import api

        return getattr(api, name)
    raise AttributeError(f"module 'paramtrack' has no attribute {name!r}")
