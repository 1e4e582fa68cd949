"""The review server as a real subprocess: CSRF, conflicts, idempotency, token, PDF route."""

from __future__ import annotations

import re
import subprocess

import httpx
import pytest
from test_review_support import EXE, Server, csrf_client, form_fields, scalar, seed_demo_queue


@pytest.fixture()
def server(warehouse, tmp_path):
    seed_demo_queue(warehouse, tmp_path / "pdfs")
    with Server(warehouse.path, "--reviewer", "alice") as srv:
        yield srv


def test_csrf_missing_or_wrong_token_is_403_and_writes_nothing(server, warehouse):
    client, csrf = csrf_client(server.url)
    page = client.get("/papers/2204.02311").text
    fields = form_fields(page, "approve")
    no_token = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert client.post("/papers/2204.02311/decide", data=no_token).status_code == 403
    assert client.post("/papers/2204.02311/decide", data={**fields, "csrf_token": "x" * 43}).status_code == 403
    # a cross-site request carries neither cookie nor field
    bare = httpx.post(server.url + "/papers/2204.02311/decide", data=fields)
    assert bare.status_code == 403
    assert client.post("/reviewer", data={"reviewer": "mallory"}).status_code == 403
    server.stop()
    assert scalar(warehouse, "SELECT count(*) FROM decisions") == 0
    assert scalar(warehouse, "SELECT count(*) FROM models") == 0


def test_double_submit_applied_once_and_second_reviewer_gets_409(server, warehouse):
    alice, _ = csrf_client(server.url)
    bob, _ = csrf_client(server.url)
    page_a = alice.get("/papers/2005.14165").text
    page_b = bob.get("/papers/2005.14165").text
    approve = form_fields(page_a, "approve")
    first = alice.post("/papers/2005.14165/decide", data=approve)
    assert first.status_code == 303
    again = alice.post("/papers/2005.14165/decide", data=approve)  # double click
    assert again.status_code == 303 and again.headers["location"] == first.headers["location"]
    reject = {**form_fields(page_b, "reject"), "reason": "not_notable"}
    conflict = bob.post("/papers/2005.14165/decide", data=reject)
    assert conflict.status_code == 409
    assert "already decided by alice" in conflict.text and "not</strong> applied" in conflict.text
    server.stop()
    with warehouse.read() as con:
        assert con.execute("SELECT action, reviewer FROM decisions").fetchall() == [("approve", "alice")]
        assert con.execute("SELECT system, parameters FROM models").fetchall() == [("GPT-3", 175e9)]


def test_pages_and_pdf_route(server):
    client, _ = csrf_client(server.url)
    queue = client.get("/")
    assert queue.status_code == 200 and "0 of 5</strong> decided" in queue.text
    assert "default-src 'self'" in queue.headers["content-security-policy"]
    assert client.get("/?week=all&domain=language&status=all&min_score=0.6&sort=score").status_code == 200
    page = client.get("/papers/2204.02311").text
    assert "<mark>540-billion</mark>" in page and "/papers/2204.02311/pdf#page=1" in page
    pdf = client.get("/papers/2204.02311/pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert client.get("/papers/2005.14165/pdf").status_code == 404
    assert client.get("/papers/9999.99999").status_code == 404


def test_reviewer_required_without_fixed_identity(warehouse, tmp_path):
    seed_demo_queue(warehouse)
    with Server(warehouse.path) as srv:
        client, _ = csrf_client(srv.url)
        fields = form_fields(client.get("/papers/2204.02311").text, "approve")
        assert client.post("/papers/2204.02311/decide", data=fields).status_code == 400
        ok = client.post("/papers/2204.02311/decide", data={**fields, "reviewer": "dora"})
        assert ok.status_code == 303 and client.cookies.get("pt_reviewer") == "dora"
    with warehouse.read() as con:
        assert con.execute("SELECT reviewer FROM decisions").fetchall() == [("dora",)]


def test_non_loopback_requires_token(warehouse):
    proc = subprocess.run(
        [EXE, "--db", str(warehouse.path), "review-server", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin"},
    )
    assert proc.returncode != 0
    assert proc.stderr.strip().count("\n") == 0
    assert "refusing to listen on 0.0.0.0 without an access token" in proc.stderr


def test_token_required_on_every_request(warehouse):
    seed_demo_queue(warehouse)
    token = "Vq8mZ2xLr5Wn9Kc3-review"
    with Server(warehouse.path, "--reviewer", "alice", host="0.0.0.0", env={"PARAMTRACK_REVIEW_TOKEN": token}) as srv:
        anon = httpx.Client(base_url=srv.url, follow_redirects=False, headers={"Origin": srv.url})
        r = anon.get("/", headers={"accept": "text/html"})  # a browser goes to the login form
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
        assert anon.get("/papers/2204.02311/pdf", headers={"accept": "*/*"}).status_code == 401
        assert anon.post("/papers/2204.02311/decide", data={}).status_code == 401
        assert anon.get("/").status_code == 401
        assert (
            httpx.get(srv.url + "/", headers={"Authorization": "Bearer wrong"}, follow_redirects=False).status_code
            == 401
        )
        bearer = httpx.get(srv.url + "/", headers={"Authorization": f"Bearer {token}"})
        assert bearer.status_code == 200 and "Review queue" in bearer.text
        # login form: CSRF cookie + field, then a session cookie (not the token itself)
        login_page = anon.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
        bad = anon.post("/login", data={"csrf_token": csrf, "token": "nope", "next": "/"})
        assert bad.status_code == 401
        good = anon.post("/login", data={"csrf_token": csrf, "token": token, "next": "/"})
        assert good.status_code == 303
        assert anon.cookies.get("pt_session") and token not in anon.cookies.get("pt_session")
        assert anon.get("/").status_code == 200
