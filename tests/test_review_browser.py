"""The Chromium fixture and constants under their old name, for test modules of other areas
that still import them from here; the review's browser tests are in ``tests/review/``."""

import pytest
from review_support import ARGS, ARTIFACTS, CHROMIUM, chromium

__all__ = ["ARGS", "ARTIFACTS", "CHROMIUM", "browser"]


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium, launched once per module."""
    yield from chromium()
