"""Error pages: an HTTP error or a warehouse problem is a page of the app, never a bare 500."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import Response

from paramtrack.core.errors import DatabaseLockedError, ParamtrackError
from paramtrack.review_queue.pages import security_headers
from paramtrack.review_queue.routes.deps import review_context


def _page_state(request: Request) -> None:
    """An error may come before the guard gave the request its CSRF token: then it has none."""
    if not hasattr(request.state, "csrf"):
        request.state.csrf = ""


async def http_error(request: Request, exc: Exception) -> Response:
    """404, 403, ...: the message page with the status."""
    assert isinstance(exc, HTTPException)
    _page_state(request)
    pages = review_context(request).pages
    return security_headers(pages.message(request, exc.status_code, f"Error {exc.status_code}", str(exc.detail)))


async def warehouse_error(request: Request, exc: Exception) -> Response:
    """Database locked (503, try again) or unusable (corrupt file...): a page, not a bare 500."""
    _page_state(request)
    pages = review_context(request).pages
    if isinstance(exc, DatabaseLockedError):
        return security_headers(pages.busy(request, exc))
    message = f"The review queue cannot read the warehouse: {exc}"
    return security_headers(pages.message(request, 500, "Warehouse unavailable", message))


def install(app: FastAPI) -> None:
    """Register the error pages on ``app``."""
    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(ParamtrackError, warehouse_error)
