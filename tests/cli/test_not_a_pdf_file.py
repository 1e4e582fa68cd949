"""`paramtrack extract` on what is not a PDF file (a folder, a named pipe, a missing path):
one ``Error:`` line naming what it is, exit code 2."""

from __future__ import annotations

import os

import pytest


@pytest.fixture()
def extract_error(cli):
    """The one error line of `paramtrack extract PATH` (asserting exit code 2)."""

    def run(path) -> str:
        result = cli("extract", path)
        assert result.exit_code == 2
        return result.one_line_error()

    return run


def test_extract_names_a_folder_a_fifo_and_a_missing_file(tmp_path, extract_error):
    fifo = tmp_path / "pipe.pdf"
    os.mkfifo(fifo)
    assert extract_error(tmp_path).startswith(f"Error: {tmp_path} is a folder, not a PDF file")
    assert extract_error(fifo).startswith(f"Error: {fifo} is a named pipe (FIFO), not a PDF file")
    assert extract_error(tmp_path / "missing.pdf").startswith("Error: file not found:")
