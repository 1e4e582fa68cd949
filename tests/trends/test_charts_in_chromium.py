"""Charts worth publishing, looked at in Debian's Chromium under the review app's CSP.

A real warehouse (Epoch's 2022-09 vintage plus reviewed systems) is recomputed with charts;
``paramtrack review-server --charts`` serves them. The test checks what a reader sees (panels,
confidence bands, the shaded gap band, axis titles, the caption, the notes on fits not drawn,
the gap verdicts), filters the model table as an analyst would, and leaves screenshots of the
charts and the filtered table in ``test-artifacts/``.
"""

from __future__ import annotations

import shutil
from datetime import date

import pytest

pytestmark = pytest.mark.browser

PCD = "pcd_notable_ml_systems_2022-09.csv"


@pytest.fixture()
def charted(warehouse, cli, pcd_csv, stage_paper_for_review, tmp_path, monkeypatch):
    """The 2022-09 vintage, two reviewed systems of one paper (one of them corrected),
    recomputed with charts; the CLI runs in this process."""
    from paramtrack.extractors.types import Candidate
    from paramtrack.review_queue.service import Correction, ReviewService

    r = cli("--db", str(warehouse.path), "import-epoch", str(pcd_csv))
    assert r.exit_code == 0, r.stderr
    stage_paper_for_review(
        warehouse,
        "1512.03385",
        "Deep Residual Learning for Image Recognition",
        [
            Candidate(
                "parameters",
                60_200_000,
                "dense_total",
                model="ResNet-152",
                page=4,
                score=0.8,
                evidence="ResNet-152 has 60.2M parameters.",
            ),
            Candidate(
                "parameters",
                1_700_000,
                "dense_total",
                model="ResNet-110",
                page=7,
                score=0.8,
                evidence="110 layers, 1.7M parameters",
            ),
        ],
        domain="vision",
        published=date(2015, 12, 10),
    )
    svc = ReviewService(warehouse)
    view = svc.paper_view("1512.03385")

    def version() -> int:  # each decision names the version of the paper it was made against
        return svc.paper_view("1512.03385")["paper"]["version"]

    for c in view["candidates"]:
        svc.decide(
            "1512.03385", reviewer="ada", action="approve", candidate_id=c["candidate_id"], expected_version=version()
        )
    svc.decide(
        "1512.03385",
        reviewer="ada",
        action="correct",
        candidate_id=view["candidates"][0]["candidate_id"],
        correction=Correction(parameters=60.19e6, evidence="Table 1: 60.19M", evidence_page=5),
        expected_version=version(),
    )
    charts = tmp_path / "charts"
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    r = cli("--db", str(warehouse.path), "recompute", "--no-prefect", "--charts", str(charts))
    assert r.exit_code == 0, r.stderr
    return warehouse, charts


def _count(wh, sql: str) -> int:
    with wh.read() as con:
        return con.execute(sql).fetchone()[0]


def test_charts_and_the_model_table_in_chromium(browser, charted, review_server_process, artifacts):
    wh, charts = charted
    for name in ("trends.png", "trends_by_domain.png", "gap.png"):  # the PNGs as published
        shutil.copy(charts / name, artifacts / f"charts-{name}")
    fitted = _count(wh, "SELECT count(*) FROM curated_models WHERE parameters > 0")
    with review_server_process(wh.path, "--charts", str(charts)) as srv:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(str(e)))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        response = page.goto(srv.url + "/charts/trends.html")
        assert "script-src 'self'" in response.headers["content-security-policy"]

        caption = page.inner_text("p.caption")
        assert PCD in caption and "with 2 reviewed rows" in caption and "Drawn 20" in caption
        svgs = page.locator("svg")
        assert svgs.count() >= 3
        first = svgs.nth(0)
        assert first.locator("text.axis-title").all_text_contents() == [
            "publication date (year)",
            "parameters (log scale)",
        ]
        assert first.locator("rect.gap-band").count() == 1
        # every drawn fit has its band; the above-gap era is not drawn, and the page says why
        assert first.locator("line.fit").count() == first.locator("path.fit-band").count() == 2
        second = svgs.nth(1)
        assert second.locator("line.fit").count() == second.locator("path.fit-band").count() == 1
        notes = " ".join(page.locator("p.note").all_inner_texts())
        assert "above gap (>=20B): not drawn (R² 0.0" in notes and "crosses 0" in notes
        # the reviewed systems are diamonds apart from Epoch's circles, their tooltip in the
        # axis' units and naming the reviewer
        assert first.locator("path.pt.reviewed").count() == 2
        first.locator("path.pt.reviewed").first.hover()
        page.wait_for_selector("#tip", state="visible")
        tip = page.inner_text("#tip")
        assert "M parameters" in tip and "reviewed in paramtrack by ada" in tip and "e+" not in tip
        # every fit line and band is drawn inside the plot area's clip path
        assert first.locator("g.plot[clip-path] line.fit").count() == 2
        page.screenshot(path=str(artifacts / "charts-trends-page.png"))
        # the data of the page, with provenance, one click away
        download = page.locator("a[href='chart_models.csv']").first
        assert "with provenance" in download.inner_text()
        data = page.request.get(srv.url + "/charts/chart_models.csv").text()
        assert data.splitlines()[0].endswith(",provenance") and f"{PCD} row " in data

        # the model table: search, then domain + year, then size, then source
        page.locator("#model-table").scroll_into_view_if_needed()
        count = page.locator("#model-count")
        assert count.inner_text() == f"{fitted} of {fitted} models"
        page.fill("#f-search", "resnet")
        resnets = page.locator("#models tbody tr:not([hidden])")
        names = resnets.locator("td:first-child").all_inner_texts()
        assert names and all("resnet" in n.lower() for n in names)
        assert count.inner_text() == f"{len(names)} of {fitted} models"
        page.click("#f-reset")
        page.select_option("#f-domain", "language")
        page.fill("#f-from", "2020")
        expected = _count(
            wh,
            "SELECT count(*) FROM curated_models WHERE parameters > 0"
            " AND domain = 'language' AND year(publication_date) >= 2020",
        )
        assert count.inner_text() == f"{expected} of {fitted} models"
        page.select_option("#f-min", "10")  # at least 10B
        page.select_option("#f-max", "11")  # below 100B
        expected = _count(
            wh,
            "SELECT count(*) FROM curated_models WHERE domain = 'language'"
            " AND year(publication_date) >= 2020"
            " AND parameters >= 1e10 AND parameters < 1e11",
        )
        assert count.inner_text() == f"{expected} of {fitted} models" and expected > 0
        page.screenshot(path=str(artifacts / "charts-model-table-language-2020-10B-100B.png"))
        page.click("#f-reset")
        page.select_option("#f-source", "review")
        rows = page.locator("#models tbody tr:not([hidden])")
        assert rows.count() == 2
        links = rows.locator("td.evidence a")
        hrefs = sorted(links.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
        assert hrefs == ["https://arxiv.org/pdf/1512.03385#page=5", "https://arxiv.org/pdf/1512.03385#page=7"]
        assert "Table 1: 60.19M" in rows.nth(0).inner_text() + rows.nth(1).inner_text()
        page.locator("#model-table").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "charts-model-table-reviewed.png"))

        page.goto(srv.url + "/charts/gap.html")
        assert PCD in page.inner_text("p.caption")
        band = page.locator("rect.named-band").first
        assert "undetermined" in band.get_attribute("data-tip")
        assert page.locator("svg text.axis-title").first.text_content().startswith("parameters")
        language = page.locator("table tr", has_text="language").filter(has_text="20B-70B")
        assert "undetermined" in language.inner_text() and "[0.1" in language.inner_text()
        page.screenshot(path=str(artifacts / "charts-gap-page.png"), full_page=True)
        page.close()
    assert problems == []
    assert all(u.startswith(srv.url) or u.startswith("data:") for u in requests), requests
