"""The backfill flow: months or years of arXiv via OAI-PMH → Semantic Scholar → notability →
warehouse (checkpointed per OAI page) → PDFs → extraction on a Dask cluster → review queue.

Thin orchestration: the OAI client, the window filter, judging, the stores and the extraction
task are the weekly flow's pieces (``flows.discover``) or live in ``sources``/``discovery``/
``warehouse``. What is new here is the *shape* of the run:

* the harvest commits each OAI page (its papers + the resumption point) in one transaction, so a
  killed backfill re-run with the same arguments resumes after the last committed page;
* extraction, the CPU-bound part, runs on the Dask cluster of Prefect's ``DaskTaskRunner`` (a
  local cluster of ``workers`` processes, or an existing cluster at ``dask_address``), in
  batches per Dask task on each worker's warm extraction child, while downloads (paced, polite
  to arXiv) and every warehouse write stay in the flow process (DuckDB allows one writer).
"""

from __future__ import annotations

import logging
import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from paramtrack.core.settings import (
    DEFAULT_CATEGORIES,
    configure_ranker,
    read_settings,
)
from paramtrack.discovery import intake, screening
from paramtrack.discovery.notability import NotabilityRule
from paramtrack.flows import extraction_worker, runlog
from paramtrack.flows.discover import (
    LockKeeper,
    download_pdfs,
    fetch_citations,
    find_missed,
    store_and_stage,
)
from paramtrack.flows.options import RunOptions, SourceSettings
from paramtrack.sources.pacing import SourceProblems
from paramtrack.warehouse import Warehouse, backfill_store, extraction_store, papers_store, rejections_store, runs_store
from paramtrack.warehouse.publish import publish_after_run

log = logging.getLogger("paramtrack.backfill")

#: ``papers.found_by`` of papers first found by a backfill's harvest.
FOUND_BY = "oai_backfill"


@dataclass
class BackfillSummary:
    """What one backfill run did, for the CLI to print and the ``runs`` table to keep."""

    run_id: str = ""
    backfill_key: str = ""
    resumed_after_pages: int = 0  # pages an earlier run had committed (0: a fresh backfill)
    restarts: int = 0  # harvests restarted because a saved token had expired
    pages: int = 0  # OAI pages harvested by this run
    harvested: int = 0  # records in those pages
    kept: int = 0  # ... first submitted in the window, in a wanted category
    with_citations: int = 0
    found_by_bulk: int = 0
    verdicts: dict[str, int] = field(default_factory=dict)
    inserted: int = 0
    updated: int = 0
    newly_notable: list[str] = field(default_factory=list)
    rejected: int = 0  # records screening refused (rejected_records says why)
    pdfs_downloaded: int = 0
    pdfs_failed: int = 0
    extracted: int = 0
    extraction_errors: int = 0
    staged: int = 0
    pdf_pages: int = 0
    harvest_seconds: float = 0.0
    extract_seconds: float = 0.0
    seconds: float = 0.0
    source_problems: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, Any]:
        data = dict(self.__dict__)
        data["newly_notable"] = len(self.newly_notable)
        data.pop("run_id")
        return data


# -- tasks -------------------------------------------------------------------------------------


@task(name="harvest-oai-page", cache_policy=NO_CACHE)
def harvest_page(sources: SourceSettings, set_spec: str, from_day: date, token: str | None) -> tuple[Any, list[str]]:
    """One ``ListRecords`` page (None when ``token`` has expired) and the problems its retries
    met (for the run report).

    An expired token is an answer, not a failure: returned as None, it neither marks the task
    run failed nor prints Prefect's error log with a traceback.
    """
    from paramtrack.sources.arxiv_oai import BadResumptionTokenError

    with sources.oai() as oai:
        try:
            page = oai.list_records(set_spec, from_day, token)
        except BadResumptionTokenError:
            if token is None:
                raise
            page = None
        return page, list(oai.problems)


@task(name="store-backfill-page", cache_policy=NO_CACHE)
def store_page(
    db_path: str,
    cp: Any,
    set_spec: str,
    next_token: str | None,
    seen: int,
    rows: list,
    aged_out: list[str],
    run_id: str,
    rejected: list,
) -> tuple[Any, papers_store.UpsertCounts]:
    """The page's papers, its rejected records and the checkpoint past it, committed together."""
    with Warehouse(db_path).write() as con:
        rejections_store.record_rejections(con, run_id, rejected)
        return backfill_store.save_page(
            con,
            cp,
            set_spec=set_spec,
            next_token=next_token,
            seen=seen,
            kept=len(rows) + len(aged_out),
            rows=rows,
            aged_out=aged_out,
        )


# -- Dask workers ------------------------------------------------------------------------------
#
# Extraction is CPU-bound and fast (a warm ExtractionWorker reads ~5 PDFs/s here), so what used to
# cost most on Dask was everything around it: one Prefect task run per PDF (its API round trips
# from the worker, result persistence, a cache lookup), a cold extraction child, and one DuckDB
# write per result. Now each Dask task extracts a *batch* of PDFs in the worker's warm child (the
# plugin starts it when the run starts, so it warms during the harvest and downloads), and the
# flow process stores each finished batch in one transaction as it arrives.

#: PDFs per Dask task at most: one task costs a scheduler round trip and a pickled batch, a
#: batch ~1-2 s of extraction.
MAX_BATCH = 8
#: Batches shrink as the work runs out (each takes 1 / (workers x this) of what is left), so the
#: last ones are single PDFs and no worker is left extracting a big batch alone at the end.
GUIDED_SHARE = 2


class ExtractionWorkerPlugin(WorkerPlugin):
    """Gives each Dask worker process one long-lived ``ExtractionWorker`` child.

    :func:`extract_batch` (and ``extract_paper``) use it through :mod:`flows.extraction_worker`;
    without this plugin each batch would start (and import spaCy and pdfium in) a fresh
    child. Setting it up also imports the flow modules in the worker, before the first task.
    """

    name = "paramtrack-extraction-worker"

    def __init__(self, timeout_s: float) -> None:
        self.timeout_s = timeout_s

    def setup(self, worker: Any) -> None:
        import paramtrack.flows.discover  # noqa: F401  (imports the flow modules before the first task)

        extraction_worker.install(self.timeout_s)

    def teardown(self, worker: Any) -> None:
        extraction_worker.uninstall()


def _dask_client() -> Any:
    """The Dask client of the flow's task runner, or None when the flow runs without Dask."""
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    return getattr(getattr(ctx, "task_runner", None), "client", None)


def _dashboard_link() -> str | None:
    """The local cluster's dashboard address when ``dask_task_runner(dashboard=True)`` made
    one (the scheduler's HTTP server runs either way, for metrics, but serves no dashboard)."""
    from prefect.context import FlowRunContext

    runner = getattr(FlowRunContext.get(), "task_runner", None)
    if not (getattr(runner, "cluster_kwargs", None) or {}).get("dashboard_address"):
        return None
    client = _dask_client()
    return client.dashboard_link if client is not None else None


def _dask_workers() -> int:
    """Worker threads of the flow's Dask cluster (1 without Dask)."""
    client = _dask_client()
    if client is None:
        return 1
    return max(1, sum(client.nthreads().values()))


@contextmanager
def _extraction_workers(timeout_s: float, *, enabled: bool = True) -> Iterator[None]:
    """:class:`ExtractionWorkerPlugin` on every Dask worker for the run, removed after it (its
    children would otherwise stay on a shared cluster's workers, or be killed by the nanny at
    shutdown). Entered when the run starts, so the children warm up while it harvests and
    downloads. Without Dask, :func:`extract_batch` starts one child per batch."""
    client = _dask_client() if enabled else None
    if client is None:
        yield
        return
    client.register_plugin(ExtractionWorkerPlugin(timeout_s), name=ExtractionWorkerPlugin.name)
    link = _dashboard_link()
    if link:
        log.info("Dask dashboard: %s", link)
    try:
        yield
    finally:
        client.unregister_worker_plugin(ExtractionWorkerPlugin.name)


def dask_task_runner(workers: int = 2, address: str | None = None, *, dashboard: bool = False) -> Any:
    """``DaskTaskRunner`` on an existing cluster (``address``) or a local one of ``workers``
    single-threaded processes (extraction is CPU-bound and holds the GIL). ``dashboard`` serves
    Dask's dashboard on a free loopback port (its address is logged when the run starts); off by
    default because several runs (and engineers) share a machine and port 8787 would clash."""
    import dask
    from prefect_dask import DaskTaskRunner

    # The extraction isolates each PDF in a child process; Dask's default daemonic worker
    # processes may not have children.
    dask.config.set({"distributed.worker.daemon": False})
    if address:
        return DaskTaskRunner(address=address)
    return DaskTaskRunner(
        cluster_kwargs={
            "n_workers": workers,
            "threads_per_worker": 1,
            "processes": True,
            "dashboard_address": "127.0.0.1:0" if dashboard else None,
        }
    )


def plan_batches(
    todo: list[tuple[str, str, str, dict | None]],
    workers: int,
) -> list[list[tuple[str, str, str, dict | None]]]:
    """Split the PDFs into batches for ``workers`` (guided self-scheduling): biggest files first,
    each batch ``1 / (workers x GUIDED_SHARE)`` of the PDFs still left, at most
    :data:`MAX_BATCH`, down to single PDFs at the end."""

    def size(item: tuple[str, str, str, dict | None]) -> int:
        try:
            return Path(item[2]).stat().st_size
        except OSError:
            return 0

    ordered = sorted(todo, key=size, reverse=True)
    batches, start = [], 0
    while start < len(ordered):
        left = len(ordered) - start
        per = max(1, min(MAX_BATCH, math.ceil(left / (max(1, workers) * GUIDED_SHARE))))
        batches.append(ordered[start : start + per])
        start += per
    return batches


def extract_batch_on_worker(
    items: list[tuple[str, str, str, dict | None]], timeout_s: float = 60.0
) -> list[tuple[str, str, Any, float]]:
    """Extract several PDFs in this Dask worker's warm extraction child; ``(arxiv_id, sha256,
    result, seconds)`` each, errors as values.

    A plain function submitted as one Dask task per batch: no Prefect task run per batch, whose
    API round trips from the worker (create, running, completed) cost as much as extracting a
    few PDFs. A transient failure (timeout, memory kill) is tried once more, as
    ``extract_paper``'s Prefect retry does; if it fails again it comes back marked transient
    (stored, not staged, retried by the next run).
    """
    from paramtrack.extractors import ExtractionWorker

    worker = extraction_worker.current()
    own = None if worker is not None else ExtractionWorker(timeout_s=timeout_s).start()
    worker = worker or own
    out: list[tuple[str, str, Any, float]] = []
    try:
        for aid, sha, path, meta in items:
            t0 = time.monotonic()
            result = extraction_worker.extract(path, meta, worker=worker)
            if result.error and result.error_transient:
                result = extraction_worker.extract(path, meta, worker=worker)
            out.append((aid, sha, result, time.monotonic() - t0))
    finally:
        if own is not None:
            own.close()
    return out


#: The same, as a Prefect task: what runs when the flow has no Dask cluster (threads here).
extract_batch = task(name="extract-batch", cache_policy=NO_CACHE)(extract_batch_on_worker)


# -- flow steps --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _BackfillRun:
    """One backfill run's fixed context, handed to each step; ``summary`` fills as it goes."""

    wh: Warehouse
    db_path: str
    run_id: str
    key: str
    started: float  # time.monotonic() when the flow started
    options: RunOptions
    problems: SourceProblems
    categories: list[str]
    notability: NotabilityRule
    as_of: date
    window_from: date
    window_to: date
    summary: BackfillSummary

    @property
    def sources(self) -> SourceSettings:
        return self.options.sources


def _problems(counter: Counter) -> list[dict[str, Any]]:
    return [{"source": "arxiv_oai", "problem": problem, "count": n} for problem, n in sorted(counter.items())]


def _judge(run: _BackfillRun, papers: dict[str, tuple[Any, str]], citations: dict[str, Any]) -> list[Any]:
    """The rule's verdict on screened papers, with the citation history the warehouse keeps."""
    with run.wh.read() as con:
        history = papers_store.citation_history(con, sorted(papers))
    return intake.judge(papers, citations, rule=run.notability, as_of=run.as_of, history=history)


def _harvest(run: _BackfillRun, cp: Any) -> Any:
    """Harvest every set page by page, committing each page with its checkpoint."""
    from paramtrack.sources.arxiv_oai import oai_sets_for

    oai_problems: Counter = Counter()
    started = time.monotonic()
    seen_ids: set[str] = set()  # a paper listed in two sets is counted once
    for set_spec in oai_sets_for(run.categories):
        if set_spec not in cp.sets_done:
            cp = _harvest_set(run, cp, set_spec, seen_ids, oai_problems)
    run.summary.harvest_seconds = time.monotonic() - started
    run.summary.source_problems = _problems(oai_problems)
    with run.wh.write() as con:
        return backfill_store.mark(con, cp, harvest_done=True)


def _harvest_set(run: _BackfillRun, cp: Any, set_spec: str, seen_ids: set[str], oai_problems: Counter) -> Any:
    """One OAI set from its saved resumption point (or its start) to its last page. A saved
    token that has expired since is no failure: the set is harvested again from its start."""
    token = cp.resumption_token if cp.current_set == set_spec else None
    while True:
        page, page_problems = harvest_page(run.sources, set_spec, run.window_from, token)
        if page is None:  # the saved token expired
            log.info(
                "Backfill: the saved resumption token for %s expired; harvesting %s again from %s",
                set_spec,
                set_spec,
                run.window_from,
            )
            with run.wh.write() as con:
                cp = backfill_store.restart_set(con, cp)
            run.summary.restarts += 1
            oai_problems["badResumptionToken (set harvested again)"] += 1
            token = None
            continue
        oai_problems.update(page_problems)
        cp = _store_harvested_page(run, cp, set_spec, page, seen_ids)
        token = page.token
        if not token:
            return cp


def _store_harvested_page(run: _BackfillRun, cp: Any, set_spec: str, page: Any, seen_ids: set[str]) -> Any:
    """Keep the page's papers first submitted in the window, screen and judge them, and commit
    them with the checkpoint past this page; returns that checkpoint."""
    from paramtrack.sources.arxiv_oai import in_window

    summary = run.summary
    kept = [
        p
        for p in page.records
        if in_window(p, run.window_from, run.window_to, run.categories) and p.arxiv_id not in seen_ids
    ]
    seen_ids.update(p.arxiv_id for p in kept)
    screened = screening.screen_papers(intake.merge_papers((p, FOUND_BY) for p in kept), as_of=run.as_of)
    papers = screened.kept
    summary.rejected += len(screened.rejected)
    citations = dict(fetch_citations(run.sources, sorted(papers), run.problems)) if papers else {}
    rows = _judge(run, papers, citations)
    cp, counts = store_page(
        str(run.wh.path),
        cp,
        set_spec,
        page.token,
        len(page.records),
        [r for r in rows if r.status != "aged_out"],
        [r.arxiv_id for r in rows if r.status == "aged_out"],
        run.run_id,
        screened.rejected,
    )
    summary.pages += 1
    summary.harvested += len(page.records)
    summary.kept += len(kept)
    summary.with_citations += sum(1 for v in citations.values() if v is not None)
    for verdict, n in intake.summarise(rows).items():
        summary.verdicts[verdict] = summary.verdicts.get(verdict, 0) + n
    summary.inserted += counts.inserted
    summary.updated += counts.updated
    summary.newly_notable.extend(counts.newly_notable)
    _log_page(summary, cp, set_spec, page)
    return cp


def _log_page(summary: BackfillSummary, cp: Any, set_spec: str, page: Any) -> None:
    """One progress line per committed page: how far into the set, how much was kept."""
    in_set = (page.cursor or 0) + len(page.records)
    of = f" of {page.complete_list_size:,}" if page.complete_list_size else ""
    log.info(
        "Backfill: harvested %s records (page %d; set %s: %s%s); %s submitted in the window, %d notable so far",
        f"{summary.harvested:,}",
        cp.pages,
        set_spec,
        f"{in_set:,}",
        of,
        f"{summary.kept:,}",
        len(summary.newly_notable),
    )


def _store_bulk_finds(run: _BackfillRun, cp: Any) -> Any:
    """Notable papers of the window that the harvest missed (Semantic Scholar's bulk search),
    committed with the checkpoint saying the search is done; returns that checkpoint."""
    summary = run.summary
    with run.wh.read() as con:
        known = sorted(papers_store.all_ids(con))
    missed, hits = find_missed(
        run.sources,
        query=run.options.bulk_query,
        min_citations=min(c for _, c in run.notability.anchors),
        date_range=f"{run.window_from.isoformat()}:{run.window_to.isoformat()}",
        known=known,
        problems=run.problems,
    )
    screened = screening.screen_papers(intake.merge_papers((p, "s2_bulk") for p in missed), as_of=run.as_of)
    summary.rejected += len(screened.rejected)
    rows = _judge(run, screened.kept, hits)
    with run.wh.write() as con:
        counts = papers_store.upsert_papers(con, [r for r in rows if r.status != "aged_out"])
        rejections_store.record_rejections(con, run.run_id, screened.rejected)
        cp = backfill_store.mark(con, cp, bulk_done=True)
    summary.found_by_bulk = len(missed)
    summary.inserted += counts.inserted
    summary.newly_notable.extend(counts.newly_notable)
    log.info(
        "Bulk search: %d papers the harvest missed; %d notable by the rule, %d new in the warehouse",
        len(missed),
        intake.summarise(rows).get("notable", 0),
        counts.inserted,
    )
    return cp


def _download_and_extract(run: _BackfillRun) -> None:
    """Download the due PDFs here (paced), extract every cached one not yet read on Dask; an
    open PDF breaker ends the run after extracting what did arrive (the rest waits for a re-run)."""
    from paramtrack.extractors import EXTRACTOR_VERSION

    options, summary = run.options, run.summary
    downloads = download_pdfs(
        run.db_path, run.sources, options.cache_dir(run.db_path), options.max_pdf_mb, problems=run.problems
    )
    summary.pdfs_downloaded, summary.pdfs_failed = downloads.downloaded, downloads.failed
    with run.wh.read() as con:
        todo = [
            (aid, sha, path, papers_store.paper_metadata(con, aid))
            for aid, sha, path in papers_store.cached_pdfs(con)
            if not extraction_store.has_extraction(con, aid, sha, EXTRACTOR_VERSION)
        ]
    if todo:
        _extract_on_dask(run.db_path, todo, summary, options.extraction_timeout_s)
    if downloads.source_down:
        from paramtrack.sources.pacing import ARXIV_PDF, SourceDownError

        raise SourceDownError(ARXIV_PDF, [downloads.source_down])


#: The flow process writes arrived results once this many PDFs ...
WRITE_EVERY = 16
#: ... or this many seconds have gathered since its last write.
WRITE_AFTER_S = 2.0


def _extract_on_dask(
    db_path: str, todo: list[tuple[str, str, str, dict | None]], summary: BackfillSummary, timeout_s: float
) -> None:
    """Submit the PDFs to the Dask workers in batches; store and stage the results here as they
    arrive, a few batches per transaction (DuckDB has one writer: this process)."""
    started = time.monotonic()
    client = _dask_client()
    batches = plan_batches(todo, _dask_workers())
    log.info("Extraction: %d PDFs in %d batches on %d Dask worker(s)", len(todo), len(batches), _dask_workers())
    if client is not None:
        from distributed import as_completed as completed

        futures: list[Any] = [client.submit(extract_batch_on_worker, batch, timeout_s, pure=False) for batch in batches]
        done_batches = (result for _, result in completed(futures, loop=client.loop, with_results=True))
    else:  # no Dask (the default task runner): Prefect tasks in threads of this process
        from prefect.futures import as_completed

        futures = [extract_batch.submit(batch, timeout_s) for batch in batches]
        done_batches = (f.result() for f in as_completed(futures))
    wh = Warehouse(db_path)
    pending: list[tuple[str, str, Any, float]] = []
    last_write = time.monotonic()
    done = 0

    def write() -> None:
        """Store and stage what has arrived, in one transaction (a plain call, not a Prefect
        task run: this process shares the cores with the workers, and opening the file, a task
        run and a commit per batch cost it more than the rows)."""
        nonlocal pending, last_write, done
        with wh.write() as con:
            staged = [store_and_stage(con, aid, sha, result, seconds) for aid, sha, result, seconds in pending]
        for (aid, _, result, _), was_staged in zip(pending, staged):
            done += 1
            summary.extracted += 1
            summary.extraction_errors += 1 if result.error else 0
            summary.staged += 1 if was_staged else 0
            summary.pdf_pages += result.pages or 0
            log.info(
                "Extracted %d/%d: %s (%d pages)%s",
                done,
                len(todo),
                aid,
                result.pages or 0,
                f" (error: {result.error})" if result.error else "",
            )
        pending, last_write = [], time.monotonic()

    for results in done_batches:
        log.debug(
            "batch of %d PDFs (%d pages) back %.2f s after the first submission; %.2f s of extraction on its worker",
            len(results),
            sum(r.pages or 0 for _, _, r, _ in results),
            time.monotonic() - started,
            sum(t for *_, t in results),
        )
        pending.extend(results)
        # Group commit: results stream in batch by batch; they are written once WRITE_EVERY
        # PDFs or WRITE_AFTER_S seconds have gathered (and at the end), not one commit per batch.
        if len(pending) >= WRITE_EVERY or time.monotonic() - last_write >= WRITE_AFTER_S:
            write()
    if pending:
        write()
    summary.extract_seconds = time.monotonic() - started


# -- flow --------------------------------------------------------------------------------------


@flow(name="backfill", log_prints=False, validate_parameters=False)
def backfill_flow(
    db_path: str,
    window_from: date,
    window_to: date,
    categories: list[str] | None = None,
    options: RunOptions | None = None,
) -> BackfillSummary:
    """Backfill papers first submitted in [window_from, window_to] and stage their candidates.

    Run it with a ``DaskTaskRunner`` (:func:`run_backfill`) to extract in parallel; under the
    default runner it still works, extracting in threads of this process. One live run per
    backfill window: a second one refuses while the first is alive (``run_locks``).
    """
    runlog.install()  # this run's progress lines reach its Prefect run (not at import: no side effects)
    started = time.monotonic()
    configure_ranker(read_settings(db_path=Path(db_path)))  # the warehouse's adopted ranker, on every worker too
    options = options or RunOptions()
    categories = list(categories or DEFAULT_CATEGORIES)
    notability = NotabilityRule.parse(options.rule)
    as_of = options.as_of or datetime.now(UTC).date()
    wh = Warehouse(db_path)
    key = backfill_store.backfill_key(window_from, window_to, categories)
    params = {
        "from": window_from,
        "to": window_to,
        "categories": categories,
        "oai": options.sources.oai_url,
        "arxiv": options.sources.arxiv_url,
        "s2": options.sources.s2_url,
        "rule": options.rule,
        "as_of": as_of,
        "bulk_search": options.bulk_search,
        "extract": options.extract,
    }
    with wh.write() as con:
        runs_store.check_lock(con, key, what="backfill")  # one live run per backfill window
        runs_store.mark_interrupted(con)
        run_id = runs_store.start_run(con, "backfill", params, key=key)
        runs_store.acquire_lock(con, key, run_id, what="backfill")
        cp = backfill_store.start(con, key, window_from, window_to, categories, run_id)
    run = _BackfillRun(
        wh=wh,
        db_path=str(db_path),
        run_id=run_id,
        key=key,
        started=started,
        options=options,
        problems=SourceProblems(),
        categories=categories,
        notability=notability,
        as_of=as_of,
        window_from=window_from,
        window_to=window_to,
        summary=BackfillSummary(run_id=run_id, backfill_key=key, resumed_after_pages=cp.pages),
    )
    keeper = LockKeeper(str(db_path), key, run_id)
    try:
        # The workers' extraction children start now and warm up during the harvest.
        with _extraction_workers(options.extraction_timeout_s, enabled=options.extract):
            return _backfill(run, cp)
    finally:
        keeper.stop()


def _backfill(run: _BackfillRun, cp: Any) -> BackfillSummary:
    """The body of :func:`backfill_flow` once its run holds the backfill's lock: the steps an
    earlier run of this backfill has not committed, then the run's row closed either way."""
    from paramtrack.core.errors import ParamtrackError, SourceUnavailableError

    summary = run.summary
    if cp.resuming:
        log.info(
            "Backfill: resuming %s after %d committed pages%s",
            run.key,
            cp.pages,
            " (harvest already complete)" if cp.harvest_done else "",
        )
    try:
        if not cp.harvest_done:
            cp = _harvest(run, cp)
        if run.options.bulk_search and not cp.bulk_done:
            cp = _store_bulk_finds(run, cp)
        if run.options.extract:
            _download_and_extract(run)
    except BaseException as exc:
        _close_summary(run)
        status = "source_down" if isinstance(exc, SourceUnavailableError) else "failed"
        with run.wh.write() as con:
            runs_store.finish_run(
                con, run.run_id, status=status, counts=summary.counts(), error=f"{type(exc).__name__}: {exc}"
            )
        if isinstance(exc, ParamtrackError):
            log.info("Backfill stopped: %s; committed pages are kept, re-run to resume", exc)
        raise
    _close_summary(run)
    with run.wh.write() as con:
        backfill_store.finish(con, cp)
        runs_store.finish_run(con, run.run_id, status="completed", counts=summary.counts())
    publish_after_run(run.wh)  # the analysts' read copy (warehouse/publish.py); never raises
    return summary


def _close_summary(run: _BackfillRun) -> None:
    """The run's duration and every source problem its retries met, for its ``runs`` row."""
    run.summary.seconds = time.monotonic() - run.started
    run.summary.source_problems = [*run.summary.source_problems, *run.problems.as_list()]


def run_backfill(
    *, workers: int = 2, dask_address: str | None = None, dashboard: bool = False, **params: Any
) -> BackfillSummary:
    """Run :func:`backfill_flow` with its extraction on Dask (local cluster or ``dask_address``;
    ``dashboard`` serves Dask's dashboard for a local one)."""
    from paramtrack.flows.local_api import local_api

    runner = dask_task_runner(workers, dask_address, dashboard=dashboard)
    # One API for the flow and every Dask worker: without PREFECT_API_URL each worker process
    # would start an ephemeral server of its own (seconds and ~200 MB each, and port clashes).
    with local_api():
        return backfill_flow.with_options(task_runner=runner)(**params)
