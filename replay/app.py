"""The replay server's ASGI app: the services' routes, wrapped in the hostile-bytes and fault layers.

Endpoints (``base`` = ``http://127.0.0.1:PORT``), one module per service:

* :mod:`replay.arxiv_api` — ``GET /api/query`` (arXiv's API, Atom in the 2025+ style recorded in
  ``api/arxiv/arxiv.py_fixtures_2026``; query language in :mod:`replay.arxiv_query`),
  ``GET /pdf/<id>[vN]`` (``Range`` honoured) and ``GET /abs/<id>[vN]``. The feeds' PDF links
  point at this server unless ``state.pdf_base`` names another (a closed port, an ``https://``
  address of this plain-HTTP server): arxiv.org's PDF host down while its API answers.
* :mod:`replay.oai` — ``GET/POST /oai2``, arXiv's OAI-PMH.
* :mod:`replay.semantic_scholar` — ``POST /graph/v1/paper/batch``, ``GET
  /graph/v1/paper/search/bulk``, ``GET /graph/v1/paper/search``, ``GET /graph/v1/paper/{id}``.
* :mod:`replay.control` — ``/_replay/faults``, ``/_replay/log``, ``/_replay/status`` (test
  control, never faulted).
"""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette

from paramtrack.replay import arxiv_api, control, oai, semantic_scholar
from paramtrack.replay.fault_layer import FaultLayer
from paramtrack.replay.state import ReplayState

__all__ = ["create_app"]


def create_app(state: ReplayState, hostile: list[Any] | None = None) -> FaultLayer:
    """The ASGI app for ``state``: Starlette routes wrapped in the fault/log layer.

    With ``hostile`` records (:mod:`replay.hostile`), their raw-byte edits are applied to every
    body before faults are, so a fault garbles or cuts what a client would really receive.
    """
    routes = arxiv_api.routes() + oai.routes() + semantic_scholar.routes() + control.routes()
    handlers = {arxiv_api.ArxivApiError: arxiv_api.arxiv_error, semantic_scholar.S2Error: semantic_scholar.s2_error}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.replay = state
    inner: Any = app
    if hostile:
        from paramtrack.replay.hostile import HostileWire, wire_edits

        inner = HostileWire(app, wire_edits(hostile))
    return FaultLayer(inner, state)
