"""What the review tests share: papers staged for review, the review server, a CSRF-holding
client, Chromium and the CLI in this process.

Helpers are fixtures (a fixture can hand out a function), so no test module imports another.
Candidates are written as plain dicts (``{"value": 7e9, "model": "Seven", "evidence": "..."}``);
keys left out take :class:`_Cand`'s defaults (dense_total, page 1, score 0.8). The warehouse is
the root conftest's ``warehouse`` fixture (migrated, empty, per test).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from paramtrack.warehouse import Warehouse

REPO_ROOT = Path(__file__).resolve().parents[2]
EXE = str(Path(sys.executable).parent / "paramtrack")
#: Debian's Chromium, driven by Playwright (no browser download).
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
XSS_TITLE = "<script>window.__xss=1</script>"
XSS_EVIDENCE = 'We train a 7B model <img src=x onerror="window.__xss=2"> on text.'

Cands = list[dict[str, Any]]


# -- papers staged for review ------------------------------------------------------------------


@dataclass
class _Cand:
    """A candidate as the extractor hands it to ``store_extraction``."""

    value: float
    kind: str = "dense_total"
    model: str | None = None
    evidence: str = ""
    page: int = 1
    score: float = 0.8
    quantity: str = "parameters"
    source: str = "sentence"
    features: dict = field(default_factory=dict)
    evidence_raw: str | None = None


@dataclass
class _Result:
    """An extraction result as ``store_extraction`` reads it."""

    candidates: list[_Cand] = field(default_factory=list)
    other_candidates: list[_Cand] = field(default_factory=list)
    domain: str | None = "language"
    domain_confidence: float | None = 0.9
    date: date | None = None
    pages: int = 10
    error: str | None = None
    error_transient: bool = False
    failure: str | None = None


def _add_paper(
    con: Any,
    arxiv_id: str,
    title: str,
    *,
    citations: int = 10,
    abstract: str = "An abstract.",
    published: date = date(2024, 3, 1),
    pdf_path: str | None = None,
) -> None:
    now = datetime.now(UTC)
    con.execute(
        "INSERT OR REPLACE INTO papers (arxiv_id, version, title, abstract, authors, categories,"
        " primary_category, published, citation_count, status, found_by, first_seen, last_seen,"
        " pdf_url) VALUES (?, 1, ?, ?, ?, ['cs.CL'], 'cs.CL', ?, ?, 'notable', 'manual', ?, ?, ?)",
        [
            arxiv_id,
            title,
            abstract,
            ["A. Author", "B. Author"],
            published,
            citations,
            now,
            now,
            f"https://arxiv.org/pdf/{arxiv_id}",
        ],
    )
    if pdf_path:
        con.execute(
            "INSERT OR REPLACE INTO pdfs (arxiv_id, sha256, path, attempts) VALUES (?, ?, ?, 1)",
            [arxiv_id, f"sha-{arxiv_id}", pdf_path],
        )


def _add_extraction(
    con: Any, arxiv_id: str, cands: Cands, *, version: str = "test-1", domain: str = "language", sha: str | None = None
) -> None:
    from paramtrack.warehouse.extraction_store import store_extraction

    store_extraction(
        con,
        arxiv_id=arxiv_id,
        pdf_sha256=sha or f"sha-{arxiv_id}",
        extractor_version=version,
        result=_Result(candidates=[_Cand(**spec) for spec in cands], domain=domain),
    )


def _seed_paper(wh: Warehouse, arxiv_id: str, title: str, cands: Cands, **paper: Any) -> None:
    from paramtrack.warehouse.review_store import stage_paper

    domain = paper.pop("domain", "language")
    with wh.write() as con:
        _add_paper(con, arxiv_id, title, **paper)
        _add_extraction(con, arxiv_id, cands, domain=domain)
        stage_paper(con, arxiv_id)


@pytest.fixture()
def seed_paper() -> Callable[..., None]:
    """``seed_paper(wh, arxiv_id, title, cands, **paper)``: a paper, its extraction, staged for
    review (``paper``: citations, abstract, published, pdf_path, domain)."""
    return _seed_paper


@pytest.fixture()
def add_paper() -> Callable[..., None]:
    """``add_paper(con, arxiv_id, title, **paper)``: a paper row only, in the caller's transaction."""
    return _add_paper


@pytest.fixture()
def add_extraction() -> Callable[..., None]:
    """``add_extraction(con, arxiv_id, cands, version=...)``: a (re-)extraction of the paper."""
    return _add_extraction


# -- the demo queue ----------------------------------------------------------------------------


_DEMO_PAPERS: list[tuple[str, str, Cands, dict[str, Any]]] = [
    (
        "2204.02311",
        "PaLM: Scaling Language Modeling with Pathways",
        [
            {
                "value": 540e9,
                "model": "PaLM",
                "evidence": "We trained PaLM, a 540-billion parameter model.",
                "page": 1,
                "score": 0.95,
            },
            {
                "value": 62e9,
                "model": "PaLM 62B",
                "evidence": "We also train 8B and 62 billion parameter models.",
                "page": 3,
                "score": 0.4,
            },
        ],
        {"citations": 5000},
    ),
    (
        "2005.14165",
        "Language Models are Few-Shot Learners",
        [
            {
                "value": 175e9,
                "model": "GPT-3",
                "evidence": "GPT-3, an autoregressive language model with 175 billion parameters.",
                "page": 1,
                "score": 0.9,
            },
        ],
        {"citations": 4000},
    ),
    (
        "2112.04426",
        "Improving language models by retrieving from trillions of tokens",
        [
            {
                "value": 7.5e9,
                "model": "RETRO",
                "evidence": "RETRO 7.5B obtains comparable performance to GPT-3.",
                "page": 2,
                "score": 0.7,
            },
        ],
        {"citations": 900},
    ),
    (
        "1706.03762",
        "Attention Is All You Need",
        [
            {
                "value": 213e6,
                "model": "Transformer (big)",
                "evidence": "The big model has 213M parameters.",
                "page": 9,
                "score": 0.6,
            },
        ],
        {"citations": 3000, "domain": "language"},
    ),
    (
        "2401.00001",
        XSS_TITLE,
        [
            {"value": 7e9, "model": "<b>Evil</b>", "evidence": XSS_EVIDENCE, "page": 2, "score": 0.5},
        ],
        {"citations": 5, "abstract": '<img src=x onerror="window.__xss=3">'},
    ),
]

_TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _seed_demo_queue(wh: Warehouse, pdf_dir: Path | None = None) -> list[str]:
    """A small queue like the demo corpus yields (PaLM's PDF in ``pdf_dir`` when given); the
    ids in queue order (citations)."""
    from paramtrack.warehouse.review_store import queue

    pdf = None
    if pdf_dir is not None:
        pdf_dir.mkdir(parents=True, exist_ok=True)
        pdf = pdf_dir / "2204.02311.pdf"
        pdf.write_bytes(_TINY_PDF)
    for arxiv_id, title, cands, paper in _DEMO_PAPERS:
        if arxiv_id == "2204.02311" and pdf is not None:
            paper = {**paper, "pdf_path": str(pdf)}
        _seed_paper(wh, arxiv_id, title, cands, **paper)
    with wh.read() as con:
        return [r["arxiv_id"] for r in queue(con)]


@pytest.fixture()
def demo_queue(warehouse: Warehouse) -> list[str]:
    """Five papers like the demo corpus yields (one with a hostile title); ids in queue order."""
    return _seed_demo_queue(warehouse)


@pytest.fixture()
def demo_queue_with_pdf(warehouse: Warehouse, tmp_path: Path) -> list[str]:
    """The demo queue with PaLM's PDF in the cache (``tmp_path / "pdfs"``)."""
    return _seed_demo_queue(warehouse, tmp_path / "pdfs")


@pytest.fixture()
def hostile() -> dict[str, str]:
    """The demo queue's hostile title and evidence sentence, which must stay text."""
    return {"title": XSS_TITLE, "evidence": XSS_EVIDENCE}


@pytest.fixture()
def scalar(warehouse: Warehouse) -> Callable[..., Any]:
    """``scalar(sql, params=())``: the one value a query of the test's warehouse returns."""

    def one(sql: str, params: Any = ()) -> Any:
        with warehouse.read() as con:
            return con.execute(sql, list(params)).fetchone()[0]

    return one


# -- the review server and its clients -----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ReviewServer:
    """``paramtrack review-server`` as a real subprocess on a free loopback port."""

    def __init__(self, db: Path, *args: str, env: dict[str, str] | None = None, host: str = "127.0.0.1") -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full_env = {k: v for k, v in os.environ.items() if k not in ("PARAMTRACK_REVIEWER", "PARAMTRACK_REVIEW_TOKEN")}
        full_env.update(env or {})
        self.log = db.parent / f"server-{self.port}.log"
        self._log = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [EXE, "--db", str(db), "review-server", "--host", host, "--port", str(self.port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=str(db.parent),
        )

    def wait(self, timeout: float = 30) -> ReviewServer:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log.read_text()}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log.read_text()}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()

    def __enter__(self) -> ReviewServer:
        return self.wait()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@pytest.fixture()
def review_server(warehouse: Warehouse) -> Iterator[Callable[..., ReviewServer]]:
    """``with review_server("--reviewer", "alice", env=..., host=...) as srv:`` runs the real
    ``paramtrack review-server`` on the test's warehouse on a free loopback port (``srv.url``,
    ``srv.port``, ``srv.log``, ``srv.stop()``); every server is stopped at teardown."""
    started: list[ReviewServer] = []

    def start(*args: str, env: dict[str, str] | None = None, host: str = "127.0.0.1") -> ReviewServer:
        server = ReviewServer(warehouse.path, *args, env=env, host=host)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture()
def alice_server(demo_queue_with_pdf: list[str], review_server) -> Iterator[ReviewServer]:
    """The demo queue (PaLM with its cached PDF) served with the fixed reviewer alice."""
    with review_server("--reviewer", "alice") as srv:
        yield srv


def _csrf_client(base_url: str, **kw: Any) -> tuple[httpx.Client, str]:
    headers = {"Origin": base_url, **kw.pop("headers", {})}
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=60, headers=headers, **kw)
    client.get("/")
    return client, client.cookies.get("pt_csrf")


@pytest.fixture()
def csrf_client() -> Callable[..., tuple[httpx.Client, str]]:
    """``client, token = csrf_client(base_url)``: an httpx client holding the CSRF cookie and
    sending the server's own ``Origin``, as a browser on the review pages does (the app refuses
    a POST that names no origin)."""
    return _csrf_client


def _form_fields(page: str, action: str) -> dict[str, str]:
    forms = re.findall(r'<form method="post" action="/papers/[^"]+/decide"[^>]*>(.*?)</form>', page, re.S)
    for body in forms:
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', body))
        if fields.get("action") == action:
            return fields
    raise AssertionError(f"no {action} form")


@pytest.fixture()
def form_fields() -> Callable[[str, str], dict[str, str]]:
    """``form_fields(page, action)``: the hidden fields of that action's first form on a paper page."""
    return _form_fields


@pytest.fixture()
def free_port() -> Callable[[], int]:
    """``free_port()``: a loopback port nothing listens on."""
    return _free_port


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


# -- Chromium and the CLI ------------------------------------------------------------------------


@pytest.fixture()
def artifacts() -> Path:
    """The folder browser tests leave their screenshots in."""
    folder = REPO_ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium through Playwright, launched once per module (installed with
    ``.ci/install-browser`` if missing; the test is skipped when it cannot be had). Not once per
    session: a live Playwright keeps its event loop in this thread, which would stop later
    modules from starting their own browser or running a flow (``asyncio.run``)."""
    if not Path(CHROMIUM).exists():
        subprocess.run([str(REPO_ROOT / ".ci" / "install-browser")], check=False, timeout=900)
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/install-browser)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


@pytest.fixture()
def cli() -> Callable[..., CliResult]:
    """``cli(*args, input=..., env=...)``: ``paramtrack ARGS`` in this process (Typer's
    CliRunner). ``main`` turns a library error into one ``Error:`` line and an exit code, which a
    CliRunner lets escape; the fixture maps it with the same two functions ``main`` uses."""
    from typer.testing import CliRunner

    from paramtrack.cli import app, error_line, exit_code_for
    from paramtrack.core.errors import ParamtrackError

    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> CliResult:
        result = CliRunner().invoke(app, list(args), input=input, env=env, prog_name="paramtrack")
        if isinstance(result.exception, ParamtrackError):
            line = error_line(result.exception) + "\n"
            return CliResult(exit_code_for(result.exception), result.stdout, result.stderr + line)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return run
