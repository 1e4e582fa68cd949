"""SemanticScholarSource against the replay server over real loopback HTTP, with faults."""

from __future__ import annotations

import socket
import time
from datetime import date

import pytest

from paramtrack.core.errors import SourceUnavailableError
from paramtrack.sources.semantic_scholar import S2Paper, SemanticScholarSource


@pytest.fixture(scope="module")
def replay_settings() -> dict:
    """Bulk-search pages of seven, so a search pages through several."""
    return {"bulk_page_size": 7}


def make(replay, **kw) -> SemanticScholarSource:
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("max_backoff", 0.05)
    kw.setdefault("min_interval", 0)
    kw.setdefault("timeout", 2.0)
    kw.setdefault("api_key", None)
    return SemanticScholarSource(replay.s2_api_url, **kw)


def test_batch_in_order_with_null_for_unknown(replay) -> None:
    with make(replay) as s2:
        out = s2.batch_by_arxiv(["2204.02311v1", "0705.0001", "arXiv:1810.04805"])
    assert list(out) == ["2204.02311", "0705.0001", "1810.04805"]
    palm = out["2204.02311"]
    assert isinstance(palm, S2Paper) and palm.arxiv_id == "2204.02311"
    assert palm.citation_count == 5064 and palm.publication_date == date(2022, 4, 5)
    assert len(palm.paper_id) == 40 and palm.year == 2022
    assert out["0705.0001"] is None


def test_batch_chunks_of_500(replay) -> None:
    ids = [p.arxiv_id for p in replay.corpus.papers.values()][:600]
    with make(replay) as s2:
        out = s2.batch_by_arxiv(ids)
    assert len(out) == 600
    posts = [e for e in replay.request_log if e["path"] == "/graph/v1/paper/batch"]
    assert len(posts) == 2


def test_bulk_search_follows_tokens(replay) -> None:
    with make(replay) as s2:
        papers = list(
            s2.bulk_search(query="", min_citation_count=1000, publication_date_or_year="2020-01-01:2021-12-31")
        )
    assert len(papers) > 7  # more than one page of 7
    assert all(p.citation_count >= 1000 for p in papers)
    assert all(date(2020, 1, 1) <= p.publication_date <= date(2021, 12, 31) for p in papers)
    assert len({p.paper_id for p in papers}) == len(papers)
    pages = [e for e in replay.request_log if e["path"] == "/graph/v1/paper/search/bulk"]
    assert len(pages) == -(-len(papers) // 7)
    assert "token=" in pages[-1]["query"]


def test_api_key_header_sent(replay) -> None:
    with make(replay, api_key="k-123") as s2:
        s2.batch_by_arxiv(["2204.02311"])
    assert replay.request_log[-1]["api_key"] is True


def test_429_without_retry_after_then_success(replay) -> None:
    replay.add_fault("/graph/v1/paper/batch", "429", times=2)
    with make(replay) as s2:
        out = s2.batch_by_arxiv(["2204.02311"])
    assert out["2204.02311"].citation_count == 5064
    assert [e["status"] for e in replay.request_log] == [429, 429, 200]


def test_429_retry_after_is_honoured(replay) -> None:
    replay.add_fault("/graph/v1/paper/batch", "429", times=1, retry_after=1)
    with make(replay) as s2:
        t0 = time.monotonic()
        s2.batch_by_arxiv(["2204.02311"])
        elapsed = time.monotonic() - t0
    assert s2.waits and s2.waits[0] >= 1.0
    assert elapsed >= 0.95


def test_429_retry_after_http_date(replay) -> None:
    from email.utils import formatdate

    replay.add_fault("/graph/v1/paper/batch", "429", times=1, retry_after=formatdate(time.time() + 1, usegmt=True))
    with make(replay) as s2:
        s2.batch_by_arxiv(["2204.02311"])
    assert 0.0 < s2.waits[0] <= 1.05


@pytest.mark.parametrize("kind", ["500", "503"])
def test_5xx_retried(replay, kind) -> None:
    replay.add_fault("/graph/v1/paper/search/bulk", kind, times=2)
    with make(replay) as s2:
        papers = list(s2.bulk_search(query="transformer", min_citation_count=5000))
    assert papers
    assert [e["status"] for e in replay.request_log][:3] == [int(kind), int(kind), 200]


def test_timeout_retried(replay) -> None:
    replay.add_fault("/graph/v1/paper/batch", "timeout", times=1, delay=3)
    with make(replay, timeout=0.3) as s2:
        out = s2.batch_by_arxiv(["2204.02311"])
    assert out["2204.02311"] is not None
    assert [e["fault"] for e in replay.request_log] == ["timeout", None]


def test_truncated_body_retried(replay) -> None:
    replay.add_fault("/graph/v1/paper/batch", "truncate", times=2)
    with make(replay) as s2:
        out = s2.batch_by_arxiv(["2204.02311", "1810.04805"])
    assert out["1810.04805"] is not None
    assert len(replay.request_log) == 3


def test_exhausted_retries_name_the_url(replay) -> None:
    replay.add_fault("/graph/v1/paper/batch", "503", times=0)  # unlimited
    with make(replay, max_retries=2) as s2, pytest.raises(SourceUnavailableError) as err:
        s2.batch_by_arxiv(["2204.02311"])
    assert f"{replay.s2_api_url}/graph/v1/paper/batch" in str(err.value)
    assert "3 attempts" in str(err.value) and "HTTP 503" in str(err.value)


def test_truncated_forever_is_a_clear_error(replay) -> None:
    replay.add_fault("/graph/v1/paper/batch", "truncate", times=0)
    with make(replay, max_retries=1) as s2, pytest.raises(SourceUnavailableError, match="kept failing"):
        s2.batch_by_arxiv(["2204.02311"])


def test_bad_request_not_retried(replay) -> None:
    with make(replay) as s2, pytest.raises(SourceUnavailableError, match="HTTP 400.*Unrecognized"):
        s2.batch_by_arxiv(["2204.02311"], fields=["nonsense"])
    assert len(replay.request_log) == 1


def test_connection_refused_fails_fast() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    s2 = SemanticScholarSource(f"http://127.0.0.1:{port}", backoff_base=1.0, min_interval=0, api_key=None)
    t0 = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="refused the connection") as err:
        s2.batch_by_arxiv(["2204.02311"])
    assert time.monotonic() - t0 < 1.0
    assert err.value.url.startswith(f"http://127.0.0.1:{port}/")  # the CLI's cue for its replay hint


def test_min_interval_spaces_requests(replay) -> None:
    with make(replay, min_interval=0.5) as s2:
        s2.batch_by_arxiv(["2204.02311"])
        s2.batch_by_arxiv(["1810.04805"])
    t = [e["time"] for e in replay.request_log]
    # The client spaces the starts of its requests; the server logs their arrival, which a busy
    # machine can delay for the first (a new connection) more than for the second.
    assert t[1] - t[0] >= 0.4
