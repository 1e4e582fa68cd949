"""Rendering the review app's pages: one Jinja2 environment, the headers and cookies every answer gets.

Autoescape is on everywhere (paper text is untrusted; evidence highlighting escapes before it
wraps), ``StrictUndefined`` turns a template's typo into an error, and every page is given the
same frame: the CSRF token for its forms, who is reviewing, whether the server runs in token
mode, whether there are charts to link to.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from paramtrack.core.units import format_count
from paramtrack.review_queue.highlight import highlight
from paramtrack.review_queue.history import describe
from paramtrack.review_queue.service import (
    DOMAINS,
    KINDS,
    REASONS,
    InvalidDecision,
    check_reviewer,
    format_params,
    match_ids,
)

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSRF_COOKIE = "pt_csrf"
SESSION_COOKIE = "pt_session"
REVIEWER_COOKIE = "pt_reviewer"
REVIEWER_COOKIE_AGE = 180 * 86400
VIEW_COOKIE = "pt_view"  # "compact": denser queue rows (set by app.js, read when rendering)
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def format_when(value: Any) -> str:
    """A time as the pages show it (UTC, to the minute); a date as ISO; nothing as nothing."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def template_environment() -> Environment:
    """The templates with the filters and names they use."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["params"] = format_params
    env.filters["dt"] = format_when
    env.filters["highlight"] = highlight
    env.filters["describe"] = describe
    # a decided value to the digit that tells it from the proposal: 174.6B, not 175B
    env.filters["exact_params"] = lambda v: format_count(v, digits=4, missing="—")
    env.globals.update(KINDS=KINDS, DOMAINS=DOMAINS, REASONS=REASONS, match_ids=match_ids)
    return env


def security_headers(response: Response) -> Response:
    """The headers every answer carries, unless the route set its own."""
    response.headers.setdefault("Content-Security-Policy", CSP)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" even on
    # this server's own form posts, and the Origin check needs the real one.
    response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    """A cookie scripts cannot read and other sites do not send, ``Secure`` over https."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


@dataclass
class Pages:
    """Renders templates for one app: its fixed reviewer, token mode, charts and warehouse."""

    env: Environment
    reviewer: str | None  # fixed identity (--reviewer), else the name cookie's
    token_mode: bool
    charts_dir: Path | None
    db_path: Path

    def reviewer_for(self, request: Request) -> str | None:
        """Who is reviewing: the fixed identity, else the (checked) name cookie, else nobody."""
        if self.reviewer:
            return self.reviewer
        name = request.cookies.get(REVIEWER_COOKIE)
        try:
            return check_reviewer(name) if name else None
        except InvalidDecision:
            return None

    def render(self, request: Request, template: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        """``template`` in the page frame; ``request.state.csrf`` is the token its forms carry."""
        ctx.setdefault("message", None)
        html = self.env.get_template(template).render(
            csrf=request.state.csrf,
            reviewer=self.reviewer_for(request),
            reviewer_fixed=bool(self.reviewer),
            token_mode=self.token_mode,
            charts=self.charts_dir is not None and self.charts_dir.is_dir(),  # it may appear after start
            new_request_id=lambda: uuid.uuid4().hex,
            path=request.url.path,
            compact=request.cookies.get(VIEW_COOKIE) == "compact",
            db_path=str(self.db_path),
            **ctx,
        )
        return HTMLResponse(html, status_code=status_code)

    def message(self, request: Request, status_code: int, title: str, message: str) -> HTMLResponse:
        """A page that only says something (an error, a refusal)."""
        return self.render(request, "message.html", status_code=status_code, title=title, message=message)

    def busy(self, request: Request, exc: Exception) -> HTMLResponse:
        """503 while another process holds the warehouse, saying whether the decision was saved."""
        if request.method == "POST":
            advice = (
                "Your decision was NOT saved; submit the form again (it is safe: a repeated submit is applied once)."
            )
        else:
            advice = "Try again in a moment (reload the page)."
        return self.message(request, 503, "Database busy", f"The warehouse is busy ({exc}). {advice}")
