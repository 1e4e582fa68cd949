"""Files paramtrack writes are its owner's (the warehouse, its WAL and read copy, Prefect's
database, digests), and the review server serves a PDF only from inside the PDF cache."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

PAPER = "2204.02311"


@pytest.fixture()
def usual_umask():
    """The umask most machines run with (022), under which the files used to be 0644."""
    old = os.umask(0o022)
    yield
    os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _owners_only(path: Path) -> bool:
    """Nobody outside the owner's group reads it and nobody but the owner writes it."""
    return _mode(path) & 0o027 == 0


# -- file modes ---------------------------------------------------------------------------------


def test_the_warehouse_its_wal_and_its_read_copy_are_not_world_readable(usual_umask, tmp_path):
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.publish import publish_read_copy

    wh = Warehouse(tmp_path / "w.duckdb")
    with wh.write() as con:
        con.execute("CREATE TABLE big AS SELECT range AS i FROM range(200000)")
        wal = tmp_path / "w.duckdb.wal"
        assert wal.exists() and _owners_only(wal), oct(_mode(wal))
    copy = publish_read_copy(wh)
    assert _owners_only(tmp_path / "w.duckdb"), oct(_mode(tmp_path / "w.duckdb"))
    assert _owners_only(copy), oct(_mode(copy))
    assert os.umask(0o022) == 0o022  # and the process's own umask is back as it was
    (tmp_path / "plain.txt").write_text("x")
    assert _mode(tmp_path / "plain.txt") == 0o644


def test_a_warehouse_created_by_the_cli_is_not_world_readable(usual_umask, tmp_path, cli):
    db = tmp_path / "new" / "w.duckdb"
    proc = cli("--db", db, "db", "migrate")
    assert proc.exit_code == 0, proc.stderr
    assert _owners_only(db), oct(_mode(db))


def test_prefects_database_and_digests_are_the_owners(usual_umask, tmp_path, monkeypatch):
    from paramtrack.core.settings import configure_prefect
    from paramtrack.flows.digest import write_atomically

    for name in ("PREFECT_HOME", "PREFECT_API_URL", "PREFECT_API_DATABASE_CONNECTION_URL"):
        monkeypatch.delenv(name, raising=False)
    configure_prefect(tmp_path / "data")
    assert _mode(tmp_path / "data" / "prefect" / "prefect.db") == 0o600
    write_atomically(tmp_path / "digests" / "d.md", "# digest")
    assert _mode(tmp_path / "digests" / "d.md") == 0o600


# -- the PDF route -------------------------------------------------------------------------------


def _point_pdf_at(warehouse, path: str) -> None:
    with warehouse.write() as con:
        con.execute("UPDATE pdfs SET path = ? WHERE arxiv_id = ?", [path, PAPER])


@pytest.mark.slow
def test_the_pdf_route_serves_only_files_inside_the_pdf_cache(
    warehouse, tmp_path, seed_demo_queue, review_server_process, csrf_client
):
    seed_demo_queue(warehouse, tmp_path / "pdfs")
    secret = tmp_path / "secret.pdf"
    secret.write_bytes(b"%PDF-1.4 not for you")
    link = tmp_path / "pdfs" / "link.pdf"
    link.symlink_to(secret)
    with review_server_process(warehouse.path, "--reviewer", "alice") as srv:
        client, _ = csrf_client(srv.url)
        assert client.get(f"/papers/{PAPER}/pdf").status_code == 200  # the cached file itself
        for outside in (
            str(secret),
            "/etc/passwd",
            str(link),
            "../secret.pdf",
            str(tmp_path / "pdfs" / ".." / "secret.pdf"),
        ):
            _point_pdf_at(warehouse, outside)
            answer = client.get(f"/papers/{PAPER}/pdf")
            assert answer.status_code == 404 and b"not for you" not in answer.content, outside
