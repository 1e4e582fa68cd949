"""The HTML chart pages (``trends.html``, ``gap.html``, ``index.html``) with inline SVG.

The pages are Jinja2 templates (``templates/``, autoescaped: model names, evidence and reviewer
names come from outside) whose style and script are the files in ``static/``. This module works
out what they show: the pixel geometry of each SVG and the text of every table cell, as small
frozen dataclasses; the templates lay that out as markup.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from paramtrack.core.units import format_count
from paramtrack.trends.chart_content import (
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
from paramtrack.trends.fit import MIN_POINTS, MIN_R2, fit_support

# -- rendering -----------------------------------------------------------------------------


@functools.cache
def _templates() -> jinja2.Environment:
    """The chart templates, loaded on first use (importing this module reads no file)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("paramtrack.trends", "templates"),
        autoescape=True,  # model names, evidence and reviewer names come from outside
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(px=lambda v: f"{v:.1f}", px0=lambda v: f"{v:.0f}")
    env.globals.update(
        gap_label=GAP_LABEL,
        reviewed_label=REVIEWED_LABEL,
        min_points=MIN_POINTS,
        min_r2=MIN_R2,
        verdicts=list(VERDICT_COLORS),
    )
    return env


def _render_page(template: str, path: Path, title: str, page: object) -> None:
    """Write ``templates/<template>`` filled with ``page`` (one of the page dataclasses below)."""
    path.write_text(_templates().get_template(template).render(title=title, page=page), encoding="utf-8")


def _svg_macro(name: str) -> Any:
    """A macro of ``templates/svg.html`` as a function returning markup."""
    return getattr(_templates().get_template("svg.html").module, name)


def _dom_class(dom: str) -> str:
    return f"dom-{dom}" if dom in COLORS else "dom-x"


# -- SVG geometry --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Frame:
    """An SVG's size, its plot area (inside the margins) and the data ranges mapped onto it."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    x0: float
    x1: float
    y0: float
    y1: float

    def sx(self, x: float) -> float:
        """The pixel column of data x."""
        return self.left + (x - self.x0) / (self.x1 - self.x0) * (self.width - self.left - self.right)

    def sy(self, y: float) -> float:
        """The pixel row of data y (rows grow downwards)."""
        return self.height - self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.height - self.top - self.bottom)

    @property
    def plot_width(self) -> int:
        return self.width - self.left - self.right

    @property
    def plot_height(self) -> int:
        return self.height - self.top - self.bottom

    @property
    def x_middle(self) -> float:
        return (self.left + self.width - self.right) / 2

    @property
    def y_middle(self) -> float:
        return (self.top + self.height - self.bottom) / 2


@dataclass(frozen=True)
class _Tick:
    at: float  # pixel position along the axis
    label: object


# -- the trends page -----------------------------------------------------------------------


@dataclass(frozen=True)
class _SvgPoint:
    cx: float
    cy: float
    fill: str
    dom: str
    tip: str
    reviewed: bool

    @property
    def diamond(self) -> str:
        return _diamond(self.cx, self.cy, 5.5)


@dataclass(frozen=True)
class _SvgFit:
    color: str
    tip: str
    band: str | None  # path data of the confidence band, clipped to the axes
    line: tuple[float, float, float, float] | None  # x1, y1, x2, y2; None when off the axes


@dataclass(frozen=True)
class _TrendPlot:
    title: str
    clip: str
    frame: _Frame
    y_ticks: list[_Tick]
    x_ticks: list[_Tick]
    gap_top: float
    gap_height: float
    points: list[_SvgPoint]
    fits: list[_SvgFit]


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


def trend_svg(
    pts: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    title: str,
    width: int = 1000,
    height: int = 520,
    x_from: float | None = None,
) -> tuple[str, list[str]]:
    """One trend chart as SVG markup, as the trends page draws it: a scatter (log10 parameters
    against year) with the supported fits, their bands and the gap band shaded, everything
    clipped to the plot area; returns (svg, notes on fits not drawn). Reviewed points are
    black-edged diamonds, Epoch's circles."""
    plot, notes = _trend_plot(pts, lines, title=title, width=width, height=height, x_from=x_from)
    return str(_svg_macro("trend_svg")(plot)), notes


def _trend_plot(
    pts: pd.DataFrame, lines: pd.DataFrame, *, title: str, width: int, height: int, x_from: float | None
) -> tuple[_TrendPlot, list[str]]:
    """What :func:`trend_svg` draws, in pixels; and the notes on the fits it leaves out.
    Panel (b) starts at the break (``x_from``) and its fits take the colours after the first."""
    if x_from is not None:
        pts = pts[pts["x"] >= x_from]
    frame = _trend_frame(pts, width, height)
    fits, notes = _svg_fits(lines, pts, frame, color_offset=1 if x_from is not None else 0)
    g0, g1 = (max(min(math.log10(v), frame.y1), frame.y0) for v in GAP_BAND)
    plot = _TrendPlot(
        title=title,
        clip=_clip_id(title),
        frame=frame,
        y_ticks=[_Tick(frame.sy(y), size_label(y)) for y in range(int(frame.y0), int(frame.y1) + 1)],
        x_ticks=_year_ticks(frame),
        gap_top=frame.sy(g1),
        gap_height=frame.sy(g0) - frame.sy(g1),
        points=[_svg_point(r, frame) for _, r in pts.iterrows()],
        fits=fits,
    )
    return plot, notes


def _trend_frame(pts: pd.DataFrame, width: int, height: int) -> _Frame:
    """Whole years and whole orders of magnitude around the points (up to 100B at least)."""
    if len(pts):
        x0, x1 = math.floor(pts["x"].min()), math.ceil(pts["x"].max())
        y0, y1 = math.floor(pts["y_parameters"].min()), math.ceil(pts["y_parameters"].max())
    else:
        x0, x1, y0, y1 = 1950, 2025, 0, 13
    return _Frame(width, height, 78, 20, 34, 52, x0, max(x1, x0 + 1), y0, max(y1, y0 + 1, 11))


def _year_ticks(frame: _Frame) -> list[_Tick]:
    """A tick every 10, 2 or 1 years, depending on the span."""
    x0, x1 = frame.x0, frame.x1
    step = 10 if x1 - x0 > 30 else (2 if x1 - x0 > 6 else 1)
    return [_Tick(frame.sx(x), x) for x in range(int(x0 - x0 % step), int(x1) + 1, step) if x >= x0]


def _svg_point(r: pd.Series, frame: _Frame) -> _SvgPoint:
    dom = r["dom"]
    return _SvgPoint(
        cx=frame.sx(r["x"]),
        cy=frame.sy(r["y_parameters"]),
        fill=COLORS.get(dom, "#333"),
        dom=dom,
        tip=_point_tip(r),
        reviewed=bool(r.get("reviewed")),
    )


def _svg_fits(
    lines: pd.DataFrame, pts: pd.DataFrame, frame: _Frame, *, color_offset: int
) -> tuple[list[_SvgFit], list[str]]:
    """The supported fits, each with its band clipped to the axes and its line cut where it
    leaves them; "label: not drawn (why)" for the others."""
    fits, notes = [], []
    for i, (_, row) in enumerate(lines.iterrows()):
        why = fit_support(row)
        if why:
            notes.append(f"{row['era_label']}: not drawn ({why})")
            continue
        a, b = fit_span(row, pts)
        xs = np.linspace(a, b, 40)
        band = confidence_band(row, xs)
        band_path = None
        if band is not None:
            lo, hi = (np.clip(v, frame.y0, frame.y1) for v in band)
            band_path = (
                "M"
                + " L".join(f"{frame.sx(x):.1f},{frame.sy(y):.1f}" for x, y in zip(xs, hi))
                + " L"
                + " L".join(f"{frame.sx(x):.1f},{frame.sy(y):.1f}" for x, y in zip(xs[::-1], lo[::-1]))
                + " Z"
            )
        a, b = _clipped_span(a, b, float(row["intercept"]), float(row["slope"]), frame.y0, frame.y1)
        line = None
        if a < b:
            ya, yb = row["intercept"] + row["slope"] * a, row["intercept"] + row["slope"] * b
            line = (frame.sx(a), frame.sy(ya), frame.sx(b), frame.sy(yb))
        color = FIT_COLORS[(i + color_offset) % len(FIT_COLORS)]
        fits.append(_SvgFit(color=color, tip=fit_label(row), band=band_path, line=line))
    return fits, notes


@dataclass(frozen=True)
class _FitItem:
    swatch: int  # index into FIT_COLORS (the .swN classes of charts.css)
    label: str


def _fit_items(lines: pd.DataFrame, offset: int = 0) -> list[_FitItem]:
    """The legend of a chart's drawn fits (the colours :func:`_svg_fits` gives them)."""
    return [
        _FitItem((i + offset) % len(FIT_COLORS), fit_label(row))
        for i, (_, row) in enumerate(lines.iterrows())
        if not fit_support(row)
    ]


@dataclass(frozen=True)
class _TrendPanel:
    plot: _TrendPlot
    fits: list[_FitItem]
    notes: list[str]
    domain: str | None = None


def _trend_panel(
    pts: pd.DataFrame,
    lines: pd.DataFrame,
    *,
    title: str,
    width: int = 1000,
    height: int = 520,
    x_from: float | None = None,
    offset: int = 0,
    domain: str | None = None,
) -> _TrendPanel:
    """One chart of the trends page with the list of its drawn fits and its notes."""
    plot, notes = _trend_plot(pts, lines, title=title, width=width, height=height, x_from=x_from)
    return _TrendPanel(plot, _fit_items(lines, offset), notes, domain)


@dataclass(frozen=True)
class _LegendEntry:
    domain: str
    n: int
    css_class: str


@dataclass(frozen=True)
class _TrendsPage:
    caption: str
    legend: list[_LegendEntry]
    n_reviewed: int
    panels: list[_TrendPanel]  # (a) every era; (b) since the break, when there is one
    domains: list[_TrendPanel]  # one per domain with a fit
    models: _ModelTable
    trend_table: _TrendTable


def trends_html(sample: pd.DataFrame, trends: pd.DataFrame, path: Path) -> None:
    """The two trend panels, one section per fitted domain, the model table, the trend table."""
    pts = chart_points(sample)
    single, gap_eras = split_eras(era_lines(trends))
    panels = [_trend_panel(pts, single, title="(a) All eras: the single trend of each era")]
    break_x = min((year_fraction(r["era_start"]) for _, r in gap_eras.iterrows()), default=None)
    if break_x is not None:
        title = "(b) Since the break: below and above the gap"
        panels.append(_trend_panel(pts, gap_eras, title=title, x_from=break_x, offset=1))
    domains = []
    for dom in fitted_domains(trends):
        mine = pts[pts["dom"] == dom]
        lines, _ = split_eras(era_lines(trends, dom))
        title = f"{dom} ({len(mine)} models)"
        domains.append(_trend_panel(mine, lines, title=title, width=820, height=380, domain=dom))
    page = _TrendsPage(
        caption=caption(sample),
        legend=[
            _LegendEntry(str(d), int(n), _dom_class(str(d))) for d, n in pts["dom"].value_counts().sort_index().items()
        ],
        n_reviewed=int(pts["reviewed"].sum()),
        panels=panels,
        domains=domains,
        models=_model_table(sample),
        trend_table=_trend_table(trends),
    )
    _render_page("trends.html", path, "Parameters over time", page)


@dataclass(frozen=True)
class _ModelRow:
    system: str
    domain: str
    css_class: str
    date: date
    log10: str  # log10 of the count, for the size filter
    size: str  # as the axes write it ("175B")
    exact: str  # "175,000,000,000"
    source: str  # "review", "epoch", ...
    source_label: str
    file: str  # the Epoch file ("" for none)
    row: int | None  # its row
    arxiv_id: str
    page: int | None  # evidence page of a reviewed value
    reviewer: str | None
    excerpt: str  # the evidence sentence, cut at 240 characters


@dataclass(frozen=True)
class _ModelTable:
    rows: list[_ModelRow]
    domains: list[str]
    files: list[str]
    has_review: bool
    sizes: list[tuple[int, str]]  # options of the size filters: (log10, label)


def _model_table(sample: pd.DataFrame) -> _ModelTable:
    """The searchable, filterable table of the models in the charts, newest first."""
    pts = chart_points(sample)
    pts = pts.sort_values(["publication_date", "system"] if "system" in pts else ["publication_date"], ascending=False)
    return _ModelTable(
        rows=[_model_row(r) for _, r in pts.iterrows()],
        domains=sorted(set(pts["dom"])),
        files=sorted(set(pts["source_file"].dropna())) if "source_file" in pts else [],
        has_review=bool("source" in pts and (pts["source"] == "review").any()),
        sizes=[(k, size_label(k)) for k in range(3, 14)],
    )


def _model_row(r: pd.Series) -> _ModelRow:
    """One model's cells, and what its evidence cell links to."""
    source = str(r.get("source", "") or "")
    row_no, page = r.get("source_row"), r.get("evidence_page")
    text = str(r.get("evidence") or "")
    reviewer = r.get("reviewer")
    return _ModelRow(
        system=str(r.get("system", "") or ""),
        domain=r["dom"],
        css_class=_dom_class(r["dom"]),
        date=pd.Timestamp(r["publication_date"]).date(),
        log10=f"{r['y_parameters']:.4f}",
        size=size_label(r["y_parameters"]),
        exact=f"{10 ** r['y_parameters']:,.0f}",
        source=source,
        source_label="reviewed" if source == "review" else ("Epoch" if source == "epoch" else source),
        file=_text_or_empty(r.get("source_file")),
        row=int(row_no) if row_no is not None and not pd.isna(row_no) else None,
        arxiv_id=_text_or_empty(r.get("arxiv_id")),
        page=int(page) if page is not None and not pd.isna(page) else None,
        reviewer=str(reviewer) if reviewer else None,
        excerpt=text[:240] + ("…" if len(text) > 240 else ""),
    )


def _text_or_empty(value: Any) -> str:
    """A text cell, or "" for a missing one (None or NaN)."""
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class _TrendTableRow:
    cells: list[str]
    drawn: str  # "yes", or why not


@dataclass(frozen=True)
class _TrendTable:
    columns: list[str]
    rows: list[_TrendTableRow]


_TREND_TABLE_COLUMNS = (
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
)


def _trend_table(trends: pd.DataFrame) -> _TrendTable:
    """Every fit, and whether it is drawn (a training-compute fit never is: not charted)."""
    cols = [c for c in _TREND_TABLE_COLUMNS if c in trends]
    rows = []
    for _, r in trends.iterrows():
        why = fit_support(r)
        if r["metric"] != "parameters":
            why = "not charted" + (f"; not supported: {why}" if why else "")
        rows.append(_TrendTableRow([_table_cell(r[c]) for c in cols], why or "yes"))
    return _TrendTable(cols, rows)


def _table_cell(value: Any) -> str:
    if isinstance(value, float):
        return "" if math.isnan(value) else f"{value:.3g}"
    return str(value)


def _named_label(b: pd.Series) -> str:
    return f"paper's {b['label']} gap: n={int(b['n'])}, scarcity {b['scarcity']:.2f}{scarcity_interval(b)}: {verdict_of(b)}"


# -- the gap page --------------------------------------------------------------------------


@dataclass(frozen=True)
class _Bar:
    x0: float
    x1: float
    top: float
    height: float
    n: object
    verdict: str
    fill: str
    tip: str


@dataclass(frozen=True)
class _NamedBox:
    x0: float
    x1: float
    label: str
    tip: str


@dataclass(frozen=True)
class _GapPlot:
    title: str
    since: int
    frame: _Frame
    bars: list[_Bar]
    x_ticks: list[_Tick]
    named: _NamedBox | None


def _gap_plot(g: pd.DataFrame, band: pd.DataFrame, title: str, since: int) -> _GapPlot:
    """One domain's gap chart in pixels: the bands of ``g`` (its grid rows) as bars coloured by
    verdict, the paper's band (``band``: its named rows) as a dashed box. Without band edges
    the bars are equally wide."""
    has_edges = "band_lo_log10" in g and len(g) > 0
    if has_edges:
        lo_all, hi_all = float(g["band_lo_log10"].min()), float(g["band_hi_log10"].max())
    else:
        lo_all, hi_all = 0.0, float(max(len(g), 1))
    n_max = max(int(g["n"].max()) if len(g) else 1, 1)
    frame = _Frame(1000, 330, 60, 20, 44, 64, lo_all, hi_all, 0, n_max * 1.12)
    ticks = [_Tick(frame.sx(t), size_label(t)) for t in range(math.ceil(lo_all), math.floor(hi_all) + 1)]
    return _GapPlot(
        title=title,
        since=since,
        frame=frame,
        bars=[_gap_bar(i, r, frame) for i, (_, r) in enumerate(g.iterrows())],
        x_ticks=ticks if has_edges else [],
        named=_named_box(band, frame),
    )


def _gap_bar(i: int, r: pd.Series, frame: _Frame) -> _Bar:
    a = float(r["band_lo_log10"]) if "band_lo_log10" in r else float(i)
    b = float(r["band_hi_log10"]) if "band_hi_log10" in r else float(i + 1)
    v = verdict_of(r)
    tip = (
        f"{r['label']}: {r['n']} models; neighbours below {r['mean_below']:.1f}, above "
        f"{r['mean_above']:.1f}; scarcity {r['scarcity']:.2f}{scarcity_interval(r)}: {v}"
    )
    top = frame.sy(r["n"])
    return _Bar(frame.sx(a), frame.sx(b), top, frame.sy(0) - top, r["n"], v, VERDICT_COLORS[v], tip)


def _named_box(band: pd.DataFrame, frame: _Frame) -> _NamedBox | None:
    """The paper's band as a dashed box, cut to the axis; None when it is off the axis."""
    if not (len(band) and "band_lo_log10" in band):
        return None
    named = band.iloc[0]
    a, b = max(float(named["band_lo_log10"]), frame.x0), min(float(named["band_hi_log10"]), frame.x1)
    if a >= b:
        return None
    return _NamedBox(frame.sx(a), frame.sx(b), str(named["label"]), _named_label(named))


@dataclass(frozen=True)
class _NamedNote:
    verdict: str
    label: str


@dataclass(frozen=True)
class _GapSection:
    domain: str
    since: int
    plot: _GapPlot
    named: list[_NamedNote]


@dataclass(frozen=True)
class _NamedRow:
    domain: str
    band: str
    n: object
    mean_below: str
    mean_above: str
    scarcity: str
    interval: str
    share: str
    scarce: str
    verdict: str


@dataclass(frozen=True)
class _GapPage:
    caption: str
    sections: list[_GapSection]
    named: list[_NamedRow]
    has_interval: bool  # the table has the bootstrap columns


def gap_html(gap: pd.DataFrame, path: Path, sample: pd.DataFrame | None = None) -> None:
    """Per domain, models per size band coloured by verdict; then the named bands' table."""
    grid = gap[gap["band_kind"] == "grid"]
    named = gap[gap["band_kind"] == "named"]
    sections = []
    for dom, g in grid.groupby("domain", sort=False):
        since = int(g["since_year"].iloc[0])
        mine = named[named["domain"] == dom]
        title = f"{dom}: models per parameter band, coloured by verdict"
        notes = [_NamedNote(verdict_of(b), _named_label(b)) for _, b in mine.iterrows()]
        sections.append(_GapSection(str(dom), since, _gap_plot(g, mine, title, since), notes))
    has_ci = "verdict" in named
    page = _GapPage(
        caption=caption(sample, bands=False) if sample is not None else "Data: paramtrack curated dataset.",
        sections=sections,
        named=[_named_row(r, has_ci) for _, r in named.iterrows()],
        has_interval=has_ci,
    )
    _render_page("gap.html", path, "The parameter gap", page)


def _named_row(r: pd.Series, has_ci: bool) -> _NamedRow:
    return _NamedRow(
        domain=str(r["domain"]),
        band=str(r["label"]),
        n=r["n"],
        mean_below=f"{r['mean_below']:.1f}",
        mean_above=f"{r['mean_above']:.1f}",
        scarcity=f"{r['scarcity']:.2f}",
        interval=scarcity_interval(r).strip() if has_ci else "",
        share=f"{r['scarce_share'] * 100:.0f}%" if has_ci else "",
        scarce="yes" if r["scarce"] else "",
        verdict=verdict_of(r),
    )


# -- the index page ------------------------------------------------------------------------


@dataclass(frozen=True)
class _IndexPage:
    caption: str | None
    trend_table: _TrendTable | None


def index_html(path: Path, trends: pd.DataFrame | None = None, sample: pd.DataFrame | None = None) -> None:
    """The folder's front page: links to the charts, the downloads, the trend table."""
    page = _IndexPage(
        caption=caption(sample) if sample is not None else None,
        trend_table=_trend_table(trends) if trends is not None and len(trends) else None,
    )
    _render_page("index.html", path, "paramtrack charts", page)
