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
        from replay.server import ReplayServer

        with ReplayServer(corpus_dir, log_level="critical", **options) as srv:
            yield srv

    @pytest.fixture(autouse=True)
    def _clean_replay(server):
        server.faults.clear()
        server.clear_log()
        yield
        server.faults.clear()

    return server, _clean_replay
