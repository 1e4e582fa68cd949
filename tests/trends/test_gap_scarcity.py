"""The parameter gap: the table finds a planted hole in the size distribution and none in a
smooth one, and every band's scarcity comes with its uncertainty (a bootstrap over models,
fixed seed) and a plain verdict: scarce / not scarce / undetermined."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from paramtrack.trends.gap import GapConfig, gap_table
from paramtrack.trends.report import format_gap


def _models(counts: dict[float, int]) -> pd.DataFrame:
    """Language models at the given sizes (value -> how many), published in 2021."""
    rows = [
        {"system": f"m{v:g}-{i}", "parameters": v, "domain": "language", "publication_date": date(2021, 1 + i % 12, 1)}
        for v, n in counts.items()
        for i in range(n)
    ]
    return pd.DataFrame(rows)


def test_a_planted_hole_is_found_and_a_smooth_distribution_has_none(synthetic_models):
    df = synthetic_models(n=5000, hole=(10.30103, 10.80103))  # nothing in 20B-63B
    g = gap_table(df, GapConfig(since_year=2018))
    flagged = g[(g.domain == "all") & g.scarce]
    assert "20B-63B" in set(flagged["label"])
    named = g[(g.domain == "all") & (g.band_kind == "named")].iloc[0]
    assert named["label"] == "20B-70B" and named["n"] < named["mean_below"]
    assert not gap_table(synthetic_models(n=5000), GapConfig(since_year=2018))["scarce"].any()


def test_no_models_no_bands():
    assert gap_table(pd.DataFrame(columns=["publication_date", "domain", "parameters", "training_compute"])).empty


def _band(gap: pd.DataFrame, domain: str = "language", label: str = "20B-63B") -> pd.Series:
    return gap[(gap.domain == domain) & (gap.label == label)].iloc[0]


def test_a_clear_hole_is_scarce_and_an_even_spread_is_not():
    # grid bands anchored at 2*10^k: 2B-6.3B, 6.3B-20B | 20B-63B | 63B-200B, 200B-630B
    hole = gap_table(_models({3e9: 20, 1e10: 20, 1e11: 20, 3e11: 20}))
    band = _band(hole)
    assert band["n"] == 0 and band["scarce"] and band["verdict"] == "scarce"
    assert band["scarce_share"] == 1.0 and band["scarcity_p95"] <= 0.5
    even = gap_table(_models({3e9: 20, 1e10: 20, 3e10: 20, 1e11: 20, 3e11: 20}))
    band = _band(even)
    assert not band["scarce"] and band["verdict"] == "not scarce" and band["scarce_share"] < 0.05
    assert band["scarcity_p05"] <= 1.0 <= band["scarcity_p95"]


def test_a_thin_band_between_small_neighbourhoods_is_undetermined():
    gap = gap_table(_models({3e9: 4, 1e10: 4, 3e10: 1, 1e11: 4, 3e11: 4}))
    band = _band(gap)
    assert band["scarce"]  # the point estimate says scarce ...
    assert band["verdict"] == "undetermined"  # ... but resamples disagree
    assert 0.05 < band["scarce_share"] < 0.95
    assert band["scarcity_p05"] <= band["scarcity"] <= band["scarcity_p95"]


def test_the_bootstrap_is_deterministic_and_its_seed_is_recorded():
    models = _models({3e9: 7, 1e10: 9, 3e10: 2, 1e11: 8, 3e11: 5})
    a, b = gap_table(models), gap_table(models.sample(frac=1.0, random_state=1))
    pd.testing.assert_frame_equal(a, b)
    other = gap_table(models, GapConfig(seed=1))
    assert not np.allclose(a["scarce_share"], other["scarce_share"])
    assert set(a["resamples"]) == {1000} and set(a["seed"]) == {GapConfig().seed}


def test_the_2022_09_language_gap_was_never_statistically_firm(pcd_models):
    """The paper's 20B-70B language band, 2020 on, in Epoch's 2022-09 vintage: 3 models is
    scarce as a point estimate, but one model more or less flips it."""
    gap = gap_table(pcd_models)
    named = _band(gap, label="20B-70B")
    assert (named["n"], named["mean_below"], named["mean_above"]) == (3, 8.5, 7.5)
    assert bool(named["scarce"]) and round(named["scarcity"], 2) == 0.44
    assert named["verdict"] == "undetermined"
    assert named["scarcity_p05"] < 0.5 < named["scarcity_p95"]
    text = format_gap(gap)
    line = next(x for x in text.splitlines() if x.startswith("language") and "20B-70B" in x)
    assert "SCARCE" in line and "undetermined" in line
    assert f"[{named['scarcity_p05']:.2f}; {named['scarcity_p95']:.2f}]" in line
