"""The replay server's test controls (never faulted, never logged).

``GET|POST|DELETE /_replay/faults`` lists, adds (a rule object, a spec string, a list of them,
or ``{"rules": [...]}``) or clears fault rules; ``GET|DELETE /_replay/log`` reads or clears the
request log; ``GET /_replay/status`` gives the server's date and corpus counts.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from paramtrack.replay.faults import FaultPlan
from paramtrack.replay.state import replay_state

__all__ = ["routes"]


def _add_faults(faults: FaultPlan, body: Any) -> None:
    items = body.get("rules", [body]) if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise ValueError('expected a rule object, a list, or {"rules": [...]}')
    for item in items:
        if isinstance(item, str):
            faults.add_spec(item)
        else:
            faults.add_dict(item)


async def faults(request: Request) -> Response:
    plan = replay_state(request).faults
    if request.method == "DELETE":
        plan.clear()
        return JSONResponse({"rules": []})
    if request.method == "POST":
        try:
            _add_faults(plan, json.loads(await request.body() or b"null"))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"rules": plan.to_list()})


async def log(request: Request) -> Response:
    state = replay_state(request)
    with state.log_lock:
        if request.method == "DELETE":
            state.log.clear()
        return JSONResponse({"requests": list(state.log)})


async def status(request: Request) -> Response:
    state = replay_state(request)
    return JSONResponse({"as_of": state.as_of.isoformat(), **state.corpus.stats(state.as_of)})


def routes() -> list[Route]:
    return [
        Route("/_replay/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_replay/log", log, methods=["GET", "DELETE"]),
        Route("/_replay/status", status, methods=["GET"]),
    ]
