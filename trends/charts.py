"""Charts of the recompute, worth publishing: PNG (matplotlib, Agg) and HTML (inline SVG).

What each chart shows, and why:

* ``trends.png`` / the top of ``trends.html``: parameters over time (log scale), points by
  domain, in two panels so that no fit lines cross each other: (a) every era with the single
  trend of each (1952-2018, 2018 on), (b) since the break year, split at the gap, with the
  below-gap and above-gap fits. Every drawn fit carries its 90 % confidence band (the OLS
  band of the fitted mean line; the same 5-95 % level as the bootstrap intervals of the
  tables) and the paper's 20B-70B gap is shaded.
* **No fit is drawn where the data cannot support one** (:func:`fit_support`): fewer than
  :data:`MIN_POINTS` models, R^2 below :data:`MIN_R2`, or a slope interval that crosses 0 (no
  trend, so no doubling time). The chart says which fit was left out and why instead.
* ``trends_by_domain.png`` / the per-domain sections: each domain with a fit, its own two era
  trends (its below/above-gap fits are in the table, not drawn: with few models they overlap).
* ``gap.png`` / ``gap.html``: models per half-OOM band on a log axis, coloured by the
  bootstrap verdict (scarce / undetermined / not scarce), with the 20B-70B band marked and
  its scarcity interval written beside it.
* Every chart has axis titles and a caption: data source, Epoch vintage(s), number of
  reviewed rows, date drawn.
* ``trends.html`` ends with a searchable, filterable table of the models (domain, year, size,
  source), each row linked to its evidence (the PDF page of a reviewed value, or the Epoch file
  and row).

The folder is self-contained and loads nothing from the internet (links to arXiv are plain
links): the pages take their style and script from ``charts.css`` and ``charts.js`` beside
them, with no inline ``<script>``, ``<style>`` or ``style=`` attribute, so they work under a
strict Content-Security-Policy (``script-src 'self'; style-src 'self'``, as the review app
serves them). File names are stable: :data:`CHART_FILES`.
"""

from __future__ import annotations

import csv
import hashlib
import html
import math
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402
from scipy.special import stdtrit  # noqa: E402  (the t quantile; scipy.stats imports 2x slower)

from paramtrack.core.text import neutralise_cell  # noqa: E402
from paramtrack.core.units import format_count  # noqa: E402
from paramtrack.trends.fit import MIN_POINTS, MIN_R2, fit_support, mark_support  # noqa: E402

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
FIT_COLORS = ["#111111", "#b2182b", "#2166ac", "#1b7837"]
VERDICT_COLORS = {"scarce": "#d62728", "undetermined": "#f0a030", "not scarce": "#5b84b1"}
GAP_BAND = (2e10, 7e10)
GAP_LABEL = "20B-70B gap band (Villalobos et al. 2022)"
CHART_FILES = (
    "trends.png",
    "trends_by_domain.png",
    "trends.html",
    "gap.png",
    "gap.html",
    "index.html",
    "charts.css",
    "charts.js",
    "chart_models.csv",
    "chart_trends.csv",
    "chart_gap.csv",
)

LEVEL = 0.90  # confidence band of the fitted mean line (5-95 %, as the tables)
REVIEWED_LABEL = "reviewed in paramtrack"
#: The chart pages' downloads: the data each chart shows, with its provenance.
DATA_FILES = ("chart_models.csv", "chart_trends.csv", "chart_gap.csv")


# -- what may be drawn ---------------------------------------------------------------------
# fit_support (trends/fit.py) decides, for the charts and every table alike.


def _band(row: pd.Series, xs: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
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


def _points(sample: pd.DataFrame) -> pd.DataFrame:
    pts = sample[sample["y_parameters"].notna()].copy()
    pts["dom"] = pts["domain"].fillna("unknown")
    pts["reviewed"] = (pts["source"] == "review") if "source" in pts else False
    return pts


def _era_lines(trends: pd.DataFrame, domain: str = "all") -> pd.DataFrame:
    t = trends[(trends["metric"] == "parameters") & (trends["domain"] == domain)].copy()
    return t.reset_index(drop=True)


def _is_gap_era(row: pd.Series) -> bool:
    key = str(row.get("era", row.get("era_label", "")))
    return key.endswith("_gap") or "gap" in str(row.get("era_label", ""))


def _split_eras(lines: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(single-trend eras, below/above-gap eras)."""
    if lines.empty:
        return lines, lines
    gap = lines.apply(_is_gap_era, axis=1)
    return lines[~gap].reset_index(drop=True), lines[gap].reset_index(drop=True)


def _span(row: pd.Series, pts: pd.DataFrame) -> tuple[float, float]:
    """Where to draw an era's fit: the era, cut to the years its chart's points cover."""
    a, b = _frac(row["era_start"]), _frac(row["era_end"])
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


def _frac(d) -> float:
    ts = pd.Timestamp(d)
    return ts.year + (ts.dayofyear - 1) / (366 if ts.is_leap_year else 365)


def _fit_label(row: pd.Series) -> str:
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


# -- PNG -------------------------------------------------------------------------------------


def _draw_fits(ax, lines: pd.DataFrame, pts: pd.DataFrame, *, colors=FIT_COLORS) -> list[str]:
    """Draw the supported fits with their bands; returns "label: why not" for the others."""
    skipped = []
    for i, (_, row) in enumerate(lines.iterrows()):
        why = fit_support(row)
        if why:
            skipped.append(f"{row['era_label']}: not drawn ({why})")
            continue
        a, b = _span(row, pts)
        xs = np.linspace(a, b, 60)
        color = colors[i % len(colors)]
        band = _band(row, xs)
        if band is not None:
            ax.fill_between(xs, 10 ** band[0], 10 ** band[1], color=color, alpha=0.18, lw=0)
        ax.plot(xs, 10 ** (row["intercept"] + row["slope"] * xs), color=color, lw=2.2, label=_fit_label(row))
    return skipped


def _scatter(ax, pts: pd.DataFrame, *, size: float = 14) -> None:
    """Points by domain colour; a reviewed value is a black-edged diamond, so what paramtrack's
    reviewers decided stands out from what Epoch lists."""
    for dom, grp in pts.groupby("dom", sort=True):
        color = COLORS.get(str(dom), "#333333")  # "dom" holds domain names ("unknown" for none)
        epoch, reviewed = grp[~grp["reviewed"]], grp[grp["reviewed"]]
        ax.scatter(
            epoch["x"], 10 ** epoch["y_parameters"], s=size, alpha=0.6, lw=0, color=color, label=f"{dom} ({len(grp)})"
        )
        if len(reviewed):
            ax.scatter(
                reviewed["x"],
                10 ** reviewed["y_parameters"],
                s=size * 3,
                marker="D",
                alpha=0.95,
                color=color,
                edgecolors="black",
                linewidths=0.9,
                zorder=4,
                label="_nolegend_",
            )


def _reviewed_handle(pts: pd.DataFrame) -> list[tuple[Line2D, str]]:
    """The legend entry of the reviewed marker, when the chart has reviewed points."""
    n = int(pts["reviewed"].sum())
    if not n:
        return []
    marker = Line2D([], [], marker="D", ls="", color="#dddddd", markeredgecolor="black", markersize=6)
    return [(marker, f"{REVIEWED_LABEL} ({n})")]


def _limit_to_points(ax, pts: pd.DataFrame) -> None:
    """Axes that fit the points, not the fit bands: a band running out at 1952 must not stretch
    the axis (or be drawn below it); matplotlib clips what falls outside."""
    if not len(pts):
        return
    y = pts["y_parameters"]
    ax.set_ylim(10 ** (math.floor(float(y.min())) - 0.2), 10 ** (math.ceil(float(y.max())) + 0.2))
    x0, x1 = float(pts["x"].min()), float(pts["x"].max())
    pad = max((x1 - x0) * 0.02, 0.3)
    ax.set_xlim(x0 - pad, x1 + pad)


def _shade_gap(ax, x0: float | None = None, x1: float | None = None) -> None:
    if x0 is None:
        ax.axhspan(*GAP_BAND, color="#d62728", alpha=0.10, lw=0, zorder=0)
    else:
        ax.fill_between([x0, x1], GAP_BAND[0], GAP_BAND[1], color="#d62728", alpha=0.10, lw=0, zorder=0)


def _axes(ax, title: str) -> None:
    ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    ax.set_xlabel("publication date (year)")
    ax.set_ylabel("parameters (log scale)")
    ax.set_title(title, loc="left", fontsize=11)


def _note(ax, lines: list[str], x: float = 0.01) -> None:
    if lines:
        ax.text(
            x,
            0.98,
            "\n".join(lines),
            transform=ax.transAxes,
            va="top",
            ha="left",
            fontsize=8.5,
            color="#444444",
            bbox={"facecolor": "white", "edgecolor": "#cccccc", "alpha": 0.9},
        )


def trends_png(sample: pd.DataFrame, trends: pd.DataFrame, path: Path) -> None:
    fig = trends_figure(sample, trends)
    fig.savefig(path)
    plt.close(fig)


def trends_figure(sample: pd.DataFrame, trends: pd.DataFrame) -> Figure:
    """The two trend panels (what ``trends.png`` shows), as a figure to save or inspect."""
    pts = _points(sample)
    single, gap_eras = _split_eras(_era_lines(trends))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(13, 11), dpi=100)
    _scatter(top, pts)
    _shade_gap(top)
    skipped = _draw_fits(top, single, pts)
    _axes(top, "(a) All eras: the single trend of each era, with its 90 % confidence band")
    _limit_to_points(top, pts)
    dom_handles, dom_labels = top.get_legend_handles_labels()
    n_dom = pts["dom"].nunique()
    reviewed = _reviewed_handle(pts)
    doms = top.legend(
        dom_handles[:n_dom] + [h for h, _ in reviewed] + [Patch(color="#d62728", alpha=0.15)],
        dom_labels[:n_dom] + [label for _, label in reviewed] + [GAP_LABEL],
        title="domain (models)",
        fontsize=9,
        loc="upper left",
        ncol=2,
        framealpha=0.9,
    )
    top.add_artist(doms)
    if len(dom_handles) > n_dom:
        top.legend(dom_handles[n_dom:], dom_labels[n_dom:], title="fits", fontsize=9, loc="lower right", framealpha=0.9)
    _note(top, skipped, x=0.42)

    break_x = min((_frac(r["era_start"]) for _, r in gap_eras.iterrows()), default=None)
    recent = pts if break_x is None else pts[pts["x"] >= break_x]
    _scatter(bottom, recent, size=18)
    if len(recent):
        _shade_gap(bottom)
    skipped = _draw_fits(bottom, gap_eras, recent, colors=FIT_COLORS[1:])
    _axes(bottom, "(b) Since the break: models below and above the gap, fitted separately (colours: domain, as in (a))")
    _limit_to_points(bottom, recent)
    handles, labels = bottom.get_legend_handles_labels()
    fits = [(h, lab) for h, lab in zip(handles, labels) if "OOM/yr" in lab]
    if fits:
        bottom.legend(*zip(*fits), title="fits", fontsize=9, loc="lower right", framealpha=0.9)
    _note(bottom, skipped or (["no below/above-gap fits"] if gap_eras.empty else []))
    fig.suptitle("Parameters of notable ML models over time", fontsize=14, x=0.01, ha="left")
    fig.text(0.01, 0.005, caption(sample), fontsize=8.5, color="#444444", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.03, 1, 0.97))
    return fig


def trends_by_domain_png(sample: pd.DataFrame, trends: pd.DataFrame, path: Path) -> None:
    """One panel per domain with a fit: its points and its own single-trend eras."""
    pts = _points(sample)
    doms = fitted_domains(trends) or ["all"]
    cols = min(2, len(doms))
    rows = math.ceil(len(doms) / cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(7.2 * cols, 4.6 * rows + 0.6), dpi=100, sharex=True, sharey=True, squeeze=False
    )
    for ax, dom in zip(axes.flat, doms):
        mine = pts if dom == "all" else pts[pts["dom"] == dom]
        _scatter(ax, mine)
        _shade_gap(ax)
        single, _ = _split_eras(_era_lines(trends, dom))
        skipped = _draw_fits(ax, single, mine)
        _axes(ax, f"{dom} ({len(mine)} models)")
        _limit_to_points(ax, pts)  # shared axes: every panel's points fit
        handles, labels = ax.get_legend_handles_labels()
        fits = [(h, lab) for h, lab in zip(handles, labels) if "OOM/yr" in lab] + _reviewed_handle(mine)
        if fits:
            ax.legend(*zip(*fits), fontsize=8, loc="lower right", framealpha=0.9)
        _note(ax, skipped)
    for ax in list(axes.flat)[len(doms) :]:
        ax.set_visible(False)
    fig.suptitle(
        "Parameters over time per domain: each domain's own era trends (below/above-gap fits in the trend table)",
        fontsize=12,
        x=0.01,
        ha="left",
    )
    fig.text(0.01, 0.005, caption(sample), fontsize=8, color="#444444", ha="left", va="bottom", wrap=True)
    fig.tight_layout(rect=(0, 0.03, 1, 0.96))
    fig.savefig(path)
    plt.close(fig)


def _size_label(log10: float) -> str:
    v = 10**log10
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if v >= scale * 0.9995:
            return f"{v / scale:.3g}{unit}"
    return f"{v:.3g}"


def _verdict(row: pd.Series) -> str:
    v = row.get("verdict")
    if isinstance(v, str) and v in VERDICT_COLORS:
        return v
    return "scarce" if bool(row.get("scarce")) else "not scarce"


def _interval(row: pd.Series) -> str:
    lo, hi = row.get("scarcity_p05"), row.get("scarcity_p95")
    if lo is None or hi is None or not (np.isfinite(lo) and np.isfinite(hi)):
        return ""
    return f" [{lo:.2f}; {hi:.2f}]"


def _gap_domains(gap: pd.DataFrame) -> list[str]:
    grid = gap[gap["band_kind"] == "grid"]
    return [d for d in ["all", "language"] if d in set(grid["domain"])] or ["all"]


def gap_png(gap: pd.DataFrame, path: Path, sample: pd.DataFrame | None = None) -> None:
    fig = gap_figure(gap, sample)
    fig.savefig(path)
    plt.close(fig)


def gap_figure(gap: pd.DataFrame, sample: pd.DataFrame | None = None) -> Figure:
    """The gap bars per domain (what ``gap.png`` shows), as a figure to save or inspect."""
    grid = gap[gap["band_kind"] == "grid"]
    named = gap[gap["band_kind"] == "named"]
    domains = _gap_domains(gap)
    fig, axes = plt.subplots(len(domains), 1, figsize=(12, 4.3 * len(domains) + 0.6), dpi=100, squeeze=False)
    since = int(gap["since_year"].iloc[0]) if len(gap) else ""
    for ax, dom in zip(axes[:, 0], domains):
        g = grid[grid["domain"] == dom]
        if "band_lo_log10" in g:
            lo, hi = g["band_lo_log10"].to_numpy(float), g["band_hi_log10"].to_numpy(float)
        else:  # a table without band edges: equal-width bars
            lo, hi = np.arange(len(g), dtype=float), np.arange(len(g), dtype=float) + 1
        colors = [VERDICT_COLORS[_verdict(r)] for _, r in g.iterrows()]
        ax.bar(lo, g["n"], width=hi - lo, align="edge", color=colors, edgecolor="white")
        for x0, x1, (_, r) in zip(lo, hi, g.iterrows()):
            ax.text((x0 + x1) / 2, r["n"], str(int(r["n"])), ha="center", va="bottom", fontsize=8)
        band = named[named["domain"] == dom]
        if len(band) and "band_lo_log10" in band:
            b = band.iloc[0]
            ax.axvspan(
                b["band_lo_log10"],
                b["band_hi_log10"],
                facecolor="none",
                edgecolor="#222222",
                hatch="///",
                lw=1.2,
                zorder=3,
            )
            # Inside the axes, top right (the legend is top left), with an arrow to the band:
            # beside the band the label ran out of the axes when the band sat near an edge.
            ax.annotate(
                f"paper's {b['label']} gap: n={int(b['n'])}, scarcity {b['scarcity']:.2f}{_interval(b)}: {_verdict(b)}",
                xy=((b["band_lo_log10"] + b["band_hi_log10"]) / 2, max(g["n"].max() if len(g) else 1, 1) * 0.9),
                xytext=(0.99, 0.97),
                textcoords="axes fraction",
                ha="right",
                va="top",
                fontsize=9.5,
                bbox={"facecolor": "white", "edgecolor": "#222222", "alpha": 0.95},
                arrowprops={"arrowstyle": "->", "color": "#222222", "lw": 1.0},
                annotation_clip=False,
            )
        if "band_lo_log10" in g and len(g):
            ticks = np.arange(math.floor(lo.min()), math.ceil(hi.max()) + 1)
            ax.set_xticks(ticks)
            ax.set_xticklabels([_size_label(t) for t in ticks])
            ax.set_xlim(lo.min() - 0.1, hi.max() + 0.1)
        ax.set_xlabel("parameters (log scale; bars are half-order-of-magnitude bands from 2·10^k)")
        ax.set_ylabel(f"models published since {since}")
        ax.set_title(f"{dom}: models per parameter band, coloured by the bootstrap verdict", loc="left", fontsize=11)
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_ylim(0, max(g["n"].max() if len(g) else 1, 1) * 1.35)  # room for the label at the top
    handles = [Patch(color=c, label=v) for v, c in VERDICT_COLORS.items()]
    handles.append(Patch(facecolor="none", edgecolor="#222222", hatch="///", label=GAP_LABEL))
    axes[0, 0].legend(handles=handles, fontsize=9, loc="upper left", title="verdict")
    fig.suptitle("The parameter gap: are mid-size models scarce?", fontsize=14, x=0.01, ha="left")
    text = caption(sample, bands=False) if sample is not None else "Data: paramtrack curated dataset."
    fig.text(
        0.01,
        0.005,
        text + " Verdict: scarce in >= 95 % of 1,000 bootstrap resamples of "
        "the models = scarce, <= 5 % = not scarce, else undetermined.",
        fontsize=8,
        color="#444444",
        ha="left",
        va="bottom",
        wrap=True,
    )
    fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    return fig


# -- HTML (inline SVG) -----------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<link rel="stylesheet" href="charts.css">
<script src="charts.js" defer></script>
</head><body>
<nav class="top"><a href="index.html">Charts</a> <a href="trends.html">Trends</a> <a href="gap.html">Gap</a> <a href="trends.html#model-table">Models</a></nav>
<h1>{title}</h1>
{body}
<div id="tip" class="tip" hidden></div>
</body></html>
"""

_CSS = (
    """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}
nav.top a{margin-right:1em}
svg{display:block;max-width:100%;height:auto}
svg text{font-size:12px;fill:#333}
svg text.axis-title{font-size:13px;font-weight:600}
svg text.panel-title{font-size:14px;font-weight:600}
.caption{font-size:13px;color:#555;max-width:75em}
.note{font-size:13px;color:#7a4b00;background:#fff6e0;border:1px solid #f0d9a0;padding:4px 8px;display:inline-block}
.legend{margin:.4em 0;display:flex;flex-wrap:wrap;gap:.2em 1em}
.legend span{cursor:pointer;user-select:none;white-space:nowrap}
.legend span.off{opacity:.3}
.fits{list-style:none;padding:0;margin:.3em 0;font-size:13px}
.fits li{margin:.15em 0}
.swatch{display:inline-block;width:1.6em;height:.35em;vertical-align:middle;margin-right:.4em}
.sw0{background:#111}.sw1{background:#b2182b}.sw2{background:#2166ac}.sw3{background:#1b7837}
.swgap{background:#f6d5d5;height:.9em}
.tip{position:fixed;pointer-events:none;background:#fff;border:1px solid #999;padding:4px 6px;
font-size:12px;max-width:30em}
.tip[hidden]{display:none}
.pt.off{display:none}
.downloads{font-size:13px;margin:.4em 0}
.downloads a{margin-right:1em}
.legend .reviewed-key{cursor:default}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right;vertical-align:top;white-space:nowrap}
td.text,th.text{text-align:left}
.filters{display:flex;flex-wrap:wrap;gap:.6em 1.2em;align-items:flex-end;margin:.6em 0;font-size:13px}
.filters label{display:flex;flex-direction:column;gap:2px;color:#555}
.filters input,.filters select{font:inherit;padding:2px 4px}
#models tr[hidden]{display:none}
td.evidence{max-width:28em;text-align:left;font-size:12px;color:#444;white-space:normal}
td.text{white-space:normal;min-width:8em}
.band-note{font-size:14px;margin:.2em 0 1em 60px}
.vsw-scarce{background:#d62728;height:.9em}.vsw-undetermined{background:#f0a030;height:.9em}
.vsw-not-scarce{background:#5b84b1;height:.9em}
.verdict-scarce{color:#b01818;font-weight:600}.verdict-undetermined{color:#a06000;font-weight:600}
"""
    + "".join(f".dom-{d}{{color:{c}}}\n" for d, c in COLORS.items())
    + ".dom-x{color:#333}\n"
)

_JS = """'use strict';
// Chart pages: hover tooltips, legend toggles and the model table's filters. Loaded from a
// file (no inline script) so the pages work under a strict Content-Security-Policy.
document.addEventListener('DOMContentLoaded', () => {
  const tip = document.getElementById('tip');
  document.querySelectorAll('[data-tip]').forEach((el) => {
    el.addEventListener('mousemove', (e) => {
      tip.hidden = false;
      tip.textContent = el.dataset.tip;
      tip.style.left = (e.clientX + 12) + 'px';
      tip.style.top = (e.clientY + 12) + 'px';
    });
    el.addEventListener('mouseleave', () => { tip.hidden = true; });
  });
  document.querySelectorAll('.legend span[data-dom]').forEach((sp) => {
    sp.addEventListener('click', () => {
      const off = sp.classList.toggle('off');
      document.querySelectorAll('.pt[data-dom]').forEach((c) => {
        if (c.dataset.dom === sp.dataset.dom) c.classList.toggle('off', off);
      });
    });
  });
  const table = document.getElementById('models');
  if (!table) return;
  const rows = Array.from(table.querySelectorAll('tbody tr'));
  const f = (id) => document.getElementById(id);
  const count = f('model-count');
  function num(el) { const v = parseFloat(el.value); return Number.isFinite(v) ? v : null; }
  function apply() {
    const q = f('f-search').value.trim().toLowerCase();
    const dom = f('f-domain').value, src = f('f-source').value;
    const y0 = num(f('f-from')), y1 = num(f('f-to'));
    const s0 = num(f('f-min')), s1 = num(f('f-max'));
    let shown = 0;
    rows.forEach((r) => {
      const d = r.dataset;
      const year = parseInt(d.year, 10), size = parseFloat(d.log);
      const ok = (!q || d.name.includes(q)) && (!dom || d.domain === dom) &&
        (!src || d.source === src || d.file === src) &&
        (y0 === null || year >= y0) && (y1 === null || year <= y1) &&
        (s0 === null || size >= s0) && (s1 === null || size < s1);
      r.hidden = !ok;
      if (ok) shown += 1;
    });
    count.textContent = shown + ' of ' + rows.length + ' models';
  }
  ['f-search', 'f-domain', 'f-source', 'f-from', 'f-to', 'f-min', 'f-max'].forEach((id) => {
    f(id).addEventListener('input', apply);
    f(id).addEventListener('change', apply);
  });
  f('f-reset').addEventListener('click', () => {
    ['f-search', 'f-from', 'f-to'].forEach((id) => { f(id).value = ''; });
    ['f-domain', 'f-source', 'f-min', 'f-max'].forEach((id) => { f(id).selectedIndex = 0; });
    apply();
  });
  apply();
});
"""


def _dom_class(dom: str) -> str:
    return f"dom-{dom}" if dom in COLORS else "dom-x"


def assets(out_dir: Path) -> list[Path]:
    """Write the pages' shared ``charts.css`` and ``charts.js`` into ``out_dir``."""
    css, js = out_dir / "charts.css", out_dir / "charts.js"
    css.write_text(_CSS, encoding="utf-8")
    js.write_text(_JS, encoding="utf-8")
    return [css, js]


def _esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def _clip_id(title: str) -> str:
    """A clip-path id unique per chart of a page (several SVGs share one document)."""
    return "plot-" + hashlib.sha1(title.encode()).hexdigest()[:10]


def _clipped_span(a: float, b: float, intercept: float, slope: float, y0: float, y1: float) -> tuple[float, float]:
    """The part of [a, b] where the line stays within [y0, y1] (empty when a >= b): a fit line
    ends where it leaves the axes instead of running below them (1952 in panel (a))."""
    if slope:
        xs = sorted(((y0 - intercept) / slope, (y1 - intercept) / slope))
        return max(a, xs[0]), min(b, xs[1])
    return (a, b) if y0 <= intercept <= y1 else (b, a)


def _point_tip(r: pd.Series) -> str:
    """A point's tooltip, its count written as the axis writes it ("175B", never "1.75e+11")."""
    when = pd.Timestamp(r["publication_date"]).date()
    tip = f"{r.get('system', '')} — {format_count(10 ** r['y_parameters'])} parameters, {when}, {r['dom']}"
    if r.get("reviewed"):
        who = r.get("reviewer")
        return tip + f"; {REVIEWED_LABEL}" + (f" by {who}" if isinstance(who, str) and who else "")
    file, row_no = r.get("source_file"), r.get("source_row")
    if isinstance(file, str) and row_no is not None and not pd.isna(row_no):
        return tip + f"; Epoch: {file} row {int(row_no)}"
    return tip


def _diamond(cx: float, cy: float, r: float) -> str:
    return f"M{cx:.1f},{cy - r:.1f} L{cx + r:.1f},{cy:.1f} L{cx:.1f},{cy + r:.1f} L{cx - r:.1f},{cy:.1f} Z"


def _trend_svg(
    pts: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    title: str,
    width: int = 1000,
    height: int = 520,
    x_from: float | None = None,
) -> tuple[str, list[str]]:
    """An SVG scatter (log10 parameters against year) with the supported fits, their bands
    and the gap band shaded, everything clipped to the plot area; returns (svg, notes on fits
    not drawn). Reviewed points are black-edged diamonds, Epoch's circles."""
    W, H, L, R, T, B = width, height, 78, 20, 34, 52
    if x_from is not None:
        pts = pts[pts["x"] >= x_from]
    if len(pts):
        x0, x1 = math.floor(pts["x"].min()), math.ceil(pts["x"].max())
        y0, y1 = math.floor(pts["y_parameters"].min()), math.ceil(pts["y_parameters"].max())
    else:
        x0, x1, y0, y1 = 1950, 2025, 0, 13
    y1 = max(y1, y0 + 1, 11)
    x1 = max(x1, x0 + 1)

    def sx(x: float) -> float:
        return L + (x - x0) / (x1 - x0) * (W - L - R)

    def sy(y: float) -> float:
        return H - B - (y - y0) / (y1 - y0) * (H - T - B)

    clip = _clip_id(title)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" role="img" aria-label="{_esc(title)}">',
        f'<defs><clipPath id="{clip}"><rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}"/></clipPath></defs>',
        f'<text class="panel-title" x="{L}" y="20">{_esc(title)}</text>',
    ]
    for y in range(int(y0), int(y1) + 1):
        parts.append(
            f'<line x1="{L}" x2="{W - R}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#eee"/>'
            f'<text x="{L - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{_size_label(y)}</text>'
        )
    step = 10 if x1 - x0 > 30 else (2 if x1 - x0 > 6 else 1)
    for x in range(int(x0 - x0 % step), int(x1) + 1, step):
        if x < x0:
            continue
        parts.append(
            f'<line x1="{sx(x):.1f}" x2="{sx(x):.1f}" y1="{T}" y2="{H - B}" stroke="#eee"/>'
            f'<text x="{sx(x):.1f}" y="{H - B + 16}" text-anchor="middle">{x}</text>'
        )
    parts.append(
        f'<text class="axis-title" x="{(L + W - R) / 2:.0f}" y="{H - 10}" '
        'text-anchor="middle">publication date (year)</text>'
        f'<text class="axis-title" transform="translate(18 {(T + H - B) / 2:.0f}) rotate(-90)" '
        'text-anchor="middle">parameters (log scale)</text>'
    )
    # Everything data-driven is drawn inside the plot area's clip path.
    parts.append(f'<g class="plot" clip-path="url(#{clip})">')
    g0, g1 = (max(min(math.log10(v), y1), y0) for v in GAP_BAND)
    parts.append(
        f'<rect x="{L}" y="{sy(g1):.1f}" width="{W - L - R}" height="{sy(g0) - sy(g1):.1f}" '
        f'fill="#d62728" fill-opacity="0.10" class="gap-band" data-tip="{_esc(GAP_LABEL)}"/>'
    )
    for _, r in pts.iterrows():
        dom = r["dom"]
        cx, cy = sx(r["x"]), sy(r["y_parameters"])
        common = f'fill="{COLORS.get(dom, "#333")}" data-dom="{_esc(dom)}" data-tip="{_esc(_point_tip(r))}"'
        if r.get("reviewed"):
            parts.append(
                f'<path d="{_diamond(cx, cy, 5.5)}" {common} fill-opacity="0.95" stroke="#000" '
                'stroke-width="1.2" class="pt reviewed"/>'
            )
        else:
            parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" {common} fill-opacity="0.7" class="pt"/>')
    notes = []  # the fits go on top of the points, so a dense cloud never hides a line
    for i, (_, row) in enumerate(lines.iterrows()):
        why = fit_support(row)
        if why:
            notes.append(f"{row['era_label']}: not drawn ({why})")
            continue
        a, b = _span(row, pts)
        xs = np.linspace(a, b, 40)
        color = FIT_COLORS[(i + (1 if x_from is not None else 0)) % len(FIT_COLORS)]
        band = _band(row, xs)
        if band is not None:
            lo, hi = (np.clip(v, y0, y1) for v in band)
            d = (
                "M"
                + " L".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, hi))
                + " L"
                + " L".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs[::-1], lo[::-1]))
                + " Z"
            )
            parts.append(f'<path d="{d}" fill="{color}" fill-opacity="0.16" class="fit-band"/>')
        a, b = _clipped_span(a, b, float(row["intercept"]), float(row["slope"]), y0, y1)
        if a >= b:
            continue
        ya, yb = row["intercept"] + row["slope"] * a, row["intercept"] + row["slope"] * b
        parts.append(
            f'<line x1="{sx(a):.1f}" y1="{sy(ya):.1f}" x2="{sx(b):.1f}" y2="{sy(yb):.1f}" '
            f'stroke="{color}" stroke-width="2.5" class="fit" data-tip="{_esc(_fit_label(row))}"/>'
        )
    parts.append("</g>")
    parts.append(f'<rect x="{L}" y="{T}" width="{W - L - R}" height="{H - T - B}" fill="none" stroke="#bbb"/>')
    parts.append("</svg>")
    return "".join(parts), notes


def _fit_list(lines: pd.DataFrame, offset: int = 0) -> str:
    items = []
    for i, (_, row) in enumerate(lines.iterrows()):
        if fit_support(row):
            continue
        items.append(f'<li><span class="swatch sw{(i + offset) % len(FIT_COLORS)}"></span>{_esc(_fit_label(row))}</li>')
    items.append(f'<li><span class="swatch swgap"></span>{_esc(GAP_LABEL)}</li>')
    return f'<ul class="fits">{"".join(items)}</ul>'


def _notes(notes: list[str]) -> str:
    return "".join(f'<p class="note">{_esc(n)}</p>' for n in notes)


def _model_table(sample: pd.DataFrame) -> str:
    """The searchable, filterable table of the models in the charts, linked to evidence."""
    pts = _points(sample)
    pts = pts.sort_values(
        ["publication_date", "system"] if "system" in pts else ["publication_date"], ascending=False
    )  # newest first
    files = sorted(set(pts["source_file"].dropna())) if "source_file" in pts else []
    has_review = "source" in pts and (pts["source"] == "review").any()
    dom_opts = "".join(f'<option value="{_esc(d)}">{_esc(d)}</option>' for d in sorted(set(pts["dom"])))
    src_opts = (
        ('<option value="review">reviewed</option>' if has_review else "")
        + ('<option value="epoch">Epoch (all files)</option>' if files else "")
        + "".join(f'<option value="{_esc(f)}">{_esc(f)}</option>' for f in files)
    )
    sizes = "".join(f'<option value="{k}">{_size_label(k)}</option>' for k in range(3, 14))
    filters = (
        '<div class="filters">'
        '<label>Search <input id="f-search" type="search" placeholder="system name"></label>'
        f'<label>Domain <select id="f-domain"><option value="">all</option>{dom_opts}</select></label>'
        '<label>Year from <input id="f-from" type="number" min="1900" max="2100" size="5"></label>'
        '<label>to <input id="f-to" type="number" min="1900" max="2100" size="5"></label>'
        f'<label>Size at least <select id="f-min"><option value="">any</option>{sizes}</select></label>'
        f'<label>below <select id="f-max"><option value="">any</option>{sizes}</select></label>'
        f'<label>Source <select id="f-source"><option value="">all</option>{src_opts}</select></label>'
        '<button type="button" id="f-reset">Reset</button>'
        '<span id="model-count"></span></div>'
    )
    body = []
    for _, r in pts.iterrows():
        system = str(r.get("system", "") or "")
        source = str(r.get("source", "") or "")
        file = r.get("source_file") if isinstance(r.get("source_file"), str) else ""
        arxiv = r.get("arxiv_id") if isinstance(r.get("arxiv_id"), str) else ""
        date = pd.Timestamp(r["publication_date"]).date()
        params = 10 ** r["y_parameters"]
        if source == "review":
            page = r.get("evidence_page")
            page = int(page) if page is not None and not pd.isna(page) else None
            text = str(r.get("evidence") or "")
            link = (
                (
                    f'<a href="https://arxiv.org/pdf/{_esc(arxiv)}'
                    f'{f"#page={page}" if page else ""}" rel="noopener noreferrer">'
                    f"arXiv:{_esc(arxiv)}{f', page {page}' if page else ''}</a>"
                )
                if arxiv
                else ""
            )
            who = f" (reviewed by {_esc(r.get('reviewer'))})" if r.get("reviewer") else ""
            row_no = r.get("source_row")
            kept = (
                f"<br>other columns: Epoch {_esc(file)} row {int(row_no)}"
                if file and row_no is not None and not pd.isna(row_no)
                else ""
            )
            evidence = f"{link}{who}<br>{_esc(text[:240])}{'…' if len(text) > 240 else ''}{kept}"
            src_label = "reviewed"
        else:
            row_no = r.get("source_row")
            row_txt = f" row {int(row_no)}" if row_no is not None and not pd.isna(row_no) else ""
            abs_link = (
                (f' · <a href="https://arxiv.org/abs/{_esc(arxiv)}" rel="noopener noreferrer">arXiv:{_esc(arxiv)}</a>')
                if arxiv
                else ""
            )
            evidence = f"Epoch: {_esc(file)}{row_txt}{abs_link}"
            src_label = "Epoch" if source == "epoch" else _esc(source or "")
        body.append(
            f'<tr data-name="{_esc(system.lower())}" data-domain="{_esc(r["dom"])}" '
            f'data-year="{date.year}" data-log="{r["y_parameters"]:.4f}" '
            f'data-source="{_esc(source)}" data-file="{_esc(file)}">'
            f'<td class="text">{_esc(system)}</td><td class="text {_dom_class(r["dom"])}">{_esc(r["dom"])}</td>'
            f"<td>{date}</td><td>{_size_label(r['y_parameters'])}</td><td>{params:,.0f}</td>"
            f'<td class="text">{src_label}</td><td class="evidence">{evidence}</td></tr>'
        )
    head = (
        '<thead><tr><th class="text">System</th><th class="text">Domain</th><th>Date</th>'
        '<th>Parameters</th><th>exact</th><th class="text">Source</th>'
        '<th class="text">Evidence</th></tr></thead>'
    )
    return (
        f'<h2 id="model-table">Models ({len(pts)})</h2>'
        "<p>Every model in the charts, newest first. Filter by name, domain, year, size and source; each "
        "row links to its evidence: the PDF page of a reviewed value, or the Epoch file and "
        "row it was imported from.</p>"
        f'{filters}<table id="models">{head}<tbody>{"".join(body)}</tbody></table>'
    )


def trends_html(sample: pd.DataFrame, trends: pd.DataFrame, path: Path) -> None:
    """The two trend panels, one section per fitted domain, the model table, the trend table."""
    pts = _points(sample)
    legend = "".join(
        f'<span data-dom="{_esc(d)}" class="{_dom_class(str(d))}">&#9679; {_esc(d)} ({n})</span>'
        for d, n in pts["dom"].value_counts().sort_index().items()
    )
    n_reviewed = int(pts["reviewed"].sum())
    if n_reviewed:
        legend += f'<span class="reviewed-key">&#9670; {REVIEWED_LABEL} ({n_reviewed}); &#9679; Epoch</span>'

    single, gap_eras = _split_eras(_era_lines(trends))
    svg_a, notes_a = _trend_svg(pts, single, title="(a) All eras: the single trend of each era")
    break_x = min((_frac(r["era_start"]) for _, r in gap_eras.iterrows()), default=None)
    parts = [
        f'<p class="caption">{_esc(caption(sample))}</p>',
        _downloads(),
        "<p>Hover a point for the model, a line for its fit; click a domain to hide it. "
        "Shaded around each line: its 90 % confidence band. A fit the data cannot support "
        f"(fewer than {MIN_POINTS} models, R² below {MIN_R2}, a slope interval crossing "
        "0, or a slope that is not positive) is not drawn; the note says why.</p>",
        f'<div class="legend">{legend}</div>',
        svg_a,
        _fit_list(single),
        _notes(notes_a),
    ]
    if break_x is not None:
        svg_b, notes_b = _trend_svg(pts, gap_eras, x_from=break_x, title="(b) Since the break: below and above the gap")
        parts += [svg_b, _fit_list(gap_eras, offset=1), _notes(notes_b)]
    doms = fitted_domains(trends)
    if doms:
        links = " · ".join(f'<a href="#domain-{_esc(d)}">{_esc(d)}</a>' for d in doms)
        parts.append(
            f"<h2>Per domain</h2><p>Each domain with its own era trends "
            f"(below/above-gap fits are in the trend table): {links}</p>"
        )
        for dom in doms:
            mine = pts[pts["dom"] == dom]
            lines, _ = _split_eras(_era_lines(trends, dom))
            svg, notes = _trend_svg(mine, lines, title=f"{dom} ({len(mine)} models)", width=820, height=380)
            parts += [f'<h3 id="domain-{_esc(dom)}">{_esc(dom)}</h3>', svg, _fit_list(lines), _notes(notes)]
    parts += [f'<section id="models-section">{_model_table(sample)}</section>', _trend_table(trends)]
    path.write_text(_PAGE.format(title="Parameters over time", body="".join(parts)), encoding="utf-8")


def _trend_table(trends: pd.DataFrame) -> str:
    cols = [
        "metric",
        "domain",
        "era_label",
        "n",
        "slope",
        "slope_p05",
        "slope_p95",
        "doubling_months",
        "doubling_p05",
        "doubling_p50",
        "doubling_p95",
        "r2",
    ]
    cols = [c for c in cols if c in trends]
    head = "".join(f"<th>{c}</th>" for c in cols) + '<th class="text">drawn?</th>'
    body = []
    for _, r in trends.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, float):
                v = "" if math.isnan(v) else f"{v:.3g}"
            cells.append(f"<td>{_esc(v)}</td>")
        why = fit_support(r)
        if r["metric"] != "parameters":
            why = "not charted" + (f"; not supported: {why}" if why else "")
        cells.append(f'<td class="text">{_esc(why or "yes")}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<h2>Trend table</h2><table><tr>{head}</tr>{''.join(body)}</table>"


def _named_label(b: pd.Series) -> str:
    return f"paper's {b['label']} gap: n={int(b['n'])}, scarcity {b['scarcity']:.2f}{_interval(b)}: {_verdict(b)}"


def _gap_svg(g: pd.DataFrame, band: pd.DataFrame, title: str, since: int) -> str:
    W, H, L, R, T, B = 1000, 330, 60, 20, 44, 64
    n_max = max(int(g["n"].max()) if len(g) else 1, 1)
    if "band_lo_log10" in g and len(g):
        lo_all, hi_all = float(g["band_lo_log10"].min()), float(g["band_hi_log10"].max())
    else:
        lo_all, hi_all = 0.0, float(max(len(g), 1))

    def sx(v: float) -> float:
        return L + (v - lo_all) / (hi_all - lo_all) * (W - L - R)

    def sy(n: float) -> float:
        return H - B - n / (n_max * 1.12) * (H - T - B)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" '
        f'viewBox="0 0 {W} {H}" role="img" aria-label="{_esc(title)}">',
        f'<text class="panel-title" x="{L}" y="20">{_esc(title)}</text>',
    ]
    for i, (_, r) in enumerate(g.iterrows()):
        a = float(r["band_lo_log10"]) if "band_lo_log10" in r else float(i)
        b = float(r["band_hi_log10"]) if "band_hi_log10" in r else float(i + 1)
        v = _verdict(r)
        tipt = (
            f"{r['label']}: {r['n']} models; neighbours below {r['mean_below']:.1f}, above "
            f"{r['mean_above']:.1f}; scarcity {r['scarcity']:.2f}{_interval(r)}: {v}"
        )
        parts.append(
            f'<rect x="{sx(a) + 1:.1f}" y="{sy(r["n"]):.1f}" width="{sx(b) - sx(a) - 2:.1f}" '
            f'height="{sy(0) - sy(r["n"]):.1f}" fill="{VERDICT_COLORS[v]}" '
            f'class="bar verdict-{v.replace(" ", "-")}" data-tip="{_esc(tipt)}"/>'
            f'<text x="{(sx(a) + sx(b)) / 2:.1f}" y="{sy(r["n"]) - 3:.1f}" text-anchor="middle">{r["n"]}</text>'
        )
    if "band_lo_log10" in g and len(g):
        for t in range(math.ceil(lo_all), math.floor(hi_all) + 1):
            parts.append(
                f'<line x1="{sx(t):.1f}" x2="{sx(t):.1f}" y1="{H - B}" y2="{H - B + 5}" stroke="#666"/>'
                f'<text x="{sx(t):.1f}" y="{H - B + 18}" text-anchor="middle">{_size_label(t)}</text>'
            )
    if len(band) and "band_lo_log10" in band:
        named = band.iloc[0]
        a_, b_ = max(float(named["band_lo_log10"]), lo_all), min(float(named["band_hi_log10"]), hi_all)
        if a_ < b_:
            x0, x1 = sx(a_), sx(b_)
            parts.append(
                f'<rect x="{x0:.1f}" y="{T}" width="{x1 - x0:.1f}" height="{H - B - T}" '
                f'fill="none" stroke="#222" stroke-width="1.5" stroke-dasharray="5,3" '
                f'class="named-band" data-tip="{_esc(_named_label(named))}"/>'
                f'<text x="{(x0 + x1) / 2:.1f}" y="{T - 4}" text-anchor="middle" '
                f'class="named-label">{_esc(named["label"])}</text>'
            )
    parts.append(
        f'<text class="axis-title" x="{(L + W - R) / 2:.0f}" y="{H - 12}" text-anchor="middle">'
        "parameters (log scale; half-order-of-magnitude bands from 2·10^k)</text>"
        f'<text class="axis-title" transform="translate(16 {(T + H - B) / 2:.0f}) rotate(-90)" '
        f'text-anchor="middle">models since {since}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)


def gap_html(gap: pd.DataFrame, path: Path, sample: pd.DataFrame | None = None) -> None:
    grid = gap[gap["band_kind"] == "grid"]
    named = gap[gap["band_kind"] == "named"]
    sections = []
    for dom, g in grid.groupby("domain", sort=False):
        since = int(g["since_year"].iloc[0])
        mine = named[named["domain"] == dom]
        note = "".join(
            f'<p class="band-note verdict-{_verdict(b).replace(" ", "-")}">{_esc(_named_label(b))}</p>'
            for _, b in mine.iterrows()
        )
        sections.append(
            f"<h2>{_esc(dom)} (since {since})</h2>"
            + _gap_svg(g, mine, f"{dom}: models per parameter band, coloured by verdict", since)
            + note
        )
    has_ci = "verdict" in named
    rows = "".join(
        f'<tr><td class="text">{_esc(r["domain"])}</td><td class="text">{_esc(r["label"])}</td>'
        f"<td>{r['n']}</td><td>{r['mean_below']:.1f}</td><td>{r['mean_above']:.1f}</td>"
        f"<td>{r['scarcity']:.2f}</td>"
        + (f"<td>{_esc(_interval(r).strip())}</td><td>{r['scarce_share'] * 100:.0f}%</td>" if has_ci else "")
        + f"<td>{'yes' if r['scarce'] else ''}</td>"
        f'<td class="text verdict-{_verdict(r).replace(" ", "-")}">{_esc(_verdict(r))}</td></tr>'
        for _, r in named.iterrows()
    )
    ci_head = "<th>scarcity 5-95%</th><th>resamples scarce</th>" if has_ci else ""
    table = (
        '<h2>Named bands</h2><table><tr><th class="text">domain</th><th class="text">band</th>'
        f"<th>n</th><th>mean below</th><th>mean above</th><th>scarcity</th>{ci_head}"
        f'<th>scarce (point)</th><th class="text">verdict</th></tr>{rows}</table>'
    )
    legend = "".join(
        f'<li><span class="swatch vsw-{v.replace(" ", "-")}"></span>'
        f'<span class="verdict-{v.replace(" ", "-")}">{_esc(v)}</span></li>'
        for v in VERDICT_COLORS
    )
    cap = caption(sample, bands=False) if sample is not None else "Data: paramtrack curated dataset."
    body = (
        f'<p class="caption">{_esc(cap)}</p>'
        + _downloads()
        + "<p>Models per half-order-of-magnitude parameter band (grid anchored at 2·10^k, so "
        "one band is 20B-63B). A band is <em>scarce</em> when it holds at most half as many "
        "models as the thinner of its two neighbourhoods, both populated. The verdict comes "
        "from 1,000 bootstrap resamples of the models (fixed seed): scarce in at least 95 % "
        "of them = scarce, in at most 5 % = not scarce, otherwise undetermined. The dashed "
        f'box marks the paper\'s 20B-70B band. Hover a bar for details.</p><ul class="fits">{legend}</ul>'
        + "".join(sections)
        + table
    )
    path.write_text(_PAGE.format(title="The parameter gap", body=body), encoding="utf-8")


def index_html(path: Path, trends: pd.DataFrame | None = None, sample: pd.DataFrame | None = None) -> None:
    body = (
        '<ul><li><a href="trends.html">Parameters over time, all eras, since the break '
        'and per domain (interactive)</a> — <a href="trends.png">PNG</a>, '
        '<a href="trends_by_domain.png">per-domain PNG</a></li>'
        '<li><a href="trends.html#model-table">The models: searchable, filterable, linked to '
        "evidence</a></li>"
        '<li><a href="gap.html">The parameter gap with its uncertainty (interactive)</a> — '
        '<a href="gap.png">PNG</a></li></ul>'
    )
    body += _downloads()
    if sample is not None:
        body = f'<p class="caption">{_esc(caption(sample))}</p>' + body
    if trends is not None and len(trends):
        body += _trend_table(trends)
    path.write_text(_PAGE.format(title="paramtrack charts", body=body), encoding="utf-8")


def _downloads() -> str:
    return (
        '<p class="downloads">Download (CSV): <a href="chart_models.csv" download>the models shown, with '
        'provenance</a> <a href="chart_trends.csv" download>the fits, and whether each is drawn</a> '
        '<a href="chart_gap.csv" download>the gap table</a></p>'
    )


def provenance_text(provenance: Any) -> str:
    """``curated_models.provenance`` as one cell: the columns grouped by where they come from,
    a decision first ("decision 12: parameters, parameters_kind; FILE row 351: system, ...")."""
    if not isinstance(provenance, dict):
        return ""
    by_source: dict[str, list[str]] = {}
    for column, source in provenance.items():
        if isinstance(source, str) and source:
            by_source.setdefault(source, []).append(column)
    order = sorted(by_source, key=lambda src: (not src.startswith("decision"), src))
    return "; ".join(f"{src}: {', '.join(by_source[src])}" for src in order)


def _write_csv(path: Path, header: list[str], rows: list[list[Any]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[neutralise_cell(v) for v in row] for row in rows])
    return path


def _opt(value: Any) -> Any:
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def write_data(sample: pd.DataFrame, trends: pd.DataFrame, gap: pd.DataFrame, out_dir: Path) -> list[Path]:
    """The chart pages' downloads (:data:`DATA_FILES`): every model drawn with where each of
    its values comes from, the fits with whether (and why not) they are drawn, the gap table."""
    pts = _points(sample).sort_values(["publication_date", "system"] if "system" in sample else ["publication_date"])
    model_cols = ["system", "domain", "publication_date", "parameters", "source", "reviewer", "decision_id"]
    model_cols += ["evidence", "evidence_page", "arxiv_id", "source_file", "source_row"]
    rows = []
    for _, r in pts.iterrows():
        values = [_opt(r.get(c)) for c in model_cols]
        values[2] = pd.Timestamp(r["publication_date"]).date().isoformat()
        values[3] = 10 ** float(r["y_parameters"]) if values[3] is None else values[3]
        rows.append([*values, provenance_text(r.get("provenance"))])
    written = [_write_csv(out_dir / DATA_FILES[0], [*model_cols, "provenance"], rows)]
    fits = mark_drawn(trends)
    fit_cols = [c for c in fits.columns if c != "run_id"]
    written.append(
        _write_csv(out_dir / DATA_FILES[1], fit_cols, [[_opt(r.get(c)) for c in fit_cols] for _, r in fits.iterrows()])
    )
    gap_cols = [c for c in gap.columns if c != "run_id"]
    written.append(
        _write_csv(out_dir / DATA_FILES[2], gap_cols, [[_opt(r.get(c)) for c in gap_cols] for _, r in gap.iterrows()])
    )
    return written


def mark_drawn(trends: pd.DataFrame) -> pd.DataFrame:
    """``trends`` with ``drawn``/``not_drawn_reason`` (a table read back from the warehouse has
    them; a hand-made one gets them from the same rule)."""
    return trends if {"drawn", "not_drawn_reason"} <= set(trends.columns) else mark_support(trends)


def write_charts(sample: pd.DataFrame, trends: pd.DataFrame, gap: pd.DataFrame, out_dir: Path) -> list[Path]:
    """Write the chart files (:data:`CHART_FILES`) into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    assets(out_dir)
    write_data(sample, mark_drawn(trends), gap, out_dir)
    trends_png(sample, trends, out_dir / "trends.png")
    trends_by_domain_png(sample, trends, out_dir / "trends_by_domain.png")
    trends_html(sample, trends, out_dir / "trends.html")
    gap_png(gap, out_dir / "gap.png", sample)
    gap_html(gap, out_dir / "gap.html", sample)
    index_html(out_dir / "index.html", trends, sample)
    return [out_dir / name for name in CHART_FILES]
