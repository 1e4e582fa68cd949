"""A paper and its decisions: ``GET /papers/{id}``, ``GET /papers/{id}/match?system=`` and
``POST /papers/{id}/decide`` (approve | correct | reject | second_look | note).

A value whose superseded Epoch rows differ from the ones shown gets a confirmation page first;
a refused decision shows the paper again with the message at its form and the input kept.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from paramtrack.core.errors import DatabaseLockedError
from paramtrack.review_queue.context import ReviewContext
from paramtrack.review_queue.pages import REVIEWER_COOKIE, REVIEWER_COOKIE_AGE, set_cookie
from paramtrack.review_queue.routes.deps import CsrfForm, Ctx
from paramtrack.review_queue.service import (
    Correction,
    DecisionConflict,
    InvalidDecision,
    MatchChanged,
    NotStaged,
    check_reviewer,
    match_ids,
    parse_date,
    parse_match_ids,
    parse_parameters,
    undo_offer,
)
from paramtrack.warehouse import review_store as store

router = APIRouter()

#: The forms a paper page always has (an approve form exists per candidate shown).
_PAGE_FORMS = ("correct", "reject", "second_look", "note", "undo")


def paper_response(
    request: Request,
    ctx: ReviewContext,
    arxiv_id: str,
    *,
    done: int | None = None,
    status_code: int = 200,
    form_error: dict[str, Any] | None = None,
    form_values: dict[str, str] | None = None,
) -> HTMLResponse:
    """The paper page; after a refused decision, with the message beside the form that was
    sent and everything typed into it kept (``form_values``), never a separate error page."""
    reviewer = ctx.pages.reviewer_for(request) or (form_values or {}).get("reviewer") or None
    typed = (form_values or {}).get("system" if (form_error or {}).get("action") == "approve" else "model")
    try:
        view = ctx.service.paper_view(arxiv_id, reviewer)
        # what the name kept in a refused form supersedes, shown again beside it
        form_matches = ctx.service.match_preview(arxiv_id, typed) if form_error and typed else []
        last = last_undo = None
        if done:
            with ctx.wh.read() as con:
                last = store.get_decision(con, done)
                last_undo = undo_offer(con, last, reviewer)
    except DatabaseLockedError as exc:
        return ctx.pages.busy(request, exc)
    if view is None:
        raise HTTPException(404, f"unknown paper {arxiv_id}")
    if form_error is not None:
        # shown beside its form; a form the page does not have (a forged or stale candidate,
        # an unknown action) gets the message above the candidates instead
        shown = {str(c["candidate_id"]) for c in view["candidates"]}
        form_error["placed"] = form_error["action"] in _PAGE_FORMS or (
            form_error["action"] == "approve" and form_error["candidate_id"] in shown
        )
    return ctx.pages.render(
        request,
        "paper.html",
        status_code=status_code,
        title=view["paper"]["title"] or arxiv_id,
        last=last,
        last_undo=last_undo,
        undone={d["undoes"] for d in view["decisions"] if d.get("undoes")},
        form_error=form_error,
        form=form_values or {},
        form_matches=form_matches,
        **view,
    )


def conflict_page(request: Request, ctx: ReviewContext, arxiv_id: str, exc: DecisionConflict) -> HTMLResponse:
    """409: someone decided first, or the candidates were re-extracted; nothing was applied."""
    title = "Already decided" if exc.last else "Changed since you loaded it"
    return ctx.pages.render(request, "conflict.html", status_code=409, title=title, conflict=exc, arxiv_id=arxiv_id)


@router.get("/papers/{arxiv_id:path}/match")
def match_preview(arxiv_id: str, ctx: Ctx, system: str = "") -> Response:
    """What saving a value for ``system`` would supersede: the page shows it as you type."""
    try:
        rows = ctx.service.match_preview(arxiv_id, system)
    except DatabaseLockedError as exc:
        return JSONResponse({"detail": str(exc)}, status_code=503)
    columns = ("system", "source_file", "source_row", "matched_on")
    return JSONResponse({"ids": match_ids(rows), "rows": [{c: r[c] for c in columns} for r in rows]})


@router.get("/papers/{arxiv_id:path}", response_class=HTMLResponse)
def paper_page(request: Request, arxiv_id: str, ctx: Ctx, done: int | None = None) -> HTMLResponse:
    """The paper: metadata, ranked candidates, decision forms, history."""
    return paper_response(request, ctx, arxiv_id, done=done)


def _whole_number(form: dict[str, str], name: str, label: str) -> int | None:
    """An optional whole-number form field; a bad one is a one-line "Not saved" message."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidDecision(f"{label} {raw!r} is not a whole number") from None


def _correction(form: dict[str, str]) -> Correction:
    """The correct form's fields; an empty field keeps the candidate's (or paper's) value."""
    return Correction(
        parameters=parse_parameters(form["parameters"]) if form.get("parameters") else None,
        kind=form.get("kind") or None,
        model=(form.get("model") or "").strip() or None,
        date=parse_date(form["date"]) if form.get("date") else None,
        domain=form.get("domain") or None,
        evidence=(form.get("evidence") or "").strip() or None,
        evidence_page=_whole_number(form, "evidence_page", "evidence page"),
        evidence_candidate_id=_whole_number(form, "evidence_candidate_id", "evidence candidate"),
        replaces=_whole_number(form, "replaces", "replaced system"),
    )


def _decision(form: dict[str, str], reviewer: str | None) -> dict[str, Any]:
    """The service's arguments from a decision form (raises on a malformed field)."""
    check_reviewer(reviewer)  # the service stores it cleaned and keeps what was typed
    action, version, cid = form.get("action", ""), form.get("version"), form.get("candidate_id")
    expected_version = int(version) if version not in (None, "") else None
    candidate_id = int(cid) if cid else None
    return {
        "reviewer": reviewer,
        "action": action,
        "candidate_id": candidate_id,
        "correction": _correction(form) if action == "correct" else None,
        "reason": form.get("reason") or None,
        "note": form.get("note") or None,
        "request_id": form.get("request_id") or None,
        "expected_version": expected_version,
        "system": (form.get("system") or "").strip() or None,
        "supersedes": parse_match_ids(form.get("supersedes")),
    }


@router.post("/papers/{arxiv_id:path}/decide")
def decide(request: Request, arxiv_id: str, form: CsrfForm, ctx: Ctx) -> Response:
    """Apply a decision, then go on to the next pending paper (a note stays on the paper)."""
    reviewer = ctx.config.reviewer or form.get("reviewer") or ctx.pages.reviewer_for(request)
    action = form.get("action", "")
    try:
        outcome, upcoming = ctx.service.decide_and_next(arxiv_id, **_decision(form, reviewer))
    except MatchChanged as exc:
        # Nothing was written: show which Epoch rows this system supersedes, then ask again.
        fields = {k: v for k, v in form.items() if k not in ("supersedes", "csrf_token")}
        return ctx.pages.render(
            request,
            "confirm.html",
            title="Confirm the system",
            arxiv_id=arxiv_id,
            change=exc,
            fields=fields,
            supersedes=match_ids(exc.matches),
        )
    except (InvalidDecision, ValueError) as exc:
        # In place: the paper again, the message at the form that was sent, its input kept.
        error = {"action": action, "candidate_id": form.get("candidate_id") or "", "message": str(exc)}
        return paper_response(request, ctx, arxiv_id, status_code=400, form_error=error, form_values=form)
    except NotStaged:
        raise HTTPException(404, f"{arxiv_id} is not in the review queue") from None
    except DecisionConflict as exc:
        return conflict_page(request, ctx, arxiv_id, exc)
    except DatabaseLockedError as exc:
        return ctx.pages.busy(request, exc)
    did = outcome.decision["decision_id"]
    if action == "note":
        target = f"/papers/{quote(arxiv_id)}?done={did}"
    else:
        target = f"/papers/{quote(upcoming)}?done={did}" if upcoming else f"/?done={did}"
    response = RedirectResponse(target, status_code=303)
    if not ctx.config.reviewer and form.get("reviewer"):
        set_cookie(request, response, REVIEWER_COOKIE, outcome.decision["reviewer"], max_age=REVIEWER_COOKIE_AGE)
    return response
