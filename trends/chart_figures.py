"""The PNG charts (matplotlib, Agg): ``trends.png``, ``trends_by_domain.png`` and ``gap.png``,
and the figures behind them (``trends_figure``, ``gap_figure``) for tests to inspect."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from paramtrack.trends.chart_content import (  # noqa: E402
    COLORS,
    FIT_COLORS,
    GAP_BAND,
    GAP_LABEL,
    REVIEWED_LABEL,
    VERDICT_COLORS,
    caption,
    chart_points,
    confidence_band,
    era_lines,
    fit_label,
    fit_span,
    fitted_domains,
    scarcity_interval,
    size_label,
    split_eras,
    verdict_of,
    year_fraction,
)
from paramtrack.trends.fit import fit_support  # noqa: E402


def _draw_fits(ax, lines: pd.DataFrame, pts: pd.DataFrame, *, colors=FIT_COLORS) -> list[str]:
    """Draw the supported fits with their bands; returns "label: why not" for the others."""
    skipped = []
    for i, (_, row) in enumerate(lines.iterrows()):
        why = fit_support(row)
        if why:
            skipped.append(f"{row['era_label']}: not drawn ({why})")
            continue
        a, b = fit_span(row, pts)
        xs = np.linspace(a, b, 60)
        color = colors[i % len(colors)]
        band = confidence_band(row, xs)
        if band is not None:
            ax.fill_between(xs, 10 ** band[0], 10 ** band[1], color=color, alpha=0.18, lw=0)
        ax.plot(xs, 10 ** (row["intercept"] + row["slope"] * xs), color=color, lw=2.2, label=fit_label(row))
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
    pts = chart_points(sample)
    single, gap_eras = split_eras(era_lines(trends))
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

    break_x = min((year_fraction(r["era_start"]) for _, r in gap_eras.iterrows()), default=None)
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
    pts = chart_points(sample)
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
        single, _ = split_eras(era_lines(trends, dom))
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
        lo, hi = _gap_bars(ax, g)
        _mark_named_band(ax, named[named["domain"] == dom], g)
        if "band_lo_log10" in g and len(g):
            ticks = np.arange(math.floor(lo.min()), math.ceil(hi.max()) + 1)
            ax.set_xticks(ticks)
            ax.set_xticklabels([size_label(t) for t in ticks])
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


def _gap_bars(ax, g: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """One domain's bands as bars coloured by verdict, each with its count; returns the bars'
    edges (log10), or equal-width positions for a table without band edges."""
    if "band_lo_log10" in g:
        lo, hi = g["band_lo_log10"].to_numpy(float), g["band_hi_log10"].to_numpy(float)
    else:
        lo, hi = np.arange(len(g), dtype=float), np.arange(len(g), dtype=float) + 1
    colors = [VERDICT_COLORS[verdict_of(r)] for _, r in g.iterrows()]
    ax.bar(lo, g["n"], width=hi - lo, align="edge", color=colors, edgecolor="white")
    for x0, x1, (_, r) in zip(lo, hi, g.iterrows()):
        ax.text((x0 + x1) / 2, r["n"], str(int(r["n"])), ha="center", va="bottom", fontsize=8)
    return lo, hi


def _mark_named_band(ax, band: pd.DataFrame, g: pd.DataFrame) -> None:
    """The paper's band hatched, and its count, scarcity and verdict in a label inside the
    axes, top right (the legend is top left), with an arrow to the band: beside the band the
    label ran out of the axes when the band sat near an edge."""
    if not (len(band) and "band_lo_log10" in band):
        return
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
    ax.annotate(
        f"paper's {b['label']} gap: n={int(b['n'])}, scarcity {b['scarcity']:.2f}{scarcity_interval(b)}: {verdict_of(b)}",
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
