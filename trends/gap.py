"""The parameter-gap table: models per half-order-of-magnitude size band since a year, per
domain, with a scarcity score against neighbouring bands. Pure pandas/numpy.

Bands. A regular grid of half-OOM bands [10^a, 10^(a+0.5)). The paper's gap is 20B-70B
(log10 10.30-10.85); a grid aligned at whole and half powers of ten (10^10.0-10^10.5,
10^10.5-10^11.0) cuts it in two, and each half also holds populated sizes (10B-20B below,
70B-100B above), so the hole blurs. We therefore anchor the grid at 2·10^k (``offset`` =
log10 2): its bands are ... 6.3B-20B, **20B-63B**, 63B-200B ..., one of which coincides with
the gap, so the gap can show up from the data alone. The anchoring is a parameter
(``GapConfig.offset``) and the table also carries the paper's exact band ("named" rows,
20B-70B), judged against neighbouring windows of its own width.

Scarcity. For a band with count n, ``mean_below`` / ``mean_above`` are the mean counts of the
two bands just below / above (bands outside the data count as 0). ``scarcity = (n + 0.5) /
(min(mean_below, mean_above) + 0.5)`` — the +0.5 keeps empty neighbourhoods finite — and a band
is ``scarce`` when scarcity <= 0.5 *and* both sides average at least 2 models per band: it holds
at most half as many models as the thinner of its two neighbourhoods, and that neighbourhood is
populated, so the flag marks a hole between populated sizes rather than the thin tail at the
top or bottom of the distribution.

Uncertainty. The paper gave no test of its gap; a count of 3 against neighbours of 8 can flip
on one model. Each band's scarcity therefore comes with a bootstrap over models: the group's
models are resampled with replacement ``resamples`` times (a fixed seed per domain and band
kind, so a recompute is deterministic), the band and neighbour counts recounted and the same
rule applied. ``scarcity_p05``/``scarcity_p95`` bound the scarcity, ``scarce_share`` is the
share of resamples in which the band is scarce, and ``verdict`` says it plainly: **scarce** when
it is scarce in at least 95 % of resamples, **not scarce** when in at most 5 %, and
**undetermined** in between (the data cannot tell). Resampling N models with replacement is a
multinomial draw over the bins they fall in, so each group costs one ``multinomial`` call.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from paramtrack.core.units import format_count
from paramtrack.trends.epoch_csv import PRIMARY_DOMAINS

GAP_COLUMNS = [
    "domain",
    "since_year",
    "band_kind",
    "band_lo_log10",
    "band_hi_log10",
    "band_lo",
    "band_hi",
    "label",
    "n",
    "mean_below",
    "mean_above",
    "scarcity",
    "scarce",
    "scarcity_p05",
    "scarcity_p95",
    "scarce_share",
    "verdict",
    "resamples",
    "seed",
]
VERDICTS = ("scarce", "not scarce", "undetermined")


@dataclass(frozen=True)
class GapConfig:
    since_year: int = 2020
    width: float = 0.5  # band width in log10 units
    offset: float = math.log10(2.0)  # grid anchored at 2·10^k
    named_bands: tuple[tuple[str, float, float], ...] = (("20B-70B", 2e10, 7e10),)
    min_models: int = 10  # per-domain tables need this many models
    scarce_ratio: float = 0.5
    min_neighbour_mean: float = 2.0
    until: date | None = None  # exclusive date cut-off, as in TrendConfig
    resamples: int = 1000  # bootstrap over models
    seed: int = 20220705
    firm_share: float = 0.95  # verdict: scarce in >= this share of resamples


def _score(n: float, below: float, above: float, cfg: GapConfig) -> tuple[float, bool]:
    side = min(below, above)
    scarcity = (n + 0.5) / (side + 0.5)
    return scarcity, bool(scarcity <= cfg.scarce_ratio and side >= cfg.min_neighbour_mean)


def _scores(n: np.ndarray, below: np.ndarray, above: np.ndarray, cfg: GapConfig) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_score` over arrays (one entry per resample)."""
    side = np.minimum(below, above)
    scarcity = (n + 0.5) / (side + 0.5)
    return scarcity, (scarcity <= cfg.scarce_ratio) & (side >= cfg.min_neighbour_mean)


def _rng(cfg: GapConfig, domain: str, kind: str) -> np.random.Generator:
    """A generator per (seed, domain, band kind): adding a domain does not redraw the others."""
    return np.random.default_rng([cfg.seed, zlib.crc32(domain.encode()), zlib.crc32(kind.encode())])


def verdict(share: float, cfg: GapConfig) -> str:
    if share >= cfg.firm_share:
        return "scarce"
    if share <= 1.0 - cfg.firm_share:
        return "not scarce"
    return "undetermined"


def _uncertainty(scarcity: np.ndarray, scarce: np.ndarray, cfg: GapConfig) -> dict:
    share = float(scarce.mean()) if scarce.size else float("nan")
    p05, p95 = np.percentile(scarcity, [5, 95]) if scarcity.size else (np.nan, np.nan)
    return {
        "scarcity_p05": float(p05),
        "scarcity_p95": float(p95),
        "scarce_share": share,
        "verdict": verdict(share, cfg) if scarcity.size else None,
        "resamples": int(cfg.resamples),
        "seed": int(cfg.seed),
    }


def gap_table(models: pd.DataFrame, cfg: GapConfig | None = None) -> pd.DataFrame:
    """Band counts, scarcity and its bootstrap verdict for 'all' and each domain with enough
    models since the year."""
    cfg = cfg or GapConfig()
    df = models[models["publication_date"].notna()].copy()
    d = pd.to_datetime(df["publication_date"])
    keep = d >= pd.Timestamp(cfg.since_year, 1, 1)
    if cfg.until is not None:
        keep &= d < pd.Timestamp(cfg.until)
    p = pd.to_numeric(df["parameters"], errors="coerce")
    keep &= p > 0
    df = df[keep]
    logp = np.log10(pd.to_numeric(df["parameters"]).to_numpy(dtype=float))
    dom = df["domain"].to_numpy(dtype=object)
    rows: list[dict] = []
    groups = [("all", np.ones(len(df), bool))]
    for name in PRIMARY_DOMAINS:
        mask = dom == name
        if mask.sum() >= cfg.min_models:
            groups.append((name, mask))
    B = max(int(cfg.resamples), 0)
    for name, mask in groups:
        v = logp[mask]
        if len(v) == 0:
            continue
        k = np.floor((v - cfg.offset) / cfg.width).astype(int)
        lo_k, hi_k = int(k.min()), int(k.max())
        counts = {kk: 0 for kk in range(lo_k - 2, hi_k + 3)}
        for kk, c in zip(*np.unique(k, return_counts=True)):
            counts[int(kk)] = int(c)
        # bootstrap: resampled counts per grid bin (columns lo_k-2 .. hi_k+2), B x bins
        bins = np.array([counts[kk] for kk in range(lo_k - 2, hi_k + 3)], dtype=float)
        boot = _rng(cfg, name, "grid").multinomial(len(v), bins / bins.sum(), size=B) if B else np.zeros((0, len(bins)))
        for kk in range(lo_k, hi_k + 1):
            lo = cfg.offset + kk * cfg.width
            hi = lo + cfg.width
            below = (counts[kk - 1] + counts[kk - 2]) / 2
            above = (counts[kk + 1] + counts[kk + 2]) / 2
            scarcity, scarce = _score(counts[kk], below, above, cfg)
            j = kk - (lo_k - 2)
            bs, bf = _scores(
                boot[:, j], (boot[:, j - 1] + boot[:, j - 2]) / 2, (boot[:, j + 1] + boot[:, j + 2]) / 2, cfg
            )
            rows.append(
                _row(name, cfg, "grid", lo, hi, counts[kk], below, above, scarcity, scarce) | _uncertainty(bs, bf, cfg)
            )
        for label, lo_v, hi_v in cfg.named_bands:
            lo, hi = math.log10(lo_v), math.log10(hi_v)
            w = hi - lo
            inside = (v >= lo) & (v < hi)
            low = (v >= lo - 2 * w) & (v < lo)
            high = (v >= hi) & (v < hi + 2 * w)
            n = int(inside.sum())
            below = float(low.sum()) / 2
            above = float(high.sum()) / 2
            scarcity, scarce = _score(n, below, above, cfg)
            cats = np.array([n, low.sum(), high.sum(), len(v) - n - low.sum() - high.sum()], float)
            nb = (
                _rng(cfg, name, f"named:{label}").multinomial(len(v), cats / cats.sum(), size=B)
                if B
                else np.zeros((0, 4))
            )
            bs, bf = _scores(nb[:, 0], nb[:, 1] / 2, nb[:, 2] / 2, cfg)
            rows.append(
                _row(name, cfg, "named", lo, hi, n, below, above, scarcity, scarce, label) | _uncertainty(bs, bf, cfg)
            )
    return pd.DataFrame(rows, columns=GAP_COLUMNS)


def _row(domain, cfg, kind, lo, hi, n, below, above, scarcity, scarce, label=None) -> dict:
    lo_v, hi_v = 10**lo, 10**hi
    return {
        "domain": domain,
        "since_year": cfg.since_year,
        "band_kind": kind,
        "band_lo_log10": round(lo, 6),
        "band_hi_log10": round(hi, 6),
        "band_lo": lo_v,
        "band_hi": hi_v,
        "label": label or f"{format_count(lo_v, digits=2)}-{format_count(hi_v, digits=2)}",
        "n": int(n),
        "mean_below": float(below),
        "mean_above": float(above),
        "scarcity": float(scarcity),
        "scarce": bool(scarce),
    }
