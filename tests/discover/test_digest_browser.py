"""Digests in the review app: the header link, the list (newest first), one digest as HTML.

The server is the real ``paramtrack review-server`` subprocess; the page is driven in Debian's
Chromium. The digest is rendered from a real run whose papers include a script-bearing title.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from paramtrack.reporting.digest import digest_name, render_digest
from paramtrack.warehouse import runs_store
from paramtrack.warehouse.status_store import run_report


@pytest.fixture()
def seed_run_with_digests(seed_demo_queue):
    """``seed_run_with_digests(warehouse, folder)``: the run and its newest digest's path."""
    return lambda warehouse, folder: _seed_run_with_digests(warehouse, folder, seed_demo_queue)


def _seed_run_with_digests(warehouse, folder: Path, seed_demo_queue) -> tuple[str, Path]:
    """One run that staged the demo queue, its digest, and an older digest beside it."""
    with warehouse.write() as con:
        run_id = runs_store.start_run(con, "discover", {"since": "2026-11-23", "until": "2026-11-30"})
    seed_demo_queue(warehouse)
    with warehouse.write() as con:
        # seed_demo_queue inserts rows directly; the intake's upsert would stamp this.
        con.execute("UPDATE papers SET notable_since = now() WHERE status = 'notable'")
        runs_store.finish_run(con, run_id, status="completed", counts={"staged": 5})
    with warehouse.read() as con:
        report = run_report(con, run_id)
    folder.mkdir(parents=True, exist_ok=True)
    older = folder / "2026-11-23-discover-0000aaaa.md"
    older.write_text("# The older digest\n\nNothing happened.\n")
    os.utime(older, (1, 1))
    (folder / "notes.md").write_text("# not a digest: never listed or served\n")
    newest = folder / digest_name(report)
    newest.write_text(render_digest(report))
    return run_id, newest


@pytest.mark.browser
def test_the_digests_link_opens_the_newest_digest(
    browser, warehouse, tmp_path, seed_run_with_digests, seed_demo_queue, review_server_process, artifacts
):
    run_id, newest = seed_run_with_digests(warehouse, tmp_path / "digests")
    with review_server_process(warehouse.path) as server:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(server.url + "/")
        page.click("header nav >> text=Digests")
        page.wait_for_url(server.url + "/digests")
        names = page.locator("a[data-digest]").all_inner_texts()
        assert names == [newest.name, "2026-11-23-discover-0000aaaa.md"]

        page.locator("a[data-digest]").first.click()
        page.wait_for_url(server.url + f"/digests/{newest.name}")
        assert page.inner_text("article h1").startswith("paramtrack discover digest")
        assert f"Run {run_id[:8]} completed" in page.inner_text("article")
        rows = page.locator("article table").first.locator("tbody tr")
        assert rows.count() == 5
        # The hostile title is a cell's text; its script never ran and added no element.
        assert page.get_by_role("cell", name=seed_demo_queue.xss_title, exact=True).count() == 1
        assert page.locator("article script, article img").count() == 0
        assert page.evaluate("window.__xss") is None
        link = page.locator("article a[href='https://arxiv.org/abs/2204.02311']")
        assert link.count() == 1 and link.get_attribute("rel") == "noopener noreferrer"
        page.screenshot(path=str(artifacts / "digest.png"), full_page=True)
        assert all(u.startswith(server.url) or u.startswith("data:") for u in requests), requests
        page.close()


@pytest.mark.slow
def test_digest_names_outside_the_pattern_are_refused(
    warehouse, tmp_path, seed_run_with_digests, review_server_process
):
    _, newest = seed_run_with_digests(warehouse, tmp_path / "elsewhere")
    (tmp_path / "secret.md").write_text("TOP-SECRET-CONTENT")
    with review_server_process(warehouse.path, "--digests", str(tmp_path / "elsewhere")) as server:
        ok = httpx.get(f"{server.url}/digests/{newest.name}")
        assert ok.status_code == 200 and "paramtrack discover digest" in ok.text
        assert "default-src 'self'" in ok.headers["content-security-policy"]
        listing = httpx.get(server.url + "/digests").text
        assert newest.name in listing and "notes.md" not in listing
        for bad in (
            "notes.md",
            "..%2Fsecret.md",
            "%2e%2e%2fsecret.md",
            "..%5Csecret.md",
            "2026-11-23-discover-0000aaaa.md%00",
            "2026-11-23-discover-0000aaab.md",
        ):
            response = httpx.get(f"{server.url}/digests/{bad}")
            assert response.status_code == 404, bad
            assert "TOP-SECRET-CONTENT" not in response.text and "not a digest" not in response.text
