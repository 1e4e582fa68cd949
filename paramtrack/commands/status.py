"""``paramtrack status``: the last runs, the queue, the newest digest, both schedules (the weekly
ingest and the hourly recompute) and whether a recompute is due, the health.

Exit code 0 when the warehouse is healthy, 1 when its health lists problems (pending
migrations, a run stuck in 'running', no completed discover run in 8 days, or, with a Prefect
server configured, a scheduled deployment whose last run Failed or Crashed), so a cron job or a
monitoring check can alert on it; 2 (one-line error) when there is no usable database. An
absent schedule is reported but does not change the exit code: a warehouse fed by hand is not
broken.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any

import typer

from paramtrack.core.errors import SourceUnavailableError
from paramtrack.core.text import for_terminal

SCHEDULE_HINT = (
    "export PREFECT_API_URL=http://127.0.0.1:4200/api, start 'prefect server start "
    "--host 127.0.0.1 --port 4200' and run 'paramtrack serve'"
)


#: The two scheduled deployments, as ``status`` names them.
SCHEDULES = (("weekly ingest", "weekly-discover/weekly-ingest"), ("hourly recompute", "recompute/recompute-if-due"))


def _schedule(api_url: str | None, deployment: str = SCHEDULES[0][1]) -> dict[str, Any]:
    """The next scheduled run of ``deployment`` on the Prefect server at ``api_url``
    (``PREFECT_API_URL``), or why there is none; never raises."""
    if not api_url:
        return {
            "state": "unset",
            "next_run": None,
            "message": f"nothing is scheduled (PREFECT_API_URL is not set); to schedule: {SCHEDULE_HINT}",
        }
    from paramtrack.sources.reachability import check_reachable

    try:
        check_reachable(api_url, name="Prefect", timeout=3.0)
    except SourceUnavailableError as exc:
        return {"state": "unreachable", "next_run": None, "message": exc.message}
    from paramtrack.core.settings import configure_prefect

    configure_prefect()
    from paramtrack.flows.schedule import next_scheduled_run

    try:
        when = next_scheduled_run(deployment)
    except LookupError as exc:
        return {
            "state": "no_deployment",
            "next_run": None,
            "message": f"{exc}: run 'paramtrack serve' with PREFECT_API_URL={api_url}",
        }
    except Exception as exc:  # an answering server that is not Prefect, a version mismatch...
        return {
            "state": "error",
            "next_run": None,
            "message": f"cannot read the schedule from {api_url}: {type(exc).__name__}: {exc}",
        }
    if when is None:
        return {
            "state": "none",
            "next_run": None,
            "message": f"{deployment} has no scheduled run (is 'paramtrack serve' running?)",
        }
    return {
        "state": "scheduled",
        "next_run": when.isoformat(),
        "message": f"{when:%Y-%m-%d %H:%M} UTC ({deployment})",
    }


def _schedules(api_url: str | None) -> list[dict[str, Any]]:
    """Both deployments' next runs (one Prefect check when no server is configured)."""
    first = _schedule(api_url, SCHEDULES[0][1])
    if first["state"] in ("unset", "unreachable"):
        return [first | {"name": name, "deployment": dep} for name, dep in SCHEDULES]
    return [first | {"name": SCHEDULES[0][0], "deployment": SCHEDULES[0][1]}] + [
        _schedule(api_url, dep) | {"name": name, "deployment": dep} for name, dep in SCHEDULES[1:]
    ]


def _when(moment: Any) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if moment else "never"


def _recompute_state(con: Any) -> dict[str, Any]:
    """Whether the hourly recompute has something to do: a change to the dataset after the last
    completed recompute with the default fit settings (what the scheduled run uses)."""
    from paramtrack.flows.refit import config_parameters
    from paramtrack.trends.fit import TrendConfig
    from paramtrack.trends.gap import GapConfig
    from paramtrack.warehouse.runs_store import last_completed
    from paramtrack.warehouse.status_store import last_dataset_change
    from paramtrack.warehouse.trends_store import FLOW, recompute_due

    wanted = config_parameters(TrendConfig(), GapConfig())
    last_run, last_change = last_completed(con, FLOW, wanted), last_dataset_change(con)
    due = recompute_due(con, wanted)
    if due:
        message = f"due: the dataset changed at {_when(last_change)}, after the last recompute ({_when(last_run)})"
    else:
        message = f"not due: nothing changed since the last recompute ({_when(last_run)})"
    return {
        "due": due,
        "last_recompute": last_run.isoformat() if last_run else None,
        "last_change": last_change.isoformat() if last_change else None,
        "message": message,
    }


def _ranker() -> dict[str, Any]:
    """The ranker model extraction uses now, and what it learned from; never raises."""
    from paramtrack.commands.ranker import describe_model
    from paramtrack.extractors.ranker import RankerModelError, active_model_path, load_model

    path = active_model_path()
    try:
        model = load_model(path)
    except RankerModelError as exc:
        return {"tag": None, "path": str(path), "decisions": None, "message": str(exc)}
    return {
        "tag": model.tag,
        "path": str(path),
        "decisions": model.meta.get("decisions", 0),
        "papers": model.meta.get("papers"),
        "message": describe_model(model, path),
    }


def _scheduled_runs(schedule: dict[str, Any]) -> tuple[list[Any], str | None]:
    """The newest finished run of each scheduled deployment, from Prefect (when a server
    answered for the schedule), and why they could not be read; never raises."""
    if schedule["state"] in ("unset", "unreachable"):
        return [], None
    from paramtrack.flows.schedule import last_scheduled_runs

    try:
        return last_scheduled_runs(), None
    except Exception as exc:
        return [], f"cannot read the scheduled runs: {type(exc).__name__}: {exc}"


def _scheduled_problem(run: Any) -> str:
    when = f" at {run.ended_at:%Y-%m-%d %H:%M} UTC" if run.ended_at else ""
    message = " ".join((run.message or "no message").split())
    if len(message) > 300:
        message = message[:299] + "…"
    return f"the last scheduled run of {run.deployment} ({run.name}) ended {run.state_name}{when}: {message}"


def _scheduled_json(run: Any) -> dict[str, Any]:
    return {
        "deployment": run.deployment,
        "flow_run_id": run.flow_run_id,
        "name": run.name,
        "state": run.state_type,
        "state_name": run.state_name,
        "message": run.message,
        "ended_at": run.ended_at.isoformat() if run.ended_at else None,
    }


def _run_json(run: Any) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "flow": run.flow,
        "status": run.status,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "seconds": run.seconds,
        "newly_notable": run.count("newly_notable"),
        "staged": run.count("staged"),
        "extraction_errors": run.count("extraction_errors"),
        "pdfs_failed": run.count("pdfs_failed"),
        "error": run.error,
    }


def _size(n: int) -> str:
    for unit, scale in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} bytes"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{seconds / 60:.1f} min"


def status_command(
    ctx: typer.Context,
    runs: Annotated[int, typer.Option("--runs", "-n", min=1, help="How many recent runs to list.")] = 10,
    digest_dir: Annotated[
        Path | None, typer.Option("--digest-dir", help="Digest folder (default: digests/ beside the database).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show recent runs, the review queue, the newest digest, the next scheduled run and the
    warehouse's health (exit code 1 when the health lists problems)."""
    from paramtrack.commands import existing_warehouse, settings_from
    from paramtrack.reporting.files import list_digests
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.status_store import health, queue_size, recent_runs

    settings = settings_from(ctx)
    wh = Warehouse(existing_warehouse(settings))
    with wh.read(migrate=False) as con:  # status reports pending migrations, never applies them
        state = health(con, settings.db_path)
        # A schema newer (or older) than this code is reported, not read: its tables may differ.
        readable = not state.unknown and not state.pending
        last = recent_runs(con, runs) if not state.unknown else []
        queued = queue_size(con) if not state.unknown else 0
        recompute = _recompute_state(con) if readable else None
    digests = list_digests(digest_dir or settings.data_dir / "digests")
    newest = str(digests[0]) if digests else None
    schedules = _schedules(settings.prefect_api_url)
    schedule = schedules[0]
    ranker = _ranker()
    scheduled, scheduled_error = _scheduled_runs(schedule)
    # A scheduled run that failed or crashed is a health problem (unlike an absent schedule):
    # nobody watched it fail, and its work (an ingest, a refit) did not happen.
    problems = state.problems + [_scheduled_problem(r) for r in scheduled if r.failed]
    age_days = state.last_discover_age.total_seconds() / 86400 if state.last_discover_age is not None else None

    if as_json:
        typer.echo(
            json.dumps(
                {
                    "database": str(settings.db_path),
                    "runs": [_run_json(r) for r in last],
                    "queue_size": queued,
                    "newest_digest": newest,
                    "schedule": schedule,
                    "schedules": schedules,
                    "recompute": recompute,
                    "ranker": ranker,
                    "scheduled_runs": [_scheduled_json(r) for r in scheduled],
                    "health": {
                        "ok": not problems,
                        "problems": problems,
                        "size_bytes": state.size_bytes,
                        "migrations": {"applied": state.applied, "pending": state.pending},
                        "tables": state.tables,
                        "last_discover_age_days": None if age_days is None else round(age_days, 2),
                    },
                },
                indent=2,
            )
        )
    else:
        _print_text(
            settings.db_path,
            last,
            queued,
            newest,
            schedules,
            recompute,
            state,
            scheduled,
            scheduled_error,
            problems,
            ranker,
        )
    if problems:
        raise typer.Exit(1)


def _print_text(
    db: Path,
    last: list,
    queued: int,
    newest: str | None,
    schedules: list[dict[str, Any]],
    recompute: dict[str, Any] | None,
    state: Any,
    scheduled: list[Any],
    scheduled_error: str | None,
    problems: list[str],
    ranker: dict[str, Any],
) -> None:
    typer.echo(f"paramtrack status: {db}")
    typer.echo("")
    if last:
        typer.echo(
            f"{'started (UTC)':<17} {'flow':<10} {'status':<12} {'took':>8} {'notable':>7} {'staged':>6} {'errors':>6}"
        )
        for r in last:
            started = r.started_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
            typer.echo(
                f"{started:<17} {r.flow[:10]:<10} {r.status[:12]:<12} {_duration(r.seconds):>8} "
                f"{r.count('newly_notable'):>7} {r.count('staged'):>6} "
                f"{r.count('extraction_errors'):>6}" + (f"  {for_terminal(r.error[:90])}" if r.error else "")
            )
    else:
        typer.echo("No runs yet: 'paramtrack ingest' or 'paramtrack demo' starts one.")
    typer.echo("")
    noun = "paper waits" if queued == 1 else "papers wait"
    typer.echo(
        f"Review queue: {queued} {noun} for a decision" + (f" ('paramtrack --db {db} review-server')" if queued else "")
    )
    typer.echo(f"Newest digest: {newest or 'none yet (written at the end of each discover run)'}")
    typer.echo(f"Next scheduled run: {schedules[0]['message']}")
    if schedules[0]["state"] not in ("unset", "unreachable"):
        for sched in schedules[1:]:
            typer.echo(f"Next scheduled {sched['name'].split()[-1]}: {sched['message']}")
    if recompute is not None:
        typer.echo(f"Recompute: {recompute['message']}")
    for r in scheduled:
        when = f"{r.ended_at:%Y-%m-%d %H:%M} UTC" if r.ended_at else "-"
        typer.echo(f"Last scheduled run of {r.deployment}: {r.state_name} ({when}, {r.name})")
    if scheduled_error:
        typer.echo(f"Last scheduled runs: {scheduled_error}")
    size = _size(state.size_bytes)
    rows = sum(state.tables.values())
    schema = state.applied[-1] if state.applied else "empty"
    if state.last_discover_age is not None:
        finished = state.last_discover.finished_at or state.last_discover.started_at
        age = f"last completed discover run {finished.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    else:
        age = "no completed discover run"
    typer.echo(f"Warehouse: {size}, schema {schema}, {rows:,} rows in {len(state.tables)} tables; {age}")
    typer.echo(f"Ranker: {ranker['message'].removeprefix('ranker ')}")
    if problems:
        typer.echo(f"Health: {len(problems)} problem(s)")
        for p in problems:
            typer.echo(f"  - {for_terminal(p)}")  # may quote a source's or Prefect's message
    else:
        typer.echo("Health: ok")


def register(app: typer.Typer) -> None:
    app.command("status")(status_command)
