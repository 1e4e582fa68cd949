"""The review server bounds what one client can make it do: a body over the limit is refused
while it streams, a request that trickles in is cut off, and a client that leaves is no news.

Against the real ``paramtrack review-server`` over loopback. The time limits are turned down
through ``PARAMTRACK_REVIEW_HEADER_TIMEOUT`` / ``PARAMTRACK_REVIEW_BODY_TIMEOUT`` so the tests
take seconds: a connection that trickles its request head is closed, one that trickles its body
gets 408 and is closed, and clients that drop in the middle of a body leave no traceback in the log.
"""

from __future__ import annotations

import re
import select
import socket
import time
from pathlib import Path

import httpx
import pytest

from paramtrack.review_queue.limits import MAX_BODY_BYTES

LIMIT_S = 1.0
ENV = {"PARAMTRACK_REVIEW_HEADER_TIMEOUT": str(LIMIT_S), "PARAMTRACK_REVIEW_BODY_TIMEOUT": str(LIMIT_S)}
PAPER = "2204.02311"


@pytest.fixture()
def server(demo_queue, review_server):
    """The demo queue served with the time limits turned down to a second."""
    with review_server("--reviewer", "alice", env=ENV) as srv:
        yield srv


def _connect(srv) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.settimeout(10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s pass)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


@pytest.mark.slow
def test_a_request_head_that_trickles_in_is_cut_off(server):
    sock = _connect(server)
    started = time.monotonic()
    head = b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 40
    closed_after = None
    try:
        for byte in head:
            sock.sendall(bytes([byte]))
            time.sleep(0.1)
    except (BrokenPipeError, ConnectionResetError):
        closed_after = time.monotonic() - started
    if closed_after is None:
        assert _read_all(sock) == b""  # closed without an answer
        closed_after = time.monotonic() - started
    sock.close()
    assert closed_after < 4 * LIMIT_S + 1, closed_after
    assert httpx.get(server.url + "/healthz").status_code == 200


@pytest.mark.slow
def test_a_body_that_trickles_in_gets_408_and_the_connection_is_closed(server, csrf_client):
    _, csrf = csrf_client(server.url)
    body = f"csrf_token={csrf}&action=note&note=slow&request_id=r1".encode()
    sock = _connect(server)
    sock.sendall(
        b"POST /papers/" + PAPER.encode() + b"/decide HTTP/1.1\r\n"
        b"Host: 127.0.0.1:" + str(server.port).encode() + b"\r\n"
        b"Origin: " + server.url.encode() + b"\r\n"
        b"Cookie: pt_csrf=" + csrf.encode() + b"\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body[:10]
    )
    started = time.monotonic()
    answer = _read_all(sock)
    sock.close()
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:200]
    assert time.monotonic() - started < 4 * LIMIT_S + 1
    server.stop()
    assert "Traceback" not in server.log.read_text()


@pytest.mark.slow
def test_clients_that_drop_mid_body_leave_no_traceback(server, csrf_client):
    _, csrf = csrf_client(server.url)
    for i in range(20):
        sock = _connect(server)
        sock.sendall(
            b"POST /papers/" + PAPER.encode() + b"/decide HTTP/1.1\r\n"
            b"Host: 127.0.0.1:" + str(server.port).encode() + b"\r\n"
            b"Origin: " + server.url.encode() + b"\r\n"
            b"Cookie: pt_csrf=" + csrf.encode() + b"\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\n"
            b"Content-Length: 5000\r\n\r\ncsrf_token=" + csrf.encode()[: i + 1]
        )
        sock.close()  # gone before the body is whole
    time.sleep(0.5)
    assert httpx.get(server.url + "/healthz").status_code == 200
    server.stop()
    log = server.log.read_text()
    assert "Traceback" not in log and "Exception in ASGI application" not in log, log[:3000]


def test_a_bad_limit_is_one_line(warehouse, cli, free_port):
    result = cli(
        "--db",
        str(warehouse.path),
        "review-server",
        "--port",
        str(free_port()),
        env={"PARAMTRACK_REVIEW_BODY_TIMEOUT": "soon", "PARAMTRACK_REVIEW_TOKEN": None},
    )
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: PARAMTRACK_REVIEW_BODY_TIMEOUT must be a number of seconds > 0, not 'soon'"), line


def _peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))


def _post_head(srv, csrf: str, extra: str) -> bytes:
    return (
        f"POST /papers/{PAPER}/decide HTTP/1.1\r\nHost: 127.0.0.1:{srv.port}\r\n"
        f"Origin: {srv.url}\r\nCookie: pt_csrf={csrf}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\n{extra}\r\n"
    ).encode()


def _status(sock: socket.socket) -> int:
    head = sock.recv(4096)
    return int(head.split(b" ", 2)[1])


@pytest.mark.slow
def test_a_200_mb_body_is_refused_before_it_is_read(alice_server, csrf_client, form_fields, scalar):
    server = alice_server
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
    server.stop()
    assert scalar("SELECT count(*) FROM decisions") == 1
