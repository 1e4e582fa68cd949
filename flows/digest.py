"""Publish a run's digest: a Markdown file beside the warehouse and a Prefect artifact.

The file is what the review app lists and a maintainer can mail around; the artifact puts the
same text on the flow run's page in the Prefect UI. Both come from one rendering
(:mod:`reporting.digest`) of one read (:mod:`warehouse.status_store`).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from datetime import datetime, timedelta
from pathlib import Path

from prefect import task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from paramtrack.reporting.digest import ScheduledFailure, digest_name, render_digest, summary_line
from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.status_store import previous_run_started, run_report

log = logging.getLogger("paramtrack.digest")


def default_digest_dir(db_path: str | Path) -> Path:
    """``<db folder>/digests``: one ``--db`` moves the digests with everything else."""
    return Path(db_path).parent / "digests"


def artifact_key(flow: str) -> str:
    """Prefect artifact keys allow lowercase letters, digits and dashes only."""
    return (re.sub(r"[^a-z0-9-]+", "-", flow.lower()).strip("-") or "run") + "-digest"


def write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file in the same folder, then rename: a reader (the review app)
    never sees half a digest, and a crash leaves the previous file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@task(name="publish-digest", cache_policy=NO_CACHE)
def publish_digest(db_path: str, run_id: str, digest_dir: str) -> Path:
    """Read the run's report, render it, write ``<digest_dir>/<date>-<flow>-<id8>.md`` and
    attach it to the flow run as a markdown artifact; returns the file's path."""
    with Warehouse(db_path).read() as con:
        report = run_report(con, run_id)
        since = previous_run_started(con, report.run)
    scheduled = scheduled_failures(since or report.run.started_at - timedelta(days=8))
    markdown = render_digest(report, db_path=str(db_path), scheduled_failures=scheduled)
    path = Path(digest_dir) / digest_name(report)
    write_atomically(path, markdown)
    create_markdown_artifact(
        markdown=markdown,
        key=artifact_key(report.run.flow),
        description=f"paramtrack digest of run {run_id[:8]} ({report.run.status}); file: {path}",
    )
    log.info("Digest: %s", path)
    log.debug("%s", summary_line(report))
    return path


def scheduled_failures(since: datetime) -> list[ScheduledFailure] | None:
    """The scheduled deployments' Failed/Crashed runs that ended after ``since``, from the
    Prefect API this run reports to; None when that API has no such deployments (or cannot be
    asked): the digest then leaves the section out."""
    from paramtrack.flows.schedule import failed_scheduled_runs

    try:
        runs = failed_scheduled_runs(since)
    except Exception as exc:  # the digest must not fail because Prefect could not be asked
        log.warning("Digest: cannot read the scheduled runs from Prefect: %s: %s", type(exc).__name__, exc)
        return None
    if runs is None:
        return None
    return [
        ScheduledFailure(
            deployment=r.deployment, name=r.name, state_name=r.state_name, message=r.message, ended_at=r.ended_at
        )
        for r in runs
    ]


def publish_digest_safely(db_path: str, run_id: str, digest_dir: str | None = None) -> Path | None:
    """Publish, but never let a digest problem fail the run that it describes: log it instead."""
    try:
        return publish_digest(str(db_path), run_id, str(digest_dir or default_digest_dir(db_path)))
    except Exception as exc:  # the run's own outcome is already recorded in `runs`
        log.warning("Digest for run %s not written: %s: %s", run_id[:8], type(exc).__name__, exc)
        return None
