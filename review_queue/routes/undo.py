"""``POST /papers/{id}/undo``: undo the reviewer's own last decision on a paper."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response

from paramtrack.core.errors import DatabaseLockedError
from paramtrack.review_queue.routes.deps import CsrfForm, Ctx
from paramtrack.review_queue.routes.papers import conflict_page, paper_response
from paramtrack.review_queue.service import DecisionConflict, InvalidDecision, NotStaged, UndoRefused

router = APIRouter()


@router.post("/papers/{arxiv_id:path}/undo")
def undo(request: Request, arxiv_id: str, form: CsrfForm, ctx: Ctx) -> Response:
    """Undo the reviewer's own last decision on the paper (a decision of its own), then show
    the paper as it is again; a refused undo shows the paper with the reason."""
    reviewer = ctx.config.reviewer or form.get("reviewer") or ctx.pages.reviewer_for(request)
    try:
        version = form.get("version")
        outcome = ctx.service.undo(
            arxiv_id,
            reviewer=reviewer,
            decision_id=int(form.get("decision_id") or "0"),
            expected_version=int(version) if version not in (None, "") else None,
            request_id=form.get("request_id") or None,
        )
    except (InvalidDecision, UndoRefused, ValueError) as exc:
        return paper_response(
            request,
            ctx,
            arxiv_id,
            status_code=409 if isinstance(exc, UndoRefused) else 400,
            form_error={"action": "undo", "candidate_id": "", "message": str(exc)},
        )
    except NotStaged:
        raise HTTPException(404, f"{arxiv_id} is not in the review queue") from None
    except DecisionConflict as exc:
        return conflict_page(request, ctx, arxiv_id, exc)
    except DatabaseLockedError as exc:
        return ctx.pages.busy(request, exc)
    return RedirectResponse(f"/papers/{quote(arxiv_id)}?done={outcome.decision['decision_id']}", status_code=303)
