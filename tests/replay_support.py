"""A module-scoped replay server fixture whose faults and request log are reset around each test.

Usage in a test module::

    from replay_support import replay_fixtures
    server, _clean_replay = replay_fixtures(bulk_page_size=7)
"""

from __future__ import annotations

from typing import Any

import pytest


def replay_fixtures(**options: Any):
    @pytest.fixture(scope="module")
    def server(corpus_dir):
        from paramtrack.replay.server import ReplayServer

        with ReplayServer(corpus_dir, log_level="critical", **options) as srv:
            yield srv

    @pytest.fixture(autouse=True)
    def _clean_replay(server):
        server.faults.clear()
        server.clear_log()
        yield
        server.faults.clear()

    return server, _clean_replay


def ids_with_pdfs(corpus, since, until) -> set[str]:  # type: ignore[no-untyped-def]
    """Corpus papers first published in ``since..until`` that the replay server has a PDF for.

    Tests derive their expectations from the corpus with this instead of writing its counts
    down: the shared corpus grows (28 PDFs, then 70), and a window's PDFs grow with it.
    """
    return {p.arxiv_id for p in corpus.with_pdfs if since <= p.published.date() <= until}


def replay_options(srv, *, sources: dict[str, Any] | None = None, **options: Any):  # type: ignore[no-untyped-def]
    """:class:`RunOptions` for a run against the replay server ``srv``: its URLs, and no pacing
    (it is on loopback). ``sources`` overrides :class:`SourceSettings` fields, the rest
    :class:`RunOptions` fields::

        discover_flow(db_path, since=..., until=..., options=replay_options(srv, bulk_search=False))
    """
    from paramtrack.flows.options import RunOptions, SourceSettings

    where = dict(
        arxiv_url=srv.arxiv_api_url,
        s2_url=srv.s2_api_url,
        oai_url=f"{srv.base_url}/oai2",
        pdf_url_format=f"{srv.base_url}/pdf/{{id}}",
        arxiv_delay_s=0.0,
        s2_min_interval=0.0,
        pdf_delay_s=0.0,
    )
    return RunOptions(sources=SourceSettings(**(where | (sources or {}))), **options)


#: The flows' own parameters (``discover_flow``, ``backfill_flow``, ``run_backfill``); everything
#: else a test passes is a ``RunOptions`` field.
FLOW_PARAMETERS = {
    "db_path",
    "since",
    "until",
    "window_from",
    "window_to",
    "categories",
    "arxiv_ids",
    "return_state",
    "workers",
    "dask_address",
    "dashboard",
}


def split_options(srv, params: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Flow keyword arguments from one flat dict of flow parameters, ``RunOptions``
    fields and (under ``sources``) ``SourceSettings`` fields: for tests that vary a few."""
    flow = {k: v for k, v in params.items() if k in FLOW_PARAMETERS}
    rest = {k: v for k, v in params.items() if k not in FLOW_PARAMETERS}
    return flow | {"options": replay_options(srv, **rest)}
