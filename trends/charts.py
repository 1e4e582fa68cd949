"""Charts of the recompute: parameters over time with the fitted era lines, and the gap
histogram, as PNG (matplotlib, Agg) and as interactive HTML (inline SVG + a few lines of
JavaScript: hover for the model, click a legend entry to hide a domain). The trend chart comes
for all domains together (with the all-domain fits) and per domain with enough models for a fit
(with that domain's own era lines): ``trends_by_domain.png`` and the lower sections of
``trends.html``. The folder is self-contained and loads nothing from the internet: the pages take
their style and script from ``charts.css`` and ``charts.js`` beside them, with no inline
``<script>``, ``<style>`` or ``style=`` attribute, so they work under a strict
Content-Security-Policy (``script-src 'self'; style-src 'self'``, as the review app serves them).
File names are stable: trends.png, trends_by_domain.png, trends.html, gap.png, gap.html,
index.html, charts.css, charts.js.
"""

from __future__ import annotations

import html
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

COLORS = {
    "language": "#1f77b4", "vision": "#ff7f0e", "games": "#2ca02c", "speech": "#d62728",
    "multimodal": "#9467bd", "recommendation": "#8c564b", "robotics": "#e377c2",
    "other": "#7f7f7f", "unknown": "#bcbd22",
}
ERA_STYLES = {0: "-", 1: "--", 2: ":", 3: "-."}
CHART_FILES = ("trends.png", "trends_by_domain.png", "trends.html", "gap.png", "gap.html",
               "index.html", "charts.css", "charts.js")


def _points(sample: pd.DataFrame) -> pd.DataFrame:
    pts = sample[sample["y_parameters"].notna()].copy()
    pts["dom"] = pts["domain"].fillna("unknown")
    return pts


def _era_lines(trends: pd.DataFrame, domain: str = "all") -> pd.DataFrame:
    t = trends[(trends["metric"] == "parameters") & (trends["domain"] == domain)].copy()
    return t.reset_index(drop=True)


def _span(row: pd.Series, pts: pd.DataFrame) -> tuple[float, float]:
    """Where to draw an era's fit: the era, cut to the years its chart's points cover (a domain
    whose first model is from 1987 gets no line back to 1952, which would only stretch the axis)."""
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


def _plot_trends(ax, pts: pd.DataFrame, lines: pd.DataFrame, *, legend_size: int = 7) -> None:
    """Points coloured by domain and the era fits as black lines, on a log axis."""
    for dom, grp in pts.groupby("dom", sort=True):
        ax.scatter(grp["x"], 10 ** grp["y_parameters"], s=12, alpha=0.65,
                   color=COLORS.get(dom, "#333333"), label=f"{dom} ({len(grp)})")
    for i, row in lines.iterrows():
        xs = np.array(_span(row, pts))
        ax.plot(xs, 10 ** (row["intercept"] + row["slope"] * xs), ERA_STYLES.get(i % 4, "-"),
                color="black", lw=1.8,
                label=f"{row['era_label']}: {row['slope']:.2f} OOM/yr, "
                      f"{row['doubling_months']:.1f} mo, n={row['n']}")
    ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(fontsize=legend_size, loc="upper left", ncol=2 if legend_size >= 7 else 1)


def trends_png(sample: pd.DataFrame, trends: pd.DataFrame, path: Path) -> None:
    fig, ax = plt.subplots(figsize=(11, 6.5), dpi=110)
    _plot_trends(ax, _points(sample), _era_lines(trends))
    ax.set_xlabel("publication date")
    ax.set_ylabel("parameters")
    ax.set_title("Parameters of notable ML models over time, with fitted era trends (all domains)")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def trends_by_domain_png(sample: pd.DataFrame, trends: pd.DataFrame, path: Path) -> None:
    """One panel per domain with enough models for a fit: its points and its own era lines."""
    pts = _points(sample)
    doms = fitted_domains(trends) or ["all"]
    cols = min(3, len(doms))
    rows = math.ceil(len(doms) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), dpi=100,
                             sharex=True, sharey=True, squeeze=False)
    for ax, dom in zip(axes.flat, doms):
        mine = pts if dom == "all" else pts[pts["dom"] == dom]
        _plot_trends(ax, mine, _era_lines(trends, dom), legend_size=6)
        ax.set_title(f"{dom} ({len(mine)} models)")
    for ax in list(axes.flat)[len(doms):]:
        ax.set_visible(False)
    fig.suptitle("Parameters over time per domain, with each domain's fitted era trends")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def gap_png(gap: pd.DataFrame, path: Path) -> None:
    grid = gap[gap["band_kind"] == "grid"]
    domains = [d for d in ["all", "language"] if d in set(grid["domain"])] or ["all"]
    fig, axes = plt.subplots(len(domains), 1, figsize=(11, 3.6 * len(domains)), dpi=110,
                             squeeze=False)
    for ax, dom in zip(axes[:, 0], domains):
        g = grid[grid["domain"] == dom]
        colors = ["#d62728" if s else "#1f77b4" for s in g["scarce"]]
        ax.bar(range(len(g)), g["n"], color=colors)
        ax.set_xticks(range(len(g)))
        ax.set_xticklabels(g["label"], rotation=45, ha="right", fontsize=8)
        since = int(g["since_year"].iloc[0]) if len(g) else ""
        ax.set_title(f"{dom}: models per half-OOM parameter band since {since} (red = scarce)")
        ax.set_ylabel("models")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# -- HTML (inline SVG) -----------------------------------------------------------------------

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="charts.css">
<script src="charts.js" defer></script>
</head><body>
<h1>{title}</h1>
{body}
<div id="tip" class="tip" hidden></div>
</body></html>
"""

_CSS = """body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
svg text{font-size:11px}
.legend span{cursor:pointer;margin-right:1em;user-select:none}
.legend span.off{opacity:.3}
.tip{position:fixed;pointer-events:none;background:#fff;border:1px solid #999;padding:4px 6px;
font-size:12px}
.tip[hidden]{display:none}
circle.off{display:none}
table{border-collapse:collapse;font-size:13px}
td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}
""" + "".join(f".dom-{d}{{color:{c}}}\n" for d, c in COLORS.items()) + ".dom-x{color:#333}\n"

_JS = """'use strict';
// Chart interactivity: hover tooltips and legend toggles. Loaded from a file (no inline script)
// so the pages work under a strict Content-Security-Policy.
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
      document.querySelectorAll('circle[data-dom]').forEach((c) => {
        if (c.dataset.dom === sp.dataset.dom) c.classList.toggle('off', off);
      });
    });
  });
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


def _trend_svg(pts: pd.DataFrame, lines: pd.DataFrame, *, width: int = 1000, height: int = 560) -> str:
    """An inline SVG scatter (log10 parameters against year) with the era fit lines."""
    W, H, L, R, T, B = width, height, 70, 20, 20, 40
    if len(pts):
        x0, x1 = math.floor(pts["x"].min()), math.ceil(pts["x"].max())
        y0, y1 = math.floor(pts["y_parameters"].min()), math.ceil(pts["y_parameters"].max())
    else:
        x0, x1, y0, y1 = 1950, 2025, 0, 13
    y1 = max(y1, y0 + 1)
    x1 = max(x1, x0 + 1)

    def sx(x: float) -> float:
        return L + (x - x0) / (x1 - x0) * (W - L - R)

    def sy(y: float) -> float:
        return H - B - (y - y0) / (y1 - y0) * (H - T - B)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}">']
    for y in range(int(y0), int(y1) + 1):
        parts.append(f'<line x1="{L}" x2="{W - R}" y1="{sy(y):.1f}" y2="{sy(y):.1f}" stroke="#eee"/>'
                     f'<text x="{L - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">1e{y}</text>')
    step = 10 if x1 - x0 > 30 else 2
    for x in range(int(x0 - x0 % step), int(x1) + 1, step):
        if x < x0:
            continue
        parts.append(f'<line x1="{sx(x):.1f}" x2="{sx(x):.1f}" y1="{T}" y2="{H - B}" stroke="#eee"/>'
                     f'<text x="{sx(x):.1f}" y="{H - B + 16}" text-anchor="middle">{x}</text>')
    for _, r in pts.iterrows():
        dom = r["dom"]
        label = (f"{r.get('system', '')} — {10 ** r['y_parameters']:.3g} parameters, "
                 f"{pd.Timestamp(r['publication_date']).date()}, {dom}")
        parts.append(f'<circle cx="{sx(r["x"]):.1f}" cy="{sy(r["y_parameters"]):.1f}" r="3.5" '
                     f'fill="{COLORS.get(dom, "#333")}" fill-opacity="0.7" data-dom="{_esc(dom)}" '
                     f'data-tip="{_esc(label)}"/>')
    for i, row in lines.iterrows():
        a, b = _span(row, pts)
        ya, yb = row["intercept"] + row["slope"] * a, row["intercept"] + row["slope"] * b
        dash = ["", "6,4", "2,3", "8,3,2,3"][i % 4]
        tipt = (f"{row['era_label']}: n={row['n']}, {row['slope']:.2f} OOM/yr, doubling "
                f"{row['doubling_months']:.1f} months, R²={row['r2']:.2f}")
        parts.append(f'<line x1="{sx(a):.1f}" y1="{sy(ya):.1f}" x2="{sx(b):.1f}" y2="{sy(yb):.1f}" '
                     f'stroke="black" stroke-width="2.5" stroke-dasharray="{dash}" data-tip="{_esc(tipt)}"/>')
    parts.append("</svg>")
    return "".join(parts)


def trends_html(sample: pd.DataFrame, trends: pd.DataFrame, path: Path) -> None:
    """All domains in one chart (with the all-domain fits), then one chart per fitted domain."""
    pts = _points(sample)
    legend = "".join(
        f'<span data-dom="{_esc(d)}" class="{_dom_class(str(d))}">&#9679; {_esc(d)} ({n})</span>'
        for d, n in pts["dom"].value_counts().sort_index().items()
    )
    per_domain = "".join(
        f'<h2 id="domain-{_esc(dom)}">{_esc(dom)}</h2>'
        + _trend_svg(pts[pts["dom"] == dom], _era_lines(trends, dom), width=800, height=380)
        for dom in fitted_domains(trends)
    )
    links = " · ".join(f'<a href="#domain-{_esc(d)}">{_esc(d)}</a>' for d in fitted_domains(trends))
    body = (f'<p>Hover a point for the model, a line for its era fit; click a domain to hide it. '
            f'Log scale (powers of ten).</p><div class="legend">{legend}</div>'
            f'<h2>All domains</h2>{_trend_svg(pts, _era_lines(trends))}'
            + (f"<p>Per domain, with each domain's own fits: {links}</p>{per_domain}" if per_domain else "")
            + _trend_table(trends))
    path.write_text(_PAGE.format(title="Parameters over time", body=body), encoding="utf-8")


def _trend_table(trends: pd.DataFrame) -> str:
    cols = ["metric", "domain", "era_label", "n", "slope", "doubling_months", "doubling_p05",
            "doubling_p50", "doubling_p95", "r2"]
    head = "".join(f"<th>{c}</th>" for c in cols)
    body = []
    for _, r in trends.iterrows():
        cells = []
        for c in cols:
            v = r[c]
            if isinstance(v, float):
                v = "" if math.isnan(v) else f"{v:.3g}"
            cells.append(f"<td>{_esc(v)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<h2>Trend table</h2><table><tr>{head}</tr>{''.join(body)}</table>"


def gap_html(gap: pd.DataFrame, path: Path) -> None:
    grid = gap[gap["band_kind"] == "grid"]
    sections = []
    for dom, g in grid.groupby("domain", sort=False):
        W, H, L, B = 900, 260, 40, 60
        n_max = max(int(g["n"].max()), 1)
        bw = (W - L) / max(len(g), 1)
        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}">']
        for i, (_, r) in enumerate(g.iterrows()):
            h = (H - B - 10) * r["n"] / n_max
            x = L + i * bw
            color = "#d62728" if r["scarce"] else "#1f77b4"
            tipt = (f"{r['label']}: {r['n']} models; neighbours below {r['mean_below']:.1f}, "
                    f"above {r['mean_above']:.1f}; scarcity {r['scarcity']:.2f}"
                    + (" — SCARCE" if r["scarce"] else ""))
            parts.append(f'<rect x="{x + 2:.1f}" y="{H - B - h:.1f}" width="{bw - 4:.1f}" '
                         f'height="{h:.1f}" fill="{color}" data-tip="{_esc(tipt)}"/>'
                         f'<text x="{x + bw / 2:.1f}" y="{H - B + 14}" text-anchor="middle">{_esc(r["label"])}</text>'
                         f'<text x="{x + bw / 2:.1f}" y="{H - B - h - 3:.1f}" text-anchor="middle">{r["n"]}</text>')
        parts.append("</svg>")
        since = int(g["since_year"].iloc[0])
        sections.append(f"<h2>{_esc(dom)} (since {since})</h2>{''.join(parts)}")
    named = gap[gap["band_kind"] == "named"]
    rows = "".join(
        f"<tr><td>{_esc(r['domain'])}</td><td>{_esc(r['label'])}</td><td>{r['n']}</td>"
        f"<td>{r['mean_below']:.1f}</td><td>{r['mean_above']:.1f}</td><td>{r['scarcity']:.2f}</td>"
        f"<td>{'yes' if r['scarce'] else ''}</td></tr>"
        for _, r in named.iterrows()
    )
    table = ("<h2>Named bands</h2><table><tr><th>domain</th><th>band</th><th>n</th>"
             f"<th>mean below</th><th>mean above</th><th>scarcity</th><th>scarce</th></tr>{rows}</table>")
    body = ("<p>Models per half-order-of-magnitude parameter band (grid anchored at 2·10^k); red "
            "bands are scarce relative to both neighbourhoods. Hover a bar for details.</p>"
            + "".join(sections) + table)
    path.write_text(_PAGE.format(title="The parameter gap", body=body), encoding="utf-8")


def index_html(path: Path, trends: pd.DataFrame | None = None) -> None:
    body = ("<ul><li><a href=\"trends.html\">Parameters over time, all domains and per domain "
            "(interactive)</a> — <a href=\"trends.png\">PNG</a>, "
            "<a href=\"trends_by_domain.png\">per-domain PNG</a></li>"
            "<li><a href=\"gap.html\">Parameter gap histogram (interactive)</a> — "
            "<a href=\"gap.png\">PNG</a></li></ul>")
    if trends is not None and len(trends):
        body += _trend_table(trends)
    path.write_text(_PAGE.format(title="paramtrack charts", body=body), encoding="utf-8")


def write_charts(sample: pd.DataFrame, trends: pd.DataFrame, gap: pd.DataFrame,
                 out_dir: Path) -> list[Path]:
    """Write the chart files (:data:`CHART_FILES`) into ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    assets(out_dir)
    trends_png(sample, trends, out_dir / "trends.png")
    trends_by_domain_png(sample, trends, out_dir / "trends_by_domain.png")
    trends_html(sample, trends, out_dir / "trends.html")
    gap_png(gap, out_dir / "gap.png")
    gap_html(gap, out_dir / "gap.html")
    index_html(out_dir / "index.html", trends)
    return [out_dir / name for name in CHART_FILES]
