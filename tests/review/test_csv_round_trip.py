"""``paramtrack queue export`` and ``queue import``: the queue as a spreadsheet and back.

Import checks every line before it writes anything and then applies the whole file in one
transaction; errors name their line. Export neutralises cells a spreadsheet would run as
formulas. The CLI runs in this process (Typer's CliRunner).
"""

from __future__ import annotations

import csv
import io

import pytest

ORIGINAL = [
    {"value": 1e9, "model": "M", "evidence": "M has 1B parameters.", "score": 0.9},
    {"value": 3e8, "model": "M-small", "evidence": "a 300M variant", "page": 2, "score": 0.5},
]
REEXTRACTED = [{"value": 1.2e9, "model": "M", "evidence": "M has 1.2B parameters.", "score": 0.9}]


@pytest.fixture()
def queue_cli(warehouse, cli):
    """``queue_cli(*args)``: ``paramtrack --db <the test's warehouse> queue ARGS``."""
    return lambda *args: cli("--db", str(warehouse.path), "queue", *args, env={"PARAMTRACK_REVIEWER": None})


@pytest.fixture()
def exported(queue_cli):
    """``exported()``: the queue as ``queue export --format csv`` writes it: (columns, rows)."""

    def export() -> tuple[list[str], list[dict[str, str]]]:
        result = queue_cli("export", "--format", "csv")
        assert result.exit_code == 0, result.stderr
        reader = csv.DictReader(io.StringIO(result.stdout))
        return list(reader.fieldnames or []), list(reader)

    return export


def _write(path, rows, fields=None):
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=fields or list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def test_csv_round_trip(warehouse, demo_queue, queue_cli, exported, tmp_path):
    _, rows = exported()
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
    out = _write(tmp_path / "decisions.csv", rows)
    result = queue_cli("import", str(out), "--reviewer", "fred")
    assert result.exit_code == 0, result.stderr
    assert "imported 3 decision(s): 1 approve, 1 correct, 1 reject" in result.stdout
    with warehouse.read() as con:
        assert con.execute("SELECT arxiv_id, parameters, reviewer FROM models ORDER BY 1").fetchall() == [
            ("2005.14165", 175e9, "fred"),
            ("2204.02311", 540e9, "fred"),
        ]
        assert con.execute("SELECT count(*) FROM dataset_events").fetchone()[0] == 2
    assert [r["arxiv_id"] for r in exported()[1]] == ["2112.04426", "2401.00001"]
    # importing the same file again: every decided line is now a conflict, nothing applied
    again = queue_cli("import", str(out), "--reviewer", "fred")
    assert again.exit_code != 0
    assert "line 2: 2204.02311 was already decided by fred" in again.stderr


def test_import_is_all_or_nothing_with_line_numbers(warehouse, demo_queue, queue_cli, exported, tmp_path):
    _, rows = exported()
    rows[0].update(action="approve")  # line 2: fine
    rows[1].update(action="correct", parameters="abc")  # line 3
    rows[2].update(action="reject", reason="boring")  # line 4
    rows[3].update(action="correct", parameters="7B", date="2024-13-01", kind="huge", domain="space")  # line 5
    rows[4].update(action="explode")  # line 6
    extra = dict(rows[0], arxiv_id="0000.00000", action="approve", candidate_id="")  # line 7
    result = queue_cli("import", str(_write(tmp_path / "bad.csv", [*rows, extra])), "--reviewer", "fred")
    assert result.exit_code != 0
    err = result.stderr
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


def test_import_needs_a_reviewer(demo_queue, queue_cli, exported, tmp_path):
    _, rows = exported()
    rows[0].update(action="approve")
    result = queue_cli("import", str(_write(tmp_path / "d.csv", rows)))
    assert result.exit_code != 0 and "line 2: a reviewer name is required" in result.stderr


def test_a_file_exported_before_a_reextraction_is_refused(
    warehouse, seed_paper, add_extraction, queue_cli, exported, scalar, tmp_path
):
    from paramtrack.warehouse.review_store import stage_paper

    seed_paper(warehouse, "2301.00001", "A model", ORIGINAL)
    _, rows = exported()
    rows[0].update(action="approve")
    path = _write(tmp_path / "d.csv", rows)
    with warehouse.write() as con:
        add_extraction(con, "2301.00001", REEXTRACTED, version="test-2")
        stage_paper(con, "2301.00001")
    result = queue_cli("import", str(path), "--reviewer", "fred")
    assert result.exit_code != 0
    assert "line 2: 2301.00001 changed (its candidates were re-extracted) after this file was exported" in (
        result.stderr
    )
    assert scalar("SELECT count(*) FROM decisions") == 0


def test_export_to_a_missing_folder_is_one_line_error(demo_queue, queue_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    err = queue_cli("export", "-o", "missing/dir/q.csv").one_line_error()
    assert "cannot write missing/dir/q.csv" in err and "No such file or directory" in err
    assert not (tmp_path / "missing").exists()


def test_a_failed_export_removes_its_temp_file(cli, tmp_path):
    bad = tmp_path / "bad.duckdb"
    bad.write_bytes(b"this is not a duckdb file" * 200)
    out = tmp_path / "out"
    out.mkdir()
    cli("--db", str(bad), "queue", "export", "-o", str(out / "q.csv")).one_line_error()
    assert list(out.iterdir()) == []


def test_a_cp1252_file_is_one_line_error(demo_queue, queue_cli, exported, scalar, tmp_path):
    fields, rows = exported()
    rows[0].update(action="approve", note="vérifié")  # Excel's "CSV" is cp1252
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=fields)
    w.writeheader()
    w.writerows(rows)
    path = tmp_path / "excel.csv"
    path.write_bytes(buf.getvalue().encode("cp1252", errors="replace"))
    err = queue_cli("import", str(path), "--reviewer", "fred").one_line_error()
    assert "is not UTF-8 text (line 2" in err and "CSV UTF-8" in err
    assert scalar("SELECT count(*) FROM decisions") == 0


def test_a_malformed_csv_is_one_line_error(demo_queue, queue_cli, scalar, tmp_path):
    path = tmp_path / "broken.csv"
    path.write_text('arxiv_id,action\n2204.02311,approve\n"2005.14165"x,approve\n', encoding="utf-8")
    err = queue_cli("import", str(path), "--reviewer", "fred").one_line_error()
    assert "line 3: not a valid CSV file" in err and "nothing imported" in err
    assert scalar("SELECT count(*) FROM decisions") == 0


def test_a_reviewer_column_disagreeing_with_the_option_is_refused(
    warehouse, demo_queue, queue_cli, exported, scalar, tmp_path
):
    fields, rows = exported()
    rows[0].update(action="approve", reviewer="fred")  # line 2: agrees
    rows[1].update(action="approve", reviewer="gina")  # line 3: disagrees
    path = _write(tmp_path / "d.csv", rows, fields)
    result = queue_cli("import", str(path), "--reviewer", "fred")
    assert result.exit_code != 0
    assert "line 3: reviewer 'gina' disagrees with --reviewer 'fred'" in result.stderr
    assert "line 2:" not in result.stderr
    assert scalar("SELECT count(*) FROM decisions") == 0
    # without --reviewer the file's column is the reviewer
    result = queue_cli("import", str(path))
    assert result.exit_code == 0, result.stderr
    with warehouse.read() as con:
        assert con.execute("SELECT arxiv_id, reviewer FROM decisions ORDER BY 1").fetchall() == [
            ("2005.14165", "gina"),
            ("2204.02311", "fred"),
        ]


def test_export_neutralises_spreadsheet_formulas(warehouse, seed_paper, queue_cli):
    seed_paper(
        warehouse,
        "2301.00001",
        '=HYPERLINK("http://evil.example","click")',
        [{"value": 1e9, "model": "+cmd|' /C calc'!A0", "evidence": "@SUM(1+1)*cmd|' /C calc'!A0"}],
        citations=99,
    )
    seed_paper(warehouse, "2301.00002", "-2+3", [{"value": 2e9, "model": "\tTabbed", "evidence": "fine text"}])
    result = queue_cli("export")
    assert result.exit_code == 0, result.stderr
    rows = {r["arxiv_id"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    first, second = rows["2301.00001"], rows["2301.00002"]
    assert first["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert first["proposed_model"] == "'+cmd|' /C calc'!A0"
    assert first["proposed_evidence"].startswith("'@SUM")
    assert second["title"] == "'-2+3" and second["proposed_model"] == "'\tTabbed"
    assert second["proposed_evidence"] == "fine text"
    for row in rows.values():
        for value in row.values():
            assert value[:1] not in ("=", "+", "-", "@", "\t", "\r"), value
