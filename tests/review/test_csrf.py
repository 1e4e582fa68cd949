"""Forged decisions are refused with 403 and store nothing, whatever they try: no token, a wrong
or planted token, a foreign ``Origin``, no origin at all, a page on another loopback port in a
real browser, even a server-minted cookie; the review page's own forms still work.
Over real loopback HTTP, in headless Chromium, and the signed tokens and origin check alone."""

from __future__ import annotations

import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

from paramtrack.review_queue.csrf import CsrfTokens, foreign_origin

PAPER = "2204.02311"


def _decisions(srv, scalar) -> int:
    srv.stop()
    return scalar("SELECT count(*) FROM decisions")


@pytest.mark.slow
def test_csrf_missing_or_wrong_token_is_403_and_writes_nothing(alice_server, csrf_client, form_fields, scalar):
    client, csrf = csrf_client(alice_server.url)
    page = client.get(f"/papers/{PAPER}").text
    fields = form_fields(page, "approve")
    no_token = {k: v for k, v in fields.items() if k != "csrf_token"}
    assert client.post(f"/papers/{PAPER}/decide", data=no_token).status_code == 403
    assert client.post(f"/papers/{PAPER}/decide", data={**fields, "csrf_token": "x" * 43}).status_code == 403
    # a cross-site request carries neither cookie nor field
    bare = httpx.post(alice_server.url + f"/papers/{PAPER}/decide", data=fields)
    assert bare.status_code == 403
    assert client.post("/reviewer", data={"reviewer": "mallory"}).status_code == 403
    alice_server.stop()
    assert scalar("SELECT count(*) FROM decisions") == 0
    assert scalar("SELECT count(*) FROM models") == 0


@pytest.mark.slow
def test_a_forged_curl_is_refused_and_stores_nothing(alice_server, csrf_client, scalar):
    url = f"{alice_server.url}/papers/1512.03385/decide"
    forged = subprocess.run(
        [
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-b",
            "pt_csrf=x",
            "-d",
            "csrf_token=x&action=note&note=forged&reviewer=alice",
            "-H",
            "Origin: http://evil.example",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert forged.stdout == "403"
    # Each defence on its own: our own Origin with a planted token, a valid token from abroad.
    client, csrf = csrf_client(alice_server.url)
    note = {"csrf_token": "x", "action": "note", "note": "forged", "request_id": "r1"}
    planted = httpx.post(
        url.replace("1512.03385", PAPER), data=note, cookies={"pt_csrf": "x"}, headers={"Origin": alice_server.url}
    )
    assert planted.status_code == 403 and "CSRF check failed" in planted.text
    abroad = client.post(
        f"/papers/{PAPER}/decide",
        data={**note, "csrf_token": csrf},
        headers={"Origin": f"http://127.0.0.1:{alice_server.port + 1}"},
    )
    assert abroad.status_code == 403
    nameless = httpx.post(
        f"{alice_server.url}/papers/{PAPER}/decide", data={**note, "csrf_token": csrf}, cookies={"pt_csrf": csrf}
    )  # no Origin, no Referer
    assert nameless.status_code == 403
    assert _decisions(alice_server, scalar) == 0


class _Attacker:
    """A page on another loopback port that plants a CSRF cookie and auto-submits a decision."""

    def __init__(self, target: str, token: str) -> None:
        page = (
            f'<form id="f" method="post" action="{target}/papers/{PAPER}/decide">'
            f'<input name="csrf_token" value="{token}"><input name="action" value="note">'
            '<input name="note" value="forged"><input name="reviewer" value="alice">'
            '<input name="request_id" value="forged-1"></form>'
            f'<script>document.cookie = "pt_csrf={token}; path=/";'
            ' document.getElementById("f").submit();</script>'
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def __enter__(self) -> _Attacker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _submit_forged(browser, attacker: _Attacker) -> int:
    context = browser.new_context()
    page = context.new_page()
    try:
        with page.expect_response(lambda r: r.url.endswith("/decide")) as answer:
            page.goto(attacker.url)
        return answer.value.status
    finally:
        context.close()


@pytest.mark.browser
def test_a_forged_page_on_another_loopback_port_is_refused_in_chromium(browser, alice_server, warehouse):
    # A cookie value the attacker picked ...
    with _Attacker(alice_server.url, "x" * 43) as attacker:
        assert _submit_forged(browser, attacker) == 403
    # ... and a genuinely signed one the attacker fetched from the server itself: only the
    # Origin check stops this one.
    minted = httpx.get(alice_server.url + "/").cookies["pt_csrf"]
    with _Attacker(alice_server.url, minted) as attacker:
        assert _submit_forged(browser, attacker) == 403

    # The review page's own forms still work in the same browser.
    context = browser.new_context()
    page = context.new_page()
    page.goto(alice_server.url + "/")
    page.keyboard.press("a")
    page.wait_for_url("**/papers/*?done=*")
    assert f"approve {PAPER} by alice" in page.inner_text(".flash")
    context.close()
    alice_server.stop()
    with warehouse.read() as con:
        assert con.execute("SELECT action, reviewer FROM decisions").fetchall() == [("approve", "alice")]


def test_csrf_tokens_are_signed_and_bound_to_the_session():
    tokens = CsrfTokens()
    anonymous, signed_in = tokens.issue(), tokens.issue("session-sig")
    assert tokens.matches(anonymous, anonymous) and tokens.matches(signed_in, signed_in, "session-sig")
    assert not tokens.matches(anonymous, anonymous, "session-sig")  # minted before login
    assert not tokens.matches(signed_in, signed_in)  # after logout
    assert not tokens.matches("x" * 43, "x" * 43) and not tokens.valid(anonymous, "other")
    assert not CsrfTokens().valid(anonymous)  # another server (or a restart) has another key


@pytest.mark.parametrize(
    "headers, ok",
    [
        ({"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000"}, True),
        ({"host": "127.0.0.1:8000", "referer": "http://127.0.0.1:8000/papers/1"}, True),
        ({"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8001"}, False),
        ({"host": "127.0.0.1:8000", "origin": "null"}, False),
        ({"host": "127.0.0.1:8000", "referer": "http://127.0.0.1:8000.evil.example/"}, False),
        ({"host": "127.0.0.1:8000", "origin": "http://127.0.0.1:8000", "sec-fetch-site": "same-site"}, False),
        ({"host": "127.0.0.1:8000"}, False),
    ],
)
def test_the_origin_check(headers, ok):
    assert (foreign_origin(headers, "http") is None) is ok
