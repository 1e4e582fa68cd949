"""Who may reach the review server: loopback names only on a loopback bind, the access token on
every request (or a login session), wrong tokens locked out, weak tokens refused at startup, and
no listening beyond loopback without a token (nor, without a warning, without TLS)."""

from __future__ import annotations

import re
import secrets

import httpx
import pytest

from paramtrack.review_queue.limits import FailureThrottle
from paramtrack.review_queue.tokens import token_weakness

TOKEN = "Vq8mZ2xLr5Wn9Kc3-review"
NO_TOKEN_IN_ENV = {"PARAMTRACK_REVIEW_TOKEN": None}


@pytest.mark.slow
def test_token_required_on_every_request(demo_queue, review_server):
    with review_server("--reviewer", "alice", host="0.0.0.0", env={"PARAMTRACK_REVIEW_TOKEN": TOKEN}) as srv:
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
        bearer = httpx.get(srv.url + "/", headers={"Authorization": f"Bearer {TOKEN}"})
        assert bearer.status_code == 200 and "Review queue" in bearer.text
        # login form: CSRF cookie + field, then a session cookie (not the token itself)
        login_page = anon.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login_page.text).group(1)
        bad = anon.post("/login", data={"csrf_token": csrf, "token": "nope", "next": "/"})
        assert bad.status_code == 401
        good = anon.post("/login", data={"csrf_token": csrf, "token": TOKEN, "next": "/"})
        assert good.status_code == 303
        assert anon.cookies.get("pt_session") and TOKEN not in anon.cookies.get("pt_session")
        assert anon.get("/").status_code == 200


@pytest.mark.slow
def test_a_request_to_a_foreign_host_name_is_refused_on_loopback(alice_server):
    """DNS rebinding: evil.example resolving to 127.0.0.1 would be same-origin with itself."""
    r = httpx.get(alice_server.url + "/", headers={"Host": f"evil.example:{alice_server.port}"})
    assert r.status_code == 400 and "answers only to 127.0.0.1" in r.text
    assert httpx.get(f"http://localhost:{alice_server.port}/").status_code == 200


@pytest.mark.slow
def test_wrong_tokens_are_locked_out_even_before_the_right_one(demo_queue, review_server, csrf_client):
    with review_server("--reviewer", "alice", env={"PARAMTRACK_REVIEW_TOKEN": TOKEN}) as srv:

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


@pytest.mark.slow
def test_changing_the_apparent_address_does_not_escape_the_lockout(demo_queue, review_server):
    """uvicorn trusts X-Forwarded-For from 127.0.0.1: a local guesser could be a new client each
    time, so all clients together also have a lockout (20 free failures)."""
    with review_server("--reviewer", "alice", env={"PARAMTRACK_REVIEW_TOKEN": TOKEN}) as srv:
        codes = [
            httpx.get(
                srv.url + "/", headers={"Authorization": f"Bearer wrong-{i}", "X-Forwarded-For": f"10.0.0.{i}"}
            ).status_code
            for i in range(22)
        ]
    assert codes == [401] * 21 + [429]


def test_the_throttle_doubles_the_lockout_and_forgets_on_success():
    now = [0.0]
    throttle = FailureThrottle(free_failures=2, base_lock_s=10, max_lock_s=35, clock=lambda: now[0])
    assert [throttle.failed("a") for _ in range(5)] == [0, 0, 10, 20, 35]
    assert throttle.retry_after("a") == 35 and throttle.retry_after("b") == 0
    now[0] += 35
    assert throttle.retry_after("a") == 0
    throttle.succeeded("a")
    assert throttle.failed("a") == 0  # counting starts again


def test_listening_beyond_loopback_needs_a_token(warehouse, cli):
    result = cli("--db", str(warehouse.path), "review-server", "--host", "0.0.0.0", env=NO_TOKEN_IN_ENV)
    assert result.exit_code != 0
    assert result.stderr.strip().count("\n") == 0
    assert "refusing to listen on 0.0.0.0 without an access token" in result.stderr


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
def test_a_weak_token_is_refused_at_startup_in_one_line(warehouse, cli, token, why):
    result = cli("--db", str(warehouse.path), "review-server", "--token", token)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 2 and len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: ") and why in lines[0] and "token_urlsafe" in lines[0]


def test_strong_tokens_pass():
    assert token_weakness(secrets.token_urlsafe(16)) is None
    assert token_weakness(TOKEN) is None


@pytest.mark.slow
def test_warning_when_listening_beyond_loopback_without_tls(review_server):
    with review_server(host="0.0.0.0", env={"PARAMTRACK_REVIEW_TOKEN": TOKEN}) as srv:
        pass
    lines = [ln for ln in srv.log.read_text().splitlines() if "without TLS" in ln]
    assert len(lines) == 1 and lines[0].startswith("warning: listening on 0.0.0.0 without TLS")
    with review_server() as local:
        pass
    assert "without TLS" not in local.log.read_text()
