"""Counts for people: ``175e9 -> "175B"``, the one formatter every table, page and log uses.

Parameter counts span 10^3 to 10^13; a reviewer compares them at a glance, so every surface
(terminal queue, review page, digest, trend tables, evaluation) writes them the same way.
"""

from __future__ import annotations

import math

SUFFIXES: tuple[tuple[str, float], ...] = (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3))


def format_count(value: float | None, *, digits: int = 3, missing: str = "-") -> str:
    """``value`` with a K/M/B/T suffix and ``digits`` significant digits (more only before the
    decimal point: 1,500T, 316B at two digits).

    The suffix switches where rounding would otherwise print "1e+03B": 999.96e9 is "1T".
    ``missing`` stands in for None and NaN (a value nobody extracted yet).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return missing
    if math.isinf(value):
        return "∞" if value > 0 else "-∞"
    almost = 1 - 5 * 10 ** -(digits + 1)  # the share of a unit that rounds up to it
    for suffix, scale in SUFFIXES:
        if abs(value) >= scale * almost:
            return _significant(value / scale, digits) + suffix
    return _significant(value, digits)


def _significant(v: float, digits: int) -> str:
    if abs(v) >= 10**digits:
        return f"{v:,.0f}"
    if abs(v) >= 10 ** (digits - 1):
        return f"{v:.0f}"
    return f"{v:.{digits}g}"
