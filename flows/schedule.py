"""The weekly schedule: a Prefect deployment that runs the discover flow every Monday.

A scheduled run must compute its own window when it starts (the week before), so the deployed
flow is a small wrapper that derives ``since``/``until`` from the clock and calls the discover
flow as a subflow.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from prefect import flow, serve
from prefect.schedules import Cron

from flows.discover import discover_flow
from paramtrack.settings import ARXIV_API_URL, S2_API_URL

DEPLOYMENT_NAME = "weekly-ingest"


@flow(name="weekly-discover", validate_parameters=False)
def weekly_discover_flow(
    db_path: str,
    window_days: int = 7,
    arxiv_api_url: str = ARXIV_API_URL,
    s2_api_url: str = S2_API_URL,
    pdf_cache_dir: str | None = None,
) -> dict:
    until = datetime.now(timezone.utc).date()
    since = until - timedelta(days=window_days)
    summary = discover_flow(
        db_path=db_path, since=since, until=until, arxiv_api_url=arxiv_api_url,
        s2_api_url=s2_api_url, pdf_cache_dir=pdf_cache_dir,
    )
    return summary.counts()


def weekly_deployment(*, db_path: str, cron: str, window_days: int, arxiv_api_url: str,
                      s2_api_url: str, pdf_cache_dir: str | None):
    return weekly_discover_flow.to_deployment(
        name=DEPLOYMENT_NAME,
        schedule=Cron(cron, timezone="UTC"),
        parameters={"db_path": db_path, "window_days": window_days,
                    "arxiv_api_url": arxiv_api_url, "s2_api_url": s2_api_url,
                    "pdf_cache_dir": pdf_cache_dir},
        description="Weekly: poll arXiv, enrich with Semantic Scholar, stage notable papers.",
        tags=["paramtrack"],
    )


def serve_weekly(**kwargs) -> None:
    """Create (or update) the deployment and run scheduled flow runs until stopped."""
    serve(weekly_deployment(**kwargs))
