"""Issue 15 on the review server, over real loopback HTTP and in headless Chromium.

Forged decisions (from a foreign ``Origin``, from a page on another loopback port, with a planted
or even a server-minted CSRF cookie) are refused with 403 and store nothing, while the review
page's own forms still work; oversized bodies are refused while they stream; wrong tokens are
locked out; weak tokens and non-loopback ``Host`` names are refused.
"""

from __future__ import annotations

import re
import select
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from test_review_browser import browser  # noqa: F401  (the module's Chromium fixture)
from test_review_support import EXE, Server, csrf_client, form_fields, scalar, seed_demo_queue

from paramtrack.review_queue.csrf import CsrfTokens, foreign_origin
from paramtrack.review_queue.limits import MAX_BODY_BYTES, FailureThrottle
from paramtrack.review_queue.tokens import token_weakness

TOKEN = "Vq8mZ2xLr5Wn9Kc3-review"
PAPER = "2204.02311"


@pytest.fixture()
def server(warehouse, tmp_path):
    seed_demo_queue(warehouse, tmp_path / "pdfs")
    with Server(warehouse.path, "--reviewer", "alice") as srv:
        yield srv


def _decisions(srv: Server, warehouse) -> int:
    srv.stop()
    return scalar(warehouse, "SELECT count(*) FROM decisions")


# -- CSRF: curl -------------------------------------------------------------------------------


def test_the_forged_curl_from_the_issue_is_refused_and_stores_nothing(server, warehouse):
    url = f"{server.url}/papers/1512.03385/decide"
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
    client, csrf = csrf_client(server.url)
    note = {"csrf_token": "x", "action": "note", "note": "forged", "request_id": "r1"}
    planted = httpx.post(
        url.replace("1512.03385", PAPER), data=note, cookies={"pt_csrf": "x"}, headers={"Origin": server.url}
    )
    assert planted.status_code == 403 and "CSRF check failed" in planted.text
    abroad = client.post(
        f"/papers/{PAPER}/decide",
        data={**note, "csrf_token": csrf},
        headers={"Origin": f"http://127.0.0.1:{server.port + 1}"},
    )
    assert abroad.status_code == 403
    nameless = httpx.post(
        f"{server.url}/papers/{PAPER}/decide", data={**note, "csrf_token": csrf}, cookies={"pt_csrf": csrf}
    )  # no Origin, no Referer
    assert nameless.status_code == 403
    assert _decisions(server, warehouse) == 0


def test_a_request_to_a_foreign_host_name_is_refused_on_loopback(server):
    """DNS rebinding: evil.example resolving to 127.0.0.1 would be same-origin with itself."""
    r = httpx.get(server.url + "/", headers={"Host": f"evil.example:{server.port}"})
    assert r.status_code == 400 and "answers only to 127.0.0.1" in r.text
    assert httpx.get(f"http://localhost:{server.port}/").status_code == 200


# -- CSRF: a forged page on another loopback port, in Chromium --------------------------------


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


def _submit_forged(browser, attacker: _Attacker) -> int:  # noqa: F811
    context = browser.new_context()
    page = context.new_page()
    try:
        with page.expect_response(lambda r: r.url.endswith("/decide")) as answer:
            page.goto(attacker.url)
        return answer.value.status
    finally:
        context.close()


@pytest.mark.browser
def test_a_forged_page_on_another_loopback_port_is_refused_in_chromium(browser, server, warehouse):  # noqa: F811
    # A cookie value the attacker picked, as in the issue ...
    with _Attacker(server.url, "x" * 43) as attacker:
        assert _submit_forged(browser, attacker) == 403
    # ... and a genuinely signed one the attacker fetched from the server itself: only the
    # Origin check stops this one.
    minted = httpx.get(server.url + "/").cookies["pt_csrf"]
    with _Attacker(server.url, minted) as attacker:
        assert _submit_forged(browser, attacker) == 403

    # The review page's own forms still work in the same browser.
    context = browser.new_context()
    page = context.new_page()
    page.goto(server.url + "/")
    page.keyboard.press("a")
    page.wait_for_url("**/papers/*?done=*")
    assert f"approve {PAPER} by alice" in page.inner_text(".flash")
    context.close()
    server.stop()
    with warehouse.read() as con:
        assert con.execute("SELECT action, reviewer FROM decisions").fetchall() == [("approve", "alice")]


# -- body size ----------------------------------------------------------------------------------


def _peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


def _post_head(srv: Server, csrf: str, extra: str) -> bytes:
    return (
        f"POST /papers/{PAPER}/decide HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
        f"Origin: {srv.url}\r\nCookie: pt_csrf={csrf}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n{extra}\r\n"
    ).encode()


def _status(sock: socket.socket) -> int:
    head = sock.recv(4096)
    return int(head.split(b" ", 2)[1])


def test_a_200_mb_body_is_refused_before_it_is_read(server, warehouse):
    _, csrf = csrf_client(server.url)
    pid = server.proc.pid
    before = _peak_rss_kb(pid)
    total = 200 * 1024 * 1024

    # Declared: answered from the headers, while the client has sent no byte of the body.
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(_post_head(server, csrf, f"Content-Length: {total}\r\n"))
        assert _status(sock) == 413

    # Chunked: counted while it streams; the server answers long before 200 MB went out.
    sent = 0
    chunk = b"note=" + b"a" * (1024 * 1024 - 5)
    with socket.create_connection(("127.0.0.1", server.port), timeout=30) as sock:
        sock.sendall(_post_head(server, csrf, "Transfer-Encoding: chunked\r\n"))
        status = None
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                status = _status(sock)
                break
            try:
                sock.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            except OSError:  # the server closed the connection after answering
                break
            sent += len(chunk)
        if status is None:
            status = _status(sock)
    assert status == 413
    assert sent < total // 4

    assert _peak_rss_kb(pid) - before < 50 * 1024  # never buffered: peak grew by < 50 MB
    assert httpx.get(server.url + "/healthz").status_code == 200
    # A normal decision right after is fine: the limit is far above any real form.
    client, _ = csrf_client(server.url)
    fields = form_fields(client.get(f"/papers/{PAPER}").text, "approve")
    assert client.post(f"/papers/{PAPER}/decide", data=fields).status_code == 303
    assert MAX_BODY_BYTES >= 16 * 1024
    assert _decisions(server, warehouse) == 1


# -- tokens ---------------------------------------------------------------------------------------


def test_wrong_tokens_are_locked_out_even_before_the_right_one(warehouse):
    seed_demo_queue(warehouse)
    with Server(warehouse.path, "--reviewer", "alice", env={"PARAMTRACK_REVIEW_TOKEN": TOKEN}) as srv:

        def bearer(token: str) -> httpx.Response:
            return httpx.get(srv.url + "/", headers={"Authorization": f"Bearer {token}"})

        assert bearer(TOKEN).status_code == 200
        for i in range(6):  # five typos are free, the sixth earns a lockout
            assert bearer(f"wrong-{i}").status_code == 401
        locked = bearer("wrong-6")
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
        assert bearer(TOKEN).status_code == 429  # the lockout holds for the right token too
        # The login form shares the count.
        client, csrf = csrf_client(srv.url)
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        login = client.post("/login", data={"csrf_token": csrf, "token": TOKEN, "next": "/"})
        assert login.status_code == 429 and "Too many wrong tokens" in login.text


def test_changing_the_apparent_address_does_not_escape_the_lockout(warehouse):
    """uvicorn trusts X-Forwarded-For from 127.0.0.1: a local guesser could be a new client each
    time, so all clients together also have a lockout (20 free failures)."""
    seed_demo_queue(warehouse)
    with Server(warehouse.path, "--reviewer", "alice", env={"PARAMTRACK_REVIEW_TOKEN": TOKEN}) as srv:
        codes = [
            httpx.get(
                srv.url + "/", headers={"Authorization": f"Bearer wrong-{i}", "X-Forwarded-For": f"10.0.0.{i}"}
            ).status_code
            for i in range(22)
        ]
    assert codes == [401] * 21 + [429]


@pytest.mark.parametrize(
    "token, why",
    [
        ("password", "at least 16 characters"),
        ("Password1234567890", "too easy to guess"),
        ("aaaaaaaaaaaaaaaaaaaaaaaa", "too easy to guess"),
        ("abcdefghijklmnopqrstuvwxyz", "too easy to guess"),
        ("s3cret-token-123", "too easy to guess"),
    ],
)
def test_a_weak_token_is_refused_at_startup_in_one_line(warehouse, token, why):
    proc = subprocess.run(
        [EXE, "--db", str(warehouse.path), "review-server", "--token", token],
        capture_output=True,
        text=True,
        timeout=60,
    )
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert lines[0].startswith("Error: ") and why in lines[0] and "token_urlsafe" in lines[0]


def test_strong_tokens_pass():
    import secrets

    assert token_weakness(secrets.token_urlsafe(16)) is None
    assert token_weakness(TOKEN) is None


# -- units: the pieces the server is made of -----------------------------------------------------


def test_the_throttle_doubles_the_lockout_and_forgets_on_success():
    now = [0.0]
    throttle = FailureThrottle(free_failures=2, base_lock_s=10, max_lock_s=35, clock=lambda: now[0])
    assert [throttle.failed("a") for _ in range(5)] == [0, 0, 10, 20, 35]
    assert throttle.retry_after("a") == 35 and throttle.retry_after("b") == 0
    now[0] += 35
    assert throttle.retry_after("a") == 0
    throttle.succeeded("a")
    assert throttle.failed("a") == 0  # counting starts again


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
