"""An outage of the PDF host is an outage, however it shows: connection refused, a name that does
not resolve, a TLS handshake that fails.

arXiv serves its API and its PDFs from different hosts, so the PDF host can be down while the API
answers. The replay server plays that by pointing its feeds' PDF links elsewhere
(``state.pdf_base``): at a closed loopback port (refused), at its own plain-HTTP port over
``https://`` (a real failed TLS handshake), or at a name that does not resolve (the resolver is
stubbed for that one name, so no query leaves the machine). Each must open the circuit breaker
after five papers, stop the run as ``source_down`` in the ``runs`` table *and* as a Failed flow
run in Prefect, put none of the papers off for a day, and leave them to the next run, which
downloads them once the host is back.
"""

from __future__ import annotations

import socket
from datetime import date

import pytest

from paramtrack.warehouse import Warehouse

pytestmark = pytest.mark.prefect

SINCE, UNTIL, AS_OF = date(2019, 1, 1), date(2020, 12, 31), date(2025, 6, 1)
UNRESOLVABLE = "pdfs.paramtrack.invalid"


@pytest.fixture()
def pdf_host_down(request, replay, monkeypatch, free_port):
    """Point the feeds' PDF links at a host that fails in the parametrized way."""
    how = request.param
    if how == "refused":
        replay.state.pdf_base = f"http://127.0.0.1:{free_port()}"  # nobody listens there
    elif how == "tls":
        replay.state.pdf_base = f"https://127.0.0.1:{replay.port}"  # plain HTTP answers a TLS hello
    else:
        real = socket.getaddrinfo

        def resolve(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
            if host == UNRESOLVABLE:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return real(host, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        replay.state.pdf_base = f"http://{UNRESOLVABLE}"
    yield how
    replay.state.pdf_base = None


@pytest.fixture()
def run(discover):
    """A run of the window without bulk search, with quick retries and timeouts."""
    return discover.bind(
        since=SINCE, until=UNTIL, as_of=AS_OF, bulk_search=False, sources=dict(backoff_base_s=0.01, http_timeout_s=5)
    )


def _flow_run_state(flow_run_id) -> str:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        return client.read_flow_run(flow_run_id).state.type.value


@pytest.mark.parametrize("pdf_host_down", ["refused", "dns", "tls"], indirect=True)
def test_a_pdf_host_that_cannot_be_reached_stops_the_run_as_an_outage(run, replay, pdf_host_down, tmp_path):
    db = tmp_path / "w.duckdb"
    state = run(db, replay, return_state=True)

    assert state.is_failed(), state
    assert _flow_run_state(state.state_details.flow_run_id) == "FAILED"
    assert "arxiv_pdf is down: 5 consecutive" in state.message
    from paramtrack.flows.discover import RunStoppedError

    stopped = state.result(raise_on_failure=False)
    assert isinstance(stopped, RunStoppedError)
    summary = stopped.summary
    assert summary.status == "source_down" and summary.pdfs_failed == 5 and summary.pdfs_downloaded == 0
    with Warehouse(db).read() as con:
        assert con.execute("SELECT status FROM runs").fetchall() == [("source_down",)]
        failed = con.execute("SELECT count(*), count(next_try_at) FROM pdfs WHERE sha256 IS NULL").fetchone()
        notable = con.execute("SELECT count(*) FROM papers WHERE status = 'notable'").fetchone()[0]
    assert failed == (5, 0)  # five papers tried, none of them put off for a day
    assert notable > 5  # the rest were not tried at all

    replay.state.pdf_base = None  # the PDF host is back
    again = run.summary(db, replay)
    assert again.status == "completed", again.error
    assert again.pdfs_downloaded >= 4 and again.staged >= 4
    with Warehouse(db).read() as con:
        unreachable = con.execute(
            "SELECT count(*) FROM pdfs WHERE error LIKE '%refused%' OR error LIKE '%kept failing%'"
        ).fetchone()[0]
        assert unreachable == 0
