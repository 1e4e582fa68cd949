"""Reviewing in Debian's Chromium, end to end: approve by keyboard, correct, reject; hostile paper
text stays text; a nameless candidate, a refused form and an undo without dead ends; the decided
list and the compact view."""

from __future__ import annotations

import pytest

from paramtrack.review_queue.service import Correction, ReviewService

pytestmark = pytest.mark.browser


@pytest.fixture()
def demo_server(demo_queue_with_pdf, review_server, tmp_path):
    """The demo queue served with a charts folder."""
    charts = tmp_path / "charts"
    charts.mkdir()
    (charts / "index.html").write_text("<h1>charts</h1>")
    with review_server("--charts", str(charts)) as srv:
        yield srv


def test_review_in_browser(browser, demo_server, warehouse, hostile, artifacts):
    XSS_TITLE, XSS_EVIDENCE = hostile["title"], hostile["evidence"]
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    base = demo_server.url
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
    page.screenshot(path=str(artifacts / "review-queue.png"), full_page=True)

    # keyboard: help overlay, then 'a' approves the selected (top) paper's top candidate
    page.keyboard.press("?")
    assert page.is_visible("#help")
    page.screenshot(path=str(artifacts / "review-help.png"))
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
    page.screenshot(path=str(artifacts / "review-paper.png"), full_page=True)
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
    page.screenshot(path=str(artifacts / "review-xss.png"), full_page=True)

    page.goto(base + "/")
    assert "3 of 5 decided" in page.inner_text(".progress-text")
    page.screenshot(path=str(artifacts / "review-queue-after.png"), full_page=True)
    assert all(u.startswith(base) or u.startswith("data:") for u in requests), requests
    page.close()

    demo_server.stop()
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


# -- review without dead ends -----------------------------------------------------------------

NAMELESS = "2301.00042"


@pytest.fixture()
def dead_ends_server(warehouse, demo_queue, seed_paper, review_server):
    """The demo queue plus a paper whose top candidate names no system, and 30 more papers so
    that the queue is longer than a screen."""
    seed_paper(
        warehouse,
        NAMELESS,
        "Scaling Laws Without a Name",
        [{"value": 3e9, "model": None, "evidence": "We train a model with 3B parameters.", "page": 2, "score": 0.9}],
        citations=9000,
    )
    for i in range(30):
        seed_paper(
            warehouse,
            f"2302.{i:05d}",
            f"Filler paper {i} about a model of moderate size and a long enough title to wrap",
            [
                {
                    "value": (i + 1) * 1e8,
                    "model": f"Filler-{i}",
                    "evidence": f"Filler-{i} has {(i + 1) * 100}M parameters, trained on a corpus we describe at length.",
                    "page": 4,
                }
            ],
            citations=100 - i,
        )
    with review_server() as srv:
        yield srv


def _name(page, base: str, name: str = "hana") -> None:
    page.goto(base + "/")
    page.fill("[data-reviewer-name]", name)
    page.click("form.name-form button")
    page.wait_for_url(base + "/")


def test_approving_a_nameless_candidate_asks_for_the_name_in_place(browser, dead_ends_server, warehouse, artifacts):
    base = dead_ends_server.url
    page = browser.new_page(viewport={"width": 1400, "height": 950})
    _name(page, base)
    # The queue's first row is the nameless paper: 'a' asks for the name in the row instead of
    # sending a form the server would refuse on a page of its own.
    row = page.locator("tr[data-nav-row]").first
    assert NAMELESS in row.inner_text()
    page.keyboard.press("a")
    page.wait_for_function("document.activeElement && document.activeElement.name === 'system'")
    assert page.url == base + "/"
    assert page.evaluate("document.activeElement.placeholder") == "name it, then Enter"
    page.screenshot(path=str(artifacts / "review-nameless-ask.png"))
    page.keyboard.type("Scaling-3B")
    page.keyboard.press("Enter")
    page.wait_for_url("**/papers/*?done=*")
    assert f"approve {NAMELESS} by hana" in page.inner_text(".flash")

    # Without the page's script (or a name cleared by hand), the server's refusal comes back in
    # place: the paper again, the message at the candidate's form, the name field focused.
    page.goto(base + f"/papers/{NAMELESS}")
    page.click("[data-undo] button")  # undo the approval first: the paper is open again
    page.wait_for_url(f"**/papers/{NAMELESS}?done=*")
    page.evaluate(
        "() => { const i = document.querySelector('[data-approve] input[name=system]');"
        " i.required = false; i.value = '   '; i.form.submit(); }"
    )
    page.wait_for_load_state()
    error = page.locator("[data-approve] [data-form-error]")
    assert "names no system" in error.inner_text()
    assert page.evaluate("document.activeElement.name") == "system"
    page.screenshot(path=str(artifacts / "review-nameless-refused.png"), full_page=True)
    page.close()


def test_a_refused_form_keeps_everything_typed(browser, dead_ends_server, warehouse, artifacts):
    base = dead_ends_server.url
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    _name(page, base)
    page.goto(base + "/papers/2005.14165")
    page.fill("[data-correct] input[name=parameters]", "174.6 gazillion")
    page.fill("[data-correct] input[name=model]", "GPT-3 davinci")
    page.select_option("[data-correct] select[name=kind]", "dense_total")
    page.fill("[data-correct] input[name=date]", "2020-05-28")
    page.fill("[data-correct] textarea[name=evidence]", "GPT-3 175B has 174.6 billion parameters.")
    page.fill("[data-correct] input[name=evidence_page]", "8")
    page.fill("[data-correct] input[name=note]", "checked table 2.1")
    page.click("[data-correct] button")
    page.wait_for_load_state()
    assert "'174.6 gazillion' is not a number" in page.inner_text("#edit [data-form-error]")
    kept = {
        name: page.input_value(f"[data-correct] [name={name}]")
        for name in ("parameters", "model", "kind", "date", "evidence", "evidence_page", "note")
    }
    assert kept == {
        "parameters": "174.6 gazillion",
        "model": "GPT-3 davinci",
        "kind": "dense_total",
        "date": "2020-05-28",
        "evidence": "GPT-3 175B has 174.6 billion parameters.",
        "evidence_page": "8",
        "note": "checked table 2.1",
    }
    assert page.evaluate("document.activeElement.name") == "parameters"
    page.screenshot(path=str(artifacts / "review-refused-form.png"), full_page=True)
    page.fill("[data-correct] input[name=parameters]", "174.6B")  # fix only what was wrong
    page.click("[data-correct] button")
    page.wait_for_url("**/papers/*?done=*")
    page.close()
    with warehouse.read() as con:
        assert con.execute(
            "SELECT system, parameters, evidence_page, publication_date::VARCHAR FROM models"
        ).fetchall() == [("GPT-3 davinci", 174.6e9, 8, "2020-05-28")]
        assert con.execute("SELECT note FROM decisions").fetchall() == [("checked table 2.1",)]


def test_undo_restores_the_previous_state_and_is_audited(browser, dead_ends_server, warehouse, artifacts):
    base = dead_ends_server.url
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    _name(page, base)
    page.goto(base + "/papers/2204.02311")
    page.keyboard.press("a")  # approve PaLM's top candidate: on to the next paper
    page.wait_for_url("**/papers/*?done=*")
    assert "approve 2204.02311 by hana" in page.inner_text(".flash")
    page.screenshot(path=str(artifacts / "review-saved-with-undo.png"))
    page.keyboard.press("z")  # undo it from the next paper's page
    page.wait_for_url("**/papers/2204.02311?done=*")
    assert "Undone" in page.inner_text(".flash") and "pending again" in page.inner_text(".flash")
    assert page.inner_text(".paper-head .status") == "pending"
    history = page.inner_text("#history")
    assert "undid #1 (approve)" in history and "(undone)" in history
    assert "{" not in history  # readable, not the log's JSON
    page.screenshot(path=str(artifacts / "review-undone.png"), full_page=True)
    page.close()
    with warehouse.read() as con:
        assert con.execute("SELECT action, reviewer, undoes FROM decisions ORDER BY decision_id").fetchall() == [
            ("approve", "hana", None),
            ("undo", "hana", 1),
        ]
        assert con.execute("SELECT count(*) FROM models").fetchone()[0] == 0
        assert con.execute("SELECT status FROM review_items WHERE arxiv_id = '2204.02311'").fetchone()[0] == "pending"


def test_the_decided_list_shows_the_datasets_value_and_reviewer_and_a_compact_mode(
    browser, dead_ends_server, warehouse, artifacts
):
    ReviewService(warehouse).decide(
        "2005.14165",
        reviewer="ivan",
        action="correct",
        correction=Correction(parameters=174.6e9, evidence="It has 174.6B parameters.", evidence_page=8),
        expected_version=0,
    )
    base = dead_ends_server.url
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    _name(page, base)
    assert page.is_visible("[data-epoch-notice]")  # no Epoch vintage in this warehouse: says how
    page.goto(base + "/?status=decided&week=all")
    cell = page.locator("[data-dataset-value]").first.inner_text()
    assert cell == "GPT-3 174.6B", cell  # the dataset's value, to the digit that differs ...
    assert "proposed 175B" in page.locator("td.value").first.inner_text()  # ... beside the proposal
    assert "by ivan" in page.inner_text("[data-decided-by]")
    page.screenshot(path=str(artifacts / "review-decided-list.png"))

    def rows_on_screen() -> int:
        return page.evaluate(
            "Array.from(document.querySelectorAll('tr[data-nav-row]'))"
            ".filter((r) => r.getBoundingClientRect().bottom <= window.innerHeight).length"
        )

    page.goto(base + "/?week=all")
    roomy = rows_on_screen()
    page.keyboard.press("c")
    compact = rows_on_screen()
    assert compact >= 2 * roomy, (roomy, compact)
    page.reload()  # the choice is remembered
    assert page.evaluate("document.body.classList.contains('compact')") and rows_on_screen() == compact
    page.screenshot(path=str(artifacts / "review-queue-compact.png"))
    page.close()
