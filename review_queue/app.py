"""The review web app: FastAPI + server-rendered Jinja2, no asset from the internet.

Layout
------
``app.py`` (this module) assembles the app; :mod:`review_queue.routes` holds one router per area
(queue, papers and decisions, undo, PDFs, digests, login, health) and the error pages;
:mod:`review_queue.guard` checks every request (host, access, CSRF) before any route;
:mod:`review_queue.pages` renders. ``/static/`` serves the app's CSS/JS and ``/charts/`` the
trend charts folder if it exists.

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

from pathlib import Path

from fastapi import FastAPI, HTTPException
from fastapi.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from paramtrack.review_queue.context import AppConfig, ReviewContext
from paramtrack.review_queue.csrf import CsrfTokens
from paramtrack.review_queue.guard import Guard
from paramtrack.review_queue.limits import BodySizeLimit, Throttles
from paramtrack.review_queue.pages import Pages, template_environment
from paramtrack.review_queue.routes import ROUTERS, errors
from paramtrack.review_queue.service import ReviewService
from paramtrack.review_queue.sessions import Sessions
from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.publish import ReadCopyPublisher

__all__ = ["AppConfig", "create_app"]

STATIC = Path(__file__).resolve().parent / "static"


class _ChartFiles(StaticFiles):
    """The charts folder, looked up per request: it may appear (first recompute) after start."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not Path(str(self.directory)).is_dir():
            raise HTTPException(404, "no trend charts yet: run 'paramtrack recompute'")
        await super().__call__(scope, receive, send)


def _context(config: AppConfig, publisher: ReadCopyPublisher) -> ReviewContext:
    """The app's parts: a decision that commits asks the publisher for a new read copy."""
    pages = Pages(
        template_environment(),
        reviewer=config.reviewer,
        token_mode=bool(config.token),
        charts_dir=config.charts_dir,
        db_path=config.db_path,
    )
    return ReviewContext(
        config=config,
        wh=publisher.wh,
        service=ReviewService(publisher.wh, on_write=publisher.request),
        pages=pages,
        sessions=Sessions(config.session_ttl_s),
        csrf_tokens=CsrfTokens(),
        throttle=Throttles(),
    )


def create_app(config: AppConfig) -> FastAPI:
    """The review app for ``config``: routers, error pages, the guard and the body-size limit."""
    publisher = ReadCopyPublisher(Warehouse(config.db_path, lock_timeout_s=config.lock_timeout_s))
    ctx = _context(config, publisher)  # analysts read the published copy, never the warehouse
    app = FastAPI(title="paramtrack review", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.review = ctx
    app.router.add_event_handler("shutdown", publisher.flush)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    if config.charts_dir is not None:
        app.mount("/charts", _ChartFiles(directory=str(config.charts_dir), html=True, check_dir=False), name="charts")
    for router in ROUTERS:
        app.include_router(router)
    errors.install(app)
    app.middleware("http")(Guard(ctx))
    # Outermost: an oversized body is refused before anything else looks at the request.
    app.add_middleware(BodySizeLimit, max_bytes=config.max_body_bytes)
    return app
