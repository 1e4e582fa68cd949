"""``paramtrack review`` (piped stdin) and ``paramtrack queue export|import`` via the console script."""

from __future__ import annotations

import csv
import io
import subprocess

from test_review_support import seed_demo_queue


def run(exe, db, *args, stdin=None, env=None):
    import os

    full_env = {k: v for k, v in os.environ.items() if k != "PARAMTRACK_REVIEWER"}
    full_env.update(env or {})
    return subprocess.run(
        [exe, "--db", str(db), *args], input=stdin, capture_output=True, text=True, timeout=120, env=full_env
    )


def test_terminal_review_with_piped_stdin(warehouse, paramtrack_exe):
    ids = seed_demo_queue(warehouse)
    assert ids[:4] == ["2204.02311", "2005.14165", "1706.03762", "2112.04426"]
    keys = (
        "\n".join(
            [
                "2",
                "",
                "",  # PaLM: approve candidate 2 (62B), its system, confirm
                "e",
                "175 billion",
                "dense_total",
                "2020-05-28",
                "language",  # GPT-3: correct (same count: its own sentence stays, nothing asked)
                "GPT-3 175B",
                "y",  # ... system, shown its Epoch match, confirmed
                "x",  # unknown key: help, same paper
                "r",
                "4",
                "not a model paper",  # Transformer: reject, reason 4 (not ML)
                "n",
                "check table 2",  # RETRO: note (stays on the paper)
                "s",
                "ask bob",  # RETRO: second look
                "q",
            ]
        )
        + "\n"
    )
    proc = run(paramtrack_exe, warehouse.path, "review", "--reviewer", "erin", stdin=keys)
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "5 paper(s) to review as erin" in out
    assert "1.    540B  dense_total" in out and "We trained PaLM, a 540-billion parameter model." in out
    assert "unknown key 'x'" in out
    assert "done: 1 approve, 1 correct, 1 note, 1 reject, 1 second_look" in out
    with warehouse.read() as con:
        models = con.execute(
            "SELECT arxiv_id, system, parameters, publication_date::VARCHAR, reviewer FROM models ORDER BY arxiv_id"
        ).fetchall()
        statuses = dict(con.execute("SELECT arxiv_id, status FROM review_items").fetchall())
        reasons = con.execute("SELECT reason, note FROM decisions WHERE action = 'reject'").fetchall()
    assert models == [
        ("2005.14165", "GPT-3 175B", 175e9, "2020-05-28", "erin"),
        ("2204.02311", "PaLM 62B", 62e9, "2024-03-01", "erin"),
    ]
    assert statuses["1706.03762"] == "rejected" and statuses["2112.04426"] == "second_look"
    assert statuses["2401.00001"] == "pending"
    assert reasons == [("not_ml", "not a model paper")]


def test_terminal_review_end_of_input_quits_cleanly(warehouse, paramtrack_exe):
    seed_demo_queue(warehouse)
    proc = run(paramtrack_exe, warehouse.path, "review", stdin="", env={"PARAMTRACK_REVIEWER": "erin"})
    assert proc.returncode == 0, proc.stderr
    assert "done: nothing decided" in proc.stdout


def _export(exe, db, *args):
    proc = run(exe, db, "queue", "export", "--format", "csv", *args)
    assert proc.returncode == 0, proc.stderr
    return list(csv.DictReader(io.StringIO(proc.stdout)))


def _write(path, rows):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_csv_round_trip(warehouse, paramtrack_exe, tmp_path):
    seed_demo_queue(warehouse)
    rows = _export(paramtrack_exe, warehouse.path)
    assert [r["arxiv_id"] for r in rows][:2] == ["2204.02311", "2005.14165"]
    first = rows[0]
    assert first["proposed_parameters"] == "540000000000" and first["proposed_page"] == "1"
    assert first["action"] == "" and first["reviewer"] == ""
    xss = next(r for r in rows if r["arxiv_id"] == "2401.00001")
    assert xss["title"].startswith("<script>")  # CSV is data; the web pages escape it

    by_id = {r["arxiv_id"]: r for r in rows}
    by_id["2204.02311"].update(action="approve")
    by_id["2005.14165"].update(
        action="correct",
        parameters="175B",
        kind="dense_total",
        model="GPT-3",
        date="2020-05-28",
        domain="language",
        reviewer="fred",
    )
    by_id["1706.03762"].update(action="reject", reason="not notable", note="old")
    out = tmp_path / "decisions.csv"
    _write(out, rows)
    proc = run(paramtrack_exe, warehouse.path, "queue", "import", str(out), "--reviewer", "fred")
    assert proc.returncode == 0, proc.stderr
    assert "imported 3 decision(s): 1 approve, 1 correct, 1 reject" in proc.stdout
    with warehouse.read() as con:
        assert con.execute("SELECT arxiv_id, parameters, reviewer FROM models ORDER BY 1").fetchall() == [
            ("2005.14165", 175e9, "fred"),
            ("2204.02311", 540e9, "fred"),
        ]
        assert con.execute("SELECT count(*) FROM dataset_events").fetchone()[0] == 2
    assert [r["arxiv_id"] for r in _export(paramtrack_exe, warehouse.path)] == ["2112.04426", "2401.00001"]
    # importing the same file again: every decided line is now a conflict, nothing applied
    again = run(paramtrack_exe, warehouse.path, "queue", "import", str(out), "--reviewer", "fred")
    assert again.returncode != 0
    assert "line 2: 2204.02311 was already decided by fred" in again.stderr


def test_csv_import_all_or_nothing_with_line_numbers(warehouse, paramtrack_exe, tmp_path):
    seed_demo_queue(warehouse)
    rows = _export(paramtrack_exe, warehouse.path)
    rows[0].update(action="approve")  # line 2: fine
    rows[1].update(action="correct", parameters="abc")  # line 3
    rows[2].update(action="reject", reason="boring")  # line 4
    rows[3].update(action="correct", parameters="7B", date="2024-13-01", kind="huge", domain="space")  # line 5
    rows[4].update(action="explode")  # line 6
    extra = dict(rows[0], arxiv_id="0000.00000", action="approve", candidate_id="")  # line 7
    _write(tmp_path / "bad.csv", [*rows, extra])
    proc = run(paramtrack_exe, warehouse.path, "queue", "import", str(tmp_path / "bad.csv"), "--reviewer", "fred")
    assert proc.returncode != 0
    err = proc.stderr
    assert "line 3: parameters 'abc' is not a number" in err
    assert "line 4: reason 'boring' is not one of" in err
    assert "line 5: date '2024-13-01' is not a date" in err
    assert "line 5: kind 'huge' is not one of" in err and "line 5: domain 'space' is not one of" in err
    assert "line 6: action 'explode' is not one of" in err
    assert "line 7: unknown arxiv_id '0000.00000'" in err
    assert "line 2:" not in err
    assert "nothing imported" in err
    with warehouse.read() as con:
        assert con.execute("SELECT count(*) FROM decisions").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM models").fetchone()[0] == 0


def test_csv_import_needs_reviewer(warehouse, paramtrack_exe, tmp_path):
    seed_demo_queue(warehouse)
    rows = _export(paramtrack_exe, warehouse.path)
    rows[0].update(action="approve")
    _write(tmp_path / "d.csv", rows)
    proc = run(paramtrack_exe, warehouse.path, "queue", "import", str(tmp_path / "d.csv"))
    assert proc.returncode != 0 and "line 2: a reviewer name is required" in proc.stderr
