"""The review web app: FastAPI + server-rendered Jinja2, no asset from the internet.

Routes
------
``GET  /``                          queue (filters: week, domain, status, min_score; sort)
``GET  /papers/{id}``               paper page: metadata, ranked candidates, decision forms, history
``GET  /papers/{id}/pdf``           the cached PDF (append ``#page=N`` to open at the evidence page)
``POST /papers/{id}/decide``        approve | correct | reject | second_look | note
``POST /reviewer``                  remember the reviewer's name in a cookie
``GET|POST /login``, ``POST /logout``  token login (only when started with a token)
``GET  /healthz``                   liveness, no database access
``/static/...``, ``/charts/...``    the app's CSS/JS; the trend charts folder if it exists

Security: Jinja2 autoescape everywhere (paper text is untrusted; evidence highlighting escapes
before wrapping), a strict Content-Security-Policy (scripts/styles only from this server, no inline
script), CSRF double-submit (cookie + hidden field) on every POST, an optional access token
(cookie after login, or ``Authorization: Bearer``), and parameterised SQL in ``warehouse/``.
Each request is one short ``Warehouse`` transaction; see :mod:`review_queue.service`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from paramtrack.errors import DatabaseLockedError
from review_queue.highlight import highlight
from review_queue.service import (
    DOMAINS,
    KINDS,
    REASONS,
    Correction,
    DecisionConflict,
    InvalidDecision,
    NotStaged,
    ReviewService,
    check_reviewer,
    format_params,
    parse_date,
    parse_parameters,
)
from warehouse import Warehouse
from warehouse import review_store as store

HERE = Path(__file__).resolve().parent
CSRF_COOKIE = "pt_csrf"
SESSION_COOKIE = "pt_session"
REVIEWER_COOKIE = "pt_reviewer"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
PUBLIC_PATHS = ("/login", "/healthz", "/static/")


@dataclass
class AppConfig:
    db_path: Path
    reviewer: str | None = None  # fixed identity (--reviewer / PARAMTRACK_REVIEWER)
    token: str | None = None  # required on every request when set
    charts_dir: Path | None = None
    pdf_dir: Path | None = None  # where relative cached-PDF paths are resolved
    lock_timeout_s: float = 30.0
    extra: dict[str, Any] = field(default_factory=dict)


def _session_value(token: str) -> str:
    """The login cookie: derived from the token, so the token itself is never stored."""
    return hmac.new(token.encode(), b"paramtrack-review-session", hashlib.sha256).hexdigest()


def _fmt_dt(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def create_app(config: AppConfig) -> FastAPI:
    wh = Warehouse(config.db_path, lock_timeout_s=config.lock_timeout_s)
    service = ReviewService(wh)
    env = Environment(
        loader=FileSystemLoader(str(HERE / "templates")),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["params"] = format_params
    env.filters["dt"] = _fmt_dt
    env.filters["highlight"] = highlight
    env.globals.update(KINDS=KINDS, DOMAINS=DOMAINS, REASONS=REASONS)
    charts = config.charts_dir if config.charts_dir and config.charts_dir.is_dir() else None

    app = FastAPI(title="paramtrack review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.state.service = service
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    if charts is not None:
        app.mount("/charts", StaticFiles(directory=str(charts), html=True), name="charts")

    # -- middleware: auth, CSRF cookie, security headers ----------------------------------------

    @app.middleware("http")
    async def guard(request: Request, call_next):  # type: ignore[no-untyped-def]
        path = request.url.path
        if config.token and not path.startswith(PUBLIC_PATHS):
            auth = request.headers.get("authorization", "")
            ok = False
            if auth.lower().startswith("bearer "):
                ok = hmac.compare_digest(auth[7:].strip().encode(), config.token.encode())
            cookie = request.cookies.get(SESSION_COOKIE)
            if cookie and hmac.compare_digest(cookie.encode(), _session_value(config.token).encode()):
                ok = True
            if not ok:
                if request.method == "GET" and "text/html" in request.headers.get("accept", "text/html"):
                    target = path + (f"?{request.url.query}" if request.url.query else "")
                    response: Response = RedirectResponse(
                        "/login?" + urlencode({"next": target}), status_code=303
                    )
                else:
                    response = JSONResponse({"detail": "token required"}, status_code=401)
                return _headers(response)
        csrf = request.cookies.get(CSRF_COOKIE)
        new_csrf = None
        if not csrf or len(csrf) < 20:
            new_csrf = csrf = secrets.token_urlsafe(32)
        request.state.csrf = csrf
        request.state.new_csrf = new_csrf
        response = await call_next(request)
        if new_csrf and request.method == "GET":
            response.set_cookie(CSRF_COOKIE, new_csrf, httponly=True, samesite="strict", path="/")
        return _headers(response)

    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def csrf_form(request: Request) -> dict[str, str]:
        """The POSTed form, after the double-submit CSRF check (403 on missing/mismatch)."""
        form = await request.form()
        sent = str(form.get("csrf_token") or "")
        cookie = request.cookies.get(CSRF_COOKIE) or ""
        if not sent or not cookie or not hmac.compare_digest(sent.encode(), cookie.encode()):
            raise HTTPException(status_code=403, detail="CSRF check failed: reload the page and try again")
        return {k: str(v) for k, v in form.items() if isinstance(v, str)}

    # -- rendering helpers ----------------------------------------------------------------------

    def reviewer_for(request: Request) -> str | None:
        if config.reviewer:
            return config.reviewer
        name = request.cookies.get(REVIEWER_COOKIE)
        try:
            return check_reviewer(name) if name else None
        except InvalidDecision:
            return None

    def render(request: Request, template: str, status_code: int = 200, **ctx: Any) -> HTMLResponse:
        ctx.setdefault("message", None)
        html = env.get_template(template).render(
            csrf=request.state.csrf,
            reviewer=reviewer_for(request),
            reviewer_fixed=bool(config.reviewer),
            token_mode=bool(config.token),
            charts=charts is not None,
            new_request_id=lambda: uuid.uuid4().hex,
            path=request.url.path,
            **ctx,
        )
        return HTMLResponse(html, status_code=status_code)

    def busy(request: Request, exc: Exception) -> HTMLResponse:
        return render(
            request, "message.html", status_code=503, title="Database busy",
            message=f"The warehouse is busy ({exc}). Your decision was NOT saved; "
            "submit the form again (it is safe: a repeated submit is applied once).",
        )

    # -- routes ---------------------------------------------------------------------------------

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not hasattr(request.state, "csrf"):
            request.state.csrf = ""
        return _headers(render(request, "message.html", status_code=exc.status_code,
                               title=f"Error {exc.status_code}", message=str(exc.detail)))

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", response_class=HTMLResponse)
    def queue_page(
        request: Request,
        week: str | None = None,
        domain: str | None = None,
        status: str = "open",
        min_score: str | None = None,
        sort: str = "citations",
        done: int | None = None,
    ) -> HTMLResponse:
        if status not in store.STATUS_FILTERS:
            status = "open"
        sort = "score" if sort == "score" else "citations"
        score: float | None = None
        if min_score:
            try:
                score = float(min_score)
            except ValueError:
                score = None
        domain = domain if domain in DOMAINS else None
        try:
            with wh.read() as con:
                weeks = store.queue_weeks(con)
                if week == "all":
                    week_value = None
                elif week:
                    try:
                        week_value = date.fromisoformat(week)
                    except ValueError:
                        week_value = weeks[0] if weeks else None
                else:
                    week_value = weeks[0] if weeks else None
                rows = store.queue(con, week=week_value, domain=domain, status=status,
                                   min_score=score, sort=sort, limit=500)
                decided, total = store.week_progress(con, week_value)
                domains = store.queue_domains(con)
                last = store.get_decision(con, done) if done else None
        except DatabaseLockedError as exc:
            return busy(request, exc)
        return render(
            request, "queue.html", title="Review queue", rows=rows, weeks=weeks,
            week=week_value, domain=domain, status=status, statuses=list(store.STATUS_FILTERS),
            min_score=min_score or "", sort=sort, decided=decided, total=total,
            domains=domains, last=last,
        )

    @app.get("/papers/{arxiv_id:path}/pdf")
    def paper_pdf(arxiv_id: str) -> FileResponse:
        with wh.read() as con:
            stored = store.cached_pdf_path(con, arxiv_id)
        if not stored:
            raise HTTPException(404, f"no cached PDF for {arxiv_id}")
        path = Path(stored)
        if not path.is_absolute() and not path.is_file():
            base = config.pdf_dir or config.db_path.parent / "pdfs"
            path = base / path.name
        if not path.is_file():
            raise HTTPException(404, f"the cached PDF for {arxiv_id} is missing on disk")
        return FileResponse(
            path, media_type="application/pdf",
            headers={"Content-Disposition": f"inline; filename=\"{quote(arxiv_id, safe='')}.pdf\""},
        )

    @app.post("/papers/{arxiv_id:path}/decide")
    def decide(request: Request, arxiv_id: str, form: dict[str, str] = Depends(csrf_form)) -> Response:
        reviewer = config.reviewer or form.get("reviewer") or reviewer_for(request)
        action = form.get("action", "")
        try:
            reviewer = check_reviewer(reviewer)
            version = form.get("version")
            expected = int(version) if version not in (None, "") else None
            cid = form.get("candidate_id")
            candidate_id = int(cid) if cid else None
            correction = None
            if action == "correct":
                correction = Correction(
                    parameters=parse_parameters(form["parameters"]) if form.get("parameters") else None,
                    kind=form.get("kind") or None,
                    model=(form.get("model") or "").strip() or None,
                    date=parse_date(form["date"]) if form.get("date") else None,
                    domain=form.get("domain") or None,
                )
            outcome, upcoming = service.decide_and_next(
                arxiv_id, reviewer=reviewer, action=action, candidate_id=candidate_id,
                correction=correction, reason=form.get("reason") or None,
                note=form.get("note") or None, request_id=form.get("request_id") or None,
                expected_version=expected,
            )
        except (InvalidDecision, ValueError) as exc:
            return render(request, "message.html", status_code=400, title="Not saved",
                          message=f"Not saved: {exc}", back=f"/papers/{arxiv_id}")
        except NotStaged:
            raise HTTPException(404, f"{arxiv_id} is not in the review queue") from None
        except DecisionConflict as exc:
            return render(request, "conflict.html", status_code=409, title="Already decided",
                          conflict=exc, arxiv_id=arxiv_id)
        except DatabaseLockedError as exc:
            return busy(request, exc)

        if action == "note":
            target = f"/papers/{quote(arxiv_id)}?done={outcome.decision['decision_id']}"
        else:
            did = outcome.decision["decision_id"]
            target = f"/papers/{quote(upcoming)}?done={did}" if upcoming else f"/?done={did}"
        response = RedirectResponse(target, status_code=303)
        if not config.reviewer and form.get("reviewer"):
            response.set_cookie(REVIEWER_COOKIE, reviewer, httponly=True, samesite="strict",
                                max_age=180 * 86400)
        return response

    @app.get("/papers/{arxiv_id:path}", response_class=HTMLResponse)
    def paper_page(request: Request, arxiv_id: str, done: int | None = None) -> HTMLResponse:
        try:
            view = service.paper_view(arxiv_id)
            last = None
            if done:
                with wh.read() as con:
                    last = store.get_decision(con, done)
        except DatabaseLockedError as exc:
            return busy(request, exc)
        if view is None:
            raise HTTPException(404, f"unknown paper {arxiv_id}")
        return render(request, "paper.html", title=view["paper"]["title"] or arxiv_id,
                      last=last, **view)

    @app.post("/reviewer")
    def set_reviewer(request: Request, form: dict[str, str] = Depends(csrf_form)) -> Response:
        try:
            name = check_reviewer(form.get("reviewer"))
        except InvalidDecision as exc:
            return render(request, "message.html", status_code=400, title="Name needed", message=str(exc))
        response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
        response.set_cookie(REVIEWER_COOKIE, name, httponly=True, samesite="strict", max_age=180 * 86400)
        return response

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        return render(request, "login.html", title="Sign in", next=_safe_next(next), error=None)

    @app.post("/login")
    def login(request: Request, form: dict[str, str] = Depends(csrf_form)) -> Response:
        if not config.token:
            return RedirectResponse("/", status_code=303)
        given = form.get("token", "")
        if not hmac.compare_digest(given.encode(), config.token.encode()):
            return render(request, "login.html", status_code=401, title="Sign in",
                          next=_safe_next(form.get("next")), error="Wrong token.")
        response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
        response.set_cookie(SESSION_COOKIE, _session_value(config.token), httponly=True,
                            samesite="strict", max_age=7 * 86400)
        return response

    @app.post("/logout")
    def logout(form: dict[str, str] = Depends(csrf_form)) -> Response:
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE)
        return response

    return app
