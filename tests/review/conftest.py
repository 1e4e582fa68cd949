"""What the review tests share, on top of the root conftest's fixtures: the demo queue in the
test's warehouse, the review server serving that warehouse, ``scalar`` bound to it, and real
chart pages.

Candidates may be written as plain dicts (``{"value": 7e9, "model": "Seven", "evidence": "..."}``);
keys left out take the root conftest's ``Cand`` defaults (dense_total, page 1, score 0.8). The
warehouse is the root conftest's ``warehouse`` fixture (migrated, empty, per test).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from paramtrack.warehouse import Warehouse

# -- the demo queue and the review server on the test's warehouse -------------------------------


@pytest.fixture()
def demo_queue(warehouse: Warehouse, seed_demo_queue) -> list[str]:
    """Five papers like the demo corpus yields (one with a hostile title); ids in queue order."""
    return seed_demo_queue(warehouse)


@pytest.fixture()
def demo_queue_with_pdf(warehouse: Warehouse, seed_demo_queue, tmp_path: Path) -> list[str]:
    """The demo queue with PaLM's PDF in the cache (``tmp_path / "pdfs"``)."""
    return seed_demo_queue(warehouse, tmp_path / "pdfs")


@pytest.fixture()
def hostile(seed_demo_queue) -> dict[str, str]:
    """The demo queue's hostile title and evidence sentence, which must stay text."""
    return {"title": seed_demo_queue.xss_title, "evidence": seed_demo_queue.xss_evidence}


@pytest.fixture()
def scalar(warehouse: Warehouse, scalar: Callable[..., Any]) -> Callable[..., Any]:
    """``scalar(sql, params=())``: the one value a query of the test's warehouse returns."""
    return functools.partial(scalar, warehouse)


@pytest.fixture()
def review_server(warehouse: Warehouse, review_server_process) -> Iterator[Callable[..., Any]]:
    """``with review_server("--reviewer", "alice", env=..., host=...) as srv:`` runs the real
    ``paramtrack review-server`` on the test's warehouse on a free loopback port (``srv.url``,
    ``srv.port``, ``srv.log``, ``srv.stop()``); every server is stopped at teardown."""
    started: list[Any] = []

    def start(*args: str, env: dict[str, str] | None = None, host: str = "127.0.0.1") -> Any:
        server = review_server_process(warehouse.path, *args, env=env, host=host)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture()
def alice_server(demo_queue_with_pdf: list[str], review_server) -> Iterator[Any]:
    """The demo queue (PaLM with its cached PDF) served with the fixed reviewer alice."""
    with review_server("--reviewer", "alice") as srv:
        yield srv


# -- chart pages ---------------------------------------------------------------------------------


def _write_demo_charts(out_dir: Path) -> list[Path]:
    import pandas as pd

    from paramtrack.trends.charts import write_charts

    sample = pd.DataFrame(
        {
            "system": ["GPT-3", "PaLM", "ResNet", "AlphaGo"],
            "domain": ["language", "language", "vision", "games"],
            "publication_date": pd.to_datetime(["2020-05-28", "2022-04-05", "2015-12-10", "2016-01-27"]),
            "x": [2020.4, 2022.26, 2015.94, 2016.07],
            "y_parameters": [11.243, 11.732, 7.778, 6.6],
        }
    )
    trends = pd.DataFrame(
        [
            {
                "metric": "parameters",
                "domain": "all",
                "era_label": "deep learning",
                "era_start": pd.Timestamp("2015-01-01"),
                "era_end": pd.Timestamp("2023-01-01"),
                "intercept": -1500.0,
                "slope": 0.75,
                "n": 4,
                "doubling_months": 4.8,
                "doubling_p05": 4.0,
                "doubling_p50": 4.8,
                "doubling_p95": 6.0,
                "r2": 0.8,
            }
        ]
    )
    band = {"domain": "all", "since_year": 2018, "mean_below": 2.0, "mean_above": 3.0}
    gap = pd.DataFrame(
        [
            {**band, "band_kind": "grid", "label": f"band {i}", "n": n, "scarce": n == 0, "scarcity": 0.1 * i}
            for i, n in enumerate([3, 0, 5])
        ]
        + [{**band, "band_kind": "named", "label": "20-70B", "n": 1, "scarce": True, "scarcity": 0.3}]
    )
    return write_charts(sample, trends, gap, out_dir)


@pytest.fixture()
def write_demo_charts() -> Callable[[Path], list[Path]]:
    """``write_demo_charts(folder)``: real chart pages (``trends.charts.write_charts``) from a
    small synthetic recompute result."""
    return _write_demo_charts
