"""Trend fits: OLS agrees with statsmodels, the Poisson bootstrap is deterministic and as wide
as the OLS standard error says, the breakpoint search finds a planted break, and the options
(a cut-off date, a minimum per domain) do what they say."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from paramtrack.trends.fit import TrendConfig, fit_trends, fractional_years, poisson_weights


def test_fractional_years():
    xs = fractional_years(pd.Series(pd.to_datetime(["2018-01-01", "2018-07-02", "2020-12-31"])))
    assert xs[0] == 2018.0 and xs[1] == pytest.approx(2018 + 182 / 365) and 2020.99 < xs[2] < 2021


def test_ols_matches_statsmodels(pcd_models):
    res = fit_trends(pcd_models, TrendConfig(resamples=10))
    s = res.sample
    for _, row in res.trends[res.trends["metric"] == "parameters"].iterrows():
        d = pd.to_datetime(s["publication_date"])
        m = (d >= pd.Timestamp(row["era_start"])) & s["y_parameters"].notna()
        if row["era"].startswith("pre"):
            m &= d < pd.Timestamp(row["era_end"])
        if "below" in row["era"]:
            m &= s["parameters"] < 2e10
        if "above" in row["era"]:
            m &= s["parameters"] >= 2e10
        if row["domain"] != "all":
            m &= s["domain"] == row["domain"]
        ols = sm.OLS(s.loc[m, "y_parameters"], sm.add_constant(s.loc[m, "x"])).fit()
        assert int(ols.nobs) == row["n"]
        assert ols.params["x"] == pytest.approx(row["slope"], rel=1e-9, abs=1e-12)
        assert ols.params["const"] == pytest.approx(row["intercept"], rel=1e-8)
        assert ols.rsquared == pytest.approx(row["r2"], rel=1e-8, abs=1e-12)
        assert row["doubling_months"] == pytest.approx(12 * np.log10(2) / row["slope"])


def test_bootstrap_deterministic_and_brackets_estimate(synthetic_models):
    df = synthetic_models()
    a = fit_trends(df, TrendConfig(resamples=1000, seed=7))
    b = fit_trends(df.sample(frac=1.0, random_state=3), TrendConfig(resamples=1000, seed=7))
    pd.testing.assert_frame_equal(a.trends, b.trends)
    pd.testing.assert_frame_equal(a.breakpoints, b.breakpoints)
    c = fit_trends(df, TrendConfig(resamples=1000, seed=8))
    assert not np.allclose(a.trends["slope_p05"], c.trends["slope_p05"])
    t = a.trends
    assert (t["slope_p05"] <= t["slope"] + 1e-9).all() and (t["slope"] <= t["slope_p95"] + 1e-9).all()
    ok = t["doubling_p05"].notna()
    assert (t.loc[ok, "doubling_p05"] <= t.loc[ok, "doubling_p95"]).all()
    # the bootstrap spread matches OLS standard error (normal errors): p95 - p05 ~ 2*1.645*se
    row = t[(t.metric == "parameters") & (t.domain == "all") & (t.era == "pre_2018")].iloc[0]
    s = a.sample
    m = (s["x"] >= 1952) & (s["x"] < 2018)
    se = sm.OLS(s.loc[m, "y_parameters"], sm.add_constant(s.loc[m, "x"])).fit().bse["x"]
    assert (row["slope_p95"] - row["slope_p05"]) == pytest.approx(2 * 1.645 * se, rel=0.15)


def test_poisson_weights_moments():
    w = poisson_weights(np.random.default_rng(0), 200, 5000)
    assert w.mean() == pytest.approx(1.0, abs=0.01) and w.var() == pytest.approx(1.0, abs=0.02)


def test_tiled_weighted_sums_match_direct(monkeypatch):
    """The bootstrap's tiled GEMMs give exactly the per-cell sums Σ w·Z of the weights drawn."""
    import paramtrack.trends.fit as fit

    rng = np.random.default_rng(3)
    n = 5000
    Z = rng.normal(size=(n, 12))
    starts = np.unique(np.r_[0, rng.choice(np.arange(1, n), 300, replace=False)])
    ends = np.append(starts[1:], n)
    tiles = fit._Tiles.plan(starts, ends, 50, 12)
    drawn = []
    real = fit.poisson_counts

    def recording(gen, shape):
        w = real(gen, shape)
        drawn.append(w.copy())
        return w

    monkeypatch.setattr(fit, "poisson_counts", recording)
    got = tiles.weighted_cell_sums(np.random.default_rng(1), Z.astype(np.float32), 37)
    W = np.concatenate(drawn, axis=1).astype(float)  # replicates × rows
    assert W.shape == (37, n) and len(drawn) > 1  # several tiles were drawn
    want = np.stack([W[:, a:b] @ Z[a:b] for a, b in zip(starts, ends)])
    assert got.shape == want.shape and np.allclose(got, want, rtol=1e-5, atol=1e-3)


def test_fractional_years_calendar():
    d = pd.Series(pd.to_datetime(["1952-03-04", "1900-12-31", "2020-12-31", "2021-01-01"]))
    expected = [1952 + 63 / 366, 1900 + 364 / 365, 2020 + 365 / 366, 2021.0]
    assert fractional_years(d) == pytest.approx(expected, abs=1e-12)


def test_breakpoint_found(synthetic_models):
    res = fit_trends(synthetic_models(break_year=2015.0), TrendConfig(resamples=300))
    bp = res.breakpoints.set_index("metric").loc["parameters"]
    assert abs(bp["break_year"] - 2015.0) <= 0.5
    assert bp["break_p05"] <= 2015.0 <= bp["break_p95"] + 0.25
    assert bp["slope_before"] == pytest.approx(0.1, abs=0.03)
    assert bp["slope_after"] == pytest.approx(0.6, abs=0.1)
    assert bp["sse_break"] < bp["sse_single"]


def test_until_and_min_n(synthetic_models):
    df = synthetic_models()
    res = fit_trends(df, TrendConfig(until=date(2020, 1, 1), resamples=50, min_n=10**6))
    assert set(res.trends["domain"]) == {"all"}
    assert pd.to_datetime(res.sample["publication_date"]).max() < pd.Timestamp("2020-01-01")


def test_no_models_no_fits():
    empty = pd.DataFrame(columns=["publication_date", "domain", "parameters", "training_compute"])
    res = fit_trends(empty)
    assert res.trends.empty and res.breakpoints.empty
