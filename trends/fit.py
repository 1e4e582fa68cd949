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
  Poisson(1)), and it lets all groups share one set of weights. Rows are grouped into *cells*
  (same domain, same era memberships, same breakpoint bin); every group fit and every
  breakpoint candidate only needs weighted sufficient statistics (Σw, Σwx, Σwy, Σwx², Σwxy,
  Σwy²) summed over cells, and those come from small GEMMs (replicates × rows)·(rows × 12) on
  cache-sized tiles of uint8 Poisson counts (``_Tiles``) — no per-resample arrays and no
  (replicates × rows) float matrix. 1,000 replicates of 100k rows take ~0.3 s.
  Percentiles 5/50/95 of slope; doubling-time percentiles are the same percentiles mapped
  through 12·log10(2)/slope, and are NULL when the slope interval crosses zero (a doubling time
  is undefined there: the paper reports none for the above-gap era either).
* **Breakpoint**: candidates on a grid (quarterly by default) between ``search_from`` and one
  year before the last model; two separate lines (own intercept and slope) left/right of the
  candidate; best = lowest total SSE with at least ``min_segment`` models each side. The
  bootstrap interval comes from the best break of each Poisson replicate.

Determinism: rows are put in a canonical order (by x, y, domain) before weights are drawn, so
the same data gives the same tables regardless of the order the database returns rows. The
weights are a function of (seed, ``chunk``, data): changing ``chunk`` redraws them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date

import numpy as np
import pandas as pd

from paramtrack.core.units import format_count
from paramtrack.trends.epoch_csv import PRIMARY_DOMAINS

LOG10_2 = math.log10(2.0)
METRICS = ("parameters", "training_compute")
X_CENTER = 2000.0


@dataclass(frozen=True)
class Era:
    key: str
    label: str
    start: date | None = None  # inclusive
    end: date | None = None  # exclusive
    min_params: float | None = None  # inclusive lower bound on parameters
    max_params: float | None = None  # exclusive upper bound on parameters
    metrics: tuple[str, ...] = METRICS


@dataclass(frozen=True)
class TrendConfig:
    start_year: int = 1952
    break_year: int = 2018
    until: date | None = None  # exclusive cut-off on publication date (None = all data)
    gap_split: float = 2e10
    eras: tuple[Era, ...] | None = None  # None -> default_eras(self)
    metrics: tuple[str, ...] = METRICS
    min_n: int = 10  # per-domain fits need this many points; 'all' needs 3
    resamples: int = 1000
    seed: int = 20220705
    chunk: int = 50  # replicates per pass (memory ~ cells × chunk × 144 B)
    breakpoint_from: float = 1990.0
    breakpoint_to: float | None = None  # None -> last model date - 1 year
    breakpoint_step: float = 0.25
    min_segment: int = 10

    def resolved_eras(self) -> tuple[Era, ...]:
        return self.eras if self.eras is not None else default_eras(self)


def default_eras(cfg: TrendConfig) -> tuple[Era, ...]:
    b = date(cfg.break_year, 1, 1)
    s = date(cfg.start_year, 1, 1)
    split = format_count(cfg.gap_split)
    post = f"{cfg.break_year}-"
    return (
        Era(f"pre_{cfg.break_year}", f"{cfg.start_year}-{cfg.break_year}", s, b),
        Era(f"post_{cfg.break_year}", post, b, cfg.until),
        Era(
            f"post_{cfg.break_year}_below_gap",
            f"{post} below gap (<{split})",
            b,
            cfg.until,
            max_params=cfg.gap_split,
            metrics=("parameters",),
        ),
        Era(
            f"post_{cfg.break_year}_above_gap",
            f"{post} above gap (>={split})",
            b,
            cfg.until,
            min_params=cfg.gap_split,
            metrics=("parameters",),
        ),
    )


# -- data preparation ------------------------------------------------------------------------


def fractional_years(dates: pd.Series) -> np.ndarray:
    """year + (day of year - 1) / days in that year, e.g. 2018-07-02 -> 2018.50. Computed with
    numpy calendar units rather than three ``.dt`` accessors (3x faster on 100k rows)."""
    d = pd.to_datetime(dates).to_numpy(dtype="datetime64[ns]")
    year = d.astype("datetime64[Y]")
    jan1 = year.astype("datetime64[D]")
    doy = (d.astype("datetime64[D]") - jan1).astype(float)
    days = ((year + 1).astype("datetime64[D]") - jan1).astype(float)
    return year.astype(float) + 1970.0 + doy / days


def _year_to_date(x: float) -> date:
    year = int(math.floor(x))
    days = 366 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 365
    return date(year, 1, 1) + pd.Timedelta(days=int(round((x - year) * days))).to_pytimedelta()


def prepare(models: pd.DataFrame, cfg: TrendConfig) -> pd.DataFrame:
    """Rows usable for at least one metric, with x, y columns, in canonical order."""
    return _prepare(models, cfg)[0]


def _prepare(models: pd.DataFrame, cfg: TrendConfig) -> tuple[pd.DataFrame, np.ndarray]:
    """``prepare`` plus the rows' publication dates as datetime64 (same order). Parsing the
    object-dtype date column is the slowest step of the set-up, so it is done once here and the
    era masks and table assembly reuse the array instead of re-parsing per era and group."""
    df = models[models["publication_date"].notna()]
    d = pd.to_datetime(df["publication_date"])
    if cfg.until is not None:
        keep = (d < pd.Timestamp(cfg.until)).to_numpy()
        df, d = df[keep], d[keep]
    df = df.copy()
    df["x"] = fractional_years(d) if len(df) else np.array([], float)
    df["domain"] = df["domain"].where(df["domain"].notna(), None)
    for m in METRICS:
        vals = pd.to_numeric(df[m], errors="coerce") if m in df else pd.Series(np.nan, df.index)
        ok = vals > 0
        df[f"y_{m}"] = np.where(ok, np.log10(vals.where(ok, 1.0)), np.nan)
    cols = [f"y_{m}" for m in METRICS]
    usable = df[cols].notna().any(axis=1).to_numpy()
    df, d64 = df[usable], d.to_numpy(dtype="datetime64[ns]")[usable]
    # Canonical order: x, then each y (NaN last), then domain ('' for none). np.lexsort takes
    # the primary key last and, like a stable sort, orders NaN after numbers.
    dom_rank = pd.factorize(df["domain"].fillna("").to_numpy(dtype=object), sort=True)[0]
    order = np.lexsort([dom_rank, *(df[c].to_numpy() for c in reversed(cols)), df["x"].to_numpy()])
    return df.iloc[order].reset_index(drop=True), d64[order]


def _era_mask(dates: np.ndarray, params: np.ndarray, era: Era) -> np.ndarray:
    """Rows of ``era`` given their publication dates (datetime64) and parameters (float)."""
    mask = np.ones(len(dates), dtype=bool)
    if era.start is not None:
        mask &= dates >= np.datetime64(era.start)
    if era.end is not None:
        mask &= dates < np.datetime64(era.end)
    if era.min_params is not None or era.max_params is not None:
        has = np.isfinite(params)
        if era.min_params is not None:
            has &= params >= era.min_params
        if era.max_params is not None:
            has &= params < era.max_params
        mask &= has
    return mask


def _design(
    df: pd.DataFrame, metrics: tuple[str, ...], segments: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """N × (6·metrics) [1, x, y, x², xy, y²] per metric (zeroed where the metric is missing),
    with x and y centred on the mean of each contiguous segment (``(starts, ends)``, tiling the
    rows in order) so the float32 bootstrap products lose no precision; returns (design,
    centres [segments, 1+M]). ``_uncenter`` turns segment sums back into sums of x - X_CENTER
    and y. Segment means come from ``np.bincount`` (there can be ~1,000 segments: no loop)."""
    x = df["x"].to_numpy(dtype=float) - X_CENTER
    n = len(df)
    starts, ends = segments if segments is not None else (np.array([0]), np.array([n]))
    k = len(starts)
    seg = np.repeat(np.arange(k), ends - starts)

    def seg_mean(values: np.ndarray, present: np.ndarray) -> np.ndarray:
        total = np.bincount(seg, weights=np.where(present, values, 0.0), minlength=k)
        count = np.bincount(seg, weights=present.astype(float), minlength=k)
        return np.divide(total, count, out=np.zeros(k), where=count > 0)

    centres = np.zeros((k, 1 + len(metrics)))
    centres[:, 0] = seg_mean(x, np.ones(n, dtype=bool))
    blocks = []
    for mi, m in enumerate(metrics):
        y = df[f"y_{m}"].to_numpy(dtype=float)
        ok = np.isfinite(y)
        centres[:, 1 + mi] = seg_mean(y, ok)
        one = ok.astype(float)
        y0 = np.where(ok, y - centres[seg, 1 + mi], 0.0)
        x0 = np.where(ok, x - centres[seg, 0], 0.0)
        blocks.append(np.column_stack([one, x0, y0, x0 * x0, x0 * y0, y0 * y0]))
    return (np.hstack(blocks) if blocks else np.zeros((n, 0))), centres


def _uncenter_maps(centres: np.ndarray) -> np.ndarray:
    """Per-segment linear maps [K, 6M, 6M] taking centred sums to global sums (row vector
    times map). With x0 = x - cx and y0 = y - cy: Σx = Σx0 + cx·n, Σx² = Σx0² + 2cx·Σx0 + cx²·n,
    Σxy = Σx0y0 + cx·Σy0 + cy·Σx0 + cx·cy·n, and so on; block-diagonal over metrics."""
    k, m = centres.shape[0], centres.shape[1] - 1
    maps = np.zeros((k, 6 * m, 6 * m))
    cx = centres[:, 0]
    for mi in range(m):
        cy = centres[:, 1 + mi]
        b = maps[:, mi * 6 : (mi + 1) * 6, mi * 6 : (mi + 1) * 6]
        for i in range(6):
            b[:, i, i] = 1.0
        b[:, 0, 1], b[:, 0, 2], b[:, 0, 3], b[:, 0, 4], b[:, 0, 5] = cx, cy, cx * cx, cx * cy, cy * cy
        b[:, 1, 3], b[:, 1, 4] = 2 * cx, cy
        b[:, 2, 4], b[:, 2, 5] = cx, 2 * cy
    return maps


def _uncenter(s: np.ndarray, maps: np.ndarray) -> np.ndarray:
    """Segment sums [K, ..., 6M] (segment axis first) in centred coordinates -> sums in global
    coordinates, as one stacked matmul with ``_uncenter_maps`` (6x faster than doing the
    algebra column by column on strided views, which mattered inside the bootstrap loop)."""
    s = np.asarray(s, dtype=np.float64)
    flat = s.reshape(s.shape[0], -1, s.shape[-1])
    return np.matmul(flat, maps).reshape(s.shape)


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
_POISSON_T16 = [int(t) for t in np.ceil(_POISSON_CDF[:9] * 65536) if t < 65536]


def poisson_counts(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """iid Poisson(1) counts (uint8) of ``shape``, by inversion of 16-bit uniform draws.

    The CDF is resolved to 1/65536 (probabilities off by < 2e-5) and truncated at 7
    (P(X >= 8) ~ 1e-5). Counting ``u >= threshold`` into a uint8 through a reused bool buffer
    keeps every pass a cheap byte-wise vector op; callers draw cache-sized tiles (see
    ``_Tiles``), where these passes cost far less than on one big array.
    """
    size = math.prod(shape)
    # raw 64-bit outputs cut into four 16-bit uniforms: twice as fast as rng.integers(uint16)
    u = rng.bit_generator.random_raw(-(-size // 4)).view(np.uint16)[:size].reshape(shape)
    w = np.zeros(shape, dtype=np.uint8)
    hit = np.empty(shape, dtype=bool)
    hit8 = hit.view(np.uint8)
    for threshold in _POISSON_T16:
        np.greater_equal(u, threshold, out=hit)
        w += hit8
    return w


def poisson_weights(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """rows × cols iid Poisson(1) weights as float32 (see ``poisson_counts``)."""
    return poisson_counts(rng, (rows, cols)).astype(np.float32)


# Multiply-adds per GEMM call in the bootstrap (M·N·K). Small enough that one tile of weights
# (uint16 draws, uint8 counts, float32 copy) stays in L2 cache, and at OpenBLAS's threshold
# for running a GEMM single-threaded (65536 × GEMM_MULTITHREAD_THRESHOLD=4; some builds go
# higher): on a busy 2-core machine, OpenBLAS worker threads spinning on these skinny products
# cost 2-3x more than they give (measured: fit_trends 2.7 s -> 0.9 s with
# OPENBLAS_NUM_THREADS=1), and library code cannot set that variable.
_GEMM_MACS = 1 << 18


@dataclass
class _Tiles:
    """Plan for weighted per-cell sums: the cell-ordered rows cut into tiles of ``rows`` rows,
    each tile cut again at cell boundaries into blocks.

    For a chunk of ``bc`` replicates, each tile gets a fresh (bc × tile rows) Poisson weight
    matrix; each block is one small GEMM ``W[:, block] @ Z[block]`` = the block's weighted
    sufficient statistics for all bc replicates at once; cell sums add up their blocks. No
    (replicates × rows) float matrix is ever materialised. The draws depend only on the seed,
    the chunk size and the data (through the cell layout), so results are deterministic.
    """

    n_cells: int
    tiles: list[tuple[int, int]]  # (first row, end row) of each tile
    block_lo: list[int]  # blocks of tile t: block_lo[t]:block_lo[t+1]
    blocks: list[tuple[int, int, int, bool]]  # (first row, end row, cell, first of cell)

    @classmethod
    def plan(cls, starts: np.ndarray, ends: np.ndarray, chunk: int, width: int) -> _Tiles:
        n = int(ends[-1]) if len(ends) else 0
        rows = max(16, _GEMM_MACS // max(1, chunk * width))
        tile_starts = np.arange(0, n, rows)
        tile_ends = np.minimum(tile_starts + rows, n)
        block_starts = np.union1d(starts, tile_starts)  # cut cells at tile boundaries
        block_ends = np.append(block_starts[1:], n)
        block_cell = np.searchsorted(starts, block_starts, side="right") - 1
        first = np.isin(block_starts, starts)
        block_lo = np.searchsorted(block_starts, np.append(tile_starts, n))
        # plain Python lists: the inner loop runs ~10^4 times, numpy scalars would slow it
        return cls(
            len(starts),
            list(zip(tile_starts.tolist(), tile_ends.tolist())),
            block_lo.tolist(),
            list(zip(block_starts.tolist(), block_ends.tolist(), block_cell.tolist(), first.tolist())),
        )

    def weighted_cell_sums(self, rng: np.random.Generator, Z32: np.ndarray, bc: int) -> np.ndarray:
        """Per-cell Σ w·Z for bc fresh Poisson replicates: [cells, bc, width] (float64)."""
        S = np.empty((self.n_cells, bc, Z32.shape[1]), dtype=np.float32)
        blocks = self.blocks
        for t, (t0, t1) in enumerate(self.tiles):
            W = poisson_counts(rng, (bc, t1 - t0)).astype(np.float32)
            for a, b, cell, first in blocks[self.block_lo[t] : self.block_lo[t + 1]]:
                if first:  # a cell's blocks are consecutive: write, then accumulate
                    np.matmul(W[:, a - t0 : b - t0], Z32[a:b], out=S[cell])
                else:
                    S[cell] += W[:, a - t0 : b - t0] @ Z32[a:b]
        return S.astype(np.float64)


# -- what a fit needs to be drawn ---------------------------------------------------------


MIN_POINTS = 10  # fewer models than this: no line
MIN_R2 = 0.1  # the fit explains less than 10 % of the variance: no line


def fit_support(row: pd.Series | dict) -> str | None:
    """None when the data support the fit (so charts draw it), else why not, in words a reader
    understands. One rule for every place a fit is shown: the charts, their notes and tables,
    the ``trends`` table (``drawn``, ``not_drawn_reason``) and ``paramtrack recompute``.

    Not supported: fewer than :data:`MIN_POINTS` models, R² below :data:`MIN_R2`, a 5-95 %
    slope interval that crosses 0 (no trend, so no doubling time), or a slope that is not
    positive (sizes shrink: a negative "doubling time" is a halving time, not a doubling).
    """
    reasons = []
    n = int(row.get("n") or 0)
    if n < MIN_POINTS:
        reasons.append(f"too few models (n={n} < {MIN_POINTS})")
    r2 = row.get("r2")
    if r2 is None or not np.isfinite(r2) or r2 < MIN_R2:
        reasons.append(f"R² {r2:.2f} < {MIN_R2}" if r2 is not None and np.isfinite(r2) else "no R²")
    lo, hi = row.get("slope_p05"), row.get("slope_p95")
    crosses = lo is not None and hi is not None and np.isfinite(lo) and np.isfinite(hi) and lo <= 0 <= hi
    if crosses:
        reasons.append(f"slope interval [{lo:.2f}; {hi:.2f}] OOM/yr crosses 0")
    slope = row.get("slope")
    if not crosses and slope is not None and np.isfinite(slope) and slope <= 0:
        reasons.append(f"slope {slope:.2f} OOM/yr is not positive: sizes shrink, no doubling time")
    return "; ".join(reasons) or None


def mark_support(trends: pd.DataFrame) -> pd.DataFrame:
    """``trends`` with ``drawn`` and ``not_drawn_reason`` filled in by :func:`fit_support`."""
    out = trends.copy()
    reasons = [fit_support(row) for _, row in out.iterrows()]
    out["not_drawn_reason"] = pd.Series(reasons, index=out.index, dtype=object)
    out["drawn"] = pd.Series([r is None for r in reasons], index=out.index, dtype=bool)
    return out


@dataclass
class TrendResult:
    trends: pd.DataFrame
    breakpoints: pd.DataFrame
    sample: pd.DataFrame = field(repr=False)  # prepared rows (x, y_*), for charts


TREND_COLUMNS = [
    "metric",
    "domain",
    "era",
    "era_label",
    "era_start",
    "era_end",
    "n",
    "slope",
    "intercept",
    "doubling_months",
    "doubling_p05",
    "doubling_p50",
    "doubling_p95",
    "slope_p05",
    "slope_p50",
    "slope_p95",
    "r2",
    "scale_start",
    "scale_end",
    "first_date",
    "last_date",
    "resamples",
    "seed",
    "x_mean",
    "x_sxx",
    "resid_se",
    "drawn",
    "not_drawn_reason",
]
BREAK_COLUMNS = [
    "metric",
    "domain",
    "break_date",
    "break_year",
    "break_p05",
    "break_p50",
    "break_p95",
    "sse_single",
    "sse_break",
    "n_before",
    "n_after",
    "slope_before",
    "slope_after",
    "doubling_before",
    "doubling_after",
    "search_from",
    "search_to",
    "step_years",
    "resamples",
    "seed",
]


# -- the analysis ----------------------------------------------------------------------------


def fit_trends(models: pd.DataFrame, cfg: TrendConfig | None = None) -> TrendResult:
    """Fit every (metric, domain, era) and the all-domain breakpoint; bootstrap all of them.

    ``models`` needs columns publication_date, domain, parameters, training_compute (extra
    columns are ignored). The steps: lay the rows out in cells (:class:`_Cells`), choose the
    groups worth fitting (:func:`_choose_groups`), fit them and the breakpoint on the point
    sums, redo both on every bootstrap replicate (:func:`_bootstrap`), and assemble the tables.
    """
    cfg = cfg or TrendConfig()
    df, d64 = _prepare(models, cfg)
    metrics = tuple(m for m in cfg.metrics if f"y_{m}" in df and df[f"y_{m}"].notna().any())
    eras = cfg.resolved_eras()
    if len(df) == 0 or not metrics:
        return TrendResult(pd.DataFrame(columns=TREND_COLUMNS), pd.DataFrame(columns=BREAK_COLUMNS), df)

    atoms = _atoms(df, d64, eras)
    cand = _break_candidates(df["x"].to_numpy(), cfg)
    cells = _Cells.lay_out(df, atoms, cand, metrics, cfg.start_year)
    point_atoms, point_bins = cells.point_sums()
    groups = _choose_groups(atoms, point_atoms, metrics, eras, cfg.min_n)
    boot_slopes, boot_breaks = _bootstrap(cells, groups, cand, metrics, cfg)
    trends = _trend_table(df, d64, atoms.row_atom, groups, groups.sums(point_atoms, metrics), boot_slopes, cfg)
    breakpoints = _breakpoint_table(point_bins, boot_breaks, cand, metrics, cfg)
    return TrendResult(trends, breakpoints, df)


@dataclass
class _Atoms:
    """Rows with the same domain and the same era memberships form an atom. Every group
    (metric, domain, era) is a union of atoms, so per-atom weighted sums are all the bootstrap
    needs to refit every group."""

    row_atom: np.ndarray  # atom index of each row
    domain: np.ndarray  # domain of each atom ("~none" for rows without one)
    era_bits: np.ndarray  # bit i set: the atom's rows are in era i
    domains_present: set[str]


def _atoms(df: pd.DataFrame, d64: np.ndarray, eras: tuple[Era, ...]) -> _Atoms:
    """Each row's atom, and each atom's domain and eras (atoms sorted by domain, then eras)."""
    n = len(df)
    era_bits = np.zeros(n, dtype=np.int64)
    params = (
        pd.to_numeric(df["parameters"], errors="coerce").to_numpy(dtype=float)
        if "parameters" in df
        else np.full(n, np.nan)
    )
    for i, era in enumerate(eras):
        era_bits |= _era_mask(d64, params, era).astype(np.int64) << i
    dom = df["domain"].fillna("~none").to_numpy(dtype=object)
    dom_codes, dom_uniques = pd.factorize(dom, sort=True)
    atom_codes, atom_ids = pd.factorize(dom_codes.astype(np.int64) << len(eras) | era_bits, sort=True)
    return _Atoms(
        row_atom=atom_codes,
        domain=np.asarray(dom_uniques, dtype=object)[atom_ids >> len(eras)],
        era_bits=atom_ids & ((1 << len(eras)) - 1),
        domains_present=set(dom_uniques),
    )


def _break_candidates(x: np.ndarray, cfg: TrendConfig) -> np.ndarray:
    """Candidate break years: every ``breakpoint_step`` from ``breakpoint_from`` to
    ``breakpoint_to`` (default: a year before the last model); empty when that window is."""
    bp_from = cfg.breakpoint_from
    bp_to = cfg.breakpoint_to if cfg.breakpoint_to is not None else float(x.max()) - 1.0
    return np.arange(bp_from, bp_to + 1e-9, cfg.breakpoint_step) if bp_to > bp_from else np.array([])


@dataclass
class _Cells:
    """Rows with the same atom *and* the same breakpoint bin form a cell.

    Both the group fits (unions of atoms) and the breakpoint search (per-bin sums over all
    domains) are sums of cell sums, so one pass of weighted sums per cell serves both. Rows are
    laid out cell by cell (stable, so the canonical order of ``prepare`` is kept inside a cell
    and the layout — hence which row gets which weight — depends only on the data, not on the
    input row order). Bin k holds window rows with cand[k-1] <= x < cand[k], bin 0 everything
    in the window before cand[0]; rows outside the window get bin -1 and no bin sums.
    """

    starts: np.ndarray  # first row of each cell in the cell-ordered layout
    ends: np.ndarray
    design: np.ndarray  # _design of the cell-ordered rows, centred per cell
    maps: np.ndarray  # _uncenter_maps of the cells' centres
    atom_first_cell: np.ndarray  # cells are sorted by atom: where each atom's cells begin
    n_bins: int  # len(cand) + 1; 0 when there is no breakpoint search
    win_cells: np.ndarray  # the cells inside the search window, ordered by bin
    bins_present: np.ndarray  # the bins those cells fall in, and where each bin's cells begin
    bin_first: np.ndarray

    @classmethod
    def lay_out(
        cls, df: pd.DataFrame, atoms: _Atoms, cand: np.ndarray, metrics: tuple[str, ...], start_year: int
    ) -> _Cells:
        """Sort the rows into cells and build the centred design matrix in that order."""
        x = df["x"].to_numpy()
        if len(cand):
            bin_of_row = np.where(x >= start_year, np.searchsorted(cand, x, side="right"), -1)
        else:
            bin_of_row = np.full(len(df), -1)
        cell_key = atoms.row_atom.astype(np.int64) * (len(cand) + 2) + (bin_of_row + 1)
        order = np.argsort(cell_key, kind="stable")
        starts = np.concatenate([[0], np.flatnonzero(np.diff(cell_key[order])) + 1])
        ends = np.append(starts[1:], len(df))
        cell_atom = atoms.row_atom[order][starts]
        cell_bin = bin_of_row[order][starts]
        slim = df[["x", *(f"y_{m}" for m in metrics)]]  # only what _design reads
        design, centres = _design(slim.iloc[order].reset_index(drop=True), metrics, (starts, ends))
        win_cells = np.flatnonzero(cell_bin >= 0)
        win_cells = win_cells[np.argsort(cell_bin[win_cells], kind="stable")]
        bins_present, bin_first = np.unique(cell_bin[win_cells], return_index=True)
        return cls(
            starts=starts,
            ends=ends,
            design=design,
            maps=_uncenter_maps(centres),
            atom_first_cell=np.flatnonzero(np.diff(cell_atom, prepend=-1)),
            n_bins=len(cand) + 1 if len(cand) else 0,
            win_cells=win_cells,
            bins_present=bins_present,
            bin_first=bin_first,
        )

    def reduce(self, centred_cell_sums: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Centred cell sums [C, ..., 6M] -> (atom sums [A, ..., 6M], bin sums [K+1, ..., 6M]
        or None without a breakpoint search), both uncentred.

        The segment axis comes first throughout, so these reductions run over contiguous
        [replicates × 6M] slabs."""
        cell_sums = _uncenter(centred_cell_sums, self.maps)
        atoms = np.add.reduceat(cell_sums, self.atom_first_cell, axis=0)
        if not self.n_bins:
            return atoms, None
        bins = np.zeros((self.n_bins,) + cell_sums.shape[1:])
        if len(self.win_cells):
            bins[self.bins_present] = np.add.reduceat(cell_sums[self.win_cells], self.bin_first, axis=0)
        return atoms, bins

    def point_sums(self) -> tuple[np.ndarray, np.ndarray | None]:
        """The unweighted (point estimate) atom and bin sums."""
        return self.reduce(np.add.reduceat(self.design, self.starts, axis=0))


@dataclass
class Groups:
    """The (metric, domain, era) groups worth fitting and the atoms each one sums."""

    keys: list[tuple[str, str, Era]]  # (metric, domain, era)
    atom_of_group: list[np.ndarray]  # atom indices summed into each group

    def sums(self, atom_sums: np.ndarray, metrics: tuple[str, ...]) -> np.ndarray:
        """atom_sums [A, ..., 6M] -> group sums [G, ..., 6]."""
        out = np.empty((len(self.keys),) + atom_sums.shape[1:-1] + (6,))
        for g, ((metric, _, _), idx) in enumerate(zip(self.keys, self.atom_of_group)):
            mi = metrics.index(metric)
            out[g] = atom_sums[idx, ..., mi * 6 : (mi + 1) * 6].sum(axis=0)
        return out


def _choose_groups(
    atoms: _Atoms, point_atoms: np.ndarray, metrics: tuple[str, ...], eras: tuple[Era, ...], min_n: int
) -> Groups:
    """Every (metric, domain, era) with enough models on the point estimate: 3 for all domains
    together, ``min_n`` for one domain. Decided once, so every replicate fits the same groups."""
    domains = ["all"] + [d for d in PRIMARY_DOMAINS if d in atoms.domains_present]
    groups = Groups([], [])
    for mi, metric in enumerate(metrics):
        for d in domains:
            for ei, era in enumerate(eras):
                if metric not in era.metrics:
                    continue
                sel = ((atoms.era_bits >> ei) & 1).astype(bool)
                if d != "all":
                    sel &= atoms.domain == d
                idx = np.flatnonzero(sel)
                n = point_atoms[idx, mi * 6].sum() if len(idx) else 0
                if n >= (3 if d == "all" else min_n):
                    groups.keys.append((metric, d, era))
                    groups.atom_of_group.append(idx)
    return groups


def _best_break(bsums: np.ndarray, mi: int, min_segment: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """bsums [K+1, ..., 6M] -> (best candidate index, sse at best, sse single) for metric ``mi``.

    Cumulative sums over the time-ordered bins give the left/right sufficient statistics of
    every candidate at once, so each candidate's SSE is O(1)."""
    s = bsums[..., mi * 6 : (mi + 1) * 6]
    cum = np.cumsum(s, axis=0)  # cum[k] = bins 0..k = rows x < cand[k]
    total = cum[-1:]
    left = cum[:-1]
    right = total - left
    fl, fr = ols_from_stats(left), ols_from_stats(right)
    sse = fl["sse"] + fr["sse"]
    okn = (left[..., 0] >= min_segment) & (right[..., 0] >= min_segment)
    sse = np.where(okn & np.isfinite(sse), sse, np.inf)
    best = np.argmin(sse, axis=0)
    best_sse = np.take_along_axis(sse, best[None], axis=0)[0]
    single = ols_from_stats(total[0])["sse"]
    return best, best_sse, single


def _bootstrap(
    cells: _Cells, groups: Groups, cand: np.ndarray, metrics: tuple[str, ...], cfg: TrendConfig
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Every group's slope and every metric's best break year on each Poisson replicate:
    ([replicates, groups], {metric: [replicates]}). Weights are drawn a chunk of replicates at
    a time, tile by tile (see ``_Tiles``), and shared by every group and the breakpoint search."""
    bp_metrics = list(metrics) if cells.n_bins else []
    B = int(cfg.resamples)
    rng = np.random.default_rng(cfg.seed)
    boot_slopes = np.full((B, len(groups.keys)), np.nan)
    boot_breaks = {m: np.full(B, np.nan) for m in bp_metrics}
    tiles = _Tiles.plan(cells.starts, cells.ends, cfg.chunk, cells.design.shape[1])
    Z32 = cells.design.astype(np.float32)
    done = 0
    while done < B:
        bc = min(cfg.chunk, B - done)
        a_sums, bs = cells.reduce(tiles.weighted_cell_sums(rng, Z32, bc))  # cells: [C, bc, 6M]
        boot_slopes[done : done + bc] = ols_from_stats(groups.sums(a_sums, metrics))["slope"].T
        for m in bp_metrics:
            assert bs is not None, "_Cells.reduce returns bin sums whenever there is a breakpoint search"
            best, best_sse, _ = _best_break(bs, metrics.index(m), cfg.min_segment)
            boot_breaks[m][done : done + bc] = np.where(np.isfinite(best_sse), cand[best], np.nan)
        done += bc
    return boot_slopes, boot_breaks


def _trend_table(
    df: pd.DataFrame,
    d64: np.ndarray,
    row_atom: np.ndarray,
    groups: Groups,
    g_point: np.ndarray,
    boot_slopes: np.ndarray,
    cfg: TrendConfig,
) -> pd.DataFrame:
    """One row per group (:data:`TREND_COLUMNS`): the point fit from ``g_point`` (group sums),
    the bootstrap percentiles, and whether the fit is drawn (:func:`mark_support`)."""
    point = ols_from_stats(g_point)
    B = int(cfg.resamples)
    with np.errstate(all="ignore"):
        sp = np.nanpercentile(boot_slopes, [5, 50, 95], axis=0) if B else np.full((3, len(groups.keys)), np.nan)
    last_year = pd.Timestamp(d64.max()).year
    x = df["x"].to_numpy()
    rows = []
    for g, (metric, d, era) in enumerate(groups.keys):
        sel = np.isin(row_atom, groups.atom_of_group[g]) & df[f"y_{metric}"].notna().to_numpy()
        slope = float(point["slope"][g])
        icpt = float(point["intercept_c"][g]) - slope * X_CENTER
        rows.append(
            {
                "metric": metric,
                "domain": d,
                **_era_columns(era, d64[sel], last_year),
                "n": int(round(point["n"][g])),
                "slope": slope,
                "intercept": icpt,
                "doubling_months": float(doubling_months(slope)) if slope else None,
                **_percentile_columns(*(float(v) for v in sp[:, g])),
                "r2": float(point["r2"][g]),
                **_scale_columns(era, x[sel], icpt, slope),
                "resamples": B,
                "seed": cfg.seed,
                **_band_terms(g_point[g], float(point["sse"][g])),
            }
        )
    return mark_support(pd.DataFrame(rows, columns=TREND_COLUMNS))


def _era_columns(era: Era, dates: np.ndarray, last_year: int) -> dict[str, object]:
    """The era's key, label and bounds, and the dates of the group's first and last model. An
    open-ended label ("2018- below gap") gets the last model's year: "2018-2022 below gap"."""
    first, last = dates.min(), dates.max()
    return {
        "era": era.key,
        "era_label": re.sub(r"^(\d{4})-(?!\d)", rf"\g<1>-{last_year}", era.label),
        "era_start": era.start or _as_date(first),
        "era_end": era.end or _as_date(last),
        "first_date": _as_date(first),
        "last_date": _as_date(last),
    }


def _percentile_columns(p05: float, p50: float, p95: float) -> dict[str, float | None]:
    """Slope percentiles, and the doubling-time percentiles mapped through them (p95 of the
    slope is p05 of the doubling time); none when the slope interval crosses zero."""
    dbl: tuple[float | None, float | None, float | None]
    if np.isfinite(p05) and (p05 > 0 or p95 < 0):
        dbl = (float(doubling_months(p95)), float(doubling_months(p50)), float(doubling_months(p05)))
    else:
        dbl = (None, None, None)
    return {
        "doubling_p05": dbl[0],
        "doubling_p50": dbl[1],
        "doubling_p95": dbl[2],
        "slope_p05": p05,
        "slope_p50": p50,
        "slope_p95": p95,
    }


def _scale_columns(era: Era, xs: np.ndarray, icpt: float, slope: float) -> dict[str, float]:
    """The fitted metric at the era's start and end (the group's first/last model when open)."""
    x_start = _frac(era.start) if era.start else float(xs.min())
    x_end = _frac(era.end) if era.end else float(xs.max())
    return {"scale_start": 10 ** (icpt + slope * x_start), "scale_end": 10 ** (icpt + slope * x_end)}


def _breakpoint_table(
    point_bins: np.ndarray | None,
    boot_breaks: dict[str, np.ndarray],
    cand: np.ndarray,
    metrics: tuple[str, ...],
    cfg: TrendConfig,
) -> pd.DataFrame:
    """One row per metric with a valid break (:data:`BREAK_COLUMNS`): the best single break on
    the point sums, the two fits either side, and the replicates' 5/50/95 % break years."""
    rows: list[dict[str, object]] = []
    if point_bins is None:  # no candidate years: no search
        return pd.DataFrame(rows, columns=BREAK_COLUMNS)
    for mi, m in enumerate(metrics):
        best, best_sse, single = _best_break(point_bins, mi, cfg.min_segment)
        if not np.isfinite(best_sse):
            continue
        k = int(best)
        year = float(cand[k])
        cum = np.cumsum(point_bins[:, mi * 6 : (mi + 1) * 6], axis=0)
        left, right = cum[k], cum[-1] - cum[k]
        fl, fr = ols_from_stats(left), ols_from_stats(right)
        with np.errstate(all="ignore"):
            q = np.nanpercentile(boot_breaks[m], [5, 50, 95]) if cfg.resamples else [np.nan] * 3
        rows.append(
            {
                "metric": m,
                "domain": "all",
                "break_date": _year_to_date(year),
                "break_year": year,
                "break_p05": float(q[0]),
                "break_p50": float(q[1]),
                "break_p95": float(q[2]),
                "sse_single": float(single),
                "sse_break": float(best_sse),
                "n_before": int(round(left[0])),
                "n_after": int(round(right[0])),
                "slope_before": float(fl["slope"]),
                "slope_after": float(fr["slope"]),
                "doubling_before": float(doubling_months(fl["slope"])),
                "doubling_after": float(doubling_months(fr["slope"])),
                "search_from": float(cand[0]),
                "search_to": float(cand[-1]),
                "step_years": cfg.breakpoint_step,
                "resamples": int(cfg.resamples),
                "seed": cfg.seed,
            }
        )
    return pd.DataFrame(rows, columns=BREAK_COLUMNS)


def _band_terms(stats: np.ndarray, sse: float) -> dict[str, float | None]:
    """What the confidence band of the fitted mean line needs (x centred at X_CENTER in
    ``stats``): se(x) = resid_se * sqrt(1/n + (x - x_mean)^2 / x_sxx)."""
    n, sx, _, sxx = (float(stats[i]) for i in range(4))
    if n < 3:
        return {"x_mean": None, "x_sxx": None, "resid_se": None}
    mx = sx / n
    return {
        "x_mean": mx + X_CENTER,
        "x_sxx": max(sxx - n * mx * mx, 0.0),
        "resid_se": math.sqrt(max(sse, 0.0) / (n - 2)),
    }


def _frac(d: date) -> float:
    from paramtrack.trends.epoch_csv import fractional_year

    return fractional_year(d)


def _as_date(value) -> date | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return pd.Timestamp(value).date()


__all__ = [
    "Era",
    "TrendConfig",
    "TrendResult",
    "default_eras",
    "fit_trends",
    "fit_support",
    "mark_support",
    "ols_from_stats",
    "doubling_months",
    "poisson_weights",
    "prepare",
    "fractional_years",
    "replace",
]
