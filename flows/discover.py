"""The weekly discover flow: arXiv window → Semantic Scholar → notability → warehouse → PDFs →
extraction → review queue.

Thin orchestration only: each task calls one function from ``sources``, ``discovery``,
``extractors`` or ``warehouse``. The warehouse connection is opened per write and closed at
once, so an analyst or the review app can use the file between steps of a long run.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE
from prefect.states import Failed, State

from paramtrack.core.errors import SourceUnavailableError
from paramtrack.core.settings import (
    DEFAULT_CATEGORIES,
    configure_ranker,
    read_settings,
)
from paramtrack.discovery import intake, screening
from paramtrack.discovery.notability import NotabilityRule
from paramtrack.flows import extraction_worker, runlog
from paramtrack.flows.digest import publish_digest_safely
from paramtrack.flows.options import RunOptions, SourceSettings
from paramtrack.sources.pacing import ARXIV_PDF, CircuitBreaker, SourceDownError, SourceProblems
from paramtrack.warehouse import Warehouse, extraction_store, papers_store, rejections_store, review_store, runs_store
from paramtrack.warehouse.publish import publish_after_run

if TYPE_CHECKING:
    from paramtrack.extractors import ExtractionResult
    from paramtrack.sources.arxiv_source import WindowPage

log = logging.getLogger("paramtrack.discover")


@dataclass
class DiscoverSummary:
    """What one run did, for the CLI to print and the ``runs`` table to keep."""

    run_id: str = ""
    status: str = "running"
    error: str | None = None
    resumed_from: str | None = None
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
    abstracts_read: int = 0  # notable papers without a PDF, extracted from arXiv's abstract
    abstracts_staged: int = 0  # ... of which staged (the abstract states a size)
    rejected: int = 0  # records screening refused (rejected_records says why)
    cleaned: int = 0  # records stored after removing control/invisible characters
    seconds: float = 0.0
    source_problems: list[dict[str, Any]] = field(default_factory=list)

    def add(self, batch: BatchResult) -> None:
        self.found_ids.extend(batch.ids)
        self.with_citations += batch.with_citations
        for verdict, n in batch.verdicts.items():
            self.verdicts[verdict] = self.verdicts.get(verdict, 0) + n
        self.inserted += batch.inserted
        self.updated += batch.updated
        self.newly_notable.extend(batch.newly_notable)
        self.rejected += batch.rejected
        self.cleaned += batch.cleaned

    def counts(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["newly_notable"] = len(self.newly_notable)
        data["found_ids"] = len(self.found_ids)
        for key in ("run_id", "status", "error", "resumed_from"):
            data.pop(key)
        return data


class RunStoppedError(SourceUnavailableError):
    """A source outage cut the run short (``runs.status = 'source_down'``).

    :func:`discover_flow` ends such a run in a Prefect *Failed* state carrying this error, so
    the UI, ``paramtrack status`` and the failure webhook see an outage rather than a
    completed run; the run's summary rides along for whoever called the flow
    (:func:`run_discover` hands it back).
    """

    def __init__(self, summary: DiscoverSummary) -> None:
        super().__init__(
            f"run stopped early: {summary.error}",
            hint="everything finished so far is kept; run the same command again to resume",
        )
        self.summary = summary

    def __reduce__(self) -> tuple[Any, ...]:  # Prefect may pickle a state's data
        return (type(self), (self.summary,))


@dataclass(frozen=True)
class BatchResult:
    """What judging and storing one batch of papers did."""

    ids: list[str]
    with_citations: int
    verdicts: dict[str, int]
    inserted: int
    updated: int
    newly_notable: list[str]
    rejected: int = 0
    cleaned: int = 0


@dataclass(frozen=True)
class Progress:
    """A checkpoint to commit together with a batch: the job, the step and how far it got."""

    key: str
    step: str
    position: int
    total: int | None
    run_id: str
    job_started_at: datetime


class LockKeeper:
    """Keeps a run's ``run_locks`` row alive while the run works: a daemon thread refreshes its
    heartbeat every :data:`~warehouse.runs_store.LOCK_HEARTBEAT_S` seconds, and :meth:`stop`
    releases the lock. With ``key`` None (papers added by id) there is no lock to keep."""

    def __init__(
        self, db_path: str, key: str | None, run_id: str, interval_s: float = runs_store.LOCK_HEARTBEAT_S
    ) -> None:
        self.db_path, self.key, self.run_id, self.interval_s = db_path, key, run_id, interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if key is not None:
            self._thread = threading.Thread(target=self._beat, name="paramtrack-heartbeat", daemon=True)
            self._thread.start()

    def _beat(self) -> None:
        assert self.key is not None
        while not self._stop.wait(self.interval_s):
            try:
                with Warehouse(self.db_path).write() as con:
                    held = runs_store.heartbeat(con, self.key, self.run_id)
            except Exception as exc:  # a locked file now is not fatal: the next beat retries
                log.warning("Heartbeat of run %s not written: %s", self.run_id[:8], exc)
                continue
            if not held:
                log.warning("Run %s lost its window lock (another run took it over)", self.run_id[:8])
                return

    def stop(self) -> None:
        if self.key is None:
            return
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        with Warehouse(self.db_path).write() as con:
            runs_store.release_lock(con, self.key, self.run_id)


# -- tasks -------------------------------------------------------------------------------------


@task(name="poll-arxiv-page", cache_policy=NO_CACHE)
def poll_arxiv_page(
    sources: SourceSettings,
    categories: list[str],
    since: date,
    until: date,
    start: int,
    problems: SourceProblems | None = None,
) -> WindowPage:
    """One page of the window listing (a task per page: each shows, and retries, on its own)."""
    with sources.arxiv(problems) as arxiv:
        return arxiv.window_page(categories, since, until, start)


@task(name="fetch-arxiv-ids", cache_policy=NO_CACHE)
def fetch_arxiv_ids(sources: SourceSettings, arxiv_ids: list[str], problems: SourceProblems | None = None) -> list:
    with sources.arxiv(problems) as arxiv:
        papers = arxiv.fetch_ids(arxiv_ids)
    log.info("arXiv: %d of %d requested papers found", len(papers), len(arxiv_ids))
    return papers


@task(name="fetch-citations", cache_policy=NO_CACHE)
def fetch_citations(sources: SourceSettings, arxiv_ids: list[str], problems: SourceProblems | None = None) -> dict:
    """Semantic Scholar's records for ``arxiv_ids`` (None for unknown ones), 500 per request."""
    with sources.s2(problems) as s2:
        return s2.batch_by_arxiv(arxiv_ids)


@task(name="read-watchlist", cache_policy=NO_CACHE)
def read_watchlist(db_path: str, not_seen_since: datetime | None = None) -> list:
    with Warehouse(db_path).read() as con:
        return [intake.watched_paper(r) for r in papers_store.watchlist(con, not_seen_since=not_seen_since)]


@task(name="judge-and-store", cache_policy=NO_CACHE)
def judge_and_store(
    db_path: str,
    sources: SourceSettings,
    papers: dict[str, tuple[Any, str]],
    *,
    rule: str,
    as_of: date,
    run_id: str,
    known_citations: dict[str, Any] | None = None,
    progress: Progress | None = None,
    problems: SourceProblems | None = None,
) -> BatchResult:
    """Screening, citation counts for one batch (≤ 500 ids: one Semantic Scholar call), the
    rule's verdict, and one transaction that stores the papers, the rejected records with their
    reasons *and* the checkpoint saying all of it is stored."""
    screened = screening.screen_papers(papers, as_of=as_of)
    papers = screened.kept
    known_citations = dict(known_citations or {})
    ask = sorted(set(papers) - set(known_citations))
    citations: dict[str, Any] = dict(known_citations)
    if ask:
        with sources.s2(problems) as s2:
            citations.update(s2.batch_by_arxiv(ask))  # in this task: one task run per batch
    wh = Warehouse(db_path)
    with wh.read() as con:
        history = papers_store.citation_history(con, sorted(papers))
    rows = intake.judge(papers, citations, rule=NotabilityRule.parse(rule), as_of=as_of, history=history)
    aged = [r.arxiv_id for r in rows if r.status == "aged_out"]
    with wh.write() as con:
        counts = papers_store.upsert_papers(con, [r for r in rows if r.status != "aged_out"])
        papers_store.mark_aged_out(con, aged)
        rejections_store.record_rejections(con, run_id, screened.rejected)
        if progress is not None:
            runs_store.save_checkpoint(
                con,
                progress.key,
                progress.step,
                position=progress.position,
                total=progress.total,
                run_id=progress.run_id,
                job_started_at=progress.job_started_at,
            )
    return BatchResult(
        ids=sorted(papers),
        with_citations=sum(1 for k in papers if citations.get(k) is not None),
        verdicts=intake.summarise(rows),
        inserted=counts.inserted,
        updated=counts.updated,
        newly_notable=counts.newly_notable,
        rejected=len(screened.rejected),
        cleaned=len(screened.cleaned),
    )


@task(name="find-missed-papers", cache_policy=NO_CACHE)
def find_missed(
    sources: SourceSettings,
    *,
    query: str,
    min_citations: int,
    date_range: str,
    known: list[str],
    problems: SourceProblems | None = None,
) -> tuple[list, dict]:
    """Notable papers the weekly windows never saw: bulk search, then their arXiv records."""
    known_set = set(known)
    with sources.s2(problems) as s2:
        hits = {
            p.arxiv_id: p
            for p in s2.bulk_search(query=query, min_citation_count=min_citations, publication_date_or_year=date_range)
            if p.arxiv_id and p.arxiv_id not in known_set
        }
    papers: list = []
    if hits:
        with sources.arxiv(problems) as arxiv:
            papers = arxiv.fetch_ids(sorted(hits))
    log.info("Semantic Scholar bulk search: %d notable papers not yet known", len(papers))
    return papers, hits


@task(name="refresh-pdf-addresses", cache_policy=NO_CACHE)
def refresh_pdf_addresses(
    db_path: str,
    sources: SourceSettings,
    *,
    read_before: datetime,
    only: list[str] | None = None,
    problems: SourceProblems | None = None,
) -> int:
    """Ask arXiv again where the PDFs this run is about to download are, for every paper whose
    record this run did not read itself (stored by an earlier run).

    An address is only as good as the server that gave it: a run killed together with its
    source (the demo's replay server dies with it) leaves addresses that nobody answers, and
    an older record may name a version arXiv has since replaced. Re-reading costs one arXiv
    request per 100 papers; trusting a dead address costs each paper a refused download and a
    day's wait. Papers arXiv no longer lists keep what was stored. Returns how many moved.
    """
    with Warehouse(db_path).read() as con:
        stale = papers_store.papers_needing_pdf(
            con, only=only, ignore_backoff=only is not None, seen_before=read_before
        )
    if not stale:
        return 0
    with sources.arxiv(problems) as arxiv:
        fresh = arxiv.fetch_ids([arxiv_id for arxiv_id, _, _ in stale])
    with Warehouse(db_path).write() as con:
        moved = papers_store.set_pdf_addresses(con, [(p.arxiv_id, p.version, p.pdf_url) for p in fresh if p.pdf_url])
    log.info("PDFs: re-read %d addresses stored by an earlier run from arXiv (%d changed)", len(stale), moved)
    return moved


@dataclass(frozen=True)
class DownloadResult:
    downloaded: int
    failed: int
    source_down: str | None = None  # why the breaker stopped the downloads, if it did


@task(name="download-pdfs", cache_policy=NO_CACHE)
def download_pdfs(
    db_path: str,
    sources: SourceSettings,
    cache_dir: str,
    max_mb: int,
    *,
    problems: SourceProblems | None = None,
    breaker_threshold: int = 5,
    only: list[str] | None = None,
    retry_base_days: float = papers_store.PDF_RETRY_BASE_DAYS,
) -> DownloadResult:
    """Fetch the PDF of every notable paper's current version that is not cached and is due,
    recording each result as it lands (a killed run keeps what it downloaded).

    A failure (404, corrupt every time, retries used up) waits ``retry_base_days`` days before
    the next try, twice as long after each further failed run (``pdfs.next_try_at``), so later
    runs do not spend a request and a pacing delay on it every time. ``only`` limits the
    downloads to those papers and tries them even while they wait (``paramtrack add``).

    When the PDF server fails ``breaker_threshold`` times in a row (each after its retries), the
    breaker opens and :class:`~sources.pacing.SourceDownError` ends the downloads: the rest wait
    for the next run instead of each burning its own retry schedule, and the papers of that
    streak are tried again by the next run (the server was down, not their files).
    """
    from paramtrack.sources.pdf_cache import PdfServerFailingError

    wh = Warehouse(db_path)
    todo = _pdfs_due(wh, only)
    breaker = CircuitBreaker(ARXIV_PDF, breaker_threshold)
    streak: list[tuple[str, int]] = []  # server failures since the last success
    ok = failed = 0
    with sources.pdfs(cache_dir, max_mb, problems) as cache:
        for i, (arxiv_id, url, version) in enumerate(todo, 1):
            try:
                pdf = cache.fetch(url, arxiv_id=arxiv_id)
            except Exception as exc:  # recorded per paper; the run goes on
                failed += 1
                with wh.write() as con:
                    papers_store.record_pdf(
                        con,
                        arxiv_id,
                        url=url,
                        version=version,
                        error=f"{type(exc).__name__}: {exc}",
                        retry_base_days=retry_base_days,
                    )
                if isinstance(exc, PdfServerFailingError):
                    streak.append((arxiv_id, version))
                    try:
                        breaker.failure(str(exc))
                    except SourceDownError as down:
                        with wh.write() as con:
                            papers_store.clear_pdf_waits(con, streak)
                        log.warning("PDFs: %s; %d left for the next run", down, len(todo) - i)
                        return DownloadResult(ok, failed, str(down))
            else:
                ok += 1
                streak = []
                breaker.success()
                with wh.write() as con:
                    papers_store.record_pdf(
                        con, arxiv_id, url=url, version=version, sha256=pdf.sha256, size=pdf.bytes, path=str(pdf.path)
                    )
            if i % 10 == 0 or i == len(todo):
                log.info("PDFs: %d/%d (%d cached, %d unavailable)", i, len(todo), ok, failed)
    return DownloadResult(ok, failed)


def _pdfs_due(wh: Warehouse, only: list[str] | None) -> list[tuple[str, str, int]]:
    """``(arxiv_id, url, version)`` of the PDFs to fetch now; says how many wait for a later run
    (and when the first of them is due), so an operator sees why a notable paper has no PDF yet."""
    with wh.read() as con:
        todo = papers_store.papers_needing_pdf(con, only=only, ignore_backoff=only is not None)
        waiting = (
            [s for s in papers_store.pdf_states(con, arxiv_ids=only) if s.current and s.next_try_at is not None]
            if only is None
            else []
        )
    if waiting:
        soonest = min(s.next_try_at for s in waiting if s.next_try_at is not None)
        log.info(
            "PDFs: %d to fetch; %d unavailable ones wait for a later run (next try %s)",
            len(todo),
            len(waiting),
            f"{soonest.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        )
    return todo


def _extraction_cache_key(context: Any, parameters: dict[str, Any]) -> str:
    from paramtrack.extractors import EXTRACTOR_VERSION

    return f"extract-{parameters['arxiv_id']}-{parameters['sha256']}-{EXTRACTOR_VERSION}"


class TransientExtractionError(RuntimeError):
    """The extraction worker timed out or was killed; carries the error result to stage."""

    def __init__(self, result: Any) -> None:
        super().__init__(result.error)
        self.result = result

    def __reduce__(self) -> tuple[Any, ...]:  # survives pickling (Dask workers -> flow process)
        return (type(self), (self.result,))


@task(name="extract-paper", cache_key_fn=_extraction_cache_key, persist_result=True, retries=1, retry_delay_seconds=1)
def extract_paper(arxiv_id: str, sha256: str, path: str, meta: dict[str, Any]) -> ExtractionResult:
    """Extract in the isolated worker (time and memory limits); errors come back as values.

    A transient error (timeout, memory kill) is raised instead, so Prefect retries it once and
    never caches it: only results that say something about the PDF are kept.
    """
    result = extraction_worker.extract(path, meta)
    if result.error and result.error_transient:
        raise TransientExtractionError(result)
    return result


def store_and_stage(con: Any, arxiv_id: str, sha256: str, result: Any, seconds: float) -> bool:
    """Store one extraction result and stage its paper inside ``con``'s transaction; whether it
    was staged (a transient error is stored, not staged)."""
    from paramtrack.extractors import EXTRACTOR_VERSION
    from paramtrack.warehouse import review_store

    stored = extraction_store.store_extraction(
        con,
        arxiv_id=arxiv_id,
        pdf_sha256=sha256,
        extractor_version=EXTRACTOR_VERSION,
        result=result,
        seconds=seconds,
    )
    if not stored.lasting:  # a transient error (a repeated one is made lasting by the store)
        return False
    review_store.stage_paper(con, arxiv_id)
    return True


@task(name="stage-extractions", cache_policy=NO_CACHE)
def stage_extraction(db_path: str, arxiv_id: str, sha256: str, result: Any, seconds: float) -> bool:
    """Store the result and stage the paper; returns whether it was staged.

    A transient error is stored (so the run's errors are visible) but not staged: the paper keeps
    its earlier candidates and review state until an extraction gives a lasting answer. The
    warehouse decides: the same transient failure again for the same PDF becomes lasting.
    """
    with Warehouse(db_path).write() as con:
        return store_and_stage(con, arxiv_id, sha256, result, seconds)


def _extract_all(
    db_path: str, todo: list[tuple[str, str, str, dict | None]], summary: DiscoverSummary, timeout_s: float
) -> None:
    """Extract and stage each PDF through one worker process kept for the whole batch."""
    with extraction_worker.installed(timeout_s):
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
            log.info(
                "Extracted %d/%d: %s (%d pages)%s",
                i,
                len(todo),
                arxiv_id,
                result.pages or 0,
                f" (error: {result.error}{retry})" if result.error else "",
            )


# -- flow --------------------------------------------------------------------------------------

WINDOW_STEP = "arxiv_window"


@flow(name="discover", log_prints=False, validate_parameters=False)
def discover_flow(
    db_path: str,
    since: date | None = None,
    until: date | None = None,
    categories: list[str] | None = None,
    arxiv_ids: list[str] | None = None,
    options: RunOptions | None = None,
) -> DiscoverSummary | State:
    """Discover notable papers submitted in [since, until] and stage their candidates.

    With ``arxiv_ids`` instead of a window, those papers are fetched and kept as notable (a
    maintainer adding a paper by hand); the watchlist and bulk search are skipped, and only
    those papers' PDFs are downloaded (even if they wait for a retry) and extracted.
    ``options`` (:class:`~paramtrack.flows.options.RunOptions`) holds the sources, pacing and
    limits; its defaults are the live APIs' and the documented notability rule.
    A paper whose extraction hits ``options.extraction_timeout_s`` is recorded with a transient
    error (not staged) and extracted again by the next run.

    Resumable: the window is read page by page and stored ``options.batch_size`` papers at a
    time (one Semantic Scholar batch), each batch committed with a checkpoint. A run that dies is
    marked 'interrupted' by the next run, which resumes the same window at the checkpoint; PDFs
    and extractions are recorded one paper at a time, so nothing done is done twice.

    A source that stays down (arXiv or Semantic Scholar failing after all retries, or the PDF
    server failing ``options.pdf_breaker_threshold`` papers in a row, refused connections
    included) ends the run cleanly: status 'source_down', everything committed so far kept, and
    the Prefect run Failed with a :class:`RunStoppedError` whose ``summary.error`` says which
    source and why (:func:`run_discover` returns that summary instead of raising).
    """
    runlog.install()  # this run's progress lines reach its Prefect run (not at import: no side effects)
    if arxiv_ids is None and (since is None or until is None):
        raise ValueError("discover_flow needs a window (since, until) or arxiv_ids")
    started = time.monotonic()
    configure_ranker(read_settings(db_path=Path(db_path)))  # a worker's run uses the warehouse's adopted ranker too
    options = options or RunOptions()
    notability = NotabilityRule.parse(options.rule)  # a bad rule stops the run before it writes anything
    categories = list(categories or DEFAULT_CATEGORIES)
    as_of = options.as_of or datetime.now(UTC).date()
    window = (since, until) if arxiv_ids is None and since is not None and until is not None else None
    wh = Warehouse(db_path)
    run = _start_run(wh, _run_params(since, until, arxiv_ids, categories, options, as_of), window, categories)
    problems = SourceProblems()
    summary = DiscoverSummary(run_id=run.run_id, resumed_from=run.resume.run_id if run.resume else None)
    judge = dict(rule=options.rule, as_of=as_of, run_id=run.run_id, problems=problems)
    ctx = _RunContext(str(db_path), options, notability, problems, summary, judge)
    keeper = LockKeeper(db_path, run.key, run.run_id)
    try:
        try:
            _discover(ctx, run, window=window, categories=categories, arxiv_ids=arxiv_ids)
        except SourceUnavailableError as exc:
            # A source stayed down: end cleanly, keep everything committed, let the next run resume,
            # and tell Prefect the run did not complete.
            stopped = _finish(wh, summary, started, problems, status="source_down", error=str(exc))
            return Failed(message=f"run stopped early: {stopped.error}", data=RunStoppedError(stopped))
        except BaseException as exc:
            _finish(wh, summary, started, problems, status="failed", error=f"{type(exc).__name__}: {exc}")
            raise
        return _finish(wh, summary, started, problems, status="completed")
    finally:
        keeper.stop()


@dataclass(frozen=True)
class _RunStart:
    """The run row :func:`_start_run` wrote: its id, the window lock it holds (None for papers
    added by id) and, when it resumes a killed run of the same window, that run's checkpoint."""

    run_id: str
    key: str | None
    resume: runs_store.Checkpoint | None
    started_at: datetime | None  # this run's start, as the warehouse wrote it
    job_started_at: datetime | None  # the window job's start: the resumed run's, else this run's


@dataclass(frozen=True)
class _RunContext:
    """What every step of one run hands down: where, how, and what it has done so far.

    ``judge`` holds the keyword arguments every :func:`judge_and_store` call of the run shares.
    """

    db_path: str
    options: RunOptions
    notability: NotabilityRule
    problems: SourceProblems
    summary: DiscoverSummary
    judge: dict[str, Any]

    @property
    def sources(self) -> SourceSettings:
        return self.options.sources

    def store(self, papers: dict[str, tuple[Any, str]], **extra: Any) -> None:
        """Judge and store one batch of papers and add what it did to the summary."""
        self.summary.add(judge_and_store(self.db_path, self.sources, papers, **self.judge, **extra))


def _run_params(
    since: date | None,
    until: date | None,
    arxiv_ids: list[str] | None,
    categories: list[str],
    options: RunOptions,
    as_of: date,
) -> dict[str, Any]:
    """The parameters the ``runs`` row keeps (what an operator reads back to tell runs apart)."""
    return {
        "since": since,
        "until": until,
        "arxiv_ids": arxiv_ids,
        "categories": categories,
        "arxiv": options.sources.arxiv_url,
        "s2": options.sources.s2_url,
        "rule": options.rule,
        "as_of": as_of,
        "bulk_search": options.bulk_search,
    }


def _start_run(
    wh: Warehouse, params: dict[str, Any], window: tuple[date, date] | None, categories: list[str]
) -> _RunStart:
    """Write the run's row and take its window's lock in one transaction, marking dead runs
    interrupted on the way; a run of the window a dead run left unfinished resumes it."""
    key = runs_store.discover_window_key(*window, categories) if window else None
    with wh.write() as con:
        if key is not None:
            # One live run per window: refuse (and write nothing) while another run holds it,
            # before this run could take the live one for dead and "resume" it.
            runs_store.check_lock(con, key, what="ingest")
        for dead in runs_store.mark_interrupted(con):
            log.warning("Run %s was interrupted (its process is gone)", dead)
        resume = runs_store.unfinished_checkpoint(con, key, WINDOW_STEP) if key else None
        run_id = runs_store.start_run(con, "discover", params, key=key, resumed_from=resume.run_id if resume else None)
        if key is not None:
            runs_store.acquire_lock(con, key, run_id, what="ingest")
        started_at = runs_store.run_started_at(con, run_id)
    return _RunStart(run_id, key, resume, started_at, resume.job_started_at if resume else started_at)


def _discover(
    ctx: _RunContext,
    run: _RunStart,
    *,
    window: tuple[date, date] | None,
    categories: list[str],
    arxiv_ids: list[str] | None,
) -> None:
    """The run's steps in order: the papers (named ones, or the window and the watchlist), the
    notable ones the windows missed, then PDFs and extraction."""
    if arxiv_ids is not None:
        _store_named(ctx, arxiv_ids)
    else:
        # A window run: checked on entry, and its run row was just written.
        assert window is not None and run.key is not None and run.job_started_at is not None
        _store_window(ctx, run, window, categories)
        if ctx.options.bulk_search:  # papers added by id skip it
            _store_bulk_finds(ctx, window)
    summary = ctx.summary
    log.info(
        "Warehouse: %d new, %d updated, %d newly notable", summary.inserted, summary.updated, len(summary.newly_notable)
    )
    if ctx.options.extract:
        # the papers it names, found on arXiv now or already in the warehouse
        only = sorted(set(summary.found_ids) | set(arxiv_ids)) if arxiv_ids is not None else None
        assert run.started_at is not None  # written by start_run
        _fetch_and_extract(ctx, read_before=run.started_at, only=only)


def _store_named(ctx: _RunContext, arxiv_ids: list[str]) -> None:
    """Papers a maintainer named: fetched from arXiv and stored as one batch."""
    polled = fetch_arxiv_ids(ctx.sources, list(arxiv_ids), ctx.problems)
    ctx.summary.polled = len(polled)
    ctx.store(intake.merge_papers((p, "manual") for p in polled))


def _store_window(ctx: _RunContext, run: _RunStart, window: tuple[date, date], categories: list[str]) -> None:
    """The window's papers (resumed at the checkpoint), then the watchlist's: papers not yet
    notable whose citation counts this run asks for again."""
    assert run.key is not None and run.job_started_at is not None
    _poll_window(
        ctx,
        categories,
        *window,
        resume=run.resume,
        progress=Progress(run.key, WINDOW_STEP, 0, None, run.run_id, run.job_started_at),
    )
    watched = read_watchlist(ctx.db_path, run.job_started_at)
    ctx.summary.rechecked = len(watched)
    for batch in intake.batches(watched, ctx.options.batch_size):
        ctx.store(intake.merge_papers((p, "watchlist") for p in batch))


def _store_bulk_finds(ctx: _RunContext, window: tuple[date, date]) -> None:
    """Notable papers older windows never saw, from Semantic Scholar's bulk search."""
    options, summary = ctx.options, ctx.summary
    with Warehouse(ctx.db_path).read() as con:
        # Papers this run judged but did not store (aged out) count as known too.
        known = sorted(papers_store.all_ids(con) | set(summary.found_ids))
    missed, hits = find_missed(
        ctx.sources,
        query=options.bulk_query,
        min_citations=int(ctx.notability.threshold(0)),
        date_range=intake.bulk_date_range(*window, options.bulk_lookback_years),
        known=known,
        problems=ctx.problems,
    )
    summary.found_by_bulk = len(missed)
    for batch in intake.batches(missed, options.batch_size):
        ctx.store(
            intake.merge_papers((p, "s2_bulk") for p in batch),
            known_citations={p.arxiv_id: hits.get(p.arxiv_id) for p in batch},
        )


def _fetch_and_extract(ctx: _RunContext, *, read_before: datetime, only: list[str] | None) -> None:
    """Download the due PDFs (at fresh addresses), extract what arrived and the abstracts of
    papers without one; an open PDF breaker ends the run after the extraction."""
    options, summary = ctx.options, ctx.summary
    refresh_pdf_addresses(ctx.db_path, ctx.sources, read_before=read_before, only=only, problems=ctx.problems)
    downloads = download_pdfs(
        ctx.db_path,
        ctx.sources,
        options.cache_dir(ctx.db_path),
        options.max_pdf_mb,
        problems=ctx.problems,
        breaker_threshold=options.pdf_breaker_threshold,
        only=only,
        retry_base_days=options.pdf_retry_base_days,
    )
    summary.pdfs_downloaded, summary.pdfs_failed = downloads.downloaded, downloads.failed
    _extract_pending(ctx.db_path, summary, options.extraction_timeout_s, only=only)
    if downloads.source_down:
        raise SourceDownError(ARXIV_PDF, [downloads.source_down])


def run_discover(**params: Any) -> DiscoverSummary:
    """Run :func:`discover_flow` and return its summary, also when a source outage stopped it.

    The flow run is then Failed in Prefect (an outage is not a completed run), which calling a
    flow turns into a raised :class:`RunStoppedError`; callers that print or act on the
    summary (the CLI, the weekly flow) read ``summary.status == 'source_down'`` instead.
    """
    try:
        summary = discover_flow(**params)
    except RunStoppedError as stopped:
        return stopped.summary
    assert isinstance(summary, DiscoverSummary), "a flow run that returns a state raises instead"
    return summary


def _poll_window(
    ctx: _RunContext,
    categories: list[str],
    since: date,
    until: date,
    *,
    resume: runs_store.Checkpoint | None,
    progress: Progress,
) -> None:
    """Page through the window, storing every ``batch_size`` papers with a checkpoint.

    Resuming starts at the checkpoint's position, unless the listing's size changed since (new
    submissions moved the offsets): then it starts over, which costs time but never leaves a gap.
    """
    batch_size, summary = ctx.options.batch_size, ctx.summary
    start = 0
    if resume is not None:
        start = resume.position
        log.info("Resuming the window at record %d of %s (run %s was interrupted)", start, resume.total, resume.run_id)
    pending: list[Any] = []
    while True:
        page = poll_arxiv_page(ctx.sources, categories, since, until, start, ctx.problems)
        if resume is not None and start and page.total != resume.total:
            log.warning(
                "The window's listing changed (%s -> %d records); reading it from the start", resume.total, page.total
            )
            resume, start, pending = None, 0, []
            continue
        pending.extend(page.papers)
        summary.polled += len(page.papers)
        start = page.next_start
        if page.papers:
            log.info("arXiv: %d/%d papers of the window read", start, page.total)
        while len(pending) >= batch_size or (page.last and pending):
            batch, pending = pending[:batch_size], pending[batch_size:]
            at = start - len(pending)
            ctx.store(intake.merge_papers((p, "arxiv_window") for p in batch), progress=_at(progress, at, page.total))
            log.info("Stored %d/%d papers of the window", at, page.total)
        if page.last:
            break
    log.info("arXiv: %d papers submitted %s .. %s in %s", summary.polled, since, until, ", ".join(categories))


def _at(progress: Progress, position: int, total: int) -> Progress:
    return Progress(progress.key, progress.step, position, total, progress.run_id, progress.job_started_at)


def _extract_pending(
    db_path: str, summary: DiscoverSummary, timeout_s: float, *, only: list[str] | None = None
) -> None:
    """Extract every cached PDF (of ``only`` those papers) that this extractor has not read."""
    from paramtrack.extractors import EXTRACTOR_VERSION

    with Warehouse(db_path).read() as con:
        todo = [
            (arxiv_id, sha, path, papers_store.paper_metadata(con, arxiv_id))
            for arxiv_id, sha, path in papers_store.cached_pdfs(con, only)
            if not extraction_store.has_extraction(con, arxiv_id, sha, EXTRACTOR_VERSION)
        ]
    if todo:
        _extract_all(db_path, todo, summary, timeout_s)
    _extract_abstracts(db_path, summary, only=only)


#: Abstract-only extractions stored per transaction (each is a few milliseconds of pure text work).
ABSTRACT_BATCH = 50


def _extract_abstracts(db_path: str, summary: DiscoverSummary, *, only: list[str] | None = None) -> None:
    """Candidates from arXiv's title and abstract for notable papers whose PDF is unavailable.

    Stored for every such paper (so the next run does not read it again unless the metadata or the
    extractor changes) and staged when the abstract states a size; when the PDF arrives, its
    extraction is the newer one and replaces these candidates in the queue.
    """
    from paramtrack.extractors import EXTRACTOR_VERSION, extract_abstract

    wh = Warehouse(db_path)
    with wh.read() as con:
        todo = [
            (meta, key)
            for meta in papers_store.papers_without_pdf(con, only)
            if not extraction_store.has_extraction(
                con,
                meta["arxiv_id"],
                key := papers_store.abstract_key(meta["title"], meta["abstract"]),
                EXTRACTOR_VERSION,
            )
        ]
    if not todo:
        return
    for start in range(0, len(todo), ABSTRACT_BATCH):
        batch = todo[start : start + ABSTRACT_BATCH]
        results = [
            (
                meta,
                key,
                extract_abstract(
                    title=meta["title"],
                    abstract=meta["abstract"],
                    published=meta.get("published"),
                ),
            )
            for meta, key in batch
        ]
        with wh.write() as con:
            for meta, key, result in results:
                extraction_store.store_extraction(
                    con, arxiv_id=meta["arxiv_id"], pdf_sha256=key, extractor_version=EXTRACTOR_VERSION, result=result
                )
                if result.candidates:
                    review_store.stage_paper(con, meta["arxiv_id"])
                    summary.abstracts_staged += 1
        summary.abstracts_read += len(batch)
        log.info(
            "Abstracts (no PDF): %d/%d read, %d staged", summary.abstracts_read, len(todo), summary.abstracts_staged
        )


def _finish(
    wh: Warehouse,
    summary: DiscoverSummary,
    started: float,
    problems: SourceProblems,
    *,
    status: str,
    error: str | None = None,
) -> DiscoverSummary:
    summary.status, summary.error = status, error
    summary.seconds = time.monotonic() - started
    summary.source_problems = problems.as_list()
    with wh.write() as con:
        runs_store.finish_run(con, summary.run_id, status=status, counts=summary.counts(), error=error)
    publish_after_run(wh)  # the analysts' read copy (warehouse/publish.py); never raises
    publish_digest_safely(str(wh.path), summary.run_id)  # file + Prefect artifact; never raises
    if status == "source_down":
        log.error("Run stopped: %s", error)
    return summary
