"""``paramtrack backfill``: OAI-PMH harvest → judged → PDFs extracted on Dask workers → staged.

All against the replay server over loopback. The window is May 2023: 21 corpus papers were first
submitted then, two of them (RWKV, QLoRA) with PDFs and citation counts, so the Dask part
extracts two real PDFs.
"""

from __future__ import annotations

import json
import math
from datetime import date
from urllib.parse import parse_qs

import pytest

from paramtrack.core.settings import DEFAULT_CATEGORIES, DEFAULT_RULE
from paramtrack.discovery.notability import NotabilityRule
from paramtrack.warehouse import Warehouse, backfill_store

pytestmark = pytest.mark.prefect

WINDOW = (date(2023, 5, 1), date(2023, 5, 31))
PAGE = 60


@pytest.fixture(autouse=True)
def _oai_pages(replay):
    replay.state.oai.page_size = PAGE
    yield
    replay.state.oai.page_size = 1000


@pytest.fixture()
def window(replay, tmp_path, backfill_arguments):
    """The backfill flow's arguments for May 2023 against the replay server (plus ``kw``)."""

    def for_window(**kw):
        return backfill_arguments(
            tmp_path / "paramtrack.duckdb",
            replay,
            window_from=WINDOW[0],
            window_to=WINDOW[1],
            categories=list(DEFAULT_CATEGORIES),
            as_of=replay.as_of,
            **kw,
        )

    return for_window


def _in_window(replay) -> list:
    return [
        p
        for p in replay.corpus.papers.values()
        if WINDOW[0] <= p.published.date() <= WINDOW[1] and p.published.date() <= replay.as_of
    ]


def _cs_list_size(replay) -> int:
    """How many records the cs harvest from the window start holds (datestamps >= from)."""
    from paramtrack.replay.oai import datestamp, sets_of

    return sum(1 for p in replay.state.arxiv_papers() if datestamp(p) >= WINDOW[0] and "cs" in sets_of(p))


def test_backfill_extracts_on_dask_workers_and_stages(prefect_harness, replay, tmp_path, window):
    import dask
    from distributed import Client, LocalCluster, get_task_stream

    from paramtrack.flows.backfill import ExtractionWorkerPlugin, run_backfill

    dask.config.set({"distributed.worker.daemon": False})
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        with get_task_stream(client) as stream:
            summary = run_backfill(dask_address=cluster.scheduler_address, **window())
        workers = set(cluster.scheduler_info["workers"])
        # The per-worker extraction children were stopped and the plugin removed afterwards.
        children = client.run(
            lambda: __import__("paramtrack.flows.extraction_worker").flows.extraction_worker.current()
        )
        plugins = client.run_on_scheduler(lambda dask_scheduler: list(dask_scheduler.worker_plugins))

    # Harvested: every page of the cs set, then stat (nothing in the corpus: noRecordsMatch).
    size = _cs_list_size(replay)
    assert summary.harvested == size
    assert summary.pages == math.ceil(size / PAGE) + 1
    expected = _in_window(replay)
    assert summary.kept == len(expected)
    # Judged: notable = cited enough for the paper's age, by the rule; all upserted.
    with_pdf = {p.arxiv_id for p in expected if p.pdf_path and p.citation_count(replay.as_of)}
    assert with_pdf == {"2305.13048", "2305.14314"}
    wh = Warehouse(tmp_path / "paramtrack.duckdb")
    with wh.read() as con:
        papers = dict(con.execute("SELECT arxiv_id, status FROM papers WHERE found_by = 'oai_backfill'").fetchall())
        staged = {r[0] for r in con.execute("SELECT arxiv_id FROM review_queue").fetchall()}
        extracted = con.execute("SELECT arxiv_id, error FROM extractions ORDER BY arxiv_id").fetchall()
        run = con.execute("SELECT flow, status, counts FROM runs").fetchall()
        cp = backfill_store.load(con, summary.backfill_key)
    rule = NotabilityRule.parse(DEFAULT_RULE)
    verdicts = {
        p.arxiv_id: rule.judge(
            published=p.published.date(), citations=p.citation_count(replay.as_of), as_of=replay.as_of, history=[]
        ).value
        for p in expected
    }
    assert papers == {a: v for a, v in verdicts.items() if v != "aged_out"}
    assert with_pdf <= {a for a, s in papers.items() if s == "notable"}
    # Extracted on the Dask workers (the task stream names the worker that ran each task),
    # then staged by the flow.
    # (one batch per PDF here: two PDFs, two workers, several batches per worker wanted).
    ran = [t for t in stream.data if "extract_batch" in str(t["key"]) or "extract-batch" in str(t["key"])]
    assert len(ran) == 2 and {t["worker"] for t in ran} <= workers
    assert len(children) == 2 and set(children.values()) == {None}
    assert ExtractionWorkerPlugin.name not in plugins
    assert [a for a, _ in extracted] == sorted(with_pdf) and all(e is None for _, e in extracted)
    assert staged == with_pdf
    assert summary.extracted == 2 and summary.staged == 2 and summary.pdf_pages > 20
    # Recorded: a runs row and a finished checkpoint.
    assert [(f, s) for f, s, _ in run] == [("backfill", "completed")]
    counts = json.loads(run[0][2])
    assert counts["harvested"] == size and counts["staged"] == 2 and counts["source_problems"] == []
    assert cp is not None and cp.harvest_done and cp.bulk_done and cp.completed_at is not None
    assert cp.sets_done == ("cs", "stat") and cp.resumption_token is None


def _seed_killed_run(replay, db_path, pages: int) -> tuple[str, set[str]]:
    """The state a backfill killed after committing ``pages`` pages of the cs set leaves behind
    (its papers left out, so the test can tell a resumed run from one that started over)."""
    from paramtrack.sources.arxiv_oai import ArxivOaiClient

    wh = Warehouse(db_path)
    wh.migrate()
    key = backfill_store.backfill_key(*WINDOW, DEFAULT_CATEGORIES)
    with wh.write() as con:
        cp = backfill_store.start(con, key, *WINDOW, DEFAULT_CATEGORIES, "killed-run")
    token = None
    seen: set[str] = set()
    with ArxivOaiClient(f"{replay.base_url}/oai2", delay_seconds=0) as oai:
        for _ in range(pages):
            page = oai.list_records("cs", WINDOW[0], token)
            token = page.token
            seen.update(r.arxiv_id for r in page.records)
            with wh.write() as con:
                cp, _ = backfill_store.save_page(
                    con, cp, set_spec="cs", next_token=token, seen=len(page.records), kept=0, rows=[], aged_out=[]
                )
    assert token
    return token, seen


def test_rerun_resumes_from_the_saved_token(prefect_harness, replay, tmp_path, window):
    from paramtrack.flows.backfill import backfill_flow

    replay.state.oai.page_size = page = 20  # the 21 window papers then span two pages
    params = window(extract=False, bulk_search=False)
    token, first_pages = _seed_killed_run(replay, params["db_path"], pages=1)
    replay.clear_log()
    summary = backfill_flow(**params)

    oai = [parse_qs(r["query"]) for r in replay.request_log if r["path"] == "/oai2"]
    assert oai[0] == {"verb": ["ListRecords"], "resumptionToken": [token]}
    size = _cs_list_size(replay)
    assert summary.resumed_after_pages == 1 and summary.restarts == 0
    assert summary.harvested == size - page
    with Warehouse(params["db_path"]).read() as con:
        cp = backfill_store.load(con, summary.backfill_key)
        stored = {r[0] for r in con.execute("SELECT arxiv_id FROM papers").fetchall()}
    assert cp.pages == math.ceil(size / page) + 1 and cp.records_seen == size
    # The committed page were not fetched again: their window papers are not here.
    window_ids = {p.arxiv_id for p in _in_window(replay)}
    assert window_ids & first_pages and window_ids - first_pages
    assert summary.kept == len(window_ids - first_pages)
    assert stored.isdisjoint(first_pages) and stored <= window_ids - first_pages


def test_expired_token_restarts_the_harvest_from_the_window_start(prefect_harness, replay, tmp_path, window):
    from paramtrack.flows.backfill import backfill_flow

    replay.state.oai.page_size = 20
    params = window(extract=False, bulk_search=False)
    _seed_killed_run(replay, params["db_path"], pages=2)
    replay.state.oai.expire_tokens()
    replay.clear_log()
    summary = backfill_flow(**params)

    statuses = [
        (parse_qs(r["query"]).get("resumptionToken") is not None) for r in replay.request_log if r["path"] == "/oai2"
    ]
    assert statuses[:2] == [True, False]  # the stale token, then the set again from `from`
    assert summary.restarts == 1
    assert summary.harvested == _cs_list_size(replay)
    assert summary.kept == len(_in_window(replay))
    with Warehouse(params["db_path"]).read() as con:
        stored = {r[0] for r in con.execute("SELECT arxiv_id FROM papers").fetchall()}
        cp = backfill_store.load(con, summary.backfill_key)
    assert cp.restarts == 1 and cp.harvest_done
    assert stored <= {p.arxiv_id for p in _in_window(replay)}
    assert len(stored) == summary.verdicts["notable"] + summary.verdicts["watch"] > 0


@pytest.mark.slow
def test_cli_backfill_on_its_own_local_cluster(run_paramtrack, replay, tmp_path):
    """What a user runs: the entry point, a local 2-worker cluster of its own, Prefect's local
    API shared with the workers; progress on stderr, the summary on stdout."""
    replay.state.oai.page_size = 100
    db = tmp_path / "data" / "paramtrack.duckdb"
    b = replay.base_url
    result = run_paramtrack(
        "--db",
        str(db),
        "backfill",
        "--from",
        "2023-05",
        "--to",
        "2023-05",
        "--oai-url",
        f"{b}/oai2",
        "--arxiv-url",
        replay.arxiv_api_url,
        "--s2-url",
        b,
        "--pdf-url",
        f"{b}/pdf/{{id}}",
        "--arxiv-delay",
        "0",
        "--s2-interval",
        "0",
        "--pdf-delay",
        "0",
        "--no-bulk",
        "--workers",
        "2",
        timeout=300,
        cwd=tmp_path,
    )
    assert result.exit_code == 0, result.stdout[-2000:] + result.stderr[-3000:]
    size = _cs_list_size(replay)
    assert f"set cs: {size:,} of {size:,}" in result.stderr
    assert "Extracted 2/2" in result.stderr
    assert "Traceback" not in result.stderr and "address already in use" not in result.stderr
    assert f"OAI-PMH: {size:,} records in {math.ceil(size / 100) + 1} pages" in result.stdout
    assert "extracted on Dask: 2 (0 with errors" in result.stdout
    assert "staged for review: 2" in result.stdout
    with Warehouse(db).read() as con:
        staged = {r[0] for r in con.execute("SELECT arxiv_id FROM review_queue").fetchall()}
        runs = con.execute("SELECT flow, status FROM runs").fetchall()
    assert staged == {"2305.13048", "2305.14314"}
    assert runs == [("backfill", "completed")]


def test_the_dashboard_option_serves_dasks_dashboard(prefect_harness):
    """`backfill --dashboard`: the local cluster serves Dask's (bokeh) dashboard on a free
    loopback port and the run logs its address."""
    import httpx
    from prefect import flow

    from paramtrack.flows.backfill import _dashboard_link, dask_task_runner

    def probe() -> tuple[str | None, int]:
        link = _dashboard_link()  # what the run logs
        return link, httpx.get(link, timeout=30, follow_redirects=True).status_code if link else 0

    link, status = flow(task_runner=dask_task_runner(1, dashboard=True))(probe)()
    assert link and link.startswith("http://127.0.0.1:") and link.endswith("/status")
    assert status == 200
    assert flow(task_runner=dask_task_runner(1))(probe)() == (None, 0)  # off by default
