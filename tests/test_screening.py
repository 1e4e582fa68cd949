"""discovery.screening (pure) and what the source clients do with broken bytes from the replay
server's `corrupt` fault and hostile records (real loopback HTTP, no Prefect)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
from replay_support import replay_fixtures

from paramtrack.discovery.screening import LIMITS, clean_text, screen_paper, screen_papers
from paramtrack.replay.faults import FAULT_KINDS, parse_fault_spec
from paramtrack.sources.arxiv_source import ArxivPaper

AS_OF = date(2026, 11, 23)

server, _clean_replay = replay_fixtures()


def _paper(**changes) -> ArxivPaper:
    base = dict(
        arxiv_id="2101.00001",
        version=1,
        title="A Title",
        abstract="An abstract.",
        authors=("A. Author",),
        categories=("cs.LG",),
        primary_category="cs.LG",
        published=date(2021, 1, 5),
        updated=datetime(2021, 1, 6, tzinfo=UTC),
        doi=None,
        journal_ref=None,
        pdf_url="http://127.0.0.1/pdf/2101.00001v1",
    )
    base.update(changes)
    return ArxivPaper(**base)


def test_markup_and_sql_are_kept_as_text():
    p = _paper(title="<script>x()</script> '); DROP TABLE papers; --")
    kept, reason = screen_paper(p, as_of=AS_OF)
    assert reason is None and kept == p


def test_invisible_and_control_characters_are_removed_and_invalid_text_replaced():
    p = _paper(
        title="Bi\u202edi \u200bzero\x00 nul\x85",
        abstract="line\nbreak \ud800 lone",
        authors=("Ann\u2066a\u2069 B\ufeff",),
    )
    screened = screen_papers({p.arxiv_id: (p, "arxiv_window")}, as_of=AS_OF)
    kept, found_by = screened.kept[p.arxiv_id]
    assert (kept.title, kept.abstract, kept.authors) == ("Bidi zero nul", "line break \ufffd lone", ("Anna B",))
    assert found_by == "arxiv_window" and screened.cleaned == [p.arxiv_id] and not screened.rejected
    assert clean_text(kept.title) == kept.title


@pytest.mark.parametrize(
    "changes,reason",
    [
        (dict(published=date(1991, 7, 31)), "published 1991-07-31, before arXiv existed (1991-08)"),
        (
            dict(published=date(2026, 11, 25), updated=datetime(2026, 11, 25, tzinfo=UTC)),
            "published 2026-11-25, after this run's date 2026-11-23 + 1 day",
        ),
        (dict(updated=datetime(2020, 1, 1, tzinfo=UTC)), "updated 2020-01-01, before it was published (2021-01-05)"),
        (dict(title="t" * (LIMITS["title"] + 1)), "title is 2,001 characters, over the 2,000 limit"),
        (dict(abstract="a" * (LIMITS["abstract"] + 1)), "abstract is 20,001 characters, over the 20,000 limit"),
        (dict(authors=("x",) * (LIMITS["authors"] + 1)), "20,001 authors, over the 20,000 limit"),
        (dict(authors=("x" * 1001,)), "an author name is 1,001 characters, over the 1,000 limit"),
    ],
)
def test_impossible_dates_and_oversized_fields_are_rejected_with_a_reason(changes, reason):
    p = _paper(**changes)
    screened = screen_papers({p.arxiv_id: (p, "s2_bulk")}, as_of=AS_OF)
    assert screened.kept == {}
    [rej] = screened.rejected
    assert (rej.record_id, rej.source, rej.reason) == (p.arxiv_id, "s2_bulk", reason)
    assert len(rej.excerpt) <= 200


def test_the_day_after_as_of_and_arxivs_first_month_are_accepted():
    for p in (
        _paper(published=date(2026, 11, 24), updated=datetime(2026, 11, 24, tzinfo=UTC)),
        _paper(published=date(1991, 8, 14), updated=datetime(1991, 8, 14, tzinfo=UTC)),
    ):
        assert screen_paper(p, as_of=AS_OF)[1] is None


def test_new_fault_kinds_parse():
    assert {"404", "corrupt"} <= set(FAULT_KINDS)
    assert parse_fault_spec("/pdf/=corrupt:times=2").kind == "corrupt"


def test_404_and_corrupt_on_the_wire(server):
    server.add_fault("/pdf/2205.01068", "404")
    r = httpx.get(server.pdf_url("2205.01068"))
    assert r.status_code == 404
    good = httpx.get(server.pdf_url("2205.01068")).content
    server.add_fault("/pdf/2205.01068", "corrupt")
    bad = httpx.get(server.pdf_url("2205.01068"))
    assert bad.status_code == 200 and len(bad.content) == len(good)
    assert bad.content.startswith(b"%PDF-") and b"%%EOF" not in bad.content
    server.add_fault("/graph/v1/paper/batch", "corrupt")
    r = httpx.post(server.s2_api_url + "/graph/v1/paper/batch", json={"ids": ["ARXIV:2205.01068"]})
    with pytest.raises(ValueError):
        r.json()
    assert [e["fault"] for e in server.request_log] == ["404", None, "corrupt", "corrupt"]


def test_clients_retry_a_garbled_feed_and_json_instead_of_reading_them_as_empty(server):
    from paramtrack.sources.arxiv_source import ArxivSource
    from paramtrack.sources.semantic_scholar import SemanticScholarSource

    server.add_fault("/api/query", "corrupt")
    with ArxivSource(server.arxiv_api_url, delay_seconds=0, backoff_base=0.01) as arxiv:
        papers = arxiv.fetch_ids(["2205.01068", "2204.02311"])
    assert sorted(p.arxiv_id for p in papers) == ["2204.02311", "2205.01068"]
    server.add_fault("/graph/v1/paper/batch", "corrupt")
    with SemanticScholarSource(server.s2_api_url, min_interval=0, backoff_base=0.01) as s2:
        found = s2.batch_by_arxiv(["2205.01068"])
    assert found["2205.01068"].citation_count
    assert [e["fault"] for e in server.request_log] == ["corrupt", None, "corrupt", None]


def test_a_bad_byte_keeps_the_page_in_both_clients(corpus_dir):
    from paramtrack.replay.server import ReplayServer
    from paramtrack.sources.arxiv_source import ArxivSource
    from paramtrack.sources.semantic_scholar import SemanticScholarSource

    with ReplayServer(corpus_dir, log_level="critical", hostile=True, as_of=AS_OF) as srv:
        bad = next(r for r in srv.hostile if r.key == "bad_utf8").paper.arxiv_id
        with ArxivSource(srv.arxiv_api_url, delay_seconds=0, backoff_base=0.01, num_retries=0) as arxiv:
            papers = list(arxiv.search_window(["cs.LG"], date(2020, 4, 15), date(2020, 4, 15)))
        assert len(papers) == len(srv.hostile)  # all ten, in one answer
        assert next(p for p in papers if p.arxiv_id == bad).title == "Invalid UTF-8 \ufffd\ufffd(\ufffd in a title"
        with SemanticScholarSource(srv.s2_api_url, min_interval=0, max_retries=0) as s2:
            found = s2.batch_by_arxiv([bad, "2005.11401"])
        assert found[bad].title.startswith("Invalid UTF-8 \ufffd") and found["2005.11401"] is not None
        assert [e["status"] for e in srv.request_log] == [200, 200]


def test_a_field_over_lxmls_10_mb_cap_is_cut_not_taking_the_rest_of_the_page_with_it():
    """arxiv's parser (lxml, huge_tree=False, recover=True) drops a >10 MB text node and every
    entry after it without an error; the client cuts the field so screening can reject it."""
    from dataclasses import replace

    import arxiv._feed

    from paramtrack.replay.atom import entry, feed
    from paramtrack.replay.hostile import hostile_records
    from paramtrack.sources.arxiv_source import _MAX_FIELD_CHARS, _clean_feed_bytes

    first, second, big = (r.paper for r in hostile_records()[:3])
    big = replace(big, abstract="word " * 2_400_000)  # 12 MB
    body = feed("q", "q", [entry(p, 1, "http://x") for p in (first, big, second)], 3, 0, 100)
    assert len(arxiv._feed.parse(body).results) == 1  # what the package alone makes of it
    results = arxiv._feed.parse(_clean_feed_bytes(body, "http://x")).results
    assert [len(r.summary) for r in results] == [len(first.abstract), _MAX_FIELD_CHARS, len(second.abstract)]
    kept, reason = screen_paper(ArxivPaper.from_result(results[1]), as_of=AS_OF)
    assert kept is None and reason == "abstract is 999,999 characters, over the 20,000 limit"  # (trailing space)
