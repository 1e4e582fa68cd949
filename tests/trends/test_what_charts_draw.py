"""What the charts draw (pure: no database, no browser): reviewed points marked apart from
Epoch's, tooltips in the axes' units, everything inside its axes, an unsupported fit (a negative
"doubling") said to be not drawn everywhere, the pages' colours, and text from outside shown as
text. On Epoch's 2022-09 vintage, with two of its systems marked as reviewed."""

from __future__ import annotations

import re
from html import escape as html_escape
from pathlib import Path

import pandas as pd
import pytest

from paramtrack.trends import charts
from paramtrack.trends.chart_content import REVIEWED_LABEL, chart_points, era_lines, split_eras
from paramtrack.trends.chart_figures import gap_figure, trends_figure
from paramtrack.trends.chart_pages import trend_svg
from paramtrack.trends.fit import TrendConfig, fit_support, fit_trends
from paramtrack.trends.gap import GapConfig, gap_table
from paramtrack.trends.report import format_trends

REVIEWED = {"GPT-3 175B", "BERT-Large"}


@pytest.fixture(scope="module")
def fitted(pcd_rows):
    """The 2022-09 vintage fitted (200 resamples), GPT-3 175B and BERT-Large reviewed by alice."""
    models = pd.DataFrame(pcd_rows)
    models["source"] = ["review" if s in REVIEWED else "epoch" for s in models["system"]]
    models["reviewer"] = ["alice" if s in REVIEWED else None for s in models["system"]]
    models["provenance"] = None
    result = fit_trends(models, TrendConfig(resamples=200))
    return result, gap_table(models, GapConfig())


def test_reviewed_points_are_diamonds_apart_from_epochs_circles(fitted):
    result, _ = fitted
    pts = result.sample[result.sample["y_parameters"].notna()]
    n_reviewed = int(pts["source"].eq("review").sum())
    assert n_reviewed == 2
    fig = trends_figure(result.sample, result.trends)
    top = fig.axes[0]
    diamonds = [c for c in top.collections if len(c.get_offsets()) and (c.get_edgecolors()[:, :3] == 0).all()]
    assert sum(len(c.get_offsets()) for c in diamonds) == n_reviewed
    legend_texts = [t.get_text() for leg in [top.get_legend(), *top.artists] if leg for t in leg.get_texts()]
    assert f"{REVIEWED_LABEL} ({n_reviewed})" in legend_texts

    svg, _ = trend_svg(chart_points(result.sample), result.trends.head(0), title="t")
    assert svg.count('class="pt reviewed"') == n_reviewed
    assert svg.count("<circle ") == len(pts) - n_reviewed


def test_tooltips_write_counts_as_the_axes_do(fitted):
    result, _ = fitted
    svg, _ = trend_svg(chart_points(result.sample), result.trends.head(0), title="t")
    tips = re.findall(r'data-tip="([^"]*)"', svg)
    gpt3 = next(t for t in tips if t.startswith("GPT-3 175B"))
    assert "— 175B parameters" in gpt3 and "reviewed in paramtrack by alice" in gpt3
    assert not [t for t in tips if re.search(r"\d\.?\d*e[+-]\d", t)]  # never 1.75e+11


def _plot_area(svg: str) -> tuple[float, float, float, float]:
    x, y, w, h = map(
        float,
        re.search(
            r'<clipPath id="[^"]+"><rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"', svg
        ).groups(),
    )
    return x, y, x + w, y + h


def test_fit_lines_and_bands_stay_inside_the_axes(fitted):
    """Panel (a): the 1952-2018 fit runs below the lowest model at 1952; it must end at the axis."""
    result, _ = fitted
    single, _ = split_eras(era_lines(result.trends))
    svg, _ = trend_svg(chart_points(result.sample), single, title="(a) All eras")
    x0, y0, x1, y1 = _plot_area(svg)
    plot = re.search(r'<g class="plot" clip-path="url\(#([^)]+)\)">(.*?)</g>', svg, re.S)
    assert plot and f'<clipPath id="{plot.group(1)}">' in svg
    lines = re.findall(
        r'<line x1="([-\d.]+)" y1="([-\d.]+)" x2="([-\d.]+)" y2="([-\d.]+)"[^>]*class="fit"', plot.group(2)
    )
    assert len(lines) == 2
    for coords in lines:
        xa, ya, xb, yb = map(float, coords)
        assert x0 <= xa <= x1 and x0 <= xb <= x1 and y0 - 0.1 <= ya <= y1 + 0.1 and y0 - 0.1 <= yb <= y1 + 0.1
    for d in re.findall(r'<path d="([^"]+)"[^>]*class="fit-band"', plot.group(2)):
        ys = [float(p.split(",")[1]) for p in re.findall(r"[-\d.]+,[-\d.]+", d)]
        assert min(ys) >= y0 - 0.1 and max(ys) <= y1 + 0.1


def test_the_gap_annotation_stays_inside_its_axes(fitted):
    _, gap = fitted
    fig = gap_figure(gap)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax in fig.axes:
        box = ax.get_window_extent(renderer)
        notes = [t for t in ax.texts if "gap:" in t.get_text()]
        assert notes
        for note in notes:
            ext = note.get_window_extent(renderer)
            assert box.x0 - 1 <= ext.x0 and ext.x1 <= box.x1 + 1 and box.y0 - 1 <= ext.y0 and ext.y1 <= box.y1 + 1


@pytest.mark.slow
def test_a_negative_doubling_is_not_drawn_and_says_so_everywhere(fitted, tmp_path: Path):
    result, gap = fitted
    trends = result.trends
    above = trends[(trends["domain"] == "language") & (trends["era"] == "post_2018_above_gap")].iloc[0]
    assert above["doubling_months"] < 0 and above["slope_p95"] < 0  # significant, but shrinking
    assert not above["drawn"] and "not positive" in above["not_drawn_reason"]
    assert above["not_drawn_reason"] == fit_support(above)
    line = next(ln for ln in format_trends(trends).splitlines() if "language" in ln and "above gap" in ln)
    assert "not drawn: slope" in line and "not positive" in line

    charts.write_charts(result.sample, trends, gap, tmp_path)
    html = (tmp_path / "trends.html").read_text()
    label = html_escape(above["era_label"])
    table_row = re.search(rf"<td>language</td><td>{re.escape(label)}</td>.*?</tr>", html)
    assert table_row and "not positive" in table_row.group(0)  # the trend table's "drawn?" column
    assert not re.search(rf'<li><span class="swatch[^"]*"></span>{re.escape(label)}', html)  # not a listed fit
    with open(tmp_path / "chart_trends.csv", encoding="utf-8") as fh:
        row = next(ln for ln in fh if ln.startswith("parameters,language,post_2018_above_gap,"))
    assert ",False," in row and "not positive" in row


def test_the_pages_colour_each_domain_as_its_points():
    from importlib import resources

    from paramtrack.trends.chart_content import COLORS

    css = (resources.files("paramtrack.trends") / "static" / "charts.css").read_text(encoding="utf-8")
    for domain, colour in COLORS.items():
        assert f".dom-{domain}{{color:{colour}}}" in css


@pytest.mark.slow
def test_text_from_outside_is_shown_as_text(fitted, tmp_path: Path):
    """Model names, evidence and reviewer names come from papers and people: the pages escape them."""
    result, gap = fitted
    sample = result.sample.copy()
    first = sample.index[sample["y_parameters"].notna()][0]
    sample.loc[first, ["system", "source", "reviewer"]] = ["<script>alert(1)</script>", "review", 'eve" onmouseover="x']
    sample["evidence"] = None
    sample.loc[first, "evidence"] = '<img src=x onerror="alert(2)">'
    charts.write_charts(sample, result.trends, gap, tmp_path)
    page = (tmp_path / "trends.html").read_text()
    assert "<script>alert" not in page and "<img src=x" not in page and 'eve" onmouseover' not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x onerror=" in page
