"""Debian's Chromium as a fixture, and its constants, for test modules of other areas that still
import them from here (no tests in this module; the review's browser tests are in
``tests/review/``, with their own fixtures in ``tests/review/conftest.py``)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = REPO_ROOT / "test-artifacts"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]

__all__ = ["ARGS", "ARTIFACTS", "CHROMIUM", "browser"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, launched once per module."""
    if not Path(CHROMIUM).exists():
        subprocess.run([str(REPO_ROOT / ".ci" / "install-browser")], check=False, timeout=900)
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed (.ci/install-browser)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
