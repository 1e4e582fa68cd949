"""The schedules: the weekly discover run, and an hourly recompute when approvals made one due.

A scheduled discover run must compute its own window when it starts (the week before), so the
deployed flow is a small wrapper that derives ``since``/``until`` from the clock and calls the
discover flow as a subflow. Approvals only mark a recompute due (in the same transaction as the
decision); the hourly ``recompute-if-due`` run refits when something changed and does nothing
otherwise, so a busy review session costs one refit, not one per click.

A weekly run first finishes what earlier runs left unfinished (killed, or stopped because a
source was down): their windows are re-run, resuming at their checkpoints, before this week's.
A run that ends with a source down is reported to Prefect as Failed, so it shows in the UI.
The weekly run's own log says in its first line what happened: the summary of each window it
read, or the one-line reason it failed (its discover subflow keeps the progress lines).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prefect import flow, serve
from prefect.schedules import Cron
from prefect.states import Failed, State

from paramtrack.core.settings import (
    ARXIV_API_URL,
    ARXIV_DELAY_S,
    DEFAULT_CATEGORIES,
    DEFAULT_RULE,
    PDF_DELAY_S,
    S2_API_URL,
)
from paramtrack.flows import notify, runlog
from paramtrack.flows.discover import run_discover
from paramtrack.flows.options import RunOptions, SourceSettings
from paramtrack.warehouse import Warehouse, runs_store

log = logging.getLogger("paramtrack.schedule")

DEPLOYMENT_NAME = "weekly-ingest"
RECOMPUTE_DEPLOYMENT_NAME = "recompute-if-due"
RECOMPUTE_CRON = "0 * * * *"


def resolve_db_path(db_path: str | None) -> str:
    """The warehouse a scheduled run writes: its parameter, else ``PARAMTRACK_DB`` of the
    process running it (the worker's), else ``data/paramtrack.duckdb`` in its working
    directory (the project folder, for ``prefect.yaml`` deployments); made absolute."""
    from paramtrack.core.settings import read_settings

    return str(Path(db_path or read_settings().db_path).expanduser().resolve())


@flow(name="weekly-discover", validate_parameters=False, on_failure=notify.HOOKS, on_crashed=notify.HOOKS)
def weekly_discover_flow(
    db_path: str | None = None,
    window_days: int = 7,
    arxiv_api_url: str = ARXIV_API_URL,
    s2_api_url: str = S2_API_URL,
    pdf_cache_dir: str | None = None,
    categories: list[str] | None = None,
    rule: str = DEFAULT_RULE,
    arxiv_delay_seconds: float = ARXIV_DELAY_S,
    s2_min_interval: float | None = None,
    pdf_delay_seconds: float = PDF_DELAY_S,
    contact: str | None = None,
) -> dict[str, Any] | State:
    """Discover the ``window_days`` before today; ``categories`` None means the ML set.

    Flat, JSON-friendly parameters on purpose: this is the deployment's face, shown and edited
    in the Prefect UI; they become one :class:`~paramtrack.flows.options.RunOptions`. The pacing
    parameters keep the live APIs' defaults; a deployment against the replay server (or a test)
    turns them down. ``db_path`` None: :func:`resolve_db_path`. A failure or crash
    is posted to ``PARAMTRACK_NOTIFY_URL`` when set (:mod:`flows.notify`)."""
    runlog.install()  # in the deployment's process, where this file is loaded by its path
    db_path = resolve_db_path(db_path)
    until = datetime.now(UTC).date()
    # Both ends are included, so the window spans window_days + 1 dates and overlaps the previous
    # run by one: the run date is only partly over when the run starts (upserts make it harmless).
    since = until - timedelta(days=window_days)
    options = RunOptions(
        sources=SourceSettings(
            arxiv_url=arxiv_api_url,
            s2_url=s2_api_url,
            arxiv_delay_s=arxiv_delay_seconds,
            s2_min_interval=s2_min_interval,
            pdf_delay_s=pdf_delay_seconds,
            contact=contact,
        ),
        rule=rule,
        pdf_cache_dir=pdf_cache_dir,
    )
    common: dict[str, Any] = dict(db_path=db_path, options=options)
    done: list[str] = []  # what the run did, window by window, for its one summary line
    window = f"{since}..{until}"
    # Nothing is logged to this (parent) run until the end: its first log line is the summary,
    # or the one-line reason it failed, before any traceback (the discover subflow's run keeps
    # its own progress lines and, for an unexpected error, the one traceback).
    try:
        with Warehouse(db_path).write() as con:
            runs_store.mark_interrupted(con)
            unfinished = runs_store.unfinished_windows(con, "discover", newer_than_days=31)
        for job in unfinished:
            if (job["since"], job["until"], sorted(job["categories"])) == (
                since,
                until,
                sorted(categories or DEFAULT_CATEGORIES),
            ):
                continue  # this week's window: run below
            window = f"{job['since']}..{job['until']} (resumed)"
            earlier = run_discover(since=job["since"], until=job["until"], categories=job["categories"], **common)
            if earlier.status == "source_down":
                return _failed(f"resuming {window}: {earlier.error}", done)
            done.append(_summary_line(window, earlier))
        window = f"{since}..{until}"
        summary = run_discover(since=since, until=until, categories=categories, **common)
    except Exception as exc:
        return _failed(f"{window}: {one_line(exc)}", done)
    if summary.status == "source_down":
        return _failed(f"{window}: {summary.error}", done)
    done.append(_summary_line(window, summary))
    log.info("Weekly run completed: %s", "; ".join(done))
    return summary.counts()


def one_line(exc: BaseException) -> str:
    """An error as one line: a ParamtrackError's message (and hint), else the type and the
    first line of the message (the traceback stays with the run that raised it)."""
    from paramtrack.core.errors import ParamtrackError

    if isinstance(exc, ParamtrackError):
        return " ".join(str(exc).split())
    first = (str(exc).strip().splitlines() or [""])[0]
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _summary_line(window: str, summary: Any) -> str:
    """What one discover run of the weekly run did, in the words of the terminal's summary."""
    return (
        f"{window}: {summary.polled} papers read, {len(summary.newly_notable)} newly notable, "
        f"{summary.pdfs_downloaded} PDFs downloaded ({summary.pdfs_failed} unavailable), "
        f"{summary.staged + summary.abstracts_staged} staged for review in {summary.seconds:.0f} s"
    )


def _failed(reason: str, done: list[str]) -> State:
    """Log the reason as the run's (first) line and end the run Failed with it as the state's
    message, which the UI, ``paramtrack status`` and the failure webhook show. Returned rather
    than raised, so Prefect's engine adds no traceback of its own to the run."""
    line = reason + (f" (done before: {'; '.join(done)})" if done else "")
    log.error("Weekly run failed: %s", line)
    return Failed(message=line)


def weekly_deployment(
    *,
    db_path: str,
    cron: str,
    window_days: int,
    arxiv_api_url: str,
    s2_api_url: str,
    pdf_cache_dir: str | None,
    categories: list[str] | None = None,
    rule: str = DEFAULT_RULE,
    contact: str | None = None,
):
    """The weekly-ingest deployment; every option is a stored parameter, so the Prefect UI
    shows what a scheduled run will do and a restart of ``serve`` can change it."""
    return weekly_discover_flow.to_deployment(
        name=DEPLOYMENT_NAME,
        schedule=Cron(cron, timezone="UTC"),
        parameters={
            "db_path": db_path,
            "window_days": window_days,
            "arxiv_api_url": arxiv_api_url,
            "s2_api_url": s2_api_url,
            "pdf_cache_dir": pdf_cache_dir,
            "categories": categories,
            "rule": rule,
            "contact": contact,
        },
        description="Weekly: poll arXiv, enrich with Semantic Scholar, stage notable papers.",
        tags=["paramtrack"],
    )


def recompute_deployment(*, db_path: str, charts_dir: str, export_dir: str, cron: str = RECOMPUTE_CRON):
    from paramtrack.flows.recompute import recompute_flow

    return recompute_flow.to_deployment(
        name=RECOMPUTE_DEPLOYMENT_NAME,
        schedule=Cron(cron, timezone="UTC"),
        parameters={"db_path": db_path, "if_due": True, "charts_dir": charts_dir, "export_dir": export_dir},
        description="Refit trends and the gap table when approvals or imports changed the dataset.",
        tags=["paramtrack"],
    )


def serve_weekly(*, charts_dir: str, export_dir: str, **kwargs) -> None:
    """Create (or update) both deployments and run scheduled flow runs until stopped."""
    serve(
        weekly_deployment(**kwargs),
        recompute_deployment(db_path=kwargs["db_path"], charts_dir=charts_dir, export_dir=export_dir),
    )


WEEKLY_DEPLOYMENT = f"weekly-discover/{DEPLOYMENT_NAME}"


def next_scheduled_run(deployment: str = WEEKLY_DEPLOYMENT) -> datetime | None:
    """When the next Scheduled flow run of ``deployment`` is expected (UTC), from the Prefect API
    at ``PREFECT_API_URL``; None when the deployment has no scheduled run.

    Raises ``LookupError`` when the server does not know the deployment (``serve`` never ran
    against it).
    """
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.exceptions import ObjectNotFound

    with get_client(sync_client=True) as client:
        try:
            found = client.read_deployment_by_name(deployment)
        except ObjectNotFound:
            raise LookupError(f"the Prefect server has no deployment {deployment!r}") from None
        runs = client.read_flow_runs(
            deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[found.id])),
            flow_run_filter=FlowRunFilter(
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.SCHEDULED]))
            ),
            sort=FlowRunSort.EXPECTED_START_TIME_ASC,
            limit=1,
        )
    if not runs:
        return None
    when = runs[0].expected_start_time or runs[0].next_scheduled_start_time
    return when.astimezone(UTC) if when else None


RECOMPUTE_DEPLOYMENT = f"recompute/{RECOMPUTE_DEPLOYMENT_NAME}"
#: The deployments whose runs happen unattended, so whose failures nobody sees in a terminal.
SCHEDULED_DEPLOYMENTS = (WEEKLY_DEPLOYMENT, RECOMPUTE_DEPLOYMENT)
#: Prefect state types that end a flow run badly.
BAD_STATES = frozenset({"FAILED", "CRASHED"})


@dataclass(frozen=True)
class ScheduledRun:
    """A finished flow run of one of the scheduled deployments, as Prefect recorded it."""

    deployment: str
    flow_run_id: str
    name: str
    state_type: str  # COMPLETED | FAILED | CRASHED | CANCELLED
    state_name: str  # what the UI shows ("Crashed", "Failed", "Completed", ...)
    message: str | None
    ended_at: datetime | None

    @property
    def failed(self) -> bool:
        return self.state_type in BAD_STATES


def _finished_runs(
    client: Any, deployment: str, *, limit: int, bad_only: bool = False, ended_after: datetime | None = None
) -> list[ScheduledRun]:
    from prefect.client.schemas.filters import (
        DeploymentFilter,
        DeploymentFilterId,
        FlowRunFilter,
        FlowRunFilterEndTime,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.objects import StateType
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.exceptions import ObjectNotFound

    try:
        found = client.read_deployment_by_name(deployment)
    except ObjectNotFound:
        return []  # never deployed on this server: nothing ran, nothing failed
    types = (
        [StateType.FAILED, StateType.CRASHED]
        if bad_only
        else [StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED]
    )
    runs = client.read_flow_runs(
        deployment_filter=DeploymentFilter(id=DeploymentFilterId(any_=[found.id])),
        flow_run_filter=FlowRunFilter(
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=types)),
            # Prefect coerces a datetime (its annotation names its own DateTime alias)
            end_time=FlowRunFilterEndTime(after_=ended_after) if ended_after else None,  # type: ignore[arg-type]
        ),
        sort=FlowRunSort.END_TIME_DESC,
        limit=limit,
    )
    out = []
    for run in runs:
        state = run.state
        ended = run.end_time.astimezone(UTC) if run.end_time else None
        out.append(
            ScheduledRun(
                deployment=deployment,
                flow_run_id=str(run.id),
                name=run.name,
                state_type=state.type.value if state else "UNKNOWN",
                state_name=state.name if state else "Unknown",
                message=(state.message or None) if state else None,
                ended_at=ended,
            )
        )
    return out


def last_scheduled_runs(deployments: tuple[str, ...] = SCHEDULED_DEPLOYMENTS) -> list[ScheduledRun]:
    """The newest finished flow run of each deployment (those that have one), from the Prefect
    API at ``PREFECT_API_URL``: what ``paramtrack status`` judges the schedule's health by. A
    Failed or Crashed one is a problem until a later run of the same deployment completes."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return [run for name in deployments for run in _finished_runs(client, name, limit=1)]


def failed_scheduled_runs(
    since: datetime, deployments: tuple[str, ...] = SCHEDULED_DEPLOYMENTS, limit: int = 50
) -> list[ScheduledRun] | None:
    """Failed and Crashed runs of the scheduled deployments that ended after ``since``, newest
    first: what the next digest lists, so a failure nobody watched is read on Monday. None when
    the Prefect API knows none of the deployments (an ingest on the ephemeral local API)."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    found: list[ScheduledRun] = []
    known = 0
    with get_client(sync_client=True) as client:
        for name in deployments:
            try:
                client.read_deployment_by_name(name)
            except ObjectNotFound:
                continue
            known += 1
            found += _finished_runs(client, name, limit=limit, bad_only=True, ended_after=since)
    if not known:
        return None
    return sorted(found, key=lambda r: r.ended_at or since, reverse=True)[:limit]
