"""The replay server with the unmodified third-party clients, the admin API, and the CLI."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from datetime import date

import arxiv
import httpx
import pytest


@pytest.fixture(scope="module")
def replay_settings() -> dict:
    """Bulk-search pages of ten, so a search pages through several."""
    return {"bulk_page_size": 10}


def test_corpus_numbers(replay, corpus_dir) -> None:
    import csv

    stats = replay.corpus.stats()
    with (corpus_dir / "pdfs" / "ground_truth.csv").open(newline="", encoding="utf-8") as fh:
        ground_truth = [row["file"] for row in csv.DictReader(fh)]
    assert stats["with_pdfs"] == len(ground_truth)  # every ground-truth PDF is served
    assert stats["papers"] > 900 and 500 < stats["with_citations"] < stats["papers"]
    old = replay.corpus.stats(date(2022, 12, 31))
    assert old["with_citations"] < stats["with_citations"]


def test_arxiv_package_unchanged_but_base_url(replay, corpus_dir) -> None:
    client = arxiv.Client(page_size=7, delay_seconds=0)
    client.query_url_format = replay.arxiv_api_url + "?{}"
    search = arxiv.Search(
        query="cat:cs.CV AND submittedDate:[202101010000 TO 202112312359]",
        max_results=None,
        sort_by=arxiv.SortCriterion.SubmittedDate,
    )
    results = list(client.results(search))
    assert len(results) > 7 and len({r.entry_id for r in results}) == len(results)
    (palm,) = client.results(arxiv.Search(id_list=["2204.02311"]))
    assert palm.get_short_id() == "2204.02311v1" and palm.primary_category == "cs.CL"
    pdf = httpx.get(palm.pdf_url)
    assert pdf.status_code == 200 and pdf.content == (corpus_dir / "pdfs/2204.02311v1.pdf").read_bytes()
    # boolean operators, title terms, ANDNOT
    q = arxiv.Search(query='ti:"Scaling Language Modeling" ANDNOT cat:cs.CV')
    assert [r.get_short_id() for r in client.results(q)] == ["2204.02311v1"]
    q = arxiv.Search(query="(ti:PaLM OR ti:BERT) AND cat:cs.CL", max_results=50)
    ids = {r.get_short_id().split("v")[0] for r in client.results(q)}
    assert {"2204.02311", "1810.04805"} <= ids


def test_semanticscholar_package_unchanged_but_base_url(replay) -> None:
    from semanticscholar import SemanticScholar

    sch = SemanticScholar(api_url=replay.s2_api_url, timeout=5)
    papers = sch.get_papers(["ARXIV:2204.02311", "ARXIV:1810.04805"], fields=["title", "citationCount", "externalIds"])
    assert [p.externalIds["ArXiv"] for p in papers] == ["2204.02311", "1810.04805"]
    results = sch.search_paper(
        "language",
        bulk=True,
        min_citation_count=2000,
        publication_date_or_year="2019:",
        fields=["title", "citationCount", "year"],
    )
    items = list(results)
    assert len(items) == results.total and len(items) > 10  # followed tokens past page 1
    assert all(p.citationCount >= 2000 and p.year >= 2019 for p in items)
    paper = sch.get_paper("ARXIV:1810.04805")
    assert paper.title.startswith("BERT") and paper.citationCount > 0
    assert sch.get_paper(papers[0].paperId).paperId == papers[0].paperId


def test_batch_limit_and_as_of(corpus_dir, replay) -> None:
    r = httpx.post(f"{replay.s2_api_url}/graph/v1/paper/batch", json={"ids": ["ARXIV:2204.02311"] * 501})
    assert r.status_code == 400 and "error" in r.json()
    from paramtrack.replay.server import ReplayServer

    with ReplayServer(replay.corpus, as_of=date(2023, 6, 1), log_level="critical") as old:
        body = httpx.post(
            f"{old.s2_api_url}/graph/v1/paper/batch",
            params={"fields": "citationCount"},
            json={"ids": ["ARXIV:2204.02311", "ARXIV:2305.13048"]},
        ).json()
    assert body[0]["citationCount"] == 228  # the 2023-03 vintage
    assert body[1] is None  # RWKV (May 2023): no citation count in any vintage before 2023-12-14


def test_pdf_range_and_missing(replay) -> None:
    url = replay.pdf_url("1502.03167")
    r = httpx.get(url, headers={"Range": "bytes=100-"})
    full = httpx.get(url).content
    assert r.status_code == 206 and r.content == full[100:]
    assert r.headers["content-range"] == f"bytes 100-{len(full) - 1}/{len(full)}"
    assert httpx.get(url, headers={"Range": f"bytes={len(full)}-"}).status_code == 416
    assert httpx.get(f"{replay.base_url}/pdf/2001.08361v1").status_code == 404  # no PDF in corpus
    assert httpx.get(f"{replay.base_url}/pdf/1502.03167v1").status_code == 404  # wrong version


def test_admin_faults_and_log_over_http(replay) -> None:
    base = replay.base_url
    r = httpx.post(f"{base}/_replay/faults", json={"path": "/api/query", "kind": "503", "times": 1})
    assert r.status_code == 200 and r.json()["rules"][0]["kind"] == "503"
    httpx.post(f"{base}/_replay/faults", json=["/graph/v1/paper/batch=429:times=1:retry_after=2"])
    assert httpx.get(f"{base}/api/query", params={"id_list": "2204.02311"}).status_code == 503
    assert httpx.get(f"{base}/api/query", params={"id_list": "2204.02311"}).status_code == 200
    r = httpx.post(f"{base}/graph/v1/paper/batch", json={"ids": []})
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    log = httpx.get(f"{base}/_replay/log").json()["requests"]
    assert [(e["path"], e["status"], e["fault"]) for e in log] == [
        ("/api/query", 503, "503"),
        ("/api/query", 200, None),
        ("/graph/v1/paper/batch", 429, "429"),
    ]
    assert httpx.delete(f"{base}/_replay/faults").json() == {"rules": []}
    assert httpx.post(f"{base}/_replay/faults", json={"path": "/x", "kind": "teapot"}).status_code == 400


def test_fault_every_and_probability_are_deterministic() -> None:
    from paramtrack.replay.faults import FaultPlan, parse_fault_spec

    plan = FaultPlan()
    plan.add("/a", "500", times=0, every=3)
    assert [bool(plan.match("GET", "/a")) for _ in range(6)] == [False, False, True, False, False, True]
    runs = []
    for _ in range(2):
        p = FaultPlan()
        p.add("/b", "503", times=0, probability=0.5, seed=42)
        runs.append([bool(p.match("GET", "/b")) for _ in range(20)])
    assert runs[0] == runs[1] and 0 < sum(runs[0]) < 20
    rule = parse_fault_spec("/graph/v1/paper/batch=429:times=2:retry_after=1")
    assert (rule.path, rule.kind, rule.times, rule.retry_after) == ("/graph/v1/paper/batch", "429", 2, "1")
    with pytest.raises(ValueError):
        parse_fault_spec("/x=nope")


def test_refuses_non_loopback(replay) -> None:
    from paramtrack.replay.server import ReplayServer

    with pytest.raises(ValueError, match="127.0.0.1 only"):
        ReplayServer(replay.corpus, host="0.0.0.0")
    r = httpx.get(f"{replay.base_url}/api/query", headers={"Host": "evil.example"})
    assert r.status_code == 421


def test_cli_starts_answers_and_stops(paramtrack_exe, corpus_dir) -> None:
    env = {**os.environ, "PARAMTRACK_CORPUS": str(corpus_dir)}
    proc = subprocess.Popen(
        [
            paramtrack_exe,
            "replay-server",
            "--port",
            "0",
            "--as-of",
            "2024-01-01",
            "--fault",
            "/graph/v1/paper/batch=503:times=1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("replay server on http://127.0.0.1:"), first + proc.stderr.read()
        base = first.split()[3]
        deadline = time.monotonic() + 10
        while True:
            try:
                r = httpx.get(f"{base}/api/query", params={"id_list": "2204.02311"})
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert r.status_code == 200 and "2204.02311v1" in r.text
        assert httpx.post(f"{base}/graph/v1/paper/batch", json={"ids": []}).status_code == 503
        assert httpx.get(f"{base}/_replay/status").json()["as_of"] == "2024-01-01"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=15)
    assert proc.returncode == 0


def test_cli_missing_corpus_is_one_line(cli, tmp_path) -> None:
    res = cli("replay-server", "--port", "0", env={"PARAMTRACK_CORPUS": str(tmp_path / "nowhere")})
    assert res.one_line_error().startswith("Error: offline corpus not found")
    assert "Traceback" not in res.stderr + res.stdout


def test_cli_bad_fault_spec(cli, corpus_dir) -> None:
    res = cli("replay-server", "--fault", "/x=teapot", env={"PARAMTRACK_CORPUS": str(corpus_dir)})
    assert res.exit_code != 0 and "unknown fault kind" in res.stderr and "Traceback" not in res.stderr
