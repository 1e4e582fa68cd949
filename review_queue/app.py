"""The review web app: FastAPI + server-rendered Jinja2, no asset from the internet.

Routes
------
``GET  /``                          queue (filters: week, domain, status, min_score; sort)
``GET  /papers/{id}``               paper page: metadata, ranked candidates, decision forms, history
``GET  /papers/{id}/pdf``           the cached PDF (append ``#page=N`` to open at the evidence page)
``GET  /papers/{id}/match?system=`` the Epoch rows a value for that system would supersede (JSON)
``POST /papers/{id}/decide``        approve | correct | reject | second_look | note (a value whose
                                    superseded Epoch rows differ from the ones shown gets a
                                    confirmation page first; a refused one shows the paper
                                    again with the message at its form and the input kept)
``POST /papers/{id}/undo``          undo the reviewer's own last decision on the paper
``POST /reviewer``                  remember the reviewer's name in a cookie
``GET|POST /login``, ``POST /logout``  token login (only when started with a token)
``GET  /digests``, ``/digests/{name}``  run digests (newest first), one rendered to HTML
``GET  /healthz``                   liveness, no database access
``/static/...``, ``/charts/...``    the app's CSS/JS; the trend charts folder if it exists

Security: Jinja2 autoescape everywhere (paper text is untrusted; evidence highlighting escapes
before wrapping), a strict Content-Security-Policy (scripts/styles only from this server, no inline
script), on every POST an ``Origin``/``Referer`` check and a signed double-submit CSRF token bound
to the login session (:mod:`review_queue.csrf`), both before the body is read; bodies over 64 KB
refused while they stream (:mod:`review_queue.limits`); on a loopback bind only loopback ``Host``
names (no DNS rebinding); an optional access token (``Authorization: Bearer``, or a session cookie
after login: signed with a random per-process key, carrying its issue time, valid 12 h, revoked
by logout and by a restart; ``Secure`` when the request came over https) with wrong guesses
locked out exponentially per client; and parameterised SQL in ``warehouse/``. The CSP also covers
``/charts/``: the chart pages load their script and style from files beside them.
Each request is one short ``Warehouse`` transaction; see :mod:`review_queue.service`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.types import Receive, Scope, Send

from paramtrack.core.errors import DatabaseLockedError, ParamtrackError
from paramtrack.core.units import format_count
from paramtrack.reporting.files import digest_path, list_digests
from paramtrack.review_queue.csrf import UNSAFE_METHODS, CsrfTokens, foreign_origin
from paramtrack.review_queue.digests import digest_html
from paramtrack.review_queue.highlight import highlight
from paramtrack.review_queue.history import describe
from paramtrack.review_queue.limits import MAX_BODY_BYTES, BodySizeLimit, FailureThrottle
from paramtrack.review_queue.pdf_files import cached_pdf_file
from paramtrack.review_queue.service import (
    DOMAINS,
    KINDS,
    REASONS,
    Correction,
    DecisionConflict,
    InvalidDecision,
    MatchChanged,
    NotStaged,
    ReviewService,
    UndoRefused,
    check_reviewer,
    format_params,
    match_ids,
    parse_date,
    parse_match_ids,
    parse_parameters,
    suggested_systems,
)
from paramtrack.review_queue.sessions import SESSION_TTL_S, Sessions
from paramtrack.review_queue.tokens import same_token
from paramtrack.warehouse import Warehouse, models_store, undo_store
from paramtrack.warehouse import review_store as store
from paramtrack.warehouse.publish import ReadCopyPublisher

HERE = Path(__file__).resolve().parent
CSRF_COOKIE = "pt_csrf"
SESSION_COOKIE = "pt_session"
REVIEWER_COOKIE = "pt_reviewer"
VIEW_COOKIE = "pt_view"  # "compact": denser queue rows (set by app.js, read when rendering)
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
    digest_dir: Path | None = None  # None: <db folder>/digests
    pdf_dir: Path | None = None  # where relative cached-PDF paths are resolved
    lock_timeout_s: float | None = None  # None: PARAMTRACK_LOCK_TIMEOUT or the warehouse default
    session_ttl_s: float = SESSION_TTL_S
    #: Host names (without port) a request may address; None: any. The CLI sets the loopback
    #: names for a loopback bind, so a DNS-rebound name cannot reach the app as same-origin.
    allowed_hosts: tuple[str, ...] | None = None
    max_body_bytes: int = MAX_BODY_BYTES
    extra: dict[str, Any] = field(default_factory=dict)


class _ChartFiles(StaticFiles):
    """The charts folder, looked up per request: it may appear (first recompute) after start."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not Path(str(self.directory)).is_dir():
            raise HTTPException(404, "no trend charts yet: run 'paramtrack recompute'")
        await super().__call__(scope, receive, send)


def _is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def _host_name(host_header: str) -> str:
    """``Host`` without its port: ``127.0.0.1:8000`` -> ``127.0.0.1``, ``[::1]:80`` -> ``::1``."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0].lower()
    return host_header.rsplit(":", 1)[0].lower() if host_header.count(":") == 1 else host_header.lower()


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


class Throttles:
    """Per-client lockouts, plus one for all clients together.

    The per-client one slows a single guesser without locking anyone else out; the overall one
    (more free failures) caps guessing by a client that changes its apparent address (a local
    process can send ``X-Forwarded-For``, which uvicorn trusts from 127.0.0.1). Under such an
    attack logins wait too; signed-in sessions are never throttled.
    """

    def __init__(self) -> None:
        self.client = FailureThrottle()
        self.overall = FailureThrottle(free_failures=20)

    def retry_after(self, client: str) -> int:
        return max(self.client.retry_after(client), self.overall.retry_after("*"))

    def failed(self, client: str) -> None:
        self.client.failed(client)
        self.overall.failed("*")

    def succeeded(self, client: str) -> None:
        self.client.succeeded(client)


def _fmt_dt(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def _safe_next(target: str | None) -> str:
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


def _int_field(form: dict[str, str], name: str, label: str) -> int | None:
    """An optional whole-number form field; a bad one is a one-line "Not saved" message."""
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidDecision(f"{label} {raw!r} is not a whole number") from None


def create_app(config: AppConfig) -> FastAPI:
    wh = Warehouse(config.db_path, lock_timeout_s=config.lock_timeout_s)
    publisher = ReadCopyPublisher(wh)  # analysts read the copy, never the warehouse
    service = ReviewService(wh, on_write=publisher.request)
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
    env.filters["describe"] = describe
    # a decided value to the digit that tells it from the proposal: 174.6B, not 175B
    env.filters["exact_params"] = lambda v: format_count(v, digits=4, missing="—")
    env.globals.update(KINDS=KINDS, DOMAINS=DOMAINS, REASONS=REASONS, match_ids=match_ids)
    sessions = Sessions(config.session_ttl_s)
    csrf_tokens = CsrfTokens()
    throttle = Throttles()

    def charts_available() -> bool:  # checked per request: the folder may appear later
        return config.charts_dir is not None and config.charts_dir.is_dir()

    app = FastAPI(title="paramtrack review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.config = config
    app.state.service = service
    app.router.add_event_handler("shutdown", publisher.flush)
    app.state.sessions = sessions
    app.state.throttle = throttle
    app.mount("/static", StaticFiles(directory=str(HERE / "static")), name="static")
    if config.charts_dir is not None:
        app.mount("/charts", _ChartFiles(directory=str(config.charts_dir), html=True, check_dir=False), name="charts")

    def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
        response.set_cookie(
            name, value, max_age=max_age, path="/", httponly=True, samesite="strict", secure=_is_https(request)
        )

    # -- middleware: auth, CSRF cookie, security headers ----------------------------------------

    def refuse(request: Request, status: int, title: str, message: str) -> Response:
        request.state.csrf = ""
        return _headers(render(request, "message.html", status_code=status, title=title, message=message))

    def locked_out(wait: int) -> Response:
        return _headers(
            JSONResponse(
                {"detail": f"too many wrong tokens from this address: try again in {wait} s"},
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
        )

    @app.middleware("http")
    async def guard(request: Request, call_next):
        path = request.url.path
        if config.allowed_hosts is not None:
            host = _host_name(request.headers.get("host", ""))
            if host not in config.allowed_hosts:
                return refuse(
                    request, 400, "Unknown host", f"This server answers only to {', '.join(config.allowed_hosts)}."
                )
        if config.token and not path.startswith(PUBLIC_PATHS):
            auth = request.headers.get("authorization", "")
            ok = False
            if auth.lower().startswith("bearer "):
                client = _client(request)
                wait = throttle.retry_after(client)
                if wait:
                    return locked_out(wait)
                if same_token(auth[7:].strip(), config.token):
                    ok = True
                    throttle.succeeded(client)
                else:
                    throttle.failed(client)
            if sessions.valid(request.cookies.get(SESSION_COOKIE)):
                ok = True
            if not ok:
                if request.method == "GET" and "text/html" in request.headers.get("accept", "text/html"):
                    target = path + (f"?{request.url.query}" if request.url.query else "")
                    response: Response = RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
                else:
                    response = JSONResponse({"detail": "token required"}, status_code=401)
                return _headers(response)
        binding = sessions.binding(request.cookies.get(SESSION_COOKIE))
        request.state.csrf_binding = binding
        csrf = request.cookies.get(CSRF_COOKIE)
        new_csrf = None
        if request.method in UNSAFE_METHODS:
            # Decided from headers alone, before a byte of the body is read.
            why = foreign_origin(request.headers, request.url.scheme)
            if why is None and not csrf_tokens.valid(csrf, binding):
                why = "missing or invalid CSRF cookie"
            if why is not None:
                return refuse(request, 403, "Error 403", f"CSRF check failed ({why}): reload the page and try again")
        elif not csrf_tokens.valid(csrf, binding):
            new_csrf = csrf = csrf_tokens.issue(binding)
        request.state.csrf = csrf
        response = await call_next(request)
        if new_csrf:
            set_cookie(request, response, CSRF_COOKIE, new_csrf)
        return _headers(response)

    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # same-origin, not no-referrer: under no-referrer browsers send "Origin: null" even on
        # this server's own form posts, and the Origin check needs the real one.
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    async def csrf_form(request: Request) -> dict[str, str]:
        """The POSTed form, after the signed double-submit check (403 on missing/mismatch).

        The guard already checked the origin and the cookie's signature; this compares the field.
        """
        form = await request.form()
        sent = str(form.get("csrf_token") or "")
        cookie = request.cookies.get(CSRF_COOKIE)
        if not csrf_tokens.matches(cookie, sent, getattr(request.state, "csrf_binding", "")):
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
            charts=charts_available(),
            new_request_id=lambda: uuid.uuid4().hex,
            path=request.url.path,
            compact=request.cookies.get(VIEW_COOKIE) == "compact",
            db_path=str(config.db_path),
            **ctx,
        )
        return HTMLResponse(html, status_code=status_code)

    def busy(request: Request, exc: Exception) -> HTMLResponse:
        if request.method == "POST":
            advice = (
                "Your decision was NOT saved; submit the form again (it is safe: a repeated submit is applied once)."
            )
        else:
            advice = "Try again in a moment (reload the page)."
        return render(
            request,
            "message.html",
            status_code=503,
            title="Database busy",
            message=f"The warehouse is busy ({exc}). {advice}",
        )

    # -- routes ---------------------------------------------------------------------------------

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> Response:
        if not hasattr(request.state, "csrf"):
            request.state.csrf = ""
        return _headers(
            render(
                request,
                "message.html",
                status_code=exc.status_code,
                title=f"Error {exc.status_code}",
                message=str(exc.detail),
            )
        )

    @app.exception_handler(ParamtrackError)
    async def user_error(request: Request, exc: ParamtrackError) -> Response:
        """Database locked (503, try again) or unusable (corrupt file...): a page, not a bare 500."""
        if not hasattr(request.state, "csrf"):
            request.state.csrf = ""
        if isinstance(exc, DatabaseLockedError):
            return _headers(busy(request, exc))
        return _headers(
            render(
                request,
                "message.html",
                status_code=500,
                title="Warehouse unavailable",
                message=f"The review queue cannot read the warehouse: {exc}",
            )
        )

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
                rows = store.queue(
                    con, week=week_value, domain=domain, status=status, min_score=score, sort=sort, limit=500
                )
                decided, total = store.week_progress(con, week_value)
                domains = store.queue_domains(con)
                last = store.get_decision(con, done) if done else None
                last_undo = undo_offer(con, last, reviewer_for(request))
                epoch_imported = models_store.has_epoch_rows(con)
                # the name Approve saves each top candidate under; none: the row asks for one
                approvable = [r for r in rows if r["candidate_id"] is not None and r["status"] in store.OPEN_STATUSES]
                names = suggested_systems(
                    con, [(r["arxiv_id"], {"model": r["top_model"], "value": r["top_value"]}) for r in approvable]
                )
                for r in rows:
                    r["system"] = names.get(r["arxiv_id"], "")
        except DatabaseLockedError as exc:
            return busy(request, exc)
        return render(
            request,
            "queue.html",
            title="Review queue",
            rows=rows,
            weeks=weeks,
            week=week_value,
            domain=domain,
            status=status,
            statuses=list(store.STATUS_FILTERS),
            min_score=min_score or "",
            sort=sort,
            decided=decided,
            total=total,
            domains=domains,
            last=last,
            last_undo=last_undo,
            epoch_imported=epoch_imported,
        )

    def undo_offer(con: Any, last: dict[str, Any] | None, reviewer: str | None) -> dict[str, Any] | None:
        """The Undo button of the "Saved decision" line: the decision just saved, while it is
        still the reviewer's own last decision on its paper, with that paper's version."""
        if not last or last["action"] == "undo":
            return None
        target = undo_store.undoable(con, last["arxiv_id"], reviewer)
        if target is None or target["decision_id"] != last["decision_id"]:
            return None
        state = store.item_state(con, last["arxiv_id"])
        if state is None:
            return None
        return {"decision_id": last["decision_id"], "arxiv_id": last["arxiv_id"], "version": state["version"]}

    def paper_response(
        request: Request,
        arxiv_id: str,
        *,
        done: int | None = None,
        status_code: int = 200,
        form_error: dict[str, Any] | None = None,
        form_values: dict[str, str] | None = None,
    ) -> HTMLResponse:
        """The paper page; after a refused decision, with the message beside the form that was
        sent and everything typed into it kept (``form_values``), never a separate error page."""
        reviewer = reviewer_for(request) or (form_values or {}).get("reviewer") or None
        typed = (form_values or {}).get("system" if (form_error or {}).get("action") == "approve" else "model")
        try:
            view = service.paper_view(arxiv_id, reviewer)
            # what the name kept in a refused form supersedes, shown again beside it
            form_matches = service.match_preview(arxiv_id, typed) if form_error and typed else []
            last = last_undo = None
            if done:
                with wh.read() as con:
                    last = store.get_decision(con, done)
                    last_undo = undo_offer(con, last, reviewer)
        except DatabaseLockedError as exc:
            return busy(request, exc)
        if view is None:
            raise HTTPException(404, f"unknown paper {arxiv_id}")
        undone = {d["undoes"] for d in view["decisions"] if d.get("undoes")}
        if form_error is not None:
            # shown beside its form; a form the page does not have (a forged or stale candidate,
            # an unknown action) gets the message above the candidates instead
            shown = {str(c["candidate_id"]) for c in view["candidates"]}
            form_error["placed"] = form_error["action"] in ("correct", "reject", "second_look", "note", "undo") or (
                form_error["action"] == "approve" and form_error["candidate_id"] in shown
            )
        return render(
            request,
            "paper.html",
            status_code=status_code,
            title=view["paper"]["title"] or arxiv_id,
            last=last,
            last_undo=last_undo,
            undone=undone,
            form_error=form_error,
            form=form_values or {},
            form_matches=form_matches,
            **view,
        )

    digest_dir = config.digest_dir or config.db_path.parent / "digests"

    @app.get("/digests", response_class=HTMLResponse)
    def digests_page(request: Request) -> HTMLResponse:
        files = list_digests(digest_dir)
        return render(
            request, "digests.html", title="Digests", digests=[p.name for p in files], digest_dir=str(digest_dir)
        )

    @app.get("/digests/{name}", response_class=HTMLResponse)
    def digest_page(request: Request, name: str) -> HTMLResponse:
        path = digest_path(digest_dir, name)  # refuses anything but a plain digest file name
        if path is None:
            raise HTTPException(404, "no such digest")
        return render(
            request,
            "digest.html",
            title=name.removesuffix(".md"),
            name=name,
            body=digest_html(path.read_text(encoding="utf-8")),
        )

    @app.get("/papers/{arxiv_id:path}/pdf")
    def paper_pdf(request: Request, arxiv_id: str) -> Response:
        try:
            with wh.read() as con:
                stored = store.cached_pdf_path(con, arxiv_id)
        except DatabaseLockedError as exc:
            return busy(request, exc)
        if not stored:
            raise HTTPException(404, f"no cached PDF for {arxiv_id}")
        path = cached_pdf_file(stored, config.pdf_dir or config.db_path.parent / "pdfs")  # never outside the cache
        if path is None:
            raise HTTPException(404, f"the cached PDF for {arxiv_id} is missing from the PDF cache")
        return FileResponse(
            path,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{quote(arxiv_id, safe="")}.pdf"'},
        )

    @app.post("/papers/{arxiv_id:path}/decide")
    def decide(request: Request, arxiv_id: str, form: dict[str, str] = Depends(csrf_form)) -> Response:
        reviewer = config.reviewer or form.get("reviewer") or reviewer_for(request)
        action = form.get("action", "")
        try:
            check_reviewer(reviewer)  # the service stores it cleaned and keeps what was typed
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
                    evidence=(form.get("evidence") or "").strip() or None,
                    evidence_page=_int_field(form, "evidence_page", "evidence page"),
                    evidence_candidate_id=_int_field(form, "evidence_candidate_id", "evidence candidate"),
                    replaces=_int_field(form, "replaces", "replaced system"),
                )
            outcome, upcoming = service.decide_and_next(
                arxiv_id,
                reviewer=reviewer,
                action=action,
                candidate_id=candidate_id,
                correction=correction,
                reason=form.get("reason") or None,
                note=form.get("note") or None,
                request_id=form.get("request_id") or None,
                expected_version=expected,
                system=(form.get("system") or "").strip() or None,
                supersedes=parse_match_ids(form.get("supersedes")),
            )
        except MatchChanged as exc:
            # Nothing was written: show which Epoch rows this system supersedes, then ask again.
            fields = {k: v for k, v in form.items() if k not in ("supersedes", "csrf_token")}
            return render(
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
            return paper_response(
                request,
                arxiv_id,
                status_code=400,
                form_error={"action": action, "candidate_id": form.get("candidate_id") or "", "message": str(exc)},
                form_values=form,
            )
        except NotStaged:
            raise HTTPException(404, f"{arxiv_id} is not in the review queue") from None
        except DecisionConflict as exc:
            return render(
                request,
                "conflict.html",
                status_code=409,
                title="Already decided" if exc.last else "Changed since you loaded it",
                conflict=exc,
                arxiv_id=arxiv_id,
            )
        except DatabaseLockedError as exc:
            return busy(request, exc)

        if action == "note":
            target = f"/papers/{quote(arxiv_id)}?done={outcome.decision['decision_id']}"
        else:
            did = outcome.decision["decision_id"]
            target = f"/papers/{quote(upcoming)}?done={did}" if upcoming else f"/?done={did}"
        response = RedirectResponse(target, status_code=303)
        if not config.reviewer and form.get("reviewer"):
            set_cookie(request, response, REVIEWER_COOKIE, outcome.decision["reviewer"], max_age=180 * 86400)
        return response

    @app.post("/papers/{arxiv_id:path}/undo")
    def undo(request: Request, arxiv_id: str, form: dict[str, str] = Depends(csrf_form)) -> Response:
        """Undo the reviewer's own last decision on the paper (a decision of its own), then show
        the paper as it is again."""
        reviewer = config.reviewer or form.get("reviewer") or reviewer_for(request)
        try:
            version = form.get("version")
            outcome = service.undo(
                arxiv_id,
                reviewer=reviewer,
                decision_id=int(form.get("decision_id") or "0"),
                expected_version=int(version) if version not in (None, "") else None,
                request_id=form.get("request_id") or None,
            )
        except (InvalidDecision, UndoRefused, ValueError) as exc:
            return paper_response(
                request,
                arxiv_id,
                status_code=409 if isinstance(exc, UndoRefused) else 400,
                form_error={"action": "undo", "candidate_id": "", "message": str(exc)},
            )
        except NotStaged:
            raise HTTPException(404, f"{arxiv_id} is not in the review queue") from None
        except DecisionConflict as exc:
            return render(
                request,
                "conflict.html",
                status_code=409,
                title="Already decided" if exc.last else "Changed since you loaded it",
                conflict=exc,
                arxiv_id=arxiv_id,
            )
        except DatabaseLockedError as exc:
            return busy(request, exc)
        return RedirectResponse(f"/papers/{quote(arxiv_id)}?done={outcome.decision['decision_id']}", status_code=303)

    @app.get("/papers/{arxiv_id:path}/match")
    def match_preview(request: Request, arxiv_id: str, system: str = "") -> Response:
        """What saving a value for ``system`` would supersede: the page shows it as you type."""
        try:
            rows = service.match_preview(arxiv_id, system)
        except DatabaseLockedError as exc:
            return JSONResponse({"detail": str(exc)}, status_code=503)
        return JSONResponse(
            {
                "ids": match_ids(rows),
                "rows": [
                    {
                        "system": r["system"],
                        "source_file": r["source_file"],
                        "source_row": r["source_row"],
                        "matched_on": r["matched_on"],
                    }
                    for r in rows
                ],
            }
        )

    @app.get("/papers/{arxiv_id:path}", response_class=HTMLResponse)
    def paper_page(request: Request, arxiv_id: str, done: int | None = None) -> HTMLResponse:
        return paper_response(request, arxiv_id, done=done)

    @app.post("/reviewer")
    def set_reviewer(request: Request, form: dict[str, str] = Depends(csrf_form)) -> Response:
        try:
            name = check_reviewer(form.get("reviewer"))
        except InvalidDecision as exc:
            return render(request, "message.html", status_code=400, title="Name needed", message=str(exc))
        response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
        set_cookie(request, response, REVIEWER_COOKIE, name, max_age=180 * 86400)
        return response

    @app.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        return render(request, "login.html", title="Sign in", next=_safe_next(next), error=None)

    @app.post("/login")
    def login(request: Request, form: dict[str, str] = Depends(csrf_form)) -> Response:
        if not config.token:
            return RedirectResponse("/", status_code=303)
        client = _client(request)
        wait = throttle.retry_after(client)
        if wait:
            response: Response = render(
                request,
                "login.html",
                status_code=429,
                title="Sign in",
                next=_safe_next(form.get("next")),
                error=f"Too many wrong tokens: try again in {wait} s.",
            )
            response.headers["Retry-After"] = str(wait)
            return response
        if not same_token(form.get("token", ""), config.token):
            throttle.failed(client)
            return render(
                request,
                "login.html",
                status_code=401,
                title="Sign in",
                next=_safe_next(form.get("next")),
                error="Wrong token.",
            )
        throttle.succeeded(client)
        response = RedirectResponse(_safe_next(form.get("next")), status_code=303)
        session = sessions.issue()
        set_cookie(request, response, SESSION_COOKIE, session, max_age=int(config.session_ttl_s))
        # Tokens made before login are bound to no session: the signed-in pages get new ones.
        set_cookie(request, response, CSRF_COOKIE, csrf_tokens.issue(sessions.binding(session)))
        return response

    @app.post("/logout")
    def logout(request: Request, form: dict[str, str] = Depends(csrf_form)) -> Response:
        sessions.revoke(request.cookies.get(SESSION_COOKIE))
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict", secure=_is_https(request))
        return response

    # Outermost: an oversized body is refused before anything else looks at the request.
    app.add_middleware(BodySizeLimit, max_bytes=config.max_body_bytes)
    return app
