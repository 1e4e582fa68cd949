"""Plain-text tables for the terminal (pure formatting)."""

from __future__ import annotations

import math

import pandas as pd


def _f(value, fmt: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    return format(value, fmt)


def format_trends(trends: pd.DataFrame, metric: str | None = None) -> str:
    """The trend table; the last column says whether each fit is drawn, and why not (the rule of
    ``trends.fit.fit_support``), so a negative "doubling" is never read as a drawn trend."""
    from paramtrack.trends.fit import fit_support

    t = trends if metric is None else trends[trends["metric"] == metric]
    header = (
        f"{'metric':<16} {'domain':<14} {'era':<30} {'n':>5} {'OOM/yr':>7} {'doubling mo [5; 50; 95]':>28} {'R2':>5}"
        "  fit"
    )
    lines = [header, "-" * len(header)]
    for _, r in t.iterrows():
        ci = f"[{_f(r['doubling_p05'], '.1f')}; {_f(r['doubling_p50'], '.1f')}; {_f(r['doubling_p95'], '.1f')}]"
        why = r.get("not_drawn_reason") if "drawn" in r and not pd.isna(r.get("drawn")) else fit_support(r)
        if isinstance(why, float) and math.isnan(why):
            why = None
        lines.append(
            f"{r['metric']:<16} {r['domain']:<14} {r['era_label']:<30} {int(r['n']):>5} "
            f"{_f(r['slope'], '.2f'):>7} {_f(r['doubling_months'], '.1f'):>7} {ci:>20} "
            f"{_f(r['r2'], '.2f'):>5}  {'drawn' if not why else 'not drawn: ' + str(why)}"
        )
    return "\n".join(lines)


def format_gap(gap: pd.DataFrame) -> str:
    g = gap[gap["scarce"] | (gap["band_kind"] == "named")]
    if "verdict" in gap:
        g = gap[gap["scarce"] | (gap["band_kind"] == "named") | (gap["verdict"] == "scarce")]
    if g.empty:
        return "gap: no scarce bands"
    since = int(gap["since_year"].iloc[0])
    header = (
        f"{'domain':<14} {'band':<12} {'kind':<6} {'n':>4} {'below':>6} {'above':>6} "
        f"{'scarcity':>8} {'[5%; 95%]':>13}  {'point':<6}  verdict (share scarce)"
    )
    lines = [
        f"Parameter bands since {since} (scarce bands and named bands; bootstrap over models):",
        header,
        "-" * len(header),
    ]
    for _, r in g.iterrows():
        ci = f"[{_f(r.get('scarcity_p05'), '.2f')}; {_f(r.get('scarcity_p95'), '.2f')}]"
        share = r.get("scarce_share")
        verdict = (
            f"{r.get('verdict')} ({_f(share * 100 if share is not None else None, '.0f')}%)" if r.get("verdict") else ""
        )
        lines.append(
            f"{r['domain']:<14} {r['label']:<12} {r['band_kind']:<6} {int(r['n']):>4} "
            f"{r['mean_below']:>6.1f} {r['mean_above']:>6.1f} {r['scarcity']:>8.2f} {ci:>13}  "
            f"{'SCARCE' if r['scarce'] else '':<6}  {verdict}"
        )
    return "\n".join(lines)


def format_breakpoints(bp: pd.DataFrame) -> str:
    lines = []
    for _, r in bp.iterrows():
        lines.append(
            f"breakpoint ({r['metric']}, {r['domain']}): {pd.Timestamp(r['break_date']).date()} "
            f"[5-95%: {_f(r['break_p05'], '.1f')}-{_f(r['break_p95'], '.1f')}], "
            f"{_f(r['slope_before'], '.2f')} -> {_f(r['slope_after'], '.2f')} OOM/yr, "
            f"SSE {r['sse_single']:.1f} -> {r['sse_break']:.1f}"
        )
    return "\n".join(lines)
