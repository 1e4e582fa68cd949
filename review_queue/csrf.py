"""Cross-site request forgery defences for the review app (OWASP CSRF Prevention Cheat Sheet).

Two independent checks guard every state-changing request, both made from headers alone, before
the body is read:

* **Origin**: a browser says where a request comes from (``Origin``, else ``Referer``); it must
  be this server's own origin (scheme + ``Host``). Cookies are shared by every port of
  ``127.0.0.1``, so a page on another local port is same-*site* but not same-*origin*: only this
  check tells it apart. ``Sec-Fetch-Site`` (Fetch Metadata), when sent, must say ``same-origin``.
  A request with neither ``Origin`` nor ``Referer`` is refused, as OWASP recommends.
* **Signed double-submit token**: the ``pt_csrf`` cookie is ``<nonce>.<signature>``, signed with
  itsdangerous (HMAC-SHA256, a random per-process key), and the form repeats it. A value another
  page planted (cookies can be set across ports) carries no valid signature, because the key
  never leaves this process. The signature's salt holds the ``binding``, the login session's
  signature in token mode, so a token minted without logging in is worthless after login, and
  one from an old session is worthless after logout.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from itsdangerous import Signer

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: No token this app issues is longer; a longer one is refused before any signature work.
MAX_TOKEN = 200


class CsrfTokens:
    """Issues and checks signed CSRF tokens with a random per-process key.

    A restart changes the key: pages loaded before it get a 403 asking for a reload, which is
    the price of never storing the key.
    """

    def __init__(self) -> None:
        self._key = secrets.token_bytes(32)

    def _signer(self, binding: str) -> Signer:
        return Signer(self._key, salt=f"pt-csrf:{binding}", digest_method=hashlib.sha256)

    def issue(self, binding: str = "") -> str:
        """A fresh token for pages shown under ``binding`` (a session's signature, or none)."""
        return self._signer(binding).sign(secrets.token_urlsafe(18)).decode()

    def valid(self, token: str | None, binding: str = "") -> bool:
        """Whether this process signed ``token`` for ``binding``."""
        if not token or len(token) > MAX_TOKEN:
            return False
        return self._signer(binding).validate(token)

    def matches(self, cookie: str | None, field: str | None, binding: str = "") -> bool:
        """The double submit: the form field equals the cookie, and the cookie is ours."""
        if not cookie or not field or not hmac.compare_digest(cookie.encode(), field.encode()):
            return False
        return self.valid(cookie, binding)


def _origin_of(url: str) -> str | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if not parts.scheme or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}".lower()


def foreign_origin(headers: Mapping[str, str], scheme: str) -> str | None:
    """Why an unsafe request does not come from this server's own pages, or None when it does.

    The target origin is the scheme this request arrived with and its ``Host`` header (which the
    app checks against its allowed host names when it listens on loopback, so a DNS-rebound name
    cannot pose as this server).
    """
    host = headers.get("host", "")
    target = f"{scheme}://{host}".lower()
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return f"the browser says this request is {fetch_site}, not from this server's pages"
    origin = headers.get("origin")
    if origin is not None:
        if origin.lower() != target:
            return f"request from origin {origin[:100]!r}, not {target!r}"
        return None
    referer = headers.get("referer")
    if referer is not None:
        if _origin_of(referer) != target:
            return f"request from a page outside {target!r}"
        return None
    return "request without an Origin or Referer header"
