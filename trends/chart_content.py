"""What the charts show, shared by the PNG figures (``chart_figures``) and the HTML pages
(``chart_pages``): colours and labels, which points and fits a chart holds, where a fit is
drawn and its confidence band, the caption. Whether a fit may be drawn at all is
:func:`paramtrack.trends.fit.fit_support`'s call, for the charts and every table alike."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # the t quantile; scipy.stats imports 2x slower

#: Point colour per domain (``charts.css`` has the same as ``.dom-*`` text colours).
COLORS = {
    "language": "#1f77b4",
    "vision": "#ff7f0e",
    "games": "#2ca02c",
    "speech": "#d62728",
    "multimodal": "#9467bd",
    "recommendation": "#8c564b",
    "robotics": "#e377c2",
    "other": "#7f7f7f",
    "unknown": "#bcbd22",
}
FIT_COLORS = ["#111111", "#b2182b", "#2166ac", "#1b7837"]  # a chart's fits in order (.sw0-.sw3)
VERDICT_COLORS = {"scarce": "#d62728", "undetermined": "#f0a030", "not scarce": "#5b84b1"}
GAP_BAND = (2e10, 7e10)
GAP_LABEL = "20B-70B gap band (Villalobos et al. 2022)"
LEVEL = 0.90  # confidence band of the fitted mean line (5-95 %, as the tables)
REVIEWED_LABEL = "reviewed in paramtrack"


def confidence_band(row: pd.Series, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Lower/upper log10 edge of the fitted mean line's confidence band at ``xs``."""
    try:
        n, mx, sxx, se = int(row["n"]), float(row["x_mean"]), float(row["x_sxx"]), float(row["resid_se"])
    except (KeyError, TypeError, ValueError):
        return None
    if not all(np.isfinite([mx, sxx, se])) or n < 3 or sxx <= 0:
        return None
    t = stdtrit(n - 2, 0.5 + LEVEL / 2)
    half = t * se * np.sqrt(1.0 / n + (xs - mx) ** 2 / sxx)
    y = row["intercept"] + row["slope"] * xs
    return y - half, y + half


def chart_points(sample: pd.DataFrame) -> pd.DataFrame:
    """The models a chart draws (those with a parameter count), with ``dom`` (the domain, or
    "unknown") and ``reviewed`` (a value decided in paramtrack, drawn as a diamond)."""
    pts = sample[sample["y_parameters"].notna()].copy()
    pts["dom"] = pts["domain"].fillna("unknown")
    pts["reviewed"] = (pts["source"] == "review") if "source" in pts else False
    return pts


def era_lines(trends: pd.DataFrame, domain: str = "all") -> pd.DataFrame:
    """The parameter fits of one domain ("all" for the all-domain ones), in table order."""
    t = trends[(trends["metric"] == "parameters") & (trends["domain"] == domain)].copy()
    return t.reset_index(drop=True)


def _is_gap_era(row: pd.Series) -> bool:
    key = str(row.get("era", row.get("era_label", "")))
    return key.endswith("_gap") or "gap" in str(row.get("era_label", ""))


def split_eras(lines: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(single-trend eras, below/above-gap eras)."""
    if lines.empty:
        return lines, lines
    gap = lines.apply(_is_gap_era, axis=1)
    return lines[~gap].reset_index(drop=True), lines[gap].reset_index(drop=True)


def fit_span(row: pd.Series, pts: pd.DataFrame) -> tuple[float, float]:
    """Where to draw an era's fit: the era, cut to the years its chart's points cover."""
    a, b = year_fraction(row["era_start"]), year_fraction(row["era_end"])
    if len(pts):
        lo, hi = max(a, float(pts["x"].min())), min(b, float(pts["x"].max()))
        if lo < hi:
            return lo, hi
    return a, b


def fitted_domains(trends: pd.DataFrame) -> list[str]:
    """Domains with at least one parameter trend fit (enough models), in a stable order."""
    if not len(trends):
        return []
    doms = trends.loc[(trends["metric"] == "parameters") & (trends["domain"] != "all"), "domain"]
    return sorted(set(doms))


def year_fraction(d) -> float:
    """A date as a fractional year (2018-07-02 -> 2018.5), the fits' x axis."""
    ts = pd.Timestamp(d)
    return ts.year + (ts.dayofyear - 1) / (366 if ts.is_leap_year else 365)


def fit_label(row: pd.Series) -> str:
    """A drawn fit in words: slope, doubling time, R² and n (legends and tooltips)."""
    return (
        f"{row['era_label']}: {row['slope']:.2f} OOM/yr, doubling "
        f"{row['doubling_months']:.1f} mo, R² {row['r2']:.2f}, n={int(row['n'])}"
    )


def caption(sample: pd.DataFrame, when: datetime | None = None, *, bands: bool = True) -> str:
    """Data source, Epoch vintage(s), reviewed rows, models drawn and date, for every chart."""
    when = when or datetime.now(UTC)
    pts = sample[sample["y_parameters"].notna()] if "y_parameters" in sample else sample
    files: list[str] = []
    reviewed = 0
    if "source" in sample:
        reviewed = int((sample["source"] == "review").sum())
    if "source_file" in sample:  # a reviewed row keeps the other columns of an Epoch file's row too
        files = sorted(set(sample["source_file"].dropna()))
    vintage = ", ".join(files) if files else "no Epoch file"
    return (
        f"Data: paramtrack curated dataset (view curated_models): Epoch AI, {vintage} "
        f"(CC BY 4.0), with {reviewed} reviewed row{'s' if reviewed != 1 else ''}; "
        f"{len(pts)} models with a parameter count. Drawn {when:%Y-%m-%d}."
        + (f" Bands: {LEVEL:.0%} confidence of the fitted line." if bands else "")
    )


def size_label(log10: float) -> str:
    """An axis label for 10**log10 parameters: "175B", "1.5M"."""
    v = 10**log10
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if v >= scale * 0.9995:
            return f"{v / scale:.3g}{unit}"
    return f"{v:.3g}"


def verdict_of(row: pd.Series) -> str:
    """A gap band's verdict; a table without the bootstrap columns falls back to the point flag."""
    v = row.get("verdict")
    if isinstance(v, str) and v in VERDICT_COLORS:
        return v
    return "scarce" if bool(row.get("scarce")) else "not scarce"


def scarcity_interval(row: pd.Series) -> str:
    """ " [lo; hi]", the band's 5-95 % scarcity interval, or "" without one."""
    lo, hi = row.get("scarcity_p05"), row.get("scarcity_p95")
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    return f" [{lo:.2f}; {hi:.2f}]"
