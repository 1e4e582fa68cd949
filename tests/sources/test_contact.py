"""The User-Agent names the operator's contact (PARAMTRACK_CONTACT / --contact) to arXiv and
Semantic Scholar; without one it says how to set it instead of sending a placeholder address."""

from __future__ import annotations

import pytest

from paramtrack.sources.user_agent import CONTACT_ENV, check_contact, user_agent


def test_the_default_agent_says_how_to_set_the_contact(monkeypatch):
    monkeypatch.delenv(CONTACT_ENV, raising=False)
    agent = user_agent()
    assert agent.startswith("paramtrack/") and "mailto:" not in agent
    assert "PARAMTRACK_CONTACT=you@example.org" in agent and "--contact" in agent

    monkeypatch.setenv(CONTACT_ENV, "maintainer@example.org")
    assert user_agent().endswith("; mailto:maintainer@example.org)")
    assert user_agent("flag@example.org").endswith("; mailto:flag@example.org)")  # the flag wins


@pytest.mark.parametrize(
    "bad",
    [
        "not an address",
        "a@b",
        "x@example.org\r\nX-Injected: 1",
        "x@example.org (comment)",
        "<x@example.org>",
        "@example.org",
    ],
)
def test_a_contact_that_is_not_a_plain_address_is_refused(bad):
    with pytest.raises(ValueError, match="is not an e-mail address"):
        check_contact(bad)


def test_every_source_client_sends_the_contact(monkeypatch, tmp_path):
    from paramtrack.flows.options import SourceSettings

    monkeypatch.setenv(CONTACT_ENV, "env@example.org")
    sources = SourceSettings(contact="flag@example.org")
    with sources.arxiv() as arxiv, sources.s2() as s2, sources.pdfs(str(tmp_path), 1) as pdfs:
        assert arxiv.user_agent.endswith("mailto:flag@example.org)")
        assert s2._headers["User-Agent"].endswith("mailto:flag@example.org)")
        assert pdfs._client.headers["User-Agent"].endswith("mailto:flag@example.org)")
    from paramtrack.sources.arxiv_oai import ArxivOaiClient

    with ArxivOaiClient("http://127.0.0.1:9/oai", user_agent=sources.user_agent) as oai:
        assert oai._client.headers["User-Agent"].endswith("mailto:flag@example.org)")


@pytest.mark.slow
def test_an_add_run_identifies_itself_with_the_contact_on_every_request(tmp_path, run_paramtrack, replay_server):
    result = run_paramtrack(  # a real run: Prefect's local API and the flow in a process of their own
        "--db",
        tmp_path / "w.duckdb",
        "add",
        "1312.5602",
        "--arxiv-url",
        replay_server.arxiv_api_url,
        "--s2-url",
        replay_server.s2_api_url,
        "--arxiv-delay",
        "0",
        "--s2-interval",
        "0",
        "--pdf-delay",
        "0",
        "-q",
        env={"PREFECT_API_URL": None, CONTACT_ENV: "maintainer@example.org"},
        timeout=300,
    )
    assert result.exit_code == 0, result.stderr[-2000:]
    asked = {
        e["path"].split("/")[1] + ("/batch" if e["path"].endswith("/batch") else ""): e["user_agent"]
        for e in replay_server.request_log
    }
    assert {"api", "graph/batch", "pdf"} <= set(asked), asked
    for agent in asked.values():
        assert agent.endswith("; mailto:maintainer@example.org)"), asked


def test_a_bad_contact_is_one_line_before_anything_starts(tmp_path, cli):
    result = cli("--db", tmp_path / "w.duckdb", "ingest", "--contact", "me at example dot org", env={CONTACT_ENV: None})
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: --contact: contact 'me at example dot org' is not an e-mail address (expected e.g. you@example.org)"
    )
