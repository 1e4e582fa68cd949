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
