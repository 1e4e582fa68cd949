"""The weekly digest: written at the end of every discover run, as a file and a Prefect artifact.

The flow tests run the real discover flow through Prefect against the replay server (loopback
HTTP, real extractor, real DuckDB file) and read the artifact back through Prefect's client.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest

from paramtrack.reporting.digest import render_digest
from paramtrack.review_queue.digests import digest_html
from paramtrack.warehouse import Warehouse, papers_store, runs_store
from paramtrack.warehouse.status_store import (
    NotablePaper,
    PdfFailure,
    RunInfo,
    RunReport,
    run_report,
)

# One month holding OPT (2205.01068, a ground-truth PDF) and the Epoch papers of May 2022.
SINCE, UNTIL = date(2022, 5, 1), date(2022, 5, 31)
AS_OF = date(2026, 11, 23)


@pytest.fixture()
def run(discover):
    """A run of the month without bulk search; its final state, whose data is the summary."""
    return discover.bind(since=SINCE, until=UNTIL, as_of=AS_OF, bulk_search=False, return_state=True)


def _artifacts_of(flow_run_id):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    with get_client(sync_client=True) as client:
        return client.read_artifacts(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))


@pytest.mark.prefect
@pytest.mark.slow
def test_digest_appears_as_an_artifact_of_the_discover_flow_run(run, replay_server, tmp_path):
    db = tmp_path / "w.duckdb"
    state = run(db, replay_server)
    summary = state.result()
    assert summary.newly_notable, "the window should hold newly notable papers"
    assert "2205.01068" in summary.newly_notable

    artifacts = [a for a in _artifacts_of(state.state_details.flow_run_id) if a.key == "discover-digest"]
    assert len(artifacts) == 1
    markdown = artifacts[0].data
    assert artifacts[0].type == "markdown"
    assert summary.run_id[:8] in artifacts[0].description
    for arxiv_id in summary.newly_notable:
        assert f"[{arxiv_id}](https://arxiv.org/abs/{arxiv_id})" in markdown
    assert f"## New notable papers ({len(summary.newly_notable)})" in markdown
    # OPT was extracted in this run: its proposal (175B, the ground truth) is in its row.
    opt_row = next(line for line in markdown.splitlines() if "[2205.01068]" in line)
    assert "| 175B |" in opt_row
    assert "**completed**" in markdown and "submissions 2022-05-01 .. 2022-05-31" in markdown
    with Warehouse(db).read() as con:
        queued = con.execute("SELECT count(*) FROM review_queue").fetchone()[0]
        from_abstract = con.execute(
            "SELECT count(DISTINCT arxiv_id) FROM ranked_candidates WHERE source = 'abstract' AND page = 0"
        ).fetchone()[0]
    # OPT's PDF, and the papers without a PDF whose arXiv abstract states a size
    assert queued == 1 + from_abstract == 1 + summary.abstracts_staged
    assert (
        f"**{queued}** papers wait for a decision" if queued > 1 else "**1** paper waits for a decision"
    ) in markdown

    files = list((tmp_path / "digests").iterdir())
    started = datetime.now(UTC).date().isoformat()
    assert [f.name for f in files] == [f"{started}-discover-{summary.run_id[:8]}.md"]
    assert files[0].read_text(encoding="utf-8") == markdown


@pytest.mark.prefect
@pytest.mark.slow
def test_a_digest_that_cannot_be_written_does_not_fail_the_run(run, replay_server, tmp_path, capfd, caplog):
    db = tmp_path / "w.duckdb"
    (tmp_path / "digests").write_text("a file where the digest folder should be")
    state = run(db, replay_server, extract=False)

    assert state.is_completed()
    with Warehouse(db).read() as con:
        assert con.execute("SELECT status FROM runs").fetchall() == [("completed",)]
    assert not [a for a in _artifacts_of(state.state_details.flow_run_id) if a.key == "discover-digest"]
    # Logged, not raised; where the line lands depends on whether Prefect's or pytest's logging
    # handlers were set up first in this session.
    logged = capfd.readouterr().err + caplog.text
    assert "Digest for run" in logged and "not written: FileExistsError" in logged


@pytest.mark.prefect
def test_a_failed_run_gets_a_digest_with_its_error_and_source_problems(prefect_harness, warehouse, tmp_path):
    from paramtrack.flows.digest import publish_digest

    problems = [
        {"source": "semantic_scholar", "problem": "HTTP 429 <b>retried</b>", "count": 7},
        {"source": "arxiv", "problem": "circuit breaker tripped", "count": 1},
    ]
    with warehouse.write() as con:
        run_id = runs_store.start_run(con, "discover", {"since": "2026-11-23", "until": "2026-11-30"})
        runs_store.finish_run(
            con,
            run_id,
            status="source_down",
            counts={"polled": 3, "source_problems": problems},
            error="SourceDownError: Semantic Scholar failed 5 times in a row",
        )
    path = publish_digest(str(warehouse.path), run_id, str(tmp_path / "digests"))

    text = path.read_text(encoding="utf-8")
    assert "**source\\_down**" not in text and "**source_down**" in text
    assert "**Error:** SourceDownError\\: Semantic Scholar failed 5 times in a row" not in text
    assert "**Error:** SourceDownError: Semantic Scholar failed 5 times in a row" in text
    assert "| semantic\\_scholar | HTTP 429 &lt;b&gt;retried&lt;/b&gt; | 7 |" in text
    assert "| arxiv | circuit breaker tripped | 1 |" in text
    assert "8 source problems" in text
    assert "Nothing to report: no paper became notable in this run." in text
    assert "Nothing to report: the review queue is empty." in text


def _report(title: str, error: str) -> RunReport:
    now = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
    run = RunInfo(
        run_id="0123456789abcdef",
        flow="discover",
        status="completed",
        started_at=now,
        finished_at=now + timedelta(seconds=42),
        seconds=42.0,
        counts={"staged": 1},
        error=None,
        parameters={"since": "2026-11-23", "until": "2026-11-30"},
    )
    return RunReport(
        run=run,
        new_notable=[
            NotablePaper("2611.00001", title, 12, 7e9, "dense_total", 0.9, "pending"),
            NotablePaper("2611.00002", "A plain title", None, None, None, None, None),
        ],
        queue_size=1,
        extraction_failures=[],
        pdf_failures=[PdfFailure("2611.00003", "x", error, 2)],
        source_problems=[],
    )


HOSTILE_TITLE = (
    "<script>alert(1)</script> | injected cell | [click](javascript:alert(2)) "
    "![img](http://evil.example/x.png) **bold** `code`\n# heading <img src=x onerror=alert(3)>"
    " https://evil.example/autolink"
)


def test_rendering_keeps_a_hostile_title_as_plain_text_in_its_own_cell():
    markdown = render_digest(_report(HOSTILE_TITLE, "HTTPError: 404 <i>gone</i>"))

    row = next(line for line in markdown.splitlines() if "2611.00001" in line)
    # Six cells: the title's pipes and newline did not add cells or lines.
    assert len(re.findall(r"(?<!\\)\|", row)) == 7
    assert "<script>" not in markdown and "<img" not in markdown and "<i>" not in markdown
    assert "| 7B | dense\\_total | 0.90 |" in row
    assert "not extracted" in markdown  # the second paper has no proposal

    html = digest_html(markdown)
    assert "<script" not in html and "<img" not in html and "<strong>bold" not in html
    assert 'href="javascript' not in html and 'href="http://evil' not in html
    assert 'href="https://evil' not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, as characters
    assert html.count("<table>") == 2  # new notable papers and PDF failures; nothing else
    assert html.count("<tr>") == 3 + 2  # header + two papers, header + one failure
    assert 'href="https://arxiv.org/abs/2611.00001"' in html
    assert "HTTPError: 404 &lt;i&gt;gone&lt;/i&gt;" in html


def test_nothing_to_report_sections_are_said_plainly():
    report = _report("t", "e")
    empty = RunReport(
        run=report.run, new_notable=[], queue_size=0, extraction_failures=[], pdf_failures=[], source_problems=[]
    )
    markdown = render_digest(empty, db_path="data/paramtrack.duckdb")
    assert markdown.startswith("# paramtrack discover digest, 2026-11-30 (submissions 2026-11-23 .. 2026-11-30)")
    assert markdown.count("Nothing to report") == 5
    assert (
        "0 new notable papers, 1 staged for review, 0 extraction failures, 0 PDF download failures, no source problems."
        in markdown
    )


def test_run_report_reads_only_what_happened_during_the_run(warehouse):
    def paper(arxiv_id: str, status: str):
        return papers_store.PaperRow(
            arxiv_id=arxiv_id,
            version=1,
            title=f"Paper {arxiv_id}",
            abstract=None,
            authors=[],
            categories=["cs.LG"],
            primary_category="cs.LG",
            published=date(2026, 11, 24),
            updated=None,
            doi=None,
            journal_ref=None,
            pdf_url=f"https://arxiv.org/pdf/{arxiv_id}",
            s2_paper_id=None,
            citation_count=50,
            influential_citation_count=1,
            status=status,
            found_by="arxiv_window",
        )

    with warehouse.write() as con:
        first = runs_store.start_run(con, "discover", {})
        papers_store.upsert_papers(con, [paper("2611.00010", "notable")])
        papers_store.record_pdf(con, "2611.00010", url="u", error="HTTPStatusError: 404")
        runs_store.finish_run(con, first, status="completed", counts={})
    with warehouse.write() as con:
        second = runs_store.start_run(con, "discover", {})
        papers_store.upsert_papers(
            con, [paper("2611.00010", "notable"), paper("2611.00011", "notable"), paper("2611.00012", "watch")]
        )
        runs_store.finish_run(con, second, status="completed", counts={})
    with warehouse.read() as con:
        one, two = run_report(con, first), run_report(con, second)
        with pytest.raises(LookupError):
            run_report(con, "no-such-run")
    assert [p.arxiv_id for p in one.new_notable] == ["2611.00010"]
    assert [p.arxiv_id for p in two.new_notable] == ["2611.00011"]
    assert [f.arxiv_id for f in one.pdf_failures] == ["2611.00010"] and two.pdf_failures == []
    assert json.loads(json.dumps(two.run.counts)) == {}
