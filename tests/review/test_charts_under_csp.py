"""The trend charts under the review app: ``/charts/`` appears once the first recompute wrote
the folder, and the chart pages work under the app's strict Content-Security-Policy (no inline
script or style), in Chromium too."""

from __future__ import annotations

import re

import httpx
import pytest


@pytest.mark.slow
def test_charts_link_appears_when_folder_is_created_after_start(demo_queue, review_server, write_demo_charts, tmp_path):
    charts = tmp_path / "charts"
    with review_server("--charts", str(charts)) as srv:
        assert 'href="/charts/"' not in httpx.get(srv.url + "/").text
        assert httpx.get(srv.url + "/charts/").status_code == 404
        write_demo_charts(charts)  # the first recompute, while the server runs
        assert 'href="/charts/"' in httpx.get(srv.url + "/").text
        r = httpx.get(srv.url + "/charts/trends.html")
        assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
        assert httpx.get(srv.url + "/charts/charts.js").status_code == 200


@pytest.mark.slow
def test_chart_pages_have_no_inline_script_or_style(write_demo_charts, tmp_path):
    write_demo_charts(tmp_path)
    for name in ("trends.html", "gap.html", "index.html"):
        page = (tmp_path / name).read_text()
        assert "<style" not in page and " style=" not in page, name
        assert re.findall(r"<script\b[^>]*>", page) == ['<script src="charts.js" defer>'], name
        assert re.search(r"\son[a-z]+=", page) is None, name
        assert "http" not in page.replace("http://www.w3.org/2000/svg", ""), name


@pytest.mark.browser
def test_charts_work_under_the_csp(browser, demo_queue, review_server, write_demo_charts, artifacts, tmp_path):
    """The app serves /charts/ with its strict CSP: the real chart pages must still work."""
    charts = tmp_path / "charts"
    write_demo_charts(charts)
    with review_server("--charts", str(charts)) as srv:
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
        page.screenshot(path=str(artifacts / "charts-trends.png"), full_page=True)

        page.goto(srv.url + "/charts/gap.html")
        page.hover("rect[data-tip] >> nth=0")
        page.wait_for_selector("#tip", state="visible")
        assert "models" in page.inner_text("#tip")
        page.close()
    csp = [m for m in console if "Content Security Policy" in m or "Refused to" in m]
    assert csp == [] and errors == [], (csp, errors)
    assert all(u.startswith(srv.url) or u.startswith("data:") for u in requests), requests
