"""Fixtures of the review tests: a seeded queue, the review server, a CSRF-holding client, Chromium.

Candidates are written as plain dicts (``{"value": 7e9, "model": "Seven", "evidence": "..."}``);
keys left out take :class:`review_support.Cand`'s defaults (dense_total, page 1, score 0.8).
The warehouse is the root conftest's ``warehouse`` fixture (migrated, empty, per test).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import review_support as support
from cli_support import CliResult
from cli_support import cli as run_cli

from paramtrack.warehouse import Warehouse

Cands = list[dict[str, Any]]


def _cands(specs: Cands) -> list[support.Cand]:
    return [support.Cand(**spec) for spec in specs]


@pytest.fixture()
def seed_paper() -> Callable[..., None]:
    """``seed_paper(wh, arxiv_id, title, cands, **paper)``: a paper, its extraction, staged for
    review (``paper``: citations, abstract, published, pdf_path, domain)."""

    def seed(wh: Warehouse, arxiv_id: str, title: str, cands: Cands, **paper: Any) -> None:
        support.seed_paper(wh, arxiv_id, title, _cands(cands), **paper)

    return seed


@pytest.fixture()
def add_paper() -> Callable[..., None]:
    """``add_paper(con, arxiv_id, title, **paper)``: a paper row only, in the caller's transaction."""
    return support.add_paper


@pytest.fixture()
def add_extraction() -> Callable[..., None]:
    """``add_extraction(con, arxiv_id, cands, version=...)``: a (re-)extraction of the paper."""

    def add(con: Any, arxiv_id: str, cands: Cands, **kw: Any) -> None:
        support.add_extraction(con, arxiv_id, _cands(cands), **kw)

    return add


@pytest.fixture()
def demo_queue(warehouse: Warehouse) -> list[str]:
    """Five papers like the demo corpus yields (one with a hostile title); ids in queue order."""
    return support.seed_demo_queue(warehouse)


@pytest.fixture()
def demo_queue_with_pdf(warehouse: Warehouse, tmp_path: Path) -> list[str]:
    """The demo queue with PaLM's PDF in the cache (``tmp_path / "pdfs"``)."""
    return support.seed_demo_queue(warehouse, tmp_path / "pdfs")


@pytest.fixture()
def hostile() -> dict[str, str]:
    """The demo queue's hostile title and evidence sentence, which must stay text."""
    return {"title": support.XSS_TITLE, "evidence": support.XSS_EVIDENCE}


@pytest.fixture()
def scalar(warehouse: Warehouse) -> Callable[..., Any]:
    """``scalar(sql, params=())``: the one value a query of the test's warehouse returns."""
    return lambda sql, params=(): support.scalar(warehouse, sql, params)


@pytest.fixture()
def review_server(warehouse: Warehouse) -> Iterator[Callable[..., support.Server]]:
    """``with review_server("--reviewer", "alice", env=..., host=...) as srv:`` runs the real
    ``paramtrack review-server`` on the test's warehouse on a free loopback port (``srv.url``,
    ``srv.port``, ``srv.log``, ``srv.stop()``); every server is stopped at teardown."""
    started: list[support.Server] = []

    def start(*args: str, env: dict[str, str] | None = None, host: str = "127.0.0.1") -> support.Server:
        server = support.Server(warehouse.path, *args, env=env, host=host)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture()
def alice_server(demo_queue_with_pdf: list[str], review_server) -> Iterator[support.Server]:
    """The demo queue (PaLM with its cached PDF) served with the fixed reviewer alice."""
    with review_server("--reviewer", "alice") as srv:
        yield srv


@pytest.fixture()
def csrf_client() -> Callable[..., Any]:
    """``client, token = csrf_client(base_url)``: an httpx client holding the CSRF cookie and
    sending the server's own ``Origin``, as a browser on the review pages does."""
    return support.csrf_client


@pytest.fixture()
def form_fields() -> Callable[[str, str], dict[str, str]]:
    """``form_fields(page, action)``: the fields of that action's first form on a paper page."""
    return support.form_fields


@pytest.fixture()
def free_port() -> Callable[[], int]:
    """``free_port()``: a loopback port nothing listens on."""
    return support.free_port


@pytest.fixture()
def write_demo_charts() -> Callable[[Path], list[Path]]:
    """``write_demo_charts(folder)``: real chart pages from a small synthetic recompute."""
    return support.write_demo_charts


@pytest.fixture()
def cli() -> Callable[..., CliResult]:
    """``cli(*args, input=..., env=...)``: ``paramtrack ARGS`` in this process (Typer's
    CliRunner), a library error mapped to main()'s one ``Error:`` line and exit code."""
    return run_cli


@pytest.fixture()
def artifacts() -> Path:
    """The folder browser tests leave their screenshots in."""
    support.ARTIFACTS.mkdir(exist_ok=True)
    return support.ARTIFACTS


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, launched once for the session."""
    yield from support.chromium()
