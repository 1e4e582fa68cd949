"""The review app's pages and the cached PDF, and what a reader sees when the warehouse is busy
or broken: a page with a message, never a bare 500."""

from __future__ import annotations

import duckdb
import httpx
import pytest


@pytest.mark.slow
def test_pages_and_pdf_route(alice_server, csrf_client):
    client, _ = csrf_client(alice_server.url)
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


@pytest.mark.slow
def test_pdf_route_while_database_locked_is_503(warehouse, demo_queue_with_pdf, review_server):
    with review_server(env={"PARAMTRACK_LOCK_TIMEOUT": "0.5"}) as srv:
        assert httpx.get(srv.url + "/").status_code == 200
        holder = duckdb.connect(str(warehouse.path))  # another process holds the file
        try:
            r = httpx.get(srv.url + "/papers/2204.02311/pdf")
            assert r.status_code == 503
            assert "Database busy" in r.text and "Try again" in r.text
            assert "default-src 'self'" in r.headers["content-security-policy"]
        finally:
            holder.close()
        assert httpx.get(srv.url + "/papers/2204.02311/pdf").status_code == 200


@pytest.mark.slow
def test_a_database_corrupted_while_serving_gives_an_error_page(warehouse, demo_queue, review_server):
    """A file that is not DuckDB is refused at startup (tests/test_hardening_cli.py); one that
    turns bad while the server runs gets an error page per request, not a bare 500."""
    with review_server() as srv:
        assert httpx.get(srv.url + "/").status_code == 200
        warehouse.path.write_bytes(b"this is not a duckdb file" * 200)
        for path in ("/", "/papers/2204.02311", "/papers/2204.02311/pdf"):
            r = httpx.get(srv.url + path)
            assert r.status_code == 500, path
            assert r.headers["content-type"].startswith("text/html")
            assert "Warehouse unavailable" in r.text and "not a valid DuckDB database" in r.text
