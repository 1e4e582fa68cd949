"""Trend fits on the curated dataset: OLS of log10(metric) on fractional year per (metric,
domain, era), a Poisson bootstrap of every fit, and a single-break search. Pure numpy/pandas.

Method (documented for the README):

* **Sample.** Rows of ``curated_models`` with a publication date and the metric present and
  > 0. ``x`` = fractional year (2018-07-02 -> 2018.50), ``y`` = log10(metric).
* **Eras** (``default_eras``): ``start_year`` (1952) to ``break_year`` (2018), ``break_year``
  onward (optionally cut at ``until``), and the post-break era split by model size at
  ``gap_split`` (20B): *below gap* = parameters < 20B, *above gap* = parameters >= 20B. The
  paper's two groups partition the whole 2018-2022 sample (27 + 102 = 129), so a single
  threshold is implied; we put it at the gap's lower edge (20B). The few models inside the gap
  (20B-70B) therefore count as "above" — with this split our above-gap doubling time (-17 months
  on the 2022-09 vintage) is close to the paper's -14.2; splitting at 70B gives +170 months.
  The size split only applies to parameters, not to training compute.
* **OLS** from sufficient statistics (n, Σx, Σy, Σx², Σxy, Σy²): slope (OOM/yr), intercept,
  R², doubling time 12·log10(2)/slope months. Identical to statsmodels OLS (tested).
* **Bootstrap** (``resamples`` >= 1000, fixed ``seed``): a *Poisson bootstrap* — each replicate
  gives every row an independent Poisson(1) weight and refits every group by weighted OLS. It is
  the standard large-data variant of the resampling bootstrap (Hanley & MacGibbon 2006;
  Chamandy et al. 2012; per-row counts of a multinomial resample are Binomial(n, 1/n) ≈
  Poisson(1)), and it lets all groups share one weight matrix: one replicate of the whole
  analysis costs a (replicates × rows)·(rows × 12) matrix product, not a Python loop.
  Percentiles 5/50/95 of slope; doubling-time percentiles are the same percentiles mapped
  through 12·log10(2)/slope, and are NULL when the slope interval crosses zero (a doubling time
  is undefined there: the paper reports none for the above-gap era either).
* **Breakpoint**: candidates on a grid (quarterly by default) between ``search_from`` and one
  year before the last model; two separate lines (own intercept and slope) left/right of the
  candidate; best = lowest total SSE with at least ``min_segment`` models each side. The
  bootstrap interval comes from the best break of each Poisson replicate.

Determinism: rows are put in a canonical order (by x, y, domain) before weights are drawn, so
the same data gives the same tables regardless of the order the database returns rows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from trends.epoch_csv import PRIMARY_DOMAINS

LOG10_2 = math.log10(2.0)
METRICS = ("parameters", "training_compute")
X_CENTER = 2000.0


@dataclass(frozen=True)
class Era:
    key: str
    label: str
    start: date | None = None          # inclusive
    end: date | None = None            # exclusive
    min_params: float | None = None    # inclusive lower bound on parameters
    max_params: float | None = None    # exclusive upper bound on parameters
    metrics: tuple[str, ...] = METRICS


@dataclass(frozen=True)
class TrendConfig:
    start_year: int = 1952
    break_year: int = 2018
    until: date | None = None          # exclusive cut-off on publication date (None = all data)
    gap_split: float = 2e10
    eras: tuple[Era, ...] | None = None  # None -> default_eras(self)
    metrics: tuple[str, ...] = METRICS
    min_n: int = 10                    # per-domain fits need this many points; 'all' needs 3
    resamples: int = 1000
    seed: int = 20220705
    chunk: int = 50                    # replicates per weight block (memory: rows × chunk × 4 B)
    breakpoint_from: float = 1990.0
    breakpoint_to: float | None = None   # None -> last model date - 1 year
    breakpoint_step: float = 0.25
    min_segment: int = 10

    def resolved_eras(self) -> tuple[Era, ...]:
        return self.eras if self.eras is not None else default_eras(self)


def _human(value: float) -> str:
    for unit, scale in (("T", 1e12), ("B", 1e9), ("M", 1e6), ("K", 1e3)):
        if value >= scale:
            return f"{value / scale:g}{unit}"
    return f"{value:g}"


def default_eras(cfg: TrendConfig) -> tuple[Era, ...]:
    b = date(cfg.break_year, 1, 1)
    s = date(cfg.start_year, 1, 1)
    split = _human(cfg.gap_split)
    post = f"{cfg.break_year}-"
    return (
        Era(f"pre_{cfg.break_year}", f"{cfg.start_year}-{cfg.break_year}", s, b),
        Era(f"post_{cfg.break_year}", post, b, cfg.until),
        Era(f"post_{cfg.break_year}_below_gap", f"{post} below gap (<{split})", b, cfg.until,
            max_params=cfg.gap_split, metrics=("parameters",)),
        Era(f"post_{cfg.break_year}_above_gap", f"{post} above gap (>={split})", b, cfg.until,
            min_params=cfg.gap_split, metrics=("parameters",)),
    )


# -- data preparation ------------------------------------------------------------------------


def fractional_years(dates: pd.Series) -> np.ndarray:
    d = pd.to_datetime(dates)
    year = d.dt.year.to_numpy(dtype=float)
    doy = d.dt.day_of_year.to_numpy(dtype=float) - 1.0
    days = np.where(d.dt.is_leap_year.to_numpy(), 366.0, 365.0)
    return year + doy / days


def _year_to_date(x: float) -> date:
    year = int(math.floor(x))
    days = 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365
    return date(year, 1, 1) + pd.Timedelta(days=int(round((x - year) * days))).to_pytimedelta()


def prepare(models: pd.DataFrame, cfg: TrendConfig) -> pd.DataFrame:
    """Rows usable for at least one metric, with x, y columns, in canonical order."""
    df = models.copy()
    df = df[df["publication_date"].notna()]
    if cfg.until is not None:
        df = df[pd.to_datetime(df["publication_date"]) < pd.Timestamp(cfg.until)]
    df["x"] = fractional_years(df["publication_date"]) if len(df) else np.array([], float)
    df["domain"] = df["domain"].where(df["domain"].notna(), None)
    for m in METRICS:
        vals = pd.to_numeric(df.get(m), errors="coerce") if m in df else pd.Series(np.nan, df.index)
        ok = vals > 0
        df[f"y_{m}"] = np.where(ok, np.log10(vals.where(ok, 1.0)), np.nan)
    cols = [f"y_{m}" for m in METRICS]
    df = df[df[cols].notna().any(axis=1)]
    df = df.assign(_dom=df["domain"].fillna("")).sort_values(
        ["x", *cols, "_dom"], kind="mergesort", na_position="last"
    )
    return df.drop(columns="_dom").reset_index(drop=True)


def _era_mask(df: pd.DataFrame, era: Era) -> np.ndarray:
    mask = np.ones(len(df), dtype=bool)
    d = pd.to_datetime(df["publication_date"])
    if era.start is not None:
        mask &= (d >= pd.Timestamp(era.start)).to_numpy()
    if era.end is not None:
        mask &= (d < pd.Timestamp(era.end)).to_numpy()
    if era.min_params is not None or era.max_params is not None:
        p = pd.to_numeric(df["parameters"], errors="coerce").to_numpy()
        has = np.isfinite(p)
        if era.min_params is not None:
            has &= p >= era.min_params
        if era.max_params is not None:
            has &= p < era.max_params
        mask &= has
    return mask


def _design(df: pd.DataFrame, metrics: tuple[str, ...],
            segments: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """N × (6·metrics) [1, x, y, x², xy, y²] per metric (zeroed where the metric is missing),
    with x and y centred on the mean of each contiguous segment (``(starts, ends)``) so the
    float32 bootstrap products lose no precision; returns (design, centres [segments, 1+M]).
    ``_uncenter`` turns segment sums back into sums of x - X_CENTER and y."""
    x = df["x"].to_numpy(dtype=float) - X_CENTER
    n = len(df)
    starts, ends = segments if segments is not None else (np.array([0]), np.array([n]))
    seg = np.repeat(np.arange(len(starts)), ends - starts)
    centres = np.zeros((len(starts), 1 + len(metrics)))
    centres[:, 0] = [x[a:b].mean() if b > a else 0.0 for a, b in zip(starts, ends)]
    blocks = []
    for mi, m in enumerate(metrics):
        y = df[f"y_{m}"].to_numpy(dtype=float)
        ok = np.isfinite(y)
        for k, (a, b) in enumerate(zip(starts, ends)):
            yy = y[a:b][ok[a:b]]
            centres[k, 1 + mi] = yy.mean() if len(yy) else 0.0
        one = ok.astype(float)
        y0 = np.where(ok, y - centres[seg, 1 + mi], 0.0)
        x0 = np.where(ok, x - centres[seg, 0], 0.0)
        blocks.append(np.column_stack([one, x0, y0, x0 * x0, x0 * y0, y0 * y0]))
    return (np.hstack(blocks) if blocks else np.zeros((n, 0))), centres


def _uncenter(s: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Segment sums [..., K, 6M] in centred coordinates -> sums in global coordinates."""
    s = np.asarray(s, dtype=np.float64)
    out = np.empty_like(s)
    cx = centres[:, 0]
    for mi in range(centres.shape[1] - 1):
        cy = centres[:, 1 + mi]
        n, sx, sy, sxx, sxy, syy = (s[..., mi * 6 + i] for i in range(6))
        o = out[..., mi * 6:(mi + 1) * 6]
        o[..., 0] = n
        o[..., 1] = sx + cx * n
        o[..., 2] = sy + cy * n
        o[..., 3] = sxx + 2 * cx * sx + cx * cx * n
        o[..., 4] = sxy + cx * sy + cy * sx + cx * cy * n
        o[..., 5] = syy + 2 * cy * sy + cy * cy * n
    return out


# -- OLS from sufficient statistics ----------------------------------------------------------


def ols_from_stats(s: np.ndarray) -> dict[str, np.ndarray]:
    """Vectorised OLS from [..., 6] sums (n, Σx, Σy, Σx², Σxy, Σy²), x centred at X_CENTER."""
    n, sx, sy, sxx, sxy, syy = (s[..., i] for i in range(6))
    with np.errstate(divide="ignore", invalid="ignore"):
        mx = sx / n
        my = sy / n
        cxx = sxx - n * mx * mx
        cxy = sxy - n * mx * my
        cyy = syy - n * my * my
        ok = (n > 1.5) & (cxx > 1e-12 * np.maximum(sxx, 1e-300))
        slope = np.where(ok, cxy / cxx, np.nan)
        intercept = my - slope * mx
        sse = np.where(ok, np.maximum(cyy - slope * cxy, 0.0), np.nan)
        r2 = np.where(ok & (cyy > 0), (cxy * cxy) / (cxx * cyy), np.nan)
    return {"n": n, "slope": slope, "intercept_c": intercept, "sse": sse, "r2": r2}


def doubling_months(slope: float | np.ndarray) -> float | np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return 12.0 * LOG10_2 / slope


# -- Poisson bootstrap weights ---------------------------------------------------------------

_POISSON_CDF = np.cumsum([math.exp(-1.0) / math.factorial(k) for k in range(12)])


def poisson_weights(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """rows × cols iid Poisson(1) weights (float32), by inversion of 16-bit uniform draws.

    The CDF is resolved to 1/65536 (probabilities off by < 2e-5) and truncated at 9
    (P(X >= 10) ~ 1e-7); uint16 draws and uint8 counting keep this memory-light.
    """
    u = rng.integers(0, 65536, size=(rows, cols), dtype=np.uint16)
    w = np.zeros((rows, cols), dtype=np.uint8)
    for threshold in _POISSON_T16:
        np.add(w, u >= threshold, out=w, casting="unsafe")
    return w.astype(np.float32)


_POISSON_T16 = [int(t) for t in np.ceil(_POISSON_CDF[:9] * 65536) if t < 65536]


# -- the analysis ----------------------------------------------------------------------------


@dataclass
class Groups:
    keys: list[tuple[str, str, Era]]        # (metric, domain, era)
    atom_of_group: list[np.ndarray]          # atom indices summed into each group


@dataclass
class TrendResult:
    trends: pd.DataFrame
    breakpoints: pd.DataFrame
    sample: pd.DataFrame = field(repr=False)   # prepared rows (x, y_*), for charts


TREND_COLUMNS = [
    "metric", "domain", "era", "era_label", "era_start", "era_end", "n", "slope", "intercept",
    "doubling_months", "doubling_p05", "doubling_p50", "doubling_p95", "slope_p05", "slope_p50",
    "slope_p95", "r2", "scale_start", "scale_end", "first_date", "last_date", "resamples", "seed",
]
BREAK_COLUMNS = [
    "metric", "domain", "break_date", "break_year", "break_p05", "break_p50", "break_p95",
    "sse_single", "sse_break", "n_before", "n_after", "slope_before", "slope_after",
    "doubling_before", "doubling_after", "search_from", "search_to", "step_years", "resamples",
    "seed",
]


def fit_trends(models: pd.DataFrame, cfg: TrendConfig | None = None) -> TrendResult:
    """Fit every (metric, domain, era) and the all-domain breakpoint; bootstrap all of them.

    ``models`` needs columns publication_date, domain, parameters, training_compute (extra
    columns are ignored).
    """
    cfg = cfg or TrendConfig()
    df = prepare(models, cfg)
    metrics = tuple(m for m in cfg.metrics if f"y_{m}" in df and df[f"y_{m}"].notna().any())
    eras = cfg.resolved_eras()
    N = len(df)
    if N == 0 or not metrics:
        return TrendResult(pd.DataFrame(columns=TREND_COLUMNS),
                           pd.DataFrame(columns=BREAK_COLUMNS), df)

    # Atoms: rows with the same domain and the same era memberships. Every group (metric,
    # domain, era) is a union of atoms, so per-atom weighted sums are all the bootstrap needs.
    era_bits = np.zeros(N, dtype=np.int64)
    for i, era in enumerate(eras):
        era_bits |= _era_mask(df, era).astype(np.int64) << i
    dom = df["domain"].fillna("~none").to_numpy(dtype=object)
    atom_key = pd.MultiIndex.from_arrays([dom, era_bits])
    atom_codes, atom_uniques = pd.factorize(atom_key, sort=True)
    order = np.argsort(atom_codes, kind="stable")
    atom_sorted = atom_codes[order]
    bounds = np.flatnonzero(np.diff(atom_sorted)) + 1
    starts = np.concatenate([[0], bounds])
    ends = np.concatenate([bounds, [N]])
    Z_atoms, atom_centres = _design(df.iloc[order].reset_index(drop=True), metrics, (starts, ends))
    Z_atoms32 = Z_atoms.astype(np.float32)
    atom_dom = np.array([k[0] for k in atom_uniques], dtype=object)
    atom_bits = np.array([k[1] for k in atom_uniques], dtype=np.int64)

    # Groups worth fitting, decided on the point estimate counts.
    point_atoms = _uncenter(
        np.stack([Z_atoms[a:b].sum(axis=0) for a, b in zip(starts, ends)]), atom_centres)
    domains = ["all"] + [d for d in PRIMARY_DOMAINS if d in set(dom)]
    keys: list[tuple[str, str, Era]] = []
    members: list[np.ndarray] = []
    for mi, metric in enumerate(metrics):
        for d in domains:
            for ei, era in enumerate(eras):
                if metric not in era.metrics:
                    continue
                sel = ((atom_bits >> ei) & 1).astype(bool)
                if d != "all":
                    sel &= atom_dom == d
                idx = np.flatnonzero(sel)
                n = point_atoms[idx, mi * 6].sum() if len(idx) else 0
                if n >= (3 if d == "all" else cfg.min_n):
                    keys.append((metric, d, era))
                    members.append(idx)

    # Breakpoint bins (all domains), rows in time order (df is sorted by x already).
    x = df["x"].to_numpy()
    bp_metrics = []
    bins_edges: dict[str, np.ndarray] = {}
    bp_from = cfg.breakpoint_from
    bp_to = cfg.breakpoint_to if cfg.breakpoint_to is not None else float(x.max()) - 1.0
    in_window = (x >= cfg.start_year)
    cand = np.arange(bp_from, bp_to + 1e-9, cfg.breakpoint_step) if bp_to > bp_from else np.array([])
    if len(cand):
        # bin k holds rows with cand[k-1] <= x < cand[k]; bin 0 everything before cand[0]
        bin_of_row = np.searchsorted(cand, x, side="right")
        win_rows = np.flatnonzero(in_window)
        b_starts = np.searchsorted(bin_of_row[win_rows], np.arange(len(cand) + 1), side="left")
        b_ends = np.append(b_starts[1:], len(win_rows))
        b_ends_ = np.append(b_starts[1:], len(win_rows))
        Z_bins, bin_centres = _design(df.iloc[win_rows].reset_index(drop=True), metrics,
                                      (b_starts, b_ends_))
        Z_bins32 = Z_bins.astype(np.float32)
        bp_metrics = list(metrics)
        for m in metrics:
            bins_edges[m] = cand

    def group_stats(atom_sums: np.ndarray) -> np.ndarray:
        """atom_sums [..., A, 6M] -> group sums [..., G, 6]."""
        out = np.empty(atom_sums.shape[:-2] + (len(keys), 6))
        for g, ((metric, _, _), idx) in enumerate(zip(keys, members)):
            mi = metrics.index(metric)
            out[..., g, :] = atom_sums[..., idx, mi * 6:(mi + 1) * 6].sum(axis=-2)
        return out

    def bin_sums(weights: np.ndarray | None) -> np.ndarray:
        if weights is None:
            local = np.stack([Z_bins[a:b].sum(axis=0) for a, b in zip(b_starts, b_ends)])
        else:
            w = weights[: len(win_rows)]
            local = np.stack([w[a:b].T @ Z_bins32[a:b] for a, b in zip(b_starts, b_ends)], axis=1)
        return _uncenter(local, bin_centres)

    def best_break(bsums: np.ndarray, mi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """bsums [..., K+1, 6M] -> (best candidate index, sse at best, sse single)."""
        s = bsums[..., mi * 6:(mi + 1) * 6]
        cum = np.cumsum(s, axis=-2)                    # cum[k] = bins 0..k = rows x < cand[k]
        total = cum[..., -1:, :]
        left = cum[..., :-1, :]
        right = total - left
        fl, fr = ols_from_stats(left), ols_from_stats(right)
        sse = fl["sse"] + fr["sse"]
        okn = (left[..., 0] >= cfg.min_segment) & (right[..., 0] >= cfg.min_segment)
        sse = np.where(okn & np.isfinite(sse), sse, np.inf)
        best = np.argmin(sse, axis=-1)
        best_sse = np.take_along_axis(sse, best[..., None], axis=-1)[..., 0]
        single = ols_from_stats(total[..., 0, :])["sse"]
        return best, best_sse, single

    # Point estimates.
    g_point = group_stats(point_atoms)
    point = ols_from_stats(g_point)
    b_point = bin_sums(None) if bp_metrics else None

    # Bootstrap: one Poisson weight block per chunk of replicates, shared by every group.
    B = int(cfg.resamples)
    rng = np.random.default_rng(cfg.seed)
    boot_slopes = np.full((B, len(keys)), np.nan)
    boot_breaks = {m: np.full(B, np.nan) for m in bp_metrics}
    done = 0
    while done < B:
        bc = min(cfg.chunk, B - done)
        W = poisson_weights(rng, N, bc)      # rows × replicates: row slices are contiguous
        a_sums = _uncenter(
            np.stack([W[a:b].T @ Z_atoms32[a:b] for a, b in zip(starts, ends)], axis=1),
            atom_centres)
        boot_slopes[done:done + bc] = ols_from_stats(group_stats(a_sums))["slope"]
        if bp_metrics:
            bs = bin_sums(W)
            for m in bp_metrics:
                best, best_sse, _ = best_break(bs, metrics.index(m))
                yr = bins_edges[m][best]
                boot_breaks[m][done:done + bc] = np.where(np.isfinite(best_sse), yr, np.nan)
        done += bc

    # Assemble the trends table.
    rows = []
    with np.errstate(all="ignore"):
        sp = np.nanpercentile(boot_slopes, [5, 50, 95], axis=0) if B else np.full((3, len(keys)), np.nan)
    last_year = pd.Timestamp(df["publication_date"].max()).year
    row_atom = np.empty(N, np.int64)
    row_atom[order] = atom_sorted
    for g, (metric, d, era) in enumerate(keys):
        sel = np.isin(row_atom, members[g]) & df[f"y_{metric}"].notna().to_numpy()
        xs = x[sel]
        first = df["publication_date"][sel].min()
        last = df["publication_date"][sel].max()
        slope = float(point["slope"][g])
        icpt = float(point["intercept_c"][g]) - slope * X_CENTER
        x_start = _frac(era.start) if era.start else float(xs.min())
        x_end = _frac(era.end) if era.end else float(xs.max())
        p05, p50, p95 = (float(v) for v in sp[:, g])
        if np.isfinite(p05) and (p05 > 0 or p95 < 0):
            dbl = (float(doubling_months(p95)), float(doubling_months(p50)), float(doubling_months(p05)))
        else:
            dbl = (None, None, None)
        # open-ended labels ("2018- below gap") get the last model's year: "2018-2022 below gap"
        label = re.sub(r"^(\d{4})-(?!\d)", rf"\g<1>-{last_year}", era.label)
        rows.append({
            "metric": metric, "domain": d, "era": era.key, "era_label": label,
            "era_start": era.start or _as_date(first), "era_end": era.end or _as_date(last),
            "n": int(round(point["n"][g])), "slope": slope, "intercept": icpt,
            "doubling_months": float(doubling_months(slope)) if slope else None,
            "doubling_p05": dbl[0], "doubling_p50": dbl[1], "doubling_p95": dbl[2],
            "slope_p05": p05, "slope_p50": p50, "slope_p95": p95,
            "r2": float(point["r2"][g]),
            "scale_start": 10 ** (icpt + slope * x_start),
            "scale_end": 10 ** (icpt + slope * x_end),
            "first_date": _as_date(first), "last_date": _as_date(last),
            "resamples": B, "seed": cfg.seed,
        })
    trends_df = pd.DataFrame(rows, columns=TREND_COLUMNS)

    # Assemble the breakpoints table.
    brows = []
    for m in bp_metrics:
        mi = metrics.index(m)
        best, best_sse, single = best_break(b_point, mi)
        if not np.isfinite(best_sse):
            continue
        k = int(best)
        year = float(bins_edges[m][k])
        s = b_point[:, mi * 6:(mi + 1) * 6]
        cum = np.cumsum(s, axis=0)
        left, right = cum[k], cum[-1] - cum[k]
        fl, fr = ols_from_stats(left), ols_from_stats(right)
        with np.errstate(all="ignore"):
            q = np.nanpercentile(boot_breaks[m], [5, 50, 95]) if B else [np.nan] * 3
        brows.append({
            "metric": m, "domain": "all", "break_date": _year_to_date(year), "break_year": year,
            "break_p05": float(q[0]), "break_p50": float(q[1]), "break_p95": float(q[2]),
            "sse_single": float(single), "sse_break": float(best_sse),
            "n_before": int(round(left[0])), "n_after": int(round(right[0])),
            "slope_before": float(fl["slope"]), "slope_after": float(fr["slope"]),
            "doubling_before": float(doubling_months(fl["slope"])),
            "doubling_after": float(doubling_months(fr["slope"])),
            "search_from": float(cand[0]), "search_to": float(cand[-1]),
            "step_years": cfg.breakpoint_step, "resamples": B, "seed": cfg.seed,
        })
    return TrendResult(trends_df, pd.DataFrame(brows, columns=BREAK_COLUMNS), df)


def _frac(d: date) -> float:
    from trends.epoch_csv import fractional_year

    return fractional_year(d)


def _as_date(value) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


__all__ = [
    "Era", "TrendConfig", "TrendResult", "default_eras", "fit_trends", "ols_from_stats",
    "doubling_months", "poisson_weights", "prepare", "fractional_years", "replace",
]
