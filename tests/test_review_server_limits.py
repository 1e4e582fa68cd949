"""The review server bounds the time a client may take, and a client that leaves is no news.

Against the real ``paramtrack review-server`` over loopback, with its limits turned down through
``PARAMTRACK_REVIEW_HEADER_TIMEOUT`` / ``PARAMTRACK_REVIEW_BODY_TIMEOUT`` so the test takes
seconds: a connection that trickles its request head is closed, one that trickles its body gets
408 and is closed, and clients that drop in the middle of a body leave no traceback in the log.
"""

from __future__ import annotations

import socket
import subprocess
import time

import httpx
import pytest
from test_review_support import EXE, Server, csrf_client, seed_demo_queue

LIMIT_S = 1.0
ENV = {"PARAMTRACK_REVIEW_HEADER_TIMEOUT": str(LIMIT_S), "PARAMTRACK_REVIEW_BODY_TIMEOUT": str(LIMIT_S)}
PAPER = "2204.02311"


@pytest.fixture()
def server(warehouse, tmp_path):
    seed_demo_queue(warehouse)
    with Server(warehouse.path, "--reviewer", "alice", env=ENV) as srv:
        yield srv


def _connect(srv: Server) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    sock.settimeout(10)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or 10 s pass)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


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


def test_a_body_that_trickles_in_gets_408_and_the_connection_is_closed(server):
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


def test_clients_that_drop_mid_body_leave_no_traceback(server):
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


def test_a_bad_limit_is_one_line(warehouse):
    from test_review_support import free_port

    proc = subprocess.run(
        [EXE, "--db", str(warehouse.path), "review-server", "--port", str(free_port())],
        env={"PARAMTRACK_REVIEW_BODY_TIMEOUT": "soon", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert line.startswith("Error: PARAMTRACK_REVIEW_BODY_TIMEOUT must be a number of seconds > 0, not 'soon'"), line
