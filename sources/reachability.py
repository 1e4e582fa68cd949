"""A quick "can we reach this API at all?" check, made before a long run starts.

Starting Prefect takes 10-25 s; finding out only then that arXiv is unreachable (this machine
has no internet, a typo in a URL, the replay server not started) wastes that and buries the
cause in a flow failure. Any HTTP answer, even an error status, counts as reachable: only the
network layer failing does not.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from paramtrack.core.errors import SourceUnavailableError

OFFLINE_HINT = "to work offline, start 'paramtrack replay-server' and pass its URLs, or run 'paramtrack demo'"


def check_reachable(url: str, *, name: str, timeout: float = 5.0, contact: str | None = None) -> None:
    """Raise :class:`SourceUnavailableError` naming ``url`` when nothing answers there. The
    request carries paramtrack's User-Agent (with ``contact``) like every other one."""
    from paramtrack.sources.user_agent import user_agent

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise SourceUnavailableError(f"{name} URL {url!r} is not an http(s) URL")
    root = f"{parts.scheme}://{parts.netloc}/"
    try:
        httpx.head(root, timeout=timeout, follow_redirects=False, headers={"User-Agent": user_agent(contact)})
    except httpx.HTTPError as exc:
        reason = type(exc).__name__
        text = str(exc).strip()
        if text:
            reason = f"{reason}: {text}"
        raise SourceUnavailableError(f"cannot reach the {name} API at {url} ({reason})", hint=OFFLINE_HINT) from None
