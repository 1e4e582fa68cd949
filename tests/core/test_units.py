"""One spelling of a parameter count everywhere: terminal, review page, digest, trend tables."""

import pytest

from paramtrack.core.units import format_count


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (175e9, "175B"),
        (1.3e9, "1.3B"),
        (350e6, "350M"),
        (66e3, "66K"),
        (340, "340"),
        (1.75e12, "1.75T"),
        (1.5e15, "1,500T"),  # more digits before the point, never 1.5e+03T
        (999.96e9, "1T"),  # rounds into the next unit instead of "1e+03B"
    ],
)
def test_counts_read_at_a_glance(value, text):
    assert format_count(value) == text


def test_band_edges_at_two_digits():
    assert format_count(10**10.5, digits=2) == "32B"
    assert format_count(10**9.5, digits=2) == "3.2B"
    assert format_count(2e10, digits=2) == "20B"


def test_a_missing_value_is_shown_as_missing():
    assert format_count(None) == "-"
    assert format_count(float("nan"), missing="—") == "—"
