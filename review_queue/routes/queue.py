"""``GET /``: the review queue (filters: week, domain, status, min_score; sort)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from paramtrack.core.errors import DatabaseLockedError
from paramtrack.review_queue.context import ReviewContext
from paramtrack.review_queue.routes.deps import Ctx
from paramtrack.review_queue.service import DOMAINS, suggested_systems, undo_offer
from paramtrack.warehouse import Connection, models_store
from paramtrack.warehouse import review_store as store

router = APIRouter()


@dataclass(frozen=True)
class Filters:
    """The queue's filters as the page asked for them; anything unknown falls back to the default."""

    week: str | None
    domain: str | None
    status: str
    min_score: float | None
    sort: str

    @classmethod
    def of(cls, week: str | None, domain: str | None, status: str, min_score: str | None, sort: str) -> Filters:
        score: float | None = None
        if min_score:
            try:
                score = float(min_score)
            except ValueError:
                score = None
        return cls(
            week=week,
            domain=domain if domain in DOMAINS else None,
            status=status if status in store.STATUS_FILTERS else "open",
            min_score=score,
            sort="score" if sort == "score" else "citations",
        )

    def week_in(self, weeks: list[date]) -> date | None:
        """The week shown: the one asked for, none for ``all``, else the newest."""
        if self.week == "all":
            return None
        if self.week:
            try:
                return date.fromisoformat(self.week)
            except ValueError:
                pass
        return weeks[0] if weeks else None


def _with_system_names(con: Connection, rows: list[dict[str, Any]]) -> None:
    """Give each row the name its Approve button saves the value under ("": the row asks for one)."""
    approvable = [r for r in rows if r["candidate_id"] is not None and r["status"] in store.OPEN_STATUSES]
    names = suggested_systems(
        con, [(r["arxiv_id"], {"model": r["top_model"], "value": r["top_value"]}) for r in approvable]
    )
    for r in rows:
        r["system"] = names.get(r["arxiv_id"], "")


def _queue_view(ctx: ReviewContext, filters: Filters, done: int | None, reviewer: str | None) -> dict[str, Any]:
    """Everything the queue page shows, read in one short transaction."""
    with ctx.wh.read() as con:
        weeks = store.queue_weeks(con)
        week = filters.week_in(weeks)
        rows = store.queue(
            con,
            week=week,
            domain=filters.domain,
            status=filters.status,
            min_score=filters.min_score,
            sort=filters.sort,
            limit=500,
        )
        _with_system_names(con, rows)
        decided, total = store.week_progress(con, week)
        last = store.get_decision(con, done) if done else None
        return {
            "rows": rows,
            "weeks": weeks,
            "week": week,
            "decided": decided,
            "total": total,
            "domains": store.queue_domains(con),
            "last": last,
            "last_undo": undo_offer(con, last, reviewer),
            "epoch_imported": models_store.has_epoch_rows(con),
        }


@router.get("/", response_class=HTMLResponse)
def queue_page(
    request: Request,
    ctx: Ctx,
    week: str | None = None,
    domain: str | None = None,
    status: str = "open",
    min_score: str | None = None,
    sort: str = "citations",
    done: int | None = None,
) -> HTMLResponse:
    """The staged papers with their top candidate, the week's progress, the last saved decision."""
    filters = Filters.of(week, domain, status, min_score, sort)
    try:
        view = _queue_view(ctx, filters, done, ctx.pages.reviewer_for(request))
    except DatabaseLockedError as exc:
        return ctx.pages.busy(request, exc)
    return ctx.pages.render(
        request,
        "queue.html",
        title="Review queue",
        domain=filters.domain,
        status=filters.status,
        statuses=list(store.STATUS_FILTERS),
        min_score=min_score or "",  # as typed
        sort=filters.sort,
        **view,
    )
