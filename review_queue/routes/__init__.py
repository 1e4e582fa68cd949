"""The review app's routes, one module per area (each an ``APIRouter``).

``GET  /``                          :mod:`.queue`: the queue (filters: week, domain, status,
                                    min_score; sort)
``GET  /papers/{id}``               :mod:`.papers`: metadata, ranked candidates, decision forms,
                                    history
``GET  /papers/{id}/match?system=`` :mod:`.papers`: the Epoch rows a value for that system would
                                    supersede (JSON)
``POST /papers/{id}/decide``        :mod:`.papers`: approve | correct | reject | second_look | note
``POST /papers/{id}/undo``          :mod:`.undo`: undo the reviewer's own last decision on the paper
``GET  /papers/{id}/pdf``           :mod:`.pdfs`: the cached PDF (``#page=N`` opens the evidence page)
``GET  /digests``, ``/digests/{n}`` :mod:`.digests`: run digests, one rendered to HTML
``POST /reviewer``                  :mod:`.login`: remember the reviewer's name in a cookie
``GET|POST /login``, ``POST /logout`` :mod:`.login`: token login (only when started with a token)
``GET  /healthz``                   :mod:`.health`: liveness, no database access

:data:`ROUTERS` is the order the app includes them in: a paper's ``/pdf`` and ``/match`` come
before the paper page, whose ``{id:path}`` would otherwise take them. Error pages are
:mod:`.errors`'; shared dependencies (the app's parts, the CSRF-checked form) :mod:`.deps`'.
"""

from __future__ import annotations

from fastapi import APIRouter

from paramtrack.review_queue.routes import digests, health, login, papers, pdfs, queue, undo

ROUTERS: tuple[APIRouter, ...] = (
    health.router,
    queue.router,
    digests.router,
    pdfs.router,
    undo.router,
    papers.router,
    login.router,
)
