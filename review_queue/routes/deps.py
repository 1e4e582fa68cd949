"""The FastAPI dependencies the routes share: the app's parts, and the CSRF-checked form."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request

from paramtrack.review_queue.context import ReviewContext
from paramtrack.review_queue.pages import CSRF_COOKIE


def review_context(request: Request) -> ReviewContext:
    """The running app's parts (built once by ``create_app``)."""
    ctx: ReviewContext = request.app.state.review
    return ctx


Ctx = Annotated[ReviewContext, Depends(review_context)]


async def csrf_form(request: Request, ctx: Ctx) -> dict[str, str]:
    """The POSTed form, after the signed double-submit check (403 on missing/mismatch).

    The guard already checked the origin and the cookie's signature; this compares the field.
    """
    form = await request.form()
    sent = str(form.get("csrf_token") or "")
    cookie = request.cookies.get(CSRF_COOKIE)
    if not ctx.csrf_tokens.matches(cookie, sent, getattr(request.state, "csrf_binding", "")):
        raise HTTPException(status_code=403, detail="CSRF check failed: reload the page and try again")
    return {k: str(v) for k, v in form.items() if isinstance(v, str)}


CsrfForm = Annotated[dict[str, str], Depends(csrf_form)]
