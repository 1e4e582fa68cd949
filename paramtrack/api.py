"""The Python surface for analysts and notebooks: the dataset, the extractor and the fits.

Everything here is re-exported by ``paramtrack`` itself, so a notebook needs one import::

    import paramtrack

    models = paramtrack.curated_models("data/paramtrack.duckdb")   # a pandas DataFrame
    fits = paramtrack.fit_trends(models)                           # fits.trends, fits.breakpoints
    gap = paramtrack.gap_table(models)
    result = paramtrack.extract_pdf("paper.pdf")                    # result.top, result.candidates

Reads never create or change a warehouse (a mistyped path fails with ``InputError``) and wait out
a writer in another process; while a pipeline holds the file, read its published copy
(``data/paramtrack.read.duckdb``) instead. Nothing heavy is imported until a function is called.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from paramtrack.core.settings import DEFAULT_DB

if TYPE_CHECKING:
    import pandas as pd

    from paramtrack.extractors.types import ExtractionResult
    from paramtrack.trends.fit import TrendConfig, TrendResult
    from paramtrack.trends.gap import GapConfig

__all__ = ["curated_models", "extract_pdf", "fit_trends", "gap_table", "query", "review_queue"]


def query(sql: str, db: Path | str = DEFAULT_DB, params: list[object] | None = None) -> pd.DataFrame:
    """Any read-only SQL over the warehouse (tables and views: docs/analyst.md) as a DataFrame."""
    from paramtrack.warehouse import Warehouse

    with Warehouse(db).read() as con:
        return con.execute(sql, params or []).df()


def curated_models(db: Path | str = DEFAULT_DB, *, until: date | None = None) -> pd.DataFrame:
    """The curated dataset as the fits read it: reviewed values merged with Epoch's rows, one row
    per system, with ``provenance`` saying per column where each value comes from."""
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.models_store import read_curated

    with Warehouse(db).read() as con:
        return read_curated(con, until=until)


def review_queue(db: Path | str = DEFAULT_DB) -> pd.DataFrame:
    """Papers waiting for review, with their top candidate and score (the ``review_queue`` view)."""
    return query("SELECT * FROM review_queue", db)


def extract_pdf(
    path: Path | str,
    *,
    title: str | None = None,
    abstract: str | None = None,
    published: date | None = None,
    isolated: bool = False,
) -> ExtractionResult:
    """Ranked parameter-count candidates, date and domain of one PDF; a PDF that cannot be read
    comes back with ``error`` set, never as an exception. ``title``, ``abstract`` and ``published``
    are arXiv's metadata when known (without them the title is read off page 1). ``isolated``
    reads the PDF in a child process with time and memory limits, for PDFs from the internet (in a
    script, call it under ``if __name__ == "__main__":``, as Python's multiprocessing requires)."""
    if isolated:
        from paramtrack.extractors import extract_pdf_safely

        return extract_pdf_safely(Path(path), title=title, abstract=abstract, published=published)
    from paramtrack.extractors import extract_pdf as extract

    return extract(Path(path), title=title, abstract=abstract, published=published)


def fit_trends(models: pd.DataFrame, config: TrendConfig | None = None) -> TrendResult:
    """Orders of magnitude per year and doubling times with intervals, per metric, domain and era
    (``models`` as :func:`curated_models` returns it)."""
    from paramtrack.trends.fit import fit_trends as fit

    return fit(models, config)


def gap_table(models: pd.DataFrame, config: GapConfig | None = None) -> pd.DataFrame:
    """The parameter-gap table (how many models fall in each size band, per era) with its uncertainty."""
    from paramtrack.trends.gap import gap_table as table

    return table(models, config)
