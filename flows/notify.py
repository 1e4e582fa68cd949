"""An optional notification when a scheduled run fails: a JSON POST to a webhook.

Unattended runs fail where nobody looks. With ``PARAMTRACK_NOTIFY_URL`` set (``paramtrack
serve --notify-url``, or the worker's environment for ``prefect.yaml`` deployments), the
scheduled flows' ``on_failure`` and ``on_crashed`` hooks POST one JSON object per failed or
crashed run. Its ``text`` field makes it a Slack/Mattermost incoming-webhook message as is;
the other fields are for anything else (a chat bot, an alerting relay). A webhook that cannot
be reached is logged and never changes the run's outcome.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from prefect.flows import FlowStateHook

from paramtrack.core.settings import env_name, read_settings

#: The variable the hook reads (declared in ``core.settings``; ``serve --notify-url`` sets it).
NOTIFY_ENV = env_name("notify_url")

log = logging.getLogger("paramtrack.notify")


def check_webhook_url(url: str) -> str:
    """``url`` when it is an absolute http(s) URL; ``ValueError`` (one line) otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an http(s) URL (expected e.g. https://hooks.example.org/T0/B0/x)")
    return url.strip()


def failure_payload(flow: Any, flow_run: Any, state: Any) -> dict[str, Any]:
    """What is posted: the run, its state and message, and its page in the Prefect UI."""
    from prefect.settings import PREFECT_UI_URL

    ui = PREFECT_UI_URL.value()
    link = f"{ui.rstrip('/')}/runs/flow-run/{flow_run.id}" if ui else None
    message = " ".join(str(getattr(state, "message", None) or "no message").split())[:1000]
    name = getattr(flow, "name", None) or getattr(flow_run, "flow_name", "?")
    text = f"paramtrack: scheduled run {flow_run.name!r} of {name} ended {state.name}: {message}" + (
        f" ({link})" if link else ""
    )
    return {
        "text": text,
        "flow": name,
        "flow_run": flow_run.name,
        "flow_run_id": str(flow_run.id),
        "deployment_id": str(flow_run.deployment_id) if flow_run.deployment_id else None,
        "state": state.name,
        "state_type": state.type.value,
        "message": message,
        "parameters": dict(flow_run.parameters or {}),
        "url": link,
    }


def notify_failure(flow: Any, flow_run: Any, state: Any) -> None:
    """Prefect ``on_failure``/``on_crashed`` hook: POST :func:`failure_payload` to
    ``PARAMTRACK_NOTIFY_URL`` when it is set. Never raises."""
    try:
        url = read_settings().notify_url
    except Exception as exc:  # another variable's bad value must not hide the run's own failure
        log.warning("Failure notification not sent: %s", exc)
        return
    if not url:
        return
    import httpx

    from paramtrack.sources.user_agent import user_agent

    try:
        payload = failure_payload(flow, flow_run, state)
        httpx.post(
            check_webhook_url(url), json=payload, timeout=10.0, headers={"User-Agent": user_agent()}
        ).raise_for_status()
        log.info("Failure notification sent for run %s", flow_run.name)
    except Exception as exc:  # a broken webhook must not hide the run's own failure
        log.warning("Failure notification to %s not sent: %s: %s", url, type(exc).__name__, exc)


#: The hooks the scheduled flows carry: ``@flow(on_failure=HOOKS, on_crashed=HOOKS)``.
HOOKS: list[FlowStateHook[..., Any]] = [notify_failure]
