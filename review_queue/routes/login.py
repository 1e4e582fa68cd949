"""Who is reviewing: ``POST /reviewer`` (the name, in a cookie), ``GET|POST /login`` and
``POST /logout`` (the access token exchanged for a session cookie, in token mode)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paramtrack.review_queue.guard import client_address
from paramtrack.review_queue.pages import (
    CSRF_COOKIE,
    REVIEWER_COOKIE,
    REVIEWER_COOKIE_AGE,
    SESSION_COOKIE,
    set_cookie,
)
from paramtrack.review_queue.routes.deps import CsrfForm, Ctx
from paramtrack.review_queue.service import InvalidDecision, check_reviewer

router = APIRouter()


def safe_next(target: str | None) -> str:
    """A local path to redirect to after login / name change; anything else becomes ``/``."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(ch) < 32 or ord(ch) == 127 for ch in target)  # tab/newline tricks
    ):
        return target
    return "/"


@router.post("/reviewer")
def set_reviewer(request: Request, form: CsrfForm, ctx: Ctx) -> Response:
    """Remember the reviewer's name (cleaned and checked) for the decisions they make."""
    try:
        name = check_reviewer(form.get("reviewer"))
    except InvalidDecision as exc:
        return ctx.pages.message(request, 400, "Name needed", str(exc))
    response = RedirectResponse(safe_next(form.get("next")), status_code=303)
    set_cookie(request, response, REVIEWER_COOKIE, name, max_age=REVIEWER_COOKIE_AGE)
    return response


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, ctx: Ctx, next: str = "/") -> HTMLResponse:
    """The token form."""
    return ctx.pages.render(request, "login.html", title="Sign in", next=safe_next(next), error=None)


@router.post("/login")
def login(request: Request, form: CsrfForm, ctx: Ctx) -> Response:
    """Exchange the token for a session cookie; wrong tokens count towards the lockout."""
    if not ctx.config.token:
        return RedirectResponse("/", status_code=303)
    client, target = client_address(request), safe_next(form.get("next"))
    wait = ctx.throttle.retry_after(client)
    if wait:
        error = f"Too many wrong tokens: try again in {wait} s."
        response: Response = ctx.pages.render(
            request, "login.html", status_code=429, title="Sign in", next=target, error=error
        )
        response.headers["Retry-After"] = str(wait)
        return response
    if not ctx.accept_token(client, form.get("token", "")):
        return ctx.pages.render(
            request, "login.html", status_code=401, title="Sign in", next=target, error="Wrong token."
        )
    response = RedirectResponse(target, status_code=303)
    session = ctx.sessions.issue()
    set_cookie(request, response, SESSION_COOKIE, session, max_age=int(ctx.config.session_ttl_s))
    # Tokens made before login are bound to no session: the signed-in pages get new ones.
    set_cookie(request, response, CSRF_COOKIE, ctx.csrf_tokens.issue(ctx.sessions.binding(session)))
    return response


@router.post("/logout")
def logout(request: Request, form: CsrfForm, ctx: Ctx) -> Response:
    """Revoke the session cookie and forget it."""
    ctx.sessions.revoke(request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/login", status_code=303)
    secure = request.url.scheme == "https"
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=secure)
    return response
