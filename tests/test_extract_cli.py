"""``paramtrack extract`` / ``paramtrack eval`` through Typer.

Until the lead registers the commands in ``paramtrack.cli`` these run on a small Typer app built
around the same functions; switch to the ``paramtrack`` console script once registered.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from conftest_extract import corpus, image_only_pdf  # noqa: E402,F401

from paramtrack.commands.extract import eval_command, extract_command  # noqa: E402
from paramtrack.errors import UserError  # noqa: E402

app = typer.Typer()
app.command("extract")(extract_command)
app.command("eval")(eval_command)
runner = CliRunner()


def test_extract_json_prints_one_object_and_exits_0(corpus: Path) -> None:  # noqa: F811
    res = runner.invoke(app, ["extract", "--json", "--in-process", str(corpus / "pdfs" / "2305.14314v1.pdf")])
    assert res.exit_code == 0, res.output
    d = json.loads(res.output)
    assert d["candidates"][0]["parameters"] == 65_000_000_000 and d["error"] is None
    assert len(d["candidates"]) <= 10


def test_extract_table_shows_rank_evidence_and_page(corpus: Path) -> None:  # noqa: F811
    res = runner.invoke(app, ["extract", "--in-process", "--all", str(corpus / "pdfs" / "1810.04805v2.pdf")])
    assert res.exit_code == 0
    assert "340M" in res.output and "evidence" in res.output


def test_extract_an_unreadable_pdf_prints_the_error_json_and_exits_1(tmp_path: Path) -> None:
    pdf = tmp_path / "scan.pdf"
    pdf.write_bytes(image_only_pdf())
    res = runner.invoke(app, ["extract", "--json", "--in-process", str(pdf)])
    assert res.exit_code == 1
    assert json.loads(res.output)["error"] == "no text layer (scanned?)"


def test_extract_a_missing_file_is_a_user_error(tmp_path: Path) -> None:
    res = runner.invoke(app, ["extract", str(tmp_path / "missing.pdf")])
    assert isinstance(res.exception, UserError)


@pytest.mark.slow
def test_eval_strict_passes_on_the_shared_corpus(corpus: Path) -> None:  # noqa: F811
    res = runner.invoke(app, ["eval", "--corpus", str(corpus), "--strict"])
    assert res.exit_code == 0, res.output
    assert "top-1 accuracy" in res.output
