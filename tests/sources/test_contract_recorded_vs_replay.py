"""Contract tests: the same parsers read recorded real responses and the replay server's answers.

Recorded bodies (``api/`` in the shared data) are served byte-for-byte by a tiny loopback server,
so the real clients (our sources, the ``arxiv`` package) go through real HTTP in both cases.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import httpx
import pytest
import yaml

from paramtrack.core.errors import SourceUnavailableError
from paramtrack.sources.arxiv_source import ArxivPaper, ArxivSource
from paramtrack.sources.semantic_scholar import S2Paper, SemanticScholarSource

ARXIV_FIELDS = {
    "arxiv_id": str,
    "title": str,
    "abstract": str,
    "authors": tuple,
    "categories": tuple,
    "primary_category": str,
    "published": date,
    "updated": datetime,
}


def _arxiv(url: str) -> ArxivSource:
    return ArxivSource(url, delay_seconds=0, backoff_base=0.01, num_retries=0, timeout=5)


def _check_arxiv_types(p: ArxivPaper) -> None:
    for name, typ in ARXIV_FIELDS.items():
        assert isinstance(getattr(p, name), typ), (name, getattr(p, name))
    assert p.version is None or isinstance(p.version, int)
    assert p.doi is None or isinstance(p.doi, str)
    assert p.journal_ref is None or isinstance(p.journal_ref, str)
    assert isinstance(p.pdf_url, str) and "/pdf/" in p.pdf_url
    assert all(isinstance(a, str) and a for a in p.authors)
    assert p.primary_category and p.updated.tzinfo is not None


def _recorded_2026(corpus_dir: Path, name: str) -> dict:
    return json.loads((corpus_dir / "api/arxiv/arxiv.py_fixtures_2026" / name).read_text())


@pytest.mark.parametrize(
    "name",
    [
        "id_1605.08386_s0_m100_199195aa31ad.json",
        "id_astro-ph_0601001_s0_m100_3150dca9dc76.json",
        "q_testing_s0_m10_bc5a6c384fe9.json",
    ],
)
def test_arxiv_2026_recorded_and_replay_parse_alike(canned, replay, corpus_dir, name) -> None:
    rec = _recorded_2026(corpus_dir, name)
    canned.queue.append((rec["status_code"], "application/atom+xml", rec["body"].encode()))
    recorded = _arxiv(canned.url + "/api/query").fetch_ids(["1605.08386"])
    assert recorded
    for p in recorded:
        _check_arxiv_types(p)
    replayed = _arxiv(replay.arxiv_api_url).fetch_ids(["2204.02311", "1810.04805v2", "cs/0205070"])
    assert len(replayed) == 3
    for p in replayed:
        _check_arxiv_types(p)
    assert {type(getattr(p, f)) for p in recorded for f in ARXIV_FIELDS} == {
        type(getattr(p, f)) for p in replayed for f in ARXIV_FIELDS
    }


def test_arxiv_recorded_doi_and_journal_ref(canned, corpus_dir) -> None:
    rec = _recorded_2026(corpus_dir, "q_testing_s0_m10_bc5a6c384fe9.json")
    canned.queue.append((200, "application/atom+xml", rec["body"].encode()))
    papers = _arxiv(canned.url + "/api/query").fetch_ids(["2202.12139"])
    first = papers[0]
    assert first.arxiv_id == "2202.12139" and first.version == 1
    assert first.doi == "10.1109/ICSTW55395.2022.00035"
    assert first.journal_ref.startswith("Artificial Intelligence in Software Testing")


def test_arxiv_2016_style_parses(canned, corpus_dir) -> None:
    body = (corpus_dir / "api/arxiv/arxiv.py_fixtures_2016/id_list=1111.2011v2.xml").read_bytes()
    canned.queue.append((200, "application/atom+xml", body))
    (p,) = _arxiv(canned.url + "/api/query").fetch_ids(["1111.2011v2"])
    _check_arxiv_types(p)
    assert p.arxiv_id == "1111.2011" and p.version == 2 and p.doi == "10.1103/PhysRevB.85.115117"
    assert p.published == date(2011, 11, 8)


def test_arxiv_400_error_feed_recorded_and_replay(canned, replay, corpus_dir) -> None:
    import arxiv
    import arxiv._feed as feed
    from lxml import etree

    ns = {"a": "http://www.w3.org/2005/Atom", "os": "http://a9.com/-/spec/opensearch/1.1/"}
    rec = _recorded_2026(corpus_dir, "id_abc_s0_m100_b79c8dcf6bc3.json")
    ours = httpx.get(replay.arxiv_api_url, params={"id_list": "abc"})
    assert rec["status_code"] == ours.status_code == 400
    for body in (rec["body"].encode(), ours.content):
        root = etree.fromstring(body)
        (entry,) = root.findall("a:entry", ns)
        assert entry.findtext("a:title", namespaces=ns) == "Error"
        assert entry.findtext("a:summary", namespaces=ns) == "incorrect id format for abc"
        assert entry.findtext("a:id", namespaces=ns) == "https://arxiv.org/api/errors#incorrect_id_format_for_abc"
        assert root.findtext("os:totalResults", namespaces=ns) == "1"
        assert feed.parse(body).results == []  # the arxiv package skips it (no <published>)
    canned.queue.append((400, "application/atom+xml", rec["body"].encode()))
    with pytest.raises(SourceUnavailableError, match="HTTP 400"):
        list(_arxiv(canned.url + "/api/query")._run(arxiv.Search(id_list=["abc"])))


def test_arxiv_empty_feed_recorded_and_replay(canned, replay, corpus_dir) -> None:
    rec = _recorded_2026(corpus_dir, "id_0000.0000_s0_m100_8b51d9633a68.json")
    canned.queue.append((200, "application/atom+xml", rec["body"].encode()))
    assert _arxiv(canned.url + "/api/query").fetch_ids(["0808.0539"]) == []
    assert _arxiv(replay.arxiv_api_url).fetch_ids(["0808.0539"]) == []


def _cassette(corpus_dir: Path, name: str) -> list[dict]:
    data = yaml.safe_load((corpus_dir / "api/semanticscholar/semanticscholar_py_tests_data" / name).read_text())
    out = []
    for it in data["interactions"]:
        r = it["response"]
        body = r["body"]["string"] if "body" in r else r["content"]
        status = r["status"]["code"] if "status" in r else r["status_code"]
        out.append({"uri": it["request"]["uri"], "status": status, "body": body})
    return out


S2_FIELDS = {
    "paper_id": str,
    "title": (str, type(None)),
    "year": (int, type(None)),
    "citation_count": (int, type(None)),
    "influential_citation_count": (int, type(None)),
    "publication_date": (date, type(None)),
    "doi": (str, type(None)),
    "arxiv_id": (str, type(None)),
}


def _check_s2(p: S2Paper) -> None:
    for name, typ in S2_FIELDS.items():
        assert isinstance(getattr(p, name), typ), (name, getattr(p, name))
    assert len(p.paper_id) == 40


def test_s2_batch_recorded_and_replay(canned, replay, corpus_dir) -> None:
    (rec,) = _cassette(corpus_dir, "test_get_papers_return_not_found.yaml")
    recorded = json.loads(rec["body"])
    assert recorded[0] is None  # unknown id -> null, in order
    rec_papers = [S2Paper.from_json(x) for x in recorded if x is not None]
    for p in rec_papers:
        _check_s2(p)
    assert rec_papers[0].citation_count is not None and rec_papers[0].publication_date is not None
    # the same body through our client over HTTP
    canned.queue.append((200, "application/json", rec["body"].encode()))
    s2 = SemanticScholarSource(canned.url, min_interval=0, backoff_base=0.01, api_key=None)
    out = s2.batch_by_arxiv(["0705.0001", "0705.0002", "0705.0003", "0705.0004"])
    assert out["0705.0001"] is None and out["0705.0002"].paper_id == rec_papers[0].paper_id
    assert canned.paths[0].startswith("/graph/v1/paper/batch?fields=")
    # and the replay server's answer, read by the same parser
    fields = rec["uri"].split("fields=", 1)[1]
    ours = httpx.post(
        f"{replay.s2_api_url}/graph/v1/paper/batch",
        params={"fields": fields.replace("%2C", ",")},
        json={"ids": ["CorpusId:1", "ARXIV:2204.02311", "ARXIV:1810.04805"]},
    ).json()
    assert ours[0] is None
    assert set(ours[1]) == set(recorded[1])  # same keys for the same fields request
    for x in ours[1:]:
        _check_s2(S2Paper.from_json(x))


def test_s2_bulk_recorded_and_replay(canned, replay, corpus_dir) -> None:
    pages = _cassette(corpus_dir, "test_search_paper_bulk_retrieval_traversing_results.yaml")
    assert json.loads(pages[-1]["body"])["token"] is None
    for page in pages:
        canned.queue.append((200, "application/json", page["body"].encode()))
    canned.queue.append((500, "application/json", b"{}"))  # never reached
    s2 = SemanticScholarSource(canned.url, min_interval=0, api_key=None)
    recorded = list(s2.bulk_search(query="kubernetes", fields=["title"], fields_of_study=None))
    assert len(recorded) == sum(len(json.loads(p["body"])["data"]) for p in pages)
    assert "token=" in canned.paths[1]
    for p in recorded[:50]:
        _check_s2(p)
    ours_raw = httpx.get(
        f"{replay.s2_api_url}/graph/v1/paper/search/bulk", params={"query": "language", "fields": "title"}
    ).json()
    rec_raw = json.loads(pages[0]["body"])
    assert set(ours_raw) == set(rec_raw) == {"total", "token", "data"}
    assert set(ours_raw["data"][0]) == set(rec_raw["data"][0]) == {"paperId", "title"}


def test_s2_error_shapes_match(replay, corpus_dir) -> None:
    (bad,) = _cassette(corpus_dir, "test_bad_query_parameters.yaml")
    ours = httpx.get(f"{replay.s2_api_url}/graph/v1/paper/ARXIV:2204.02311", params={"fields": "unknown"})
    assert ours.status_code == bad["status"] == 400
    assert ours.json() == json.loads(bad["body"])
    nf = _cassette(corpus_dir, "test_not_found.yaml")[0]
    ours = httpx.get(f"{replay.s2_api_url}/graph/v1/paper/0", params={"fields": "title"})
    assert ours.status_code == nf["status"] == 404
    assert ours.json() == json.loads(nf["body"])
