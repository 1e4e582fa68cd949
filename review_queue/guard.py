"""The review app's gate: every request passes it before any route, mount or 404 sees it.

In order, each decided from the request's headers alone, before a byte of the body is read:

1. **Host**: on a loopback bind only the loopback names are answered (400 otherwise), so a
   DNS-rebound name cannot reach the app as its own origin.
2. **Access** (token mode): the token as ``Authorization: Bearer`` or a login session cookie
   (:mod:`review_queue.sessions`); wrong tokens are locked out exponentially per client (429).
   A browser asking for a page is sent to the login form, anything else gets 401. The login
   page, ``/healthz`` and ``/static/`` are open; the ``/charts/`` mount and unknown URLs are not.
3. **CSRF** (:mod:`review_queue.csrf`): a state-changing request must come from this server's
   own origin with a valid signed ``pt_csrf`` cookie (403 otherwise); a page without a valid
   cookie is given a new one. The form field is compared with the cookie by the routes'
   :func:`~review_queue.routes.deps.csrf_form` dependency, which reads the body.

Every answer, the gate's own refusals included, carries the security headers
(:func:`~review_queue.pages.security_headers`). It is a middleware rather than a route
dependency because it must also cover the mounts and the URLs no route answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from paramtrack.review_queue.context import ReviewContext
from paramtrack.review_queue.csrf import UNSAFE_METHODS, foreign_origin
from paramtrack.review_queue.pages import CSRF_COOKIE, SESSION_COOKIE, security_headers, set_cookie

#: Paths open without the access token in token mode.
PUBLIC_PATHS = ("/login", "/healthz", "/static/")


def host_name(host_header: str) -> str:
    """``Host`` without its port: ``127.0.0.1:8000`` -> ``127.0.0.1``, ``[::1]:80`` -> ``::1``."""
    if host_header.startswith("["):
        return host_header[1:].split("]", 1)[0].lower()
    return host_header.rsplit(":", 1)[0].lower() if host_header.count(":") == 1 else host_header.lower()


def client_address(request: Request) -> str:
    """The address wrong tokens are counted against."""
    return request.client.host if request.client else "unknown"


def locked_out(wait: int) -> Response:
    """429 for a client that guessed wrong too often, with the seconds to wait."""
    return JSONResponse(
        {"detail": f"too many wrong tokens from this address: try again in {wait} s"},
        status_code=429,
        headers={"Retry-After": str(wait)},
    )


class Guard:
    """The ``http`` middleware that applies the three checks, then the security headers."""

    def __init__(self, ctx: ReviewContext) -> None:
        self.ctx = ctx

    async def __call__(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        refusal = self._wrong_host(request) or self._unauthorised(request) or self._forged(request)
        if refusal is not None:
            return security_headers(refusal)
        issued = self._issue_csrf(request)
        response = await call_next(request)
        if issued:
            set_cookie(request, response, CSRF_COOKIE, issued)
        return security_headers(response)

    def _refuse(self, request: Request, status: int, title: str, message: str) -> Response:
        request.state.csrf = ""  # a refusal page has no forms to protect
        return self.ctx.pages.message(request, status, title, message)

    def _wrong_host(self, request: Request) -> Response | None:
        allowed = self.ctx.config.allowed_hosts
        if allowed is None or host_name(request.headers.get("host", "")) in allowed:
            return None
        return self._refuse(request, 400, "Unknown host", f"This server answers only to {', '.join(allowed)}.")

    def _unauthorised(self, request: Request) -> Response | None:
        """None when the request may pass: no token mode, an open path, the token, a session."""
        if not self.ctx.config.token or request.url.path.startswith(PUBLIC_PATHS):
            return None
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            client = client_address(request)
            wait = self.ctx.throttle.retry_after(client)
            if wait:
                return locked_out(wait)
            if self.ctx.accept_token(client, auth[7:].strip()):
                return None
        if self.ctx.sessions.valid(request.cookies.get(SESSION_COOKIE)):
            return None
        if request.method == "GET" and "text/html" in request.headers.get("accept", "text/html"):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)
        return JSONResponse({"detail": "token required"}, status_code=401)

    def _forged(self, request: Request) -> Response | None:
        """403 for a state-changing request from another origin or without our signed cookie."""
        binding = self.ctx.sessions.binding(request.cookies.get(SESSION_COOKIE))
        request.state.csrf_binding = binding
        request.state.csrf = request.cookies.get(CSRF_COOKIE)
        if request.method not in UNSAFE_METHODS:
            return None
        why = foreign_origin(request.headers, request.url.scheme)
        if why is None and not self.ctx.csrf_tokens.valid(request.state.csrf, binding):
            why = "missing or invalid CSRF cookie"
        if why is None:
            return None
        return self._refuse(request, 403, "Error 403", f"CSRF check failed ({why}): reload the page and try again")

    def _issue_csrf(self, request: Request) -> str | None:
        """A new token for a page whose CSRF cookie is missing or no longer valid, else None."""
        tokens, binding = self.ctx.csrf_tokens, request.state.csrf_binding
        if request.method in UNSAFE_METHODS or tokens.valid(request.state.csrf, binding):
            return None
        request.state.csrf = tokens.issue(binding)
        return str(request.state.csrf)
