"""What the trend tests share: Epoch's vintages, synthetic models with a known trend, importing
a vintage and reading back the recomputed tables, and a paper ready for review (the CLI, the
review server and Chromium are the root conftest's).

Helpers are fixtures (a fixture can hand out a function), so no test module imports another.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

#: The vintage the paper's figures come from (Villalobos et al. 2022 froze their data in 2022).
EPOCH_2022_09 = "pcd_notable_ml_systems_2022-09.csv"


# -- Epoch's data and synthetic models --------------------------------------------------------


@pytest.fixture(scope="session")
def epoch_dir(corpus_dir: Path) -> Path:
    """The Epoch vintages of the offline corpus (``../shared/data/epoch``)."""
    return corpus_dir / "epoch"


@pytest.fixture(scope="session")
def pcd_csv(epoch_dir: Path) -> Path:
    """Epoch's September 2022 vintage, the data of the paper's parameter-gap table."""
    return epoch_dir / EPOCH_2022_09


@pytest.fixture(scope="session")
def pcd_rows(pcd_csv: Path) -> list[dict]:
    """The 2022-09 vintage parsed (pure: no database), one dict per model."""
    from paramtrack.trends.epoch_csv import parse_epoch_csv

    return parse_epoch_csv(pcd_csv).rows


@pytest.fixture()
def pcd_models(pcd_rows: list[dict]) -> pd.DataFrame:
    """The 2022-09 vintage as the fits read it (a fresh frame per test)."""
    return pd.DataFrame(pcd_rows)


def _synthetic(
    n: int = 3000, seed: int = 1, break_year: float = 2015.0, hole: tuple[float, float] | None = None
) -> pd.DataFrame:
    """Models 1960-2023 whose log10 size grows 0.1 per year, then 0.6 per year from
    ``break_year`` (noise sd 0.5), in three domains; half have a training compute. ``hole``
    (log10 bounds) moves every model inside it above it, leaving that size band empty."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(1960, 2023, n)
    y = np.where(
        x < break_year, 2 + 0.1 * (x - 1960), 2 + 0.1 * (break_year - 1960) + 0.6 * (x - break_year)
    ) + rng.normal(0, 0.5, n)
    if hole:
        y = np.where((y >= hole[0]) & (y < hole[1]), y + (hole[1] - hole[0]), y)
    dates = pd.to_datetime("1960-01-01") + pd.to_timedelta((x - 1960) * 365.2425, unit="D")
    return pd.DataFrame(
        {
            "system": [f"m{i}" for i in range(n)],
            "publication_date": dates.normalize(),
            "domain": rng.choice(["language", "vision", "games"], n),
            "parameters": 10**y,
            "training_compute": np.where(rng.random(n) < 0.5, 10 ** (y * 1.5 + 3), np.nan),
        }
    )


@pytest.fixture()
def synthetic_models() -> Callable[..., pd.DataFrame]:
    """Makes models with a planted trend, break and (optionally) size hole; see ``_synthetic``."""
    return _synthetic


def _vintages() -> list[str]:
    """Every Epoch vintage in the corpus, by file name (a placeholder without the corpus: the
    test then skips, as every test needing the corpus does)."""
    from paramtrack.core.errors import CorpusNotFoundError
    from paramtrack.core.settings import find_corpus

    try:
        return sorted(p.name for p in (find_corpus() / "epoch").glob("*.csv")) or ["(no vintage)"]
    except CorpusNotFoundError:
        return ["(corpus missing)"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """A test taking ``vintage`` runs once per Epoch vintage in the corpus."""
    if "vintage" in metafunc.fixturenames:
        metafunc.parametrize("vintage", _vintages())


# -- the warehouse -------------------------------------------------------------------------------


@pytest.fixture()
def import_epoch() -> Callable:
    """``import_epoch(wh, path, text=None)`` imports a vintage as ``paramtrack import-epoch`` does;
    returns (the parse result, the import report)."""
    from paramtrack.trends.epoch_csv import parse_epoch_csv
    from paramtrack.warehouse.models_store import import_epoch_rows

    def run(wh, path: Path, text: str | None = None):
        parsed = parse_epoch_csv(path, text=text)
        with wh.write() as con:
            report = import_epoch_rows(
                con,
                parsed.file_name,
                parsed.rows,
                sha256="test",
                skipped=len(parsed.skipped),
                skip_reasons=parsed.skip_reasons(),
            )
        return parsed, report

    return run


@pytest.fixture()
def recomputed_tables() -> Callable:
    """``recomputed_tables(wh)``: the trends, gap and breakpoints tables of the last recompute
    (without their run id, so two runs compare equal when their results do)."""
    from paramtrack.warehouse.trends_store import read_table

    def read(wh) -> dict[str, pd.DataFrame]:
        with wh.read() as con:
            return {t: read_table(con, t).drop(columns="run_id") for t in ("trends", "gap", "breakpoints")}

    return read


# -- a paper in the review queue ------------------------------------------------------------


@pytest.fixture()
def stage_paper_for_review() -> Callable:
    """``stage_paper_for_review(wh, arxiv_id, title, candidates, domain=..., published=...)``: a
    notable paper with its extracted candidates (``extractors.types.Candidate``), in the review
    queue, written through the warehouse's own stores as the discover flow writes it."""
    from paramtrack.extractors.types import ExtractionResult
    from paramtrack.warehouse.extraction_store import store_extraction
    from paramtrack.warehouse.papers_store import PaperRow, upsert_papers
    from paramtrack.warehouse.review_store import stage_paper

    def stage(wh, arxiv_id: str, title: str, candidates: list, *, domain: str, published: date) -> None:
        paper = PaperRow(
            arxiv_id=arxiv_id,
            version=1,
            title=title,
            abstract="An abstract.",
            authors=["A. Author"],
            categories=["cs.CV"],
            primary_category="cs.CV",
            published=published,
            updated=datetime.now(UTC),
            doi=None,
            journal_ref=None,
            pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
            s2_paper_id=None,
            citation_count=10,
            influential_citation_count=None,
            status="notable",
            found_by="arxiv_window",
        )
        result = ExtractionResult(candidates=candidates, domain=domain, domain_confidence=0.9, pages=10)
        with wh.write() as con:
            upsert_papers(con, [paper])
            store_extraction(con, arxiv_id=arxiv_id, pdf_sha256=f"sha-{arxiv_id}", extractor_version="t", result=result)
            stage_paper(con, arxiv_id)

    return stage
