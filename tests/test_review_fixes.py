"""Regression tests for the review-queue code review: stale candidates, CLI errors, terminal
exact values, sessions, database errors on routes, the charts folder, redirects, CSV safety."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import time
from urllib.parse import urljoin, urlsplit

import duckdb
import httpx
import pytest
from fastapi.testclient import TestClient
from itsdangerous.encoding import base64_decode, base64_encode, bytes_to_int, int_to_bytes
from test_review_support import (
    Cand,
    Server,
    add_extraction,
    csrf_client,
    form_fields,
    scalar,
    seed_demo_queue,
    seed_paper,
    write_demo_charts,
)

from paramtrack.review_queue.app import AppConfig, create_app
from paramtrack.review_queue.routes.login import safe_next as _safe_next
from paramtrack.warehouse.review_store import stage_paper


def run(exe, db, *args, stdin=None, env=None, cwd=None):
    full_env = {k: v for k, v in os.environ.items() if k != "PARAMTRACK_REVIEWER"}
    full_env.update(env or {})
    return subprocess.run(
        [exe, "--db", str(db), *args], input=stdin, capture_output=True, text=True, timeout=120, env=full_env, cwd=cwd
    )


def _one_line_error(proc) -> str:
    assert proc.returncode != 0, proc.stdout
    err = proc.stderr.strip()
    assert err.startswith("Error: ") and "\n" not in err, err
    assert "Traceback" not in proc.stderr
    return err


ORIGINAL = [
    Cand(1e9, model="M", evidence="M has 1B parameters.", score=0.9),
    Cand(3e8, model="M-small", evidence="a 300M variant", page=2, score=0.5),
]
REEXTRACTED = [Cand(1.2e9, model="M", evidence="M has 1.2B parameters.", score=0.9)]


def _reextract(wh, arxiv_id="2301.00001", cands=REEXTRACTED, version="test-2"):
    with wh.write() as con:
        add_extraction(con, arxiv_id, cands, version=version)
        return stage_paper(con, arxiv_id)


# -- 1. stale or wrong-type candidates ----------------------------------------------------------


def test_page_opened_before_reextraction_gets_409_and_approves_nothing(warehouse):
    seed_paper(warehouse, "2301.00001", "A model", ORIGINAL)
    with Server(warehouse.path, "--reviewer", "alice") as srv:
        client, _ = csrf_client(srv.url)
        page = client.get("/papers/2301.00001").text
        approve = form_fields(page, "approve")  # top candidate of the first extraction
        assert _reextract(warehouse) == "pending"
        stale = client.post("/papers/2301.00001/decide", data=approve)
        assert stale.status_code == 409
        assert "2301.00001 changed (its candidates were re-extracted)" in stale.text
        assert "Changed since you loaded it" in stale.text
        # a fresh page shows (and approves) the new candidate
        fresh = form_fields(client.get("/papers/2301.00001").text, "approve")
        assert fresh["version"] == "1" and fresh["candidate_id"] != approve["candidate_id"]
        assert client.post("/papers/2301.00001/decide", data=fresh).status_code == 303
    with warehouse.read() as con:
        assert con.execute("SELECT parameters FROM models").fetchall() == [(1.2e9,)]
        assert con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 1


def test_superseded_or_non_parameter_candidate_cannot_be_approved(warehouse):
    seed_paper(
        warehouse,
        "2301.00001",
        "A model",
        [*ORIGINAL, Cand(3.1e23, kind=None, evidence="3.1e23 FLOP", quantity="training_compute")],
    )
    with warehouse.read() as con:
        ids = dict(con.execute("SELECT quantity || rank, candidate_id FROM candidates").fetchall())
    _reextract(warehouse)
    with Server(warehouse.path, "--reviewer", "alice") as srv:
        client, _ = csrf_client(srv.url)
        current = form_fields(client.get("/papers/2301.00001").text, "approve")
        for forged in (ids["parameters1"], ids["training_compute1"]):  # current version, bad id
            r = client.post("/papers/2301.00001/decide", data={**current, "candidate_id": str(forged)})
            assert r.status_code == 400, forged
            assert "is not a current parameter candidate of 2301.00001" in r.text
    assert scalar(warehouse, "SELECT count(*) FROM decisions") == 0
    assert scalar(warehouse, "SELECT count(*) FROM models") == 0


def test_stage_bumps_version_of_open_items_only_when_candidates_change(warehouse):
    seed_paper(warehouse, "2301.00001", "A model", ORIGINAL)
    version = "SELECT version FROM review_items WHERE arxiv_id = '2301.00001'"
    assert scalar(warehouse, version) == 0
    assert _reextract(warehouse, cands=ORIGINAL, version="test-1b") == "pending"  # same values
    assert scalar(warehouse, version) == 0
    assert _reextract(warehouse) == "pending"
    assert scalar(warehouse, version) == 1
    assert _reextract(warehouse) == "pending"  # staging again: nothing new
    assert scalar(warehouse, version) == 1


def test_csv_exported_before_reextraction_is_refused(warehouse, paramtrack_exe, tmp_path):
    seed_paper(warehouse, "2301.00001", "A model", ORIGINAL)
    proc = run(paramtrack_exe, warehouse.path, "queue", "export")
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    rows[0].update(action="approve")
    path = tmp_path / "d.csv"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    _reextract(warehouse)
    proc = run(paramtrack_exe, warehouse.path, "queue", "import", str(path), "--reviewer", "fred")
    assert proc.returncode != 0
    assert ("line 2: 2301.00001 changed (its candidates were re-extracted) after this file was exported") in proc.stderr
    assert scalar(warehouse, "SELECT count(*) FROM decisions") == 0


# -- 3. one-line CLI errors -------------------------------------------------------------------


def test_export_to_missing_folder_is_one_line_error(warehouse, paramtrack_exe, tmp_path):
    seed_demo_queue(warehouse)
    proc = run(paramtrack_exe, warehouse.path, "queue", "export", "-o", "missing/dir/q.csv", cwd=str(tmp_path))
    err = _one_line_error(proc)
    assert "cannot write missing/dir/q.csv" in err and "No such file or directory" in err
    assert not (tmp_path / "missing").exists()


def test_export_failure_removes_temp_file(tmp_path, paramtrack_exe):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a duckdb file" * 200)
    out = tmp_path / "out"
    out.mkdir()
    proc = run(paramtrack_exe, bad, "queue", "export", "-o", str(out / "q.csv"))
    _one_line_error(proc)
    assert list(out.iterdir()) == []


def _decisions_file(paramtrack_exe, warehouse) -> tuple[list[str], list[dict[str, str]]]:
    proc = run(paramtrack_exe, warehouse.path, "queue", "export")
    reader = csv.DictReader(io.StringIO(proc.stdout))
    return list(reader.fieldnames or []), list(reader)


def test_import_cp1252_file_is_one_line_error(warehouse, paramtrack_exe, tmp_path):
    seed_demo_queue(warehouse)
    fields, rows = _decisions_file(paramtrack_exe, warehouse)
    rows[0].update(action="approve", note="vérifié")  # Excel's "CSV" is cp1252
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / "excel.csv"
    path.write_bytes(buf.getvalue().encode("cp1252", errors="replace"))
    err = _one_line_error(run(paramtrack_exe, warehouse.path, "queue", "import", str(path), "--reviewer", "fred"))
    assert "is not UTF-8 text (line 2" in err and "CSV UTF-8" in err
    assert scalar(warehouse, "SELECT count(*) FROM decisions") == 0


def test_import_malformed_csv_is_one_line_error(warehouse, paramtrack_exe, tmp_path):
    seed_demo_queue(warehouse)
    path = tmp_path / "broken.csv"
    path.write_text('arxiv_id,action\n2204.02311,approve\n"2005.14165"x,approve\n', encoding="utf-8")
    err = _one_line_error(run(paramtrack_exe, warehouse.path, "queue", "import", str(path), "--reviewer", "fred"))
    assert "line 3: not a valid CSV file" in err and "nothing imported" in err
    assert scalar(warehouse, "SELECT count(*) FROM decisions") == 0


# -- 7. CSV reviewer column vs --reviewer --------------------------------------------------------


def test_import_rejects_reviewer_column_disagreeing_with_option(warehouse, paramtrack_exe, tmp_path):
    seed_demo_queue(warehouse)
    fields, rows = _decisions_file(paramtrack_exe, warehouse)
    rows[0].update(action="approve", reviewer="fred")  # line 2: agrees
    rows[1].update(action="approve", reviewer="gina")  # line 3: disagrees
    path = tmp_path / "d.csv"
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)
    proc = run(paramtrack_exe, warehouse.path, "queue", "import", str(path), "--reviewer", "fred")
    assert proc.returncode != 0
    assert "line 3: reviewer 'gina' disagrees with --reviewer 'fred'" in proc.stderr
    assert "line 2:" not in proc.stderr
    assert scalar(warehouse, "SELECT count(*) FROM decisions") == 0
    # without --reviewer the file's column is the reviewer
    proc = run(paramtrack_exe, warehouse.path, "queue", "import", str(path))
    assert proc.returncode == 0, proc.stderr
    with warehouse.read() as con:
        assert con.execute("SELECT arxiv_id, reviewer FROM decisions ORDER BY 1").fetchall() == [
            ("2005.14165", "gina"),
            ("2204.02311", "fred"),
        ]


# -- 4. terminal correct keeps the exact value ---------------------------------------------------


def test_terminal_correct_enter_keeps_exact_value(warehouse, paramtrack_exe):
    seed_paper(
        warehouse, "2301.00001", "A model", [Cand(7.532e9, model="M-7.5B", evidence="M has 7,532 million parameters.")]
    )
    keys = "\n".join(["e", "", "", "", "", "", "", "q"]) + "\n"  # correct, Enter through every field
    proc = run(paramtrack_exe, warehouse.path, "review", "--reviewer", "erin", stdin=keys)
    assert proc.returncode == 0, proc.stderr
    assert "Enter keeps 7,532,000,000 = 7.53B" in proc.stdout
    with warehouse.read() as con:
        assert con.execute("SELECT parameters, system FROM models").fetchall() == [(7.532e9, "M-7.5B")]


# -- 8. CSV formula neutralisation ---------------------------------------------------------------


def test_export_neutralises_spreadsheet_formulas(warehouse, paramtrack_exe):
    seed_paper(
        warehouse,
        "2301.00001",
        '=HYPERLINK("http://evil.example","click")',
        [Cand(1e9, model="+cmd|' /C calc'!A0", evidence="@SUM(1+1)*cmd|' /C calc'!A0")],
        citations=99,
    )
    seed_paper(warehouse, "2301.00002", "-2+3", [Cand(2e9, model="\tTabbed", evidence="fine text")])
    proc = run(paramtrack_exe, warehouse.path, "queue", "export")
    assert proc.returncode == 0, proc.stderr
    rows = {r["arxiv_id"]: r for r in csv.DictReader(io.StringIO(proc.stdout))}
    first, second = rows["2301.00001"], rows["2301.00002"]
    assert first["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert first["proposed_model"] == "'+cmd|' /C calc'!A0"
    assert first["proposed_evidence"].startswith("'@SUM")
    assert second["title"] == "'-2+3" and second["proposed_model"] == "'\tTabbed"
    assert second["proposed_evidence"] == "fine text"
    for row in rows.values():
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), value


# -- 8. open-redirect guard ----------------------------------------------------------------------

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


@pytest.mark.parametrize("target", EVIL_NEXT)
def test_safe_next_stays_on_site(target):
    safe = _safe_next(target)
    assert safe == "/" or (safe.startswith("/") and not safe.startswith("//"))
    assert urlsplit(urljoin("http://review.local/x", safe)).netloc == "review.local"


def test_redirect_after_name_and_login_stays_on_site(warehouse):
    seed_demo_queue(warehouse)
    assert _safe_next("/papers/2204.02311?done=3") == "/papers/2204.02311?done=3"
    with Server(warehouse.path) as srv:
        client, csrf = csrf_client(srv.url)
        for target in [*EVIL_NEXT, "/%2F%2Fevil.example"]:
            r = client.post("/reviewer", data={"csrf_token": csrf, "reviewer": "hana", "next": target})
            assert r.status_code == 303, target
            loc = r.headers["location"]
            assert urlsplit(urljoin(srv.url + "/", loc)).netloc == f"127.0.0.1:{srv.port}", (target, loc)
        r = client.post("/reviewer", data={"csrf_token": csrf, "reviewer": "hana", "next": "/papers/2204.02311"})
        assert r.headers["location"] == "/papers/2204.02311"


# -- 5. sessions -------------------------------------------------------------------------------

TOKEN = "Vq8mZ2xLr5Wn9Kc3-review"


def _login(client: httpx.Client) -> str:
    import re

    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    r = client.post("/login", data={"csrf_token": csrf, "token": TOKEN, "next": "/"})
    assert r.status_code == 303
    return r.headers["set-cookie"]


def test_logout_and_restart_invalidate_the_session_cookie(warehouse):
    seed_demo_queue(warehouse)
    env = {"PARAMTRACK_REVIEW_TOKEN": TOKEN}
    with Server(warehouse.path, "--reviewer", "alice", env=env) as srv:
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
    with Server(warehouse.path, "--reviewer", "alice", env=env) as srv:  # restart: new key
        r = httpx.get(srv.url + "/", cookies={"pt_session": survivor}, follow_redirects=False)
        assert r.status_code == 401


def test_session_expires_and_is_secure_over_https(warehouse):
    seed_demo_queue(warehouse)
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


def test_warning_when_listening_beyond_loopback_without_tls(warehouse):
    with Server(warehouse.path, host="0.0.0.0", env={"PARAMTRACK_REVIEW_TOKEN": TOKEN}) as srv:
        pass
    lines = [ln for ln in srv.log.read_text().splitlines() if "without TLS" in ln]
    assert len(lines) == 1 and lines[0].startswith("warning: listening on 0.0.0.0 without TLS")
    with Server(warehouse.path) as local:
        pass
    assert "without TLS" not in local.log.read_text()


# -- 6. database errors on routes ----------------------------------------------------------------


def test_pdf_route_while_database_locked_is_503(warehouse, tmp_path):
    seed_demo_queue(warehouse, tmp_path / "pdfs")
    with Server(warehouse.path, env={"PARAMTRACK_LOCK_TIMEOUT": "0.5"}) as srv:
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


def test_a_database_corrupted_while_serving_gives_an_error_page(warehouse):
    """A file that is not DuckDB is refused at startup (tests/test_hardening_cli.py); one that
    turns bad while the server runs gets an error page per request, not a bare 500."""
    seed_demo_queue(warehouse)
    with Server(warehouse.path) as srv:
        assert httpx.get(srv.url + "/").status_code == 200
        warehouse.path.write_bytes(b"this is not a duckdb file" * 200)
        for path in ("/", "/papers/2204.02311", "/papers/2204.02311/pdf"):
            r = httpx.get(srv.url + path)
            assert r.status_code == 500, path
            assert r.headers["content-type"].startswith("text/html")
            assert "Warehouse unavailable" in r.text and "not a valid DuckDB database" in r.text


# -- 2. charts folder --------------------------------------------------------------------------


def test_charts_link_appears_when_folder_is_created_after_start(warehouse, tmp_path):
    seed_demo_queue(warehouse)
    charts = tmp_path / "charts"
    with Server(warehouse.path, "--charts", str(charts)) as srv:
        assert 'href="/charts/"' not in httpx.get(srv.url + "/").text
        assert httpx.get(srv.url + "/charts/").status_code == 404
        write_demo_charts(charts)  # the first recompute, while the server runs
        assert 'href="/charts/"' in httpx.get(srv.url + "/").text
        r = httpx.get(srv.url + "/charts/trends.html")
        assert r.status_code == 200 and "script-src 'self'" in r.headers["content-security-policy"]
        assert httpx.get(srv.url + "/charts/charts.js").status_code == 200


def test_chart_pages_have_no_inline_script_or_style(tmp_path):
    import re

    write_demo_charts(tmp_path)
    for name in ("trends.html", "gap.html", "index.html"):
        page = (tmp_path / name).read_text()
        assert "<style" not in page and " style=" not in page, name
        assert re.findall(r"<script\b[^>]*>", page) == ['<script src="charts.js" defer>'], name
        assert re.search(r"\son[a-z]+=", page) is None, name
        assert "http" not in page.replace("http://www.w3.org/2000/svg", ""), name
