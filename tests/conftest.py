"""Fixtures every test folder shares: the offline corpus, a fresh warehouse, an isolated Prefect
home, the replay server, the CLI in this process or through its console script, a warehouse
seeded with papers and candidates, the review server as a process, and headless Chromium.

What only one area needs lives in that folder's ``conftest.py`` (``discover/``: starting the
discover flow; ``ops/``: a Prefect server and the processes it runs; ``sources/``: recorded
responses). Test modules never import each other: what they share is a fixture here.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent

# Prefect reads its settings at import time: point it at a throwaway home before any test
# imports it, with analytics off (this machine has no internet). Each pytest-xdist worker gets
# its own home, so two workers never migrate one Prefect database at once.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
os.environ.setdefault("PREFECT_HOME", str(REPO_ROOT / "data" / "prefect-tests" / _WORKER))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
Path(os.environ["PREFECT_HOME"]).mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The checkout the tests run from (migrations, docs and ``.ci`` scripts are read from it)."""
    return REPO_ROOT


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shared offline data folder (../shared/data); tests that need it skip without it."""
    from paramtrack.core.errors import CorpusNotFoundError
    from paramtrack.core.settings import find_corpus

    try:
        return find_corpus()
    except CorpusNotFoundError as exc:
        pytest.skip(str(exc))


@pytest.fixture()
def warehouse(tmp_path: Path):
    """A migrated, empty warehouse in a temporary folder."""
    from paramtrack.warehouse import Warehouse

    wh = Warehouse(tmp_path / "paramtrack.duckdb")
    wh.migrate()
    return wh


@pytest.fixture(scope="session")
def prefect_harness():
    """One temporary Prefect API for every flow test in the session (~20 s to start, once)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=180):
        yield


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """A loopback port nobody listens on right now (for a process the test starts)."""

    def pick() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    return pick


# -- the replay server ---------------------------------------------------------------------------


@pytest.fixture()
def replay_server(corpus_dir):
    """A replay server of this test's own on a free loopback port, with an empty fault plan."""
    from paramtrack.replay.server import ReplayServer

    with ReplayServer(corpus_dir) as server:
        yield server


@pytest.fixture(scope="module")
def replay_settings() -> dict[str, Any]:
    """Keyword arguments of the module's shared replay server (:func:`replay`). A module whose
    tests need others (``bulk_page_size=7``, to page through a short result) overrides this."""
    return {}


@pytest.fixture(scope="module")
def replay(corpus_dir, replay_settings):
    """One replay server for all tests of a module (each of their own costs a second or two);
    its fault plan and request log are emptied around every test that uses it."""
    from paramtrack.replay.server import ReplayServer

    with ReplayServer(corpus_dir, log_level="critical", **replay_settings) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _clean_replay(request: pytest.FixtureRequest) -> Iterator[None]:
    """A test sees none of the faults or logged requests of the test before it on the shared
    replay server, and leaves none of its faults behind."""
    if "replay" not in request.fixturenames:
        yield
        return
    srv = request.getfixturevalue("replay")
    srv.faults.clear()
    srv.clear_log()
    yield
    srv.faults.clear()


# -- the command line ----------------------------------------------------------------------------


@dataclass
class CliResult:
    """What a `paramtrack` command did: its exit code, what it printed on stdout and stderr."""

    exit_code: int
    stdout: str
    stderr: str

    @property
    def error_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]

    def one_line_error(self) -> str:
        """Assert the command failed with a single ``Error: ...`` line and no traceback; that line."""
        assert self.exit_code != 0, self.stdout
        assert "Traceback" not in self.stderr, self.stderr
        lines = self.error_lines
        assert len(lines) == 1 and lines[0].startswith("Error: "), self.stderr
        return lines[0]


@pytest.fixture(scope="session")
def cli() -> Callable[..., CliResult]:
    """``cli("--db", path, "status")`` runs `paramtrack` in this process through Typer's
    CliRunner, as ``paramtrack.cli.main`` would: a library error becomes its one ``Error:``
    line and exit code (2, or 75 for a source to try later); any other exception is raised.

    ``env`` sets variables for the call (None unsets one), ``cwd`` runs it in another folder.
    Environment variables and the ``paramtrack`` logger's handlers a command sets (its progress
    lines, Prefect's home) are put back afterwards, so one call cannot leak into the next test.
    """
    from typer.testing import CliRunner

    from paramtrack.cli import app, error_line, exit_code_for
    from paramtrack.core.errors import ParamtrackError

    def invoke(
        *args: str | Path, input: str | None = None, env: dict[str, str | None] | None = None, cwd: Path | None = None
    ) -> CliResult:
        saved_env = dict(os.environ)
        logger = logging.getLogger("paramtrack")
        saved_logger = (list(logger.handlers), logger.level, logger.propagate)
        try:
            with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
                result = CliRunner().invoke(app, [str(a) for a in args], input=input, env=env, prog_name="paramtrack")
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            logger.handlers[:], logger.level, logger.propagate = saved_logger
        stderr = result.stderr
        if isinstance(result.exception, ParamtrackError):
            stderr += error_line(result.exception) + "\n"
            return CliResult(exit_code_for(result.exception), result.stdout, stderr)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, result.stdout, stderr)

    return invoke


@pytest.fixture(scope="session")
def paramtrack_exe() -> str:
    """The installed console script, for the runs that need a process of their own."""
    exe = shutil.which("paramtrack") or str(Path(sys.executable).parent / "paramtrack")
    if not Path(exe).exists():
        pytest.fail("the 'paramtrack' console script is not installed (pip install -e .)")
    return exe


@pytest.fixture(scope="session")
def run_paramtrack(paramtrack_exe) -> Callable[..., CliResult]:
    """``run_paramtrack("--help")`` runs the installed console script in a subprocess, exactly what
    a user types: for the end-to-end runs (the entry point itself, a run Prefect or a kill must
    see as a process). ``env`` sets variables (None unsets one); everything else is checked in
    this process (:func:`cli`)."""

    def run(
        *args: str | Path, env: dict[str, str | None] | None = None, cwd: Path | None = None, timeout: float = 600
    ) -> CliResult:
        merged = {**os.environ, **(env or {})}
        done = subprocess.run(
            [paramtrack_exe, *map(str, args)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={k: v for k, v in merged.items() if v is not None},
            cwd=cwd,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory, corpus_dir, run_paramtrack) -> Path:
    """A warehouse filled by one real `paramtrack demo` run (the README's main job).

    Session-scoped because the run takes about a minute; tests copy the file before changing it.
    """
    work = tmp_path_factory.mktemp("demo")
    db = work / "data" / "paramtrack.duckdb"
    result = run_paramtrack("--db", db, "demo", "--corpus", corpus_dir, cwd=work, timeout=900)
    assert result.exit_code == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (work / "demo-output.txt").write_text(result.stdout + result.stderr)
    return db


# -- another process holding the warehouse -----------------------------------------------------------


@pytest.fixture()
def hold_write_lock() -> Iterator[Callable[[Path, float], subprocess.Popen]]:
    """``hold_write_lock(path, seconds)``: another process opens the file read-write and keeps
    it that long (DuckDB lets one process at a time hold a file); returned once it holds it."""
    holders: list[subprocess.Popen] = []

    def hold(path: Path, seconds: float) -> subprocess.Popen:
        code = textwrap.dedent(f"""
            import duckdb, sys, time
            con = duckdb.connect({str(path)!r})
            print("locked", flush=True)
            time.sleep({seconds})
            con.close()
        """)
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        holders.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
        return proc

    yield hold
    for proc in holders:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()


# -- a warehouse with papers and candidates ----------------------------------------------------------


@dataclass
class Cand:
    """A candidate as the extractor hands it to the warehouse (only the fields it stores)."""

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
class Result:
    """An extraction result as the warehouse stores it: candidates, domain, date, or an error."""

    candidates: list[Cand] = field(default_factory=list)
    other_candidates: list[Cand] = field(default_factory=list)
    domain: str | None = "language"
    domain_confidence: float | None = 0.9
    date: date | None = None
    pages: int = 10
    error: str | None = None
    error_transient: bool = False
    failure: str | None = None


@pytest.fixture(scope="session")
def candidate() -> type[Cand]:
    """``candidate(540e9, model="PaLM", evidence=...)``: one extracted candidate."""
    return Cand


@pytest.fixture(scope="session")
def extraction_result() -> type[Result]:
    """``extraction_result(candidates=[...])`` or ``extraction_result(error=...)``."""
    return Result


def _add_paper(
    con,
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
    con,
    arxiv_id: str,
    cands: list[Cand | dict[str, Any]],
    *,
    version: str = "test-1",
    domain: str = "language",
    sha: str | None = None,
) -> None:
    from paramtrack.warehouse.extraction_store import store_extraction

    candidates = [c if isinstance(c, Cand) else Cand(**c) for c in cands]
    store_extraction(
        con,
        arxiv_id=arxiv_id,
        pdf_sha256=sha or f"sha-{arxiv_id}",
        extractor_version=version,
        result=Result(candidates=candidates, domain=domain),
    )


def _seed_paper(wh, arxiv_id: str, title: str, cands: list[Cand | dict[str, Any]], **kw: Any) -> None:
    from paramtrack.warehouse.review_store import stage_paper

    with wh.write() as con:
        _add_paper(con, arxiv_id, title, **{k: v for k, v in kw.items() if k != "domain"})
        _add_extraction(con, arxiv_id, cands, domain=kw.get("domain", "language"))
        stage_paper(con, arxiv_id)


@pytest.fixture(scope="session")
def add_paper() -> Callable[..., None]:
    """``add_paper(con, arxiv_id, title, citations=..., pdf_path=...)``: a notable paper row
    (and its cached PDF), inside the caller's transaction."""
    return _add_paper


@pytest.fixture(scope="session")
def add_extraction() -> Callable[..., None]:
    """``add_extraction(con, arxiv_id, [candidate(...)], version=...)``: an extraction with
    these candidates, stored as the extractor's would be. A candidate may also be a plain dict
    (``{"value": 7e9, "model": "Seven"}``); keys left out take :class:`Cand`'s defaults."""
    return _add_extraction


@pytest.fixture(scope="session")
def seed_paper() -> Callable[..., None]:
    """``seed_paper(wh, arxiv_id, title, [candidate(...)], citations=...)``: a paper, its
    extraction and its place in the review queue, in one transaction."""
    return _seed_paper


@pytest.fixture(scope="session")
def scalar() -> Callable[..., Any]:
    """``scalar(wh, sql, params)``: the single value a query returns, read through a short
    read-only connection."""

    def one(wh, sql: str, params: Any = ()) -> Any:
        with wh.read() as con:
            return con.execute(sql, list(params)).fetchone()[0]

    return one


class DemoQueue:
    """``seed_demo_queue(wh, pdf_dir=None)``: a small queue like the demo corpus yields (PaLM,
    GPT-3, RETRO, the Transformer and a paper whose title and evidence carry markup); returns
    the ids in queue order (by citations). ``xss_title`` and ``xss_evidence`` are that paper's."""

    xss_title = "<script>window.__xss=1</script>"
    xss_evidence = 'We train a 7B model <img src=x onerror="window.__xss=2"> on text.'

    def __call__(self, wh, pdf_dir: Path | None = None) -> list[str]:
        from paramtrack.warehouse.review_store import queue

        pdf = None
        if pdf_dir is not None:
            pdf_dir.mkdir(parents=True, exist_ok=True)
            pdf = pdf_dir / "2204.02311.pdf"
            pdf.write_bytes(_TINY_PDF)
        palm = [
            Cand(540e9, model="PaLM", evidence="We trained PaLM, a 540-billion parameter model.", page=1, score=0.95),
            Cand(
                62e9, model="PaLM 62B", evidence="We also train 8B and 62 billion parameter models.", page=3, score=0.4
            ),
        ]
        gpt3 = Cand(
            175e9,
            model="GPT-3",
            evidence="GPT-3, an autoregressive language model with 175 billion parameters.",
            page=1,
            score=0.9,
        )
        retro = Cand(
            7.5e9, model="RETRO", evidence="RETRO 7.5B obtains comparable performance to GPT-3.", page=2, score=0.7
        )
        transformer = Cand(
            213e6, model="Transformer (big)", evidence="The big model has 213M parameters.", page=9, score=0.6
        )
        _seed_paper(
            wh,
            "2204.02311",
            "PaLM: Scaling Language Modeling with Pathways",
            palm,
            citations=5000,
            pdf_path=str(pdf) if pdf else None,
        )
        _seed_paper(wh, "2005.14165", "Language Models are Few-Shot Learners", [gpt3], citations=4000)
        _seed_paper(
            wh, "2112.04426", "Improving language models by retrieving from trillions of tokens", [retro], citations=900
        )
        _seed_paper(wh, "1706.03762", "Attention Is All You Need", [transformer], citations=3000, domain="language")
        _seed_paper(
            wh,
            "2401.00001",
            self.xss_title,
            [Cand(7e9, model="<b>Evil</b>", evidence=self.xss_evidence, page=2, score=0.5)],
            citations=5,
            abstract='<img src=x onerror="window.__xss=3">',
        )
        with wh.read() as con:
            return [r["arxiv_id"] for r in queue(con)]


_TINY_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


@pytest.fixture(scope="session")
def seed_demo_queue() -> DemoQueue:
    return DemoQueue()


# -- the review server as a process -------------------------------------------------------------------


class ReviewServer:
    """``paramtrack review-server`` as a real subprocess on a free port; a context manager that
    waits until it answers ``/healthz`` and stops it afterwards. Its output goes to ``log``."""

    def __init__(
        self, exe: str, port: int, db: Path, *args: str, env: dict[str, str] | None = None, host: str = "127.0.0.1"
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        full_env = {k: v for k, v in os.environ.items() if k not in ("PARAMTRACK_REVIEWER", "PARAMTRACK_REVIEW_TOKEN")}
        full_env.update(env or {})
        self.log = db.parent / f"server-{port}.log"
        self._log = open(self.log, "wb")  # noqa: SIM115 (closed in stop())
        self.proc = subprocess.Popen(
            [exe, "--db", str(db), "review-server", "--host", host, "--port", str(port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=full_env,
            cwd=str(db.parent),
        )

    def wait(self, timeout: float = 30) -> ReviewServer:
        import httpx

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


@pytest.fixture(scope="session")
def review_server_process(paramtrack_exe, free_port) -> Callable[..., ReviewServer]:
    """``with review_server_process(db, "--reviewer", "alice") as srv:`` serves ``db`` at
    ``srv.url`` from a real `paramtrack review-server` process (``env`` adds variables, ``host``
    is the address it binds; ``srv.url`` is always the loopback one)."""

    def start(db: Path, *args: str, env: dict[str, str] | None = None, host: str = "127.0.0.1") -> ReviewServer:
        return ReviewServer(paramtrack_exe, free_port(), db, *args, env=env, host=host)

    return start


@pytest.fixture(scope="session")
def csrf_client() -> Callable[..., tuple[Any, str]]:
    """``client, token = csrf_client(srv.url)``: an httpx client holding the CSRF cookie, and
    the token to put in forms. It sends ``Origin`` as a browser does on the server's own form
    posts: the app refuses a POST that names no origin."""
    import httpx

    def connect(base_url: str, **kw: Any) -> tuple[httpx.Client, str]:
        headers = {"Origin": base_url, **kw.pop("headers", {})}
        client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=60, headers=headers, **kw)
        client.get("/")
        return client, client.cookies.get("pt_csrf")

    return connect


@pytest.fixture(scope="session")
def form_fields() -> Callable[[str, str], dict[str, str]]:
    """``form_fields(page, "approve")``: the hidden fields of that action's (first) form on a
    rendered paper page."""

    def fields_of(page: str, action: str) -> dict[str, str]:
        forms = re.findall(r'<form method="post" action="/papers/[^"]+/decide"[^>]*>(.*?)</form>', page, re.S)
        for body in forms:
            fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', body))
            if fields.get("action") == action:
                return fields
        raise AssertionError(f"no {action} form")

    return fields_of


# -- a browser -----------------------------------------------------------------------------------------

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


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven through Playwright (installed by ``.ci/install-browser`` if
    missing; the test skips when it cannot be)."""
    if not Path(CHROMIUM).exists():
        subprocess.run([str(REPO_ROOT / ".ci" / "install-browser")], check=False, timeout=900)
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/install-browser)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where browser tests leave their screenshots (``test-artifacts/``, kept after the run)."""
    path = REPO_ROOT / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path
