"""Login sessions and redirects: a session cookie never holds the token, dies at logout, at a
restart and after its lifetime, is ``Secure`` over https; and a ``next`` target never leaves
the site."""

from __future__ import annotations

import re
import time
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int, int_to_bytes

from paramtrack.review_queue.app import AppConfig, create_app
from paramtrack.review_queue.routes.login import safe_next

TOKEN = "Vq8mZ2xLr5Wn9Kc3-review"

EVIL_NEXT = [
    "//evil.example",
    "\\\\evil.example",
    "/\\evil.example",
    "https://evil.example",
    "%2F%2Fevil.example",
    "/\t/evil.example",
    "\t//evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "http:evil.example",
    "///evil.example",
    "/\x00/evil.example",
]


def _login(client: httpx.Client) -> str:
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"csrf_token": csrf, "token": TOKEN, "next": "/"})
    assert r.status_code == 303
    return r.headers["set-cookie"]


@pytest.mark.slow
def test_logout_and_restart_invalidate_the_session_cookie(demo_queue, review_server):
    env = {"PARAMTRACK_REVIEW_TOKEN": TOKEN}
    with review_server("--reviewer", "alice", env=env) as srv:
        client = httpx.Client(base_url=srv.url, follow_redirects=False, headers={"Origin": srv.url})
        set_cookie = _login(client).lower()
        assert "httponly" in set_cookie and "samesite=strict" in set_cookie
        assert "secure" not in set_cookie  # plain http on loopback
        session = client.cookies.get("pt_session")
        assert TOKEN not in session and client.get("/").status_code == 200
        csrf = client.cookies.get("pt_csrf")
        assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
        replay = httpx.get(srv.url + "/", cookies={"pt_session": session}, follow_redirects=False)
        assert replay.status_code == 401  # a copied cookie is dead after logout
        client2 = httpx.Client(base_url=srv.url, follow_redirects=False, headers={"Origin": srv.url})
        _login(client2)
        survivor = client2.cookies.get("pt_session")
        assert client2.get("/").status_code == 200
    with review_server("--reviewer", "alice", env=env) as srv:  # restart: new key
        r = httpx.get(srv.url + "/", cookies={"pt_session": survivor}, follow_redirects=False)
        assert r.status_code == 401


@pytest.mark.slow
def test_session_expires_and_is_secure_over_https(warehouse, demo_queue):
    app = create_app(AppConfig(db_path=warehouse.path, token=TOKEN, session_ttl_s=2))
    with TestClient(
        app, base_url="https://review.local", follow_redirects=False, headers={"Origin": "https://review.local"}
    ) as client:
        set_cookie = _login(client).lower()
        assert "secure" in set_cookie and "httponly" in set_cookie and "samesite=strict" in set_cookie
        assert "max-age=2" in set_cookie
        assert client.get("/").status_code == 200
        session = client.cookies.get("pt_session")
        nonce, issued, sig = session.split(".")  # itsdangerous: value, issue time, signature
        later = base64_encode(int_to_bytes(bytes_to_int(base64_decode(issued)) + 3600)).decode()
        forged = f"{nonce}.{later}.{sig}"  # a later issue time breaks the signature
        assert client.get("/", cookies={"pt_session": forged}).status_code == 401
        time.sleep(2.2)
        assert client.get("/", cookies={"pt_session": session}).status_code == 401


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_safe_next_stays_on_site(target):
    safe = safe_next(target)
    assert safe == "/" or (safe.startswith("/") and not safe.startswith("//"))
    assert urlsplit(urljoin("http://review.local/x", safe)).netloc == "review.local"


@pytest.mark.slow
def test_redirect_after_name_and_login_stays_on_site(demo_queue, review_server, csrf_client):
    assert safe_next("/papers/2204.02311?done=3") == "/papers/2204.02311?done=3"
    with review_server() as srv:
        client, csrf = csrf_client(srv.url)
        for target in [*EVIL_NEXT, "/%2F%2Fevil.example"]:
            r = client.post("/reviewer", data={"csrf_token": csrf, "reviewer": "hana", "next": target})
            assert r.status_code == 303, target
            loc = r.headers["location"]
            assert urlsplit(urljoin(srv.url + "/", loc)).netloc == f"127.0.0.1:{srv.port}", (target, loc)
        r = client.post("/reviewer", data={"csrf_token": csrf, "reviewer": "hana", "next": "/papers/2204.02311"})
        assert r.headers["location"] == "/papers/2204.02311"
