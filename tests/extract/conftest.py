"""Fixtures of the extractor and ranker tests (the PDF builders are plain functions in
``pdf_builders.py``, beside them)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def corpus(corpus_dir: Path) -> Path:
    """The shared data folder the extractor is measured on (skips without it)."""
    return corpus_dir
