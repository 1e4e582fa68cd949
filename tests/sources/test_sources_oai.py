"""The arXiv OAI-PMH client against the replay server's ``/oai2`` over real loopback HTTP."""

from __future__ import annotations

import socket
import time
import xml.etree.ElementTree as ET
from datetime import date

import httpx
import pytest

from paramtrack.core.errors import SourceUnavailableError
from paramtrack.sources.arxiv_oai import (
    ArxivOaiClient,
    BadResumptionTokenError,
    OaiError,
    in_window,
    oai_set_for,
    oai_sets_for,
    parse_oai_response,
)


@pytest.fixture(autouse=True)
def _page_size(replay):
    replay.state.oai.page_size = 7
    yield
    replay.state.oai.page_size = 1000


def _client(replay, **kw) -> ArxivOaiClient:
    kw.setdefault("delay_seconds", 0)
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("timeout", 5)
    return ArxivOaiClient(f"{replay.base_url}/oai2", pdf_url_format=f"{replay.base_url}/pdf/{{id}}", **kw)


def _oai_requests(replay) -> list[dict]:
    return [r for r in replay.request_log if r["path"] == "/oai2"]


def test_sets_cover_categories():
    assert oai_set_for("cs.LG") == "cs"
    assert oai_set_for("stat.ML") == "stat"
    assert oai_set_for("hep-th") == "physics:hep-th"
    assert oai_set_for("physics.optics") == "physics:physics"
    assert oai_set_for("astro-ph.HE") == "physics:astro-ph"
    assert oai_sets_for(["cs.LG", "cs.CL", "stat.ML", "eess.AS", "math.OC"]) == ["cs", "stat", "eess", "math"]


@pytest.mark.slow
def test_harvest_follows_resumption_tokens_to_the_end(replay):
    with _client(replay) as oai:
        pages = list(oai.harvest("cs", date(2023, 5, 1)))
    sizes = [len(p.records) for p in pages]
    total = pages[0].complete_list_size
    assert len(pages) >= 3 and all(s == 7 for s in sizes[:-1]) and 1 <= sizes[-1] <= 7
    assert sum(sizes) == total
    assert [p.cursor for p in pages] == [7 * i for i in range(len(pages))]
    assert pages[-1].token is None and all(p.token for p in pages[:-1])
    ids = [r.arxiv_id for p in pages for r in p.records]
    assert len(ids) == len(set(ids))
    # Every record's last-modified datestamp is on or after `from`, whatever its creation date.
    assert all(d >= date(2023, 5, 1) for p in pages for d in p.datestamps.values())
    reqs = _oai_requests(replay)
    assert len(reqs) == len(pages)
    assert "metadataPrefix=arXiv" in reqs[0]["query"] and "set=cs" in reqs[0]["query"]
    assert "from=2023-05-01" in reqs[0]["query"] and "until" not in reqs[0]["query"]
    # Later pages carry the token alone, as OAI-PMH requires.
    assert all(r["query"].startswith("verb=ListRecords&resumptionToken=") for r in reqs[1:])
    assert all("metadataPrefix" not in r["query"] for r in reqs[1:])


def test_records_become_arxiv_papers(replay):
    with _client(replay) as oai:
        paper = oai.get_record("2305.14314")
        missing = oai.get_record("2305.99999")
    assert paper is not None and missing is None
    assert paper.title == "QLoRA: Efficient Finetuning of Quantized LLMs"
    assert paper.published == date(2023, 5, 23)
    assert paper.categories[0] == paper.primary_category == "cs.CL"
    assert paper.pdf_url == f"{replay.base_url}/pdf/2305.14314"
    assert paper.authors and all(isinstance(a, str) and a for a in paper.authors)


@pytest.mark.slow
def test_filtering_keeps_papers_first_submitted_in_the_window(replay):
    """BERT (v1 2018-10-11) was last modified 2019-05-24: a May 2019 harvest returns it, the
    window filter drops it."""
    with _client(replay) as oai:
        records = [r for p in oai.harvest("cs", date(2019, 5, 1)) for r in p.records]
    by_id = {r.arxiv_id: r for r in records}
    assert "1810.04805" in by_id
    since, until = date(2019, 5, 1), date(2019, 5, 31)
    kept = [r for r in records if in_window(r, since, until, ["cs.CL", "cs.LG"])]
    assert "1810.04805" not in {r.arxiv_id for r in kept}
    assert kept and all(since <= r.published <= until for r in kept)
    assert len(kept) < len(records)
    # A category outside the wanted ones is not kept either.
    assert not [r for r in kept if in_window(r, since, until, ["cs.RO"]) and "cs.RO" not in r.categories]
    assert not in_window(by_id["1810.04805"], date(2018, 10, 1), date(2018, 10, 31), ["cs.RO"])
    assert in_window(by_id["1810.04805"], date(2018, 10, 1), date(2018, 10, 31), ["cs.CL"])


def test_flow_control_503_retry_after_is_honoured(replay):
    replay.add_fault("/oai2", "503", times=1, retry_after="2")
    waits: list[float] = []
    with _client(replay, sleep=waits.append) as oai:
        page = oai.list_records("cs", date(2023, 5, 1))
    assert len(page.records) == 7
    assert waits == [2.0]  # the server's hint, not our 0.01 s backoff
    assert oai.problems == ["HTTP 503"]
    assert [r["status"] for r in _oai_requests(replay)] == [503, 200]


def test_retries_back_off_with_jitter_then_give_up(replay):
    replay.add_fault("/oai2", "500", times=0)
    waits: list[float] = []
    with _client(replay, sleep=waits.append, max_retries=3, backoff_base=1.0) as oai:
        with pytest.raises(SourceUnavailableError, match="kept failing after 4 attempts"):
            oai.list_records("cs", date(2023, 5, 1))
    assert len(waits) == 3
    for attempt, wait in enumerate(waits):
        assert 0.5 * 2**attempt <= wait <= 2**attempt


def test_truncated_xml_is_retried(replay):
    replay.add_fault("/oai2", "truncate", times=1)
    waits: list[float] = []
    with _client(replay, sleep=waits.append) as oai:
        page = oai.list_records("cs", date(2023, 5, 1))
    assert len(page.records) == 7 and len(waits) == 1


def test_truncated_body_does_not_parse(replay):
    body = httpx.get(
        f"{replay.base_url}/oai2",
        params={"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2023-05-01"},
    ).content
    with pytest.raises(ET.ParseError):
        parse_oai_response(body[: len(body) // 2])


def test_bad_resumption_token(replay):
    with _client(replay) as oai:
        first = oai.list_records("cs", date(2023, 5, 1))
        assert first.token
        assert len(oai.list_records("cs", date(2023, 5, 1), first.token).records) == 7
        replay.state.oai.expire_tokens()
        with pytest.raises(BadResumptionTokenError) as err:
            oai.list_records("cs", date(2023, 5, 1), first.token)
        assert err.value.code == "badResumptionToken"
        with pytest.raises(BadResumptionTokenError):
            oai.list_records("cs", date(2023, 5, 1), "not-a-token|5")


def test_no_records_match_is_an_empty_page(replay):
    with _client(replay) as oai:
        page = oai.list_records("physics:hep-th", date(2023, 5, 1))
    assert page.records == [] and page.token is None


def test_bad_argument_is_an_oai_error(replay):
    body = httpx.get(f"{replay.base_url}/oai2", params={"verb": "ListRecords", "set": "cs"}).content
    with pytest.raises(OaiError) as err:
        parse_oai_response(body)
    assert err.value.code == "badArgument"
    body = httpx.get(
        f"{replay.base_url}/oai2", params={"verb": "ListRecords", "metadataPrefix": "arXiv", "from": "2023-5-1"}
    ).content
    with pytest.raises(OaiError, match="badArgument"):
        parse_oai_response(body)


def test_identify(replay):
    with _client(replay) as oai:
        info = oai.identify()
    assert info["repositoryName"] == "arXiv"
    assert info["granularity"] == "YYYY-MM-DD"
    assert info["baseURL"] == f"{replay.base_url}/oai2"


def test_connection_refused_fails_at_once():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    waits: list[float] = []
    oai = ArxivOaiClient(f"http://127.0.0.1:{port}/oai2", delay_seconds=0, sleep=waits.append)
    with pytest.raises(SourceUnavailableError, match="refused the connection"):
        oai.list_records("cs", date(2023, 5, 1))
    assert waits == []


def test_requests_are_paced_by_the_shared_arxiv_limiter(replay):
    with _client(replay, delay_seconds=0.3) as oai:
        started = time.monotonic()
        pages = [oai.list_records("cs", date(2023, 5, 1)) for _ in range(3)]
        elapsed = time.monotonic() - started
    assert all(len(p.records) == 7 for p in pages)
    assert elapsed >= 0.55  # three requests, two gaps of 0.3 s (the first may go at once)
    times = [r["time"] for r in _oai_requests(replay)]
    assert all(b - a >= 0.25 for a, b in zip(times, times[1:]))
