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

Where each part is: :func:`write_charts` (here) writes the folder, and the CSV downloads;
``chart_content`` holds what the PNGs and pages share (colours, which points and fits a chart
holds, confidence bands, the caption); ``chart_figures`` draws the PNGs; ``chart_pages`` works
out the pages' SVG geometry and table cells, which the Jinja2 templates in ``templates/`` lay
out, with ``static/charts.css`` and ``static/charts.js`` copied beside them.
"""

from __future__ import annotations

import csv
import math
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd

from paramtrack.core.text import neutralise_cell
from paramtrack.trends.chart_content import chart_points
from paramtrack.trends.chart_figures import gap_png, trends_by_domain_png, trends_png
from paramtrack.trends.chart_pages import gap_html, index_html, trends_html
from paramtrack.trends.fit import mark_support

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


#: The chart pages' downloads: the data each chart shows, with its provenance.
DATA_FILES = ("chart_models.csv", "chart_trends.csv", "chart_gap.csv")


def assets(out_dir: Path) -> list[Path]:
    """Copy the pages' shared ``charts.css`` and ``charts.js`` (``static/``) into ``out_dir``."""
    static = resources.files("paramtrack.trends") / "static"
    written = []
    for name in ("charts.css", "charts.js"):
        target = out_dir / name
        target.write_bytes(static.joinpath(name).read_bytes())
        written.append(target)
    return written


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
    pts = chart_points(sample).sort_values(
        ["publication_date", "system"] if "system" in sample else ["publication_date"]
    )
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
