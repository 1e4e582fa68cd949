"""Checks of the options several run commands share (``ingest``, ``add``, ``serve``,
``backfill``), each one line and exit code 2 on a bad value, before anything starts.

A run command checks every option first and only then starts Prefect (10-25 s) or a flow, so a
typo is reported at once and no run row, lock or folder is left behind. The option declarations
these checks belong to are in :mod:`paramtrack.commands.options`.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

from paramtrack.core.errors import InputError, SourceUnavailableError

# Exported before the server starts: Prefect's UI takes its API URL from it (else port 4200).
PREFECT_HINT = (
    "export PREFECT_API_URL=http://127.0.0.1:4200/api, then start a server with "
    "'prefect server start --host 127.0.0.1 --port 4200'"
)


def parse_day(value: str, option: str) -> date:
    """``YYYY-MM-DD``; anything else is one line naming the option."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{option} {value!r} is not a date (expected YYYY-MM-DD)") from None


def check_categories(categories: list[str]) -> tuple[str, ...]:
    """arXiv category names as the sources accept them (a typo would poll an empty window)."""
    from paramtrack.sources.arxiv_source import validate_categories

    try:
        return validate_categories(categories)
    except ValueError as exc:
        raise InputError(str(exc)) from None


def check_rule(rule: str) -> str:
    """A notability rule the flows can parse, refused here rather than in a failed run."""
    from paramtrack.discovery.notability import NotabilityRule

    try:
        NotabilityRule.parse(rule)
    except ValueError as exc:
        raise InputError(f"--rule: {exc}") from None
    return rule


def check_delay(seconds: float, option: str = "--arxiv-delay") -> float:
    """A negative (or nan/inf) delay would reach ``time.sleep`` mid-run as a ValueError."""
    if not (math.isfinite(seconds) and seconds >= 0):
        raise InputError(f"{option} must be a number of seconds >= 0, got {seconds:g}")
    return seconds


def check_pacing(arxiv_delay: float, s2_interval: float | None, pdf_delay: float) -> None:
    """The three pacing options of a run (``--s2-interval`` may be left to its default)."""
    check_delay(arxiv_delay)
    check_delay(pdf_delay, "--pdf-delay")
    if s2_interval is not None:
        check_delay(s2_interval, "--s2-interval")


def check_window_days(days: int) -> int:
    """A window of 0 or fewer days would make every scheduled run poll an empty window."""
    if days <= 0:
        raise InputError(f"--window-days must be at least 1, got {days}")
    return days


def check_cron(cron: str) -> str:
    """Validate with Prefect's own schedule model (the one the deployment is built from), so a
    typo is refused here rather than by the server after Prefect has started.

    Imports Prefect: call :func:`~paramtrack.core.settings.configure_prefect` first.
    """
    from prefect.client.schemas.schedules import CronSchedule

    try:
        CronSchedule(cron=cron, timezone="UTC")
    except ValueError:
        raise InputError(
            f"--cron {cron!r} is not a valid cron expression",
            hint="five fields: minute hour day-of-month month day-of-week, e.g. '0 6 * * 1'",
        ) from None
    return cron


def check_prefect_api(url: str) -> None:
    """Fail before deploying when nothing answers at PREFECT_API_URL (serve would otherwise
    retry and time out with a long traceback)."""
    from paramtrack.sources.reachability import check_reachable

    try:
        check_reachable(url, name="Prefect")
    except SourceUnavailableError as exc:
        raise InputError(exc.message, hint=PREFECT_HINT) from None


def check_sources(arxiv_url: str, s2_url: str, contact: str | None = None) -> None:
    """Both sources answer at all: an unreachable URL is one line now, not a run that starts
    Prefect and then stops as 'source_down'."""
    from paramtrack.sources.reachability import check_reachable

    check_reachable(arxiv_url, name="arXiv", contact=contact)
    check_reachable(s2_url, name="Semantic Scholar", contact=contact)


def check_contact(contact: str | None) -> str | None:
    """The --contact / PARAMTRACK_CONTACT address, checked before anything starts."""
    if contact is None or not contact.strip():
        return None
    from paramtrack.sources.user_agent import check_contact as checked

    try:
        return checked(contact)
    except ValueError as exc:
        raise InputError(f"--contact: {exc}") from None


def refuse_if_running(db_path: Path, key: str, what: str) -> None:
    """One line, before Prefect starts (10-25 s), when a live run already works on this job.
    The flow checks again atomically when it starts its run; this is the fast, friendly path."""
    if not db_path.exists():
        return
    from paramtrack.warehouse import Warehouse, runs_store

    with Warehouse(db_path).read() as con:
        runs_store.check_lock(con, key, what=what)
