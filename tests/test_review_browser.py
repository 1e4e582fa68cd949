"""End to end in Debian's Chromium: approve (keyboard), correct, reject; XSS stays text."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from test_review_support import (
    REPO_ROOT,
    XSS_EVIDENCE,
    XSS_TITLE,
    Server,
    seed_demo_queue,
    write_demo_charts,
)

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        subprocess.run([str(REPO_ROOT / ".ci" / "install-browser")], check=False, timeout=900)
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/install-browser)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def review_server(warehouse, tmp_path):
    # The lead can swap seed_demo_queue for the real demo pipeline (ingest -> extract -> stage).
    ids = seed_demo_queue(warehouse, tmp_path / "pdfs")
    charts = tmp_path / "charts"
    charts.mkdir()
    (charts / "index.html").write_text("<h1>charts</h1>")
    with Server(warehouse.path, "--charts", str(charts)) as srv:
        srv.ids = ids
        yield srv


def test_review_in_browser(browser, review_server, warehouse):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    base = review_server.url
    page.goto(base + "/")
    assert "0 of 5 decided" in page.inner_text(".progress-text")
    assert page.locator("a[href='/charts/']").count() == 1
    page.fill("[data-reviewer-name]", "hana")
    page.click("form.name-form button")
    page.wait_for_url(base + "/")
    assert page.inner_text(".who strong") == "hana"

    # XSS: the title and evidence are shown as text, nothing runs
    assert page.evaluate("window.__xss") is None
    assert page.get_by_text(XSS_TITLE, exact=True).count() == 1
    page.screenshot(path=str(ARTIFACTS / "review-queue.png"), full_page=True)

    # keyboard: help overlay, then 'a' approves the selected (top) paper's top candidate
    page.keyboard.press("?")
    assert page.is_visible("#help")
    page.screenshot(path=str(ARTIFACTS / "review-help.png"))
    page.keyboard.press("Escape")
    assert not page.is_visible("#help")
    page.keyboard.press("j")
    page.keyboard.press("k")
    page.keyboard.press("a")
    page.wait_for_url("**/papers/2005.14165?done=*")  # next paper in the queue
    assert "approve 2204.02311 by hana" in page.inner_text(".flash")

    # correct GPT-3 via 'e'
    page.keyboard.press("e")
    assert page.evaluate("document.activeElement.name") == "parameters"
    page.keyboard.type("174.6B")
    page.fill("[data-correct] input[name=model]", "GPT-3 davinci")
    # the page asks the server which Epoch rows that system supersedes, as the name is typed
    assert page.get_attribute("[data-correct] [data-match-ids]", "value") == "unknown"
    page.wait_for_selector("[data-correct] [data-match-ids]:not([value='unknown'])", state="attached")
    assert "adds it as a system of its own" in page.inner_text("[data-correct] [data-match-text]")
    # a corrected count records the reviewer's evidence, not the replaced candidate's sentence
    page.fill("[data-correct] textarea[name=evidence]", "GPT-3 175B has 174.6 billion parameters.")
    page.fill("[data-correct] input[name=evidence_page]", "8")
    page.select_option("[data-correct] select[name=kind]", "dense_total")
    page.fill("[data-correct] input[name=date]", "2020-05-28")
    page.screenshot(path=str(ARTIFACTS / "review-paper.png"), full_page=True)
    page.click("[data-correct] button")
    page.wait_for_url("**/papers/1706.03762?done=*")

    # reject the Transformer via 'r' + a reason
    page.keyboard.press("r")
    page.check("input[name=reason][value=not_notable]")
    page.fill("[data-reject] input[name=note]", "pre-2018 baseline")
    page.click("[data-reject] button")
    page.wait_for_url("**/papers/2112.04426?done=*")

    # the XSS paper page: literal text, no <img> injected, no script ran
    page.goto(base + "/papers/2401.00001")
    assert page.inner_text("h1") == XSS_TITLE
    assert XSS_EVIDENCE.replace("7B", "").split("model")[1].strip() in page.inner_text("td.evidence")
    assert page.locator("td.evidence img, .abstract img").count() == 0
    assert page.locator("td.evidence mark").inner_text() == "7B"
    assert page.evaluate("window.__xss") is None
    page.screenshot(path=str(ARTIFACTS / "review-xss.png"), full_page=True)

    page.goto(base + "/")
    assert "3 of 5 decided" in page.inner_text(".progress-text")
    page.screenshot(path=str(ARTIFACTS / "review-queue-after.png"), full_page=True)
    assert all(u.startswith(base) or u.startswith("data:") for u in requests), requests
    page.close()

    review_server.stop()
    with warehouse.read() as con:
        models = con.execute(
            "SELECT arxiv_id, system, parameters, publication_date::VARCHAR, reviewer FROM models ORDER BY arxiv_id"
        ).fetchall()
        decisions = con.execute(
            "SELECT arxiv_id, action, reviewer, reason, note FROM decisions ORDER BY decision_id"
        ).fetchall()
    assert models == [
        ("2005.14165", "GPT-3 davinci", 174.6e9, "2020-05-28", "hana"),
        ("2204.02311", "PaLM", 540e9, "2024-03-01", "hana"),
    ]
    with warehouse.read() as con:
        assert con.execute(
            "SELECT evidence, evidence_page, evidence_source FROM models WHERE arxiv_id = '2005.14165'"
        ).fetchall() == [("GPT-3 175B has 174.6 billion parameters.", 8, "typed")]
    assert decisions == [
        ("2204.02311", "approve", "hana", None, None),
        ("2005.14165", "correct", "hana", None, None),
        ("1706.03762", "reject", "hana", "not_notable", "pre-2018 baseline"),
    ]


def test_charts_work_under_the_csp(browser, warehouse, tmp_path):
    """The app serves /charts/ with its strict CSP: the real chart pages must still work."""
    seed_demo_queue(warehouse)
    charts = tmp_path / "charts"
    write_demo_charts(charts)
    with Server(warehouse.path, "--charts", str(charts)) as srv:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        console: list[str] = []
        errors: list[str] = []
        requests: list[str] = []
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(srv.url + "/")
        page.click("a[href='/charts/']")
        page.wait_for_url(srv.url + "/charts/")
        assert page.inner_text("h1") == "paramtrack charts"
        assert page.evaluate("getComputedStyle(document.body).marginTop") != "8px"  # charts.css applied

        response = page.goto(srv.url + "/charts/trends.html")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        # hover a point: the tooltip (charts.js) shows the model
        assert not page.is_visible("#tip")
        page.hover("circle[data-dom=language] >> nth=0")
        page.wait_for_selector("#tip", state="visible")
        assert "parameters" in page.inner_text("#tip") and "language" in page.inner_text("#tip")
        # legend colour comes from charts.css, not a style attribute
        color = page.evaluate("getComputedStyle(document.querySelector('.legend span[data-dom=language]')).color")
        assert color == "rgb(31, 119, 180)"
        # click a legend entry: that domain's points hide, others stay
        page.click(".legend span[data-dom=language]")
        assert page.locator("circle[data-dom=language]").first.is_hidden()
        assert page.locator("circle[data-dom=vision]").first.is_visible()
        page.click(".legend span[data-dom=language]")
        assert page.locator("circle[data-dom=language]").first.is_visible()
        page.screenshot(path=str(ARTIFACTS / "charts-trends.png"), full_page=True)

        page.goto(srv.url + "/charts/gap.html")
        page.hover("rect[data-tip] >> nth=0")
        page.wait_for_selector("#tip", state="visible")
        assert "models" in page.inner_text("#tip")
        page.close()
    csp = [m for m in console if "Content Security Policy" in m or "Refused to" in m]
    assert csp == [] and errors == [], (csp, errors)
    assert all(u.startswith(srv.url) or u.startswith("data:") for u in requests), requests
