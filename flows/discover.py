"""The weekly discover flow: arXiv window → Semantic Scholar → notability → warehouse → PDFs →
extraction → review queue.

Thin orchestration only: each task calls one function from ``sources``, ``discovery``,
``extractors`` or ``warehouse``. The warehouse connection is opened per write and closed at
once, so an analyst or the review app can use the file between steps of a long run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from discovery import intake
from discovery.notability import NotabilityRule
from paramtrack.settings import ARXIV_API_URL, DEFAULT_CATEGORIES, DEFAULT_RULE, S2_API_URL
from warehouse import Warehouse
from warehouse import extraction_store, papers_store

log = logging.getLogger("paramtrack.discover")


@dataclass
class DiscoverSummary:
    """What one run did, for the CLI to print and the ``runs`` table to keep."""

    run_id: str = ""
    polled: int = 0
    rechecked: int = 0
    found_by_bulk: int = 0
    with_citations: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    inserted: int = 0
    updated: int = 0
    newly_notable: list[str] = field(default_factory=list)
    found_ids: list[str] = field(default_factory=list)
    pdfs_downloaded: int = 0
    pdfs_failed: int = 0
    extracted: int = 0
    extraction_errors: int = 0
    staged: int = 0
    seconds: float = 0.0

    def counts(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["newly_notable"] = len(self.newly_notable)
        data["found_ids"] = len(self.found_ids)
        data.pop("run_id")
        return data


# -- tasks -------------------------------------------------------------------------------------

@task(name="poll-arxiv", cache_policy=NO_CACHE)
def poll_arxiv(api_url: str, categories: list[str], since: date, until: date, delay_s: float) -> list:
    from sources.arxiv_source import ArxivSource

    with ArxivSource(api_url, delay_seconds=delay_s) as arxiv:
        papers = list(arxiv.search_window(categories, since, until))
    log.info("arXiv: %d papers submitted %s .. %s in %s", len(papers), since, until, ", ".join(categories))
    return papers


@task(name="fetch-arxiv-ids", cache_policy=NO_CACHE)
def fetch_arxiv_ids(api_url: str, arxiv_ids: list[str], delay_s: float) -> list:
    from sources.arxiv_source import ArxivSource

    with ArxivSource(api_url, delay_seconds=delay_s) as arxiv:
        papers = arxiv.fetch_ids(arxiv_ids)
    log.info("arXiv: %d of %d requested papers found", len(papers), len(arxiv_ids))
    return papers


@task(name="read-watchlist", cache_policy=NO_CACHE)
def read_watchlist(db_path: str) -> list:
    with Warehouse(db_path).read() as con:
        return [intake.watched_paper(r) for r in papers_store.watchlist(con)]


@task(name="fetch-citations", cache_policy=NO_CACHE)
def fetch_citations(api_url: str, arxiv_ids: list[str], min_interval: float | None) -> dict:
    from sources.semantic_scholar import SemanticScholarSource

    with SemanticScholarSource(api_url, min_interval=min_interval) as s2:
        found = s2.batch_by_arxiv(arxiv_ids)
    log.info("Semantic Scholar: citation counts for %d of %d papers",
             sum(1 for v in found.values() if v is not None), len(arxiv_ids))
    return found


@task(name="find-missed-papers", cache_policy=NO_CACHE)
def find_missed(
    s2_url: str, arxiv_url: str, *, query: str, min_citations: int, date_range: str,
    known: list[str], delay_s: float, min_interval: float | None,
) -> tuple[list, dict]:
    """Notable papers the weekly windows never saw: bulk search, then their arXiv records."""
    from sources.arxiv_source import ArxivSource
    from sources.semantic_scholar import SemanticScholarSource

    known_set = set(known)
    with SemanticScholarSource(s2_url, min_interval=min_interval) as s2:
        hits = {
            p.arxiv_id: p
            for p in s2.bulk_search(
                query=query, min_citation_count=min_citations, publication_date_or_year=date_range
            )
            if p.arxiv_id and p.arxiv_id not in known_set
        }
    papers: list = []
    if hits:
        with ArxivSource(arxiv_url, delay_seconds=delay_s) as arxiv:
            papers = arxiv.fetch_ids(sorted(hits))
    log.info("Semantic Scholar bulk search: %d notable papers not yet known", len(papers))
    return papers, hits


@task(name="store-papers", cache_policy=NO_CACHE)
def store_papers(db_path: str, rows: list[papers_store.PaperRow], aged_out: list[str]) -> papers_store.UpsertCounts:
    with Warehouse(db_path).write() as con:
        counts = papers_store.upsert_papers(con, rows)
        papers_store.mark_aged_out(con, aged_out)
    return counts


@task(name="download-pdfs", cache_policy=NO_CACHE)
def download_pdfs(db_path: str, cache_dir: str, max_mb: int) -> tuple[int, int]:
    """Fetch every notable paper's PDF not cached yet; failures are recorded and retried later."""
    from sources.pdf_cache import PdfCache

    wh = Warehouse(db_path)
    with wh.read() as con:
        todo = papers_store.papers_needing_pdf(con)
    ok = failed = 0
    results: list[tuple[str, str, Any, str | None]] = []
    with PdfCache(Path(cache_dir), max_bytes=max_mb * 1024 * 1024) as cache:
        for i, (arxiv_id, url) in enumerate(todo, 1):
            try:
                pdf = cache.fetch(url, arxiv_id=arxiv_id)
                results.append((arxiv_id, url, pdf, None))
                ok += 1
            except Exception as exc:  # recorded per paper; the run goes on
                results.append((arxiv_id, url, None, f"{type(exc).__name__}: {exc}"))
                failed += 1
            if i % 100 == 0 or i == len(todo):
                log.info("PDFs: %d/%d (%d cached, %d unavailable)", i, len(todo), ok, failed)
    with wh.write() as con:
        for arxiv_id, url, pdf, error in results:
            if pdf is not None:
                papers_store.record_pdf(con, arxiv_id, url=url, sha256=pdf.sha256, size=pdf.bytes,
                                        path=str(pdf.path))
            else:
                papers_store.record_pdf(con, arxiv_id, url=url, error=error)
    return ok, failed


def _extraction_cache_key(context: Any, parameters: dict[str, Any]) -> str:
    from extractors import EXTRACTOR_VERSION

    return f"extract-{parameters['arxiv_id']}-{parameters['sha256']}-{EXTRACTOR_VERSION}"


#: One extraction child process per flow run (spaCy and pdfplumber load once, not per PDF).
#: Set by ``discover_flow`` around its extraction loop; tasks run in the flow's process.
_worker: Any = None


class TransientExtractionError(RuntimeError):
    """The extraction worker timed out or was killed; carries the error result to stage."""

    def __init__(self, result: Any) -> None:
        super().__init__(result.error)
        self.result = result

    def __reduce__(self) -> tuple[Any, ...]:  # survives pickling (Dask workers -> flow process)
        return (type(self), (self.result,))


@task(name="extract-paper", cache_key_fn=_extraction_cache_key, persist_result=True,
      retries=1, retry_delay_seconds=1)
def extract_paper(arxiv_id: str, sha256: str, path: str, meta: dict[str, Any]) -> Any:
    """Extract in the isolated worker (time and memory limits); errors come back as values.

    A transient error (timeout, memory kill) is raised instead, so Prefect retries it once and
    never caches it: only results that say something about the PDF are kept.
    """
    from extractors import extract_pdf_safely

    kwargs = dict(categories=meta.get("categories"), published=meta.get("published"),
                  title=meta.get("title"), abstract=meta.get("abstract"))
    if _worker is not None:
        result = _worker.extract(Path(path), **kwargs)
    else:
        result = extract_pdf_safely(Path(path), **kwargs)
    if result.error and result.error_transient:
        raise TransientExtractionError(result)
    return result


@task(name="stage-extractions", cache_policy=NO_CACHE)
def stage_extraction(db_path: str, arxiv_id: str, sha256: str, result: Any, seconds: float) -> bool:
    """Store the result and stage the paper; returns whether it was staged.

    A transient error is stored (so the run's errors are visible) but not staged: the paper keeps
    its earlier candidates and review state until an extraction gives a lasting answer.
    """
    from extractors import EXTRACTOR_VERSION
    from warehouse import review_store

    with Warehouse(db_path).write() as con:
        extraction_store.store_extraction(
            con, arxiv_id=arxiv_id, pdf_sha256=sha256, extractor_version=EXTRACTOR_VERSION,
            result=result, seconds=seconds,
        )
        if result.error and result.error_transient:
            return False
        review_store.stage_paper(con, arxiv_id)
    return True


def _extract_all(db_path: str, todo: list[tuple[str, str, str, dict | None]],
                 summary: DiscoverSummary, timeout_s: float) -> None:
    """Extract and stage each PDF through one worker process kept for the whole batch."""
    global _worker
    from extractors import ExtractionWorker

    with ExtractionWorker(timeout_s=timeout_s) as worker:
        _worker = worker
        try:
            for i, (arxiv_id, sha, path, meta) in enumerate(todo, 1):
                t0 = time.monotonic()
                try:
                    result = extract_paper(arxiv_id, sha, path, meta or {})
                except TransientExtractionError as exc:
                    result = exc.result  # recorded, not staged; the next run tries again
                staged = stage_extraction(db_path, arxiv_id, sha, result, time.monotonic() - t0)
                summary.extracted += 1
                summary.extraction_errors += 1 if result.error else 0
                summary.staged += 1 if staged else 0
                retry = "" if staged else "; retried next run"
                log.info("Extracted %d/%d: %s%s", i, len(todo), arxiv_id,
                         f" (error: {result.error}{retry})" if result.error else "")
        finally:
            _worker = None


# -- flow --------------------------------------------------------------------------------------

@flow(name="discover", log_prints=False, validate_parameters=False)
def discover_flow(
    db_path: str,
    since: date | None = None,
    until: date | None = None,
    categories: list[str] | None = None,
    arxiv_api_url: str = ARXIV_API_URL,
    s2_api_url: str = S2_API_URL,
    pdf_cache_dir: str | None = None,
    rule: str = DEFAULT_RULE,
    as_of: date | None = None,
    arxiv_delay_seconds: float = 3.0,
    s2_min_interval: float | None = None,
    bulk_search: bool = True,
    bulk_query: str = intake.DEFAULT_BULK_QUERY,
    bulk_lookback_years: int = 3,
    extract: bool = True,
    max_pdf_mb: int = 50,
    arxiv_ids: list[str] | None = None,
    extraction_timeout_s: float = 60.0,
) -> DiscoverSummary:
    """Discover notable papers submitted in [since, until] and stage their candidates.

    With ``arxiv_ids`` instead of a window, those papers are fetched and kept as notable (a
    maintainer adding a paper by hand); the watchlist and bulk search are skipped.
    ``extraction_timeout_s`` bounds each PDF's extraction; a paper that hits it is recorded with a
    transient error (not staged) and extracted again by the next run.
    """
    if arxiv_ids is None and (since is None or until is None):
        raise ValueError("discover_flow needs a window (since, until) or arxiv_ids")
    from extractors import EXTRACTOR_VERSION

    started = time.monotonic()
    categories = list(categories or DEFAULT_CATEGORIES)
    notability = NotabilityRule.parse(rule)
    as_of = as_of or datetime.now(timezone.utc).date()
    wh = Warehouse(db_path)
    params = {"since": since, "until": until, "arxiv_ids": arxiv_ids, "categories": categories, "arxiv": arxiv_api_url,
              "s2": s2_api_url, "rule": rule, "as_of": as_of, "bulk_search": bulk_search}
    with wh.write() as con:
        run_id = papers_store.start_run(con, "discover", params)
    summary = DiscoverSummary(run_id=run_id)
    try:
        if arxiv_ids is not None:
            polled = fetch_arxiv_ids(arxiv_api_url, list(arxiv_ids), arxiv_delay_seconds)
            watched = []
            bulk_search = False
            papers = intake.merge_papers((p, "manual") for p in polled)
        else:
            polled = poll_arxiv(arxiv_api_url, categories, since, until, arxiv_delay_seconds)
            watched = read_watchlist(str(db_path))
            papers = intake.merge_papers(
                ((p, "arxiv_window") for p in polled), ((p, "watchlist") for p in watched)
            )
        summary.polled, summary.rechecked = len(polled), len(watched)
        summary.found_ids = sorted(papers)
        citations = dict(fetch_citations(s2_api_url, sorted(papers), s2_min_interval))
        if bulk_search:
            with wh.read() as con:
                known = sorted(set(papers) | papers_store.all_ids(con))
            missed, hits = find_missed(
                s2_api_url, arxiv_api_url, query=bulk_query,
                min_citations=int(notability.threshold(0)),
                date_range=intake.bulk_date_range(since, until, bulk_lookback_years),  # type: ignore[arg-type]
                known=known, delay_s=arxiv_delay_seconds, min_interval=s2_min_interval,
            )
            summary.found_by_bulk = len(missed)
            papers.update(intake.merge_papers(((p, "s2_bulk") for p in missed if p.arxiv_id not in papers)))
            citations.update({k: v for k, v in hits.items() if k not in citations})
        summary.with_citations = sum(1 for v in citations.values() if v is not None)
        with wh.read() as con:
            history = papers_store.citation_history(con, sorted(papers))
        rows = intake.judge(papers, citations, rule=notability, as_of=as_of, history=history)
        summary.verdicts = intake.summarise(rows)
        aged = [r.arxiv_id for r in rows if r.status == "aged_out"]
        counts = store_papers(str(db_path), [r for r in rows if r.status != "aged_out"], aged)
        summary.inserted, summary.updated = counts.inserted, counts.updated
        summary.newly_notable = counts.newly_notable
        log.info("Warehouse: %d new, %d updated, %d newly notable", counts.inserted,
                 counts.updated, len(counts.newly_notable))

        if extract:
            cache_dir = pdf_cache_dir or str(Path(db_path).parent / "pdfs")
            summary.pdfs_downloaded, summary.pdfs_failed = download_pdfs(str(db_path), cache_dir, max_pdf_mb)
            with wh.read() as con:
                todo = [
                    (arxiv_id, sha, path, papers_store.paper_metadata(con, arxiv_id))
                    for arxiv_id, sha, path in papers_store.cached_pdfs(con)
                    if not extraction_store.has_extraction(con, arxiv_id, sha, EXTRACTOR_VERSION)
                ]
            if todo:
                _extract_all(str(db_path), todo, summary, extraction_timeout_s)
    except BaseException as exc:
        summary.seconds = time.monotonic() - started
        with wh.write() as con:
            papers_store.finish_run(con, run_id, status="failed", counts=summary.counts(),
                                    error=f"{type(exc).__name__}: {exc}")
        raise
    summary.seconds = time.monotonic() - started
    with wh.write() as con:
        papers_store.finish_run(con, run_id, status="completed", counts=summary.counts())
    return summary
