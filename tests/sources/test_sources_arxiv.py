"""ArxivSource (on the arxiv package) against the replay server, including faults."""

from __future__ import annotations

import socket
import time
from datetime import date, datetime

import pytest

from paramtrack.core.errors import ParamtrackError, SourceUnavailableError
from paramtrack.sources.arxiv_source import ArxivPaper, ArxivSource, window_query


def make(replay, **kw) -> ArxivSource:
    kw.setdefault("delay_seconds", 0)
    kw.setdefault("backoff_base", 0.01)
    kw.setdefault("max_backoff", 0.05)
    kw.setdefault("timeout", 5)
    return ArxivSource(replay.arxiv_api_url, **kw)


def test_window_query_format() -> None:
    q = window_query(["cs.LG", "cs.CL"], date(2022, 4, 1), date(2022, 4, 30))
    assert q == "(cat:cs.LG OR cat:cs.CL) AND submittedDate:[202204010000 TO 202204302359]"


def test_unknown_category_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="cs.LGG.*valid ML categories: cs.LG") as err:
        window_query(["cs.LGG"], date(2022, 1, 1), date(2022, 1, 2))
    assert isinstance(err.value, ParamtrackError)


def test_search_window_pages_and_sorts(replay) -> None:
    src = make(replay, page_size=5)
    papers = list(src.search_window(["cs.CL"], date(2022, 1, 1), date(2022, 6, 30)))
    assert len(papers) > 10
    assert all(isinstance(p, ArxivPaper) for p in papers)
    assert all(date(2022, 1, 1) <= p.published <= date(2022, 6, 30) for p in papers)
    assert [p.published for p in papers] == sorted(p.published for p in papers)
    assert "cs.CL" in papers[0].categories and papers[0].primary_category
    palm = next(p for p in papers if p.arxiv_id == "2204.02311")
    assert palm.version == 1 and palm.pdf_url == replay.pdf_url("2204.02311v1")
    assert isinstance(palm.updated, datetime) and palm.authors[0] == "Aakanksha Chowdhery"
    log = replay.request_log
    assert len(log) == -(-len(papers) // 5)
    assert all(e["user_agent"].startswith("paramtrack/") for e in log)


def test_fetch_ids_in_chunks(replay) -> None:
    src = make(replay, page_size=2)
    got = src.fetch_ids(["2204.02311", "https://arxiv.org/abs/1810.04805v1", "cs/0205070", "0705.0001"])
    assert {p.arxiv_id for p in got} == {"2204.02311", "1810.04805", "cs/0205070"}
    bert = next(p for p in got if p.arxiv_id == "1810.04805")
    assert bert.version == 1
    assert len(replay.request_log) == 2


def test_fetch_ids_rejects_bad_id(replay) -> None:
    with pytest.raises(ValueError, match="invalid arXiv id 'abc'"):
        make(replay).fetch_ids(["abc"])


def test_survives_empty_pages(replay) -> None:
    replay.add_fault("/api/query", "empty_page", every=2, times=2)  # 2nd and 4th request
    src = make(replay, page_size=5)
    papers = list(src.search_window(["cs.CL"], date(2022, 1, 1), date(2022, 6, 30)))
    baseline = list(make(replay, page_size=50).search_window(["cs.CL"], date(2022, 1, 1), date(2022, 6, 30)))
    assert [p.arxiv_id for p in papers] == [p.arxiv_id for p in baseline]
    assert sum(1 for e in replay.request_log if e["fault"] == "empty_page") == 2


def test_empty_first_page_is_retried(replay) -> None:
    replay.add_fault("/api/query", "empty_page", times=1)
    got = make(replay).fetch_ids(["2204.02311"])
    assert [p.arxiv_id for p in got] == ["2204.02311"]


def test_survives_503_and_truncation(replay) -> None:
    replay.add_fault("/api/query", "503", times=1)
    replay.add_fault("/api/query", "truncate", times=1)
    got = make(replay).fetch_ids(["2204.02311", "1810.04805"])
    assert len(got) == 2
    assert [e["fault"] for e in replay.request_log] == ["503", "truncate", None]


def test_exhausted_retries_name_the_url(replay) -> None:
    replay.add_fault("/api/query", "503", times=0)
    with pytest.raises(SourceUnavailableError, match=r"4 attempts: http://127\.0\.0\.1:\d+/api/query\?") as err:
        make(replay, num_retries=3).fetch_ids(["2204.02311"])
    assert err.value.url.startswith(replay.base_url)  # the library names no CLI command


def test_connection_refused_is_quick() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    src = ArxivSource(f"http://127.0.0.1:{port}/api/query")  # default 3 s delay, 3 retries
    t0 = time.monotonic()
    with pytest.raises(SourceUnavailableError, match="refused the connection"):
        src.fetch_ids(["2204.02311"])
    assert time.monotonic() - t0 < 1.5
