"""Recompute over N synthetic approved models: our vectorised pipeline vs a plain
pandas/statsmodels bootstrap (one OLS per resample per group).

    python benchmarks/recompute_benchmark.py [--rows 100000] [--resamples 1000] [--check]

Our figure is the whole ``recompute`` (read curated_models from DuckDB, fit every group with
the bootstrap, breakpoint search, gap table, write the three tables, record the run; no charts
or exports). The baseline fits the same groups with ``statsmodels.OLS`` on
``DataFrame.sample(replace=True)`` resamples; it is timed on ``--baseline-resamples`` resamples
and extrapolated linearly to ``--resamples`` (printed as such). ``--check`` exits 1 when our
time exceeds ``--target`` seconds (default 2).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from paramtrack.flows.recompute import recompute  # noqa: E402
from paramtrack.trends.fit import TrendConfig, fit_trends  # noqa: E402
from paramtrack.warehouse import Warehouse  # noqa: E402


def synthetic_models(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = np.sort(rng.uniform(1952, 2025, n))
    y = np.where(x < 2018, 1 + 0.1 * (x - 1952), 7.6 + 0.7 * (x - 2018)) + rng.normal(0, 1.0, n)
    dates = (pd.Timestamp("1952-01-01") + pd.to_timedelta((x - 1952) * 365.2425, unit="D")).normalize()
    domains = rng.choice(
        ["language", "vision", "games", "speech", "multimodal", "other"], n, p=[0.4, 0.3, 0.1, 0.08, 0.07, 0.05]
    )
    return pd.DataFrame(
        {
            "system": [f"synthetic-{i}" for i in range(n)],
            "parameters": 10**y,
            "training_compute": np.where(rng.random(n) < 0.6, 10 ** (1.6 * y + 3), np.nan),
            "publication_date": dates.date,
            "domain": domains,
            "source": "review",
            "reviewer": "benchmark",
            "updated_at": datetime.now(UTC),
        }
    )


def load(wh: Warehouse, frame: pd.DataFrame) -> None:
    with wh.write() as con:
        con.register("_bench", frame)
        cols = ", ".join(frame.columns)
        con.execute(f"INSERT INTO models ({cols}) SELECT {cols} FROM _bench")
        con.unregister("_bench")


def baseline(models: pd.DataFrame, resamples: int, cfg: TrendConfig) -> tuple[float, int]:
    """statsmodels OLS per resample for each (metric, domain, era) group our fit produces."""
    import statsmodels.api as sm

    groups = fit_trends(models, TrendConfig(resamples=1)).trends
    sample = fit_trends(models, TrendConfig(resamples=1)).sample
    rng = np.random.default_rng(cfg.seed)
    d = pd.to_datetime(sample["publication_date"])
    t0 = time.perf_counter()
    for _, g in groups.iterrows():
        m = (d >= pd.Timestamp(g["era_start"])) & sample[f"y_{g['metric']}"].notna()
        if g["era"].startswith("pre"):
            m &= d < pd.Timestamp(g["era_end"])
        if "below" in g["era"]:
            m &= sample["parameters"] < cfg.gap_split
        if "above" in g["era"]:
            m &= sample["parameters"] >= cfg.gap_split
        if g["domain"] != "all":
            m &= sample["domain"] == g["domain"]
        frame = sample.loc[m, ["x", f"y_{g['metric']}"]]
        for _ in range(resamples):
            r = frame.sample(len(frame), replace=True, random_state=rng)
            sm.OLS(r.iloc[:, 1], sm.add_constant(r["x"])).fit()
    return time.perf_counter() - t0, len(groups)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--baseline-resamples", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3, help="report the best of N recomputes")
    ap.add_argument("--target", type=float, default=2.0)
    ap.add_argument("--check", action="store_true", help="exit 1 if the target is missed")
    args = ap.parse_args(argv)

    frame = synthetic_models(args.rows)
    cfg = TrendConfig(resamples=args.resamples)
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse(Path(tmp) / "bench.duckdb")
        wh.migrate()
        load(wh, frame)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            out = recompute(wh, config=cfg)
            times.append(time.perf_counter() - t0)
        ours = min(times)
        t0 = time.perf_counter()
        fit_only = fit_trends(frame, cfg)
        fit_time = time.perf_counter() - t0
    base_t, n_groups = baseline(frame, args.baseline_resamples, cfg)
    base_full = base_t / args.baseline_resamples * args.resamples
    print(
        f"rows: {args.rows:,}  groups: {len(out.trends)} trend fits + "
        f"{len(out.breakpoints)} breakpoint searches  resamples: {args.resamples}"
    )
    print(f"{'implementation':<48} {'seconds':>10}")
    print(
        f"{'paramtrack recompute (DuckDB read+fit+write)':<48} {ours:>10.2f}   "
        f"(best of {args.repeat}: {', '.join(f'{t:.2f}' for t in times)})"
    )
    print(f"{'  of which fit_trends alone (in memory)':<48} {fit_time:>10.2f}")
    print(
        f"{'pandas/statsmodels per resample (trend fits only)':<48} {base_full:>10.1f}   "
        f"(extrapolated from {args.baseline_resamples} resamples × {n_groups} groups: "
        f"{base_t:.2f} s)"
    )
    print(
        f"speed-up: {base_full / ours:,.0f}x; target < {args.target:.1f} s: {'met' if ours < args.target else 'MISSED'}"
    )
    del fit_only
    if args.check and ours >= args.target:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
