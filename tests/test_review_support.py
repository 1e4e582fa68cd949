"""Review helpers for test modules of other areas that still import them from here: seed
papers/extractions through the warehouse, run the review server. (No tests in this module.)

The review tests themselves receive these as fixtures from ``tests/review/conftest.py``.
``seed_demo_queue(wh)`` is the single seeding entry point of the end-to-end tests.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import httpx

from paramtrack.warehouse import Warehouse
from paramtrack.warehouse.extraction_store import store_extraction
from paramtrack.warehouse.review_store import stage_paper

REPO_ROOT = Path(__file__).resolve().parent.parent
EXE = str(Path(sys.executable).parent / "paramtrack")


@dataclass
class Cand:
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
    candidates: list[Cand] = field(default_factory=list)
    other_candidates: list[Cand] = field(default_factory=list)
    domain: str | None = "language"
    domain_confidence: float | None = 0.9
    date: date | None = None
    pages: int = 10
    error: str | None = None
    error_transient: bool = False
    failure: str | None = None


def add_paper(
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


def add_extraction(
    con, arxiv_id: str, cands: list[Cand], *, version: str = "test-1", domain: str = "language", sha: str | None = None
) -> None:
    store_extraction(
        con,
        arxiv_id=arxiv_id,
        pdf_sha256=sha or f"sha-{arxiv_id}",
        extractor_version=version,
        result=Result(candidates=cands, domain=domain),
    )


def seed_paper(wh: Warehouse, arxiv_id: str, title: str, cands: list[Cand], **kw) -> None:
    with wh.write() as con:
        add_paper(con, arxiv_id, title, **{k: v for k, v in kw.items() if k != "domain"})
        add_extraction(con, arxiv_id, cands, domain=kw.get("domain", "language"))
        stage_paper(con, arxiv_id)


XSS_TITLE = "<script>window.__xss=1</script>"
XSS_EVIDENCE = 'We train a 7B model <img src=x onerror="window.__xss=2"> on text.'


def seed_demo_queue(wh: Warehouse, pdf_dir: Path | None = None) -> list[str]:
    """A small queue like the demo corpus yields; returns the ids in queue order (citations)."""
    pdf = None
    if pdf_dir is not None:
        pdf_dir.mkdir(parents=True, exist_ok=True)
        pdf = pdf_dir / "2204.02311.pdf"
        pdf.write_bytes(_tiny_pdf())
    seed_paper(
        wh,
        "2204.02311",
        "PaLM: Scaling Language Modeling with Pathways",
        [
            Cand(540e9, model="PaLM", evidence="We trained PaLM, a 540-billion parameter model.", page=1, score=0.95),
            Cand(
                62e9, model="PaLM 62B", evidence="We also train 8B and 62 billion parameter models.", page=3, score=0.4
            ),
        ],
        citations=5000,
        pdf_path=str(pdf) if pdf else None,
    )
    seed_paper(
        wh,
        "2005.14165",
        "Language Models are Few-Shot Learners",
        [
            Cand(
                175e9,
                model="GPT-3",
                evidence="GPT-3, an autoregressive language model with 175 billion parameters.",
                page=1,
                score=0.9,
            ),
        ],
        citations=4000,
    )
    seed_paper(
        wh,
        "2112.04426",
        "Improving language models by retrieving from trillions of tokens",
        [
            Cand(
                7.5e9, model="RETRO", evidence="RETRO 7.5B obtains comparable performance to GPT-3.", page=2, score=0.7
            ),
        ],
        citations=900,
    )
    seed_paper(
        wh,
        "1706.03762",
        "Attention Is All You Need",
        [
            Cand(213e6, model="Transformer (big)", evidence="The big model has 213M parameters.", page=9, score=0.6),
        ],
        citations=3000,
        domain="language",
    )
    seed_paper(
        wh,
        "2401.00001",
        XSS_TITLE,
        [
            Cand(7e9, model="<b>Evil</b>", evidence=XSS_EVIDENCE, page=2, score=0.5),
        ],
        citations=5,
        abstract='<img src=x onerror="window.__xss=3">',
    )
    with wh.read() as con:
        from paramtrack.warehouse.review_store import queue

        return [r["arxiv_id"] for r in queue(con)]


def _tiny_pdf() -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return body


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``paramtrack review-server`` as a real subprocess on a free port."""

    def __init__(self, db: Path, *args: str, env: dict[str, str] | None = None, host: str = "127.0.0.1") -> None:
        self.port = free_port()
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

    def wait(self, timeout: float = 30) -> Server:
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

    def __enter__(self) -> Server:
        return self.wait()

    def __exit__(self, *exc) -> None:
        self.stop()


def csrf_client(base_url: str, **kw) -> tuple[httpx.Client, str]:
    """A client holding the CSRF cookie, and the token to put in forms.

    It sends ``Origin: base_url`` as a browser does on the server's own form posts: the app
    refuses a POST that names no origin.
    """
    headers = {"Origin": base_url, **kw.pop("headers", {})}
    client = httpx.Client(base_url=base_url, follow_redirects=False, timeout=60, headers=headers, **kw)
    client.get("/")
    return client, client.cookies.get("pt_csrf")


def scalar(wh: Warehouse, sql: str, params=()):
    """The single value a query returns, read through a short read-only connection."""
    with wh.read() as con:
        return con.execute(sql, list(params)).fetchone()[0]


def form_fields(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the given action's (first) form on a rendered paper page."""
    import re

    forms = re.findall(r'<form method="post" action="/papers/[^"]+/decide"[^>]*>(.*?)</form>', page, re.S)
    for body in forms:
        fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', body))
        if fields.get("action") == action:
            return fields
    raise AssertionError(f"no {action} form")


def write_demo_charts(out_dir: Path) -> list[Path]:
    """Real chart files (trends.charts.write_charts) from a small synthetic recompute result."""
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
    gap = pd.DataFrame(
        [
            {
                "band_kind": "grid",
                "domain": "all",
                "label": f"band {i}",
                "n": n,
                "scarce": n == 0,
                "since_year": 2018,
                "mean_below": 2.0,
                "mean_above": 3.0,
                "scarcity": 0.1 * i,
            }
            for i, n in enumerate([3, 0, 5])
        ]
        + [
            {
                "band_kind": "named",
                "domain": "all",
                "label": "20-70B",
                "n": 1,
                "scarce": True,
                "since_year": 2018,
                "mean_below": 2.0,
                "mean_above": 3.0,
                "scarcity": 0.3,
            }
        ]
    )
    return write_charts(sample, trends, gap, out_dir)
