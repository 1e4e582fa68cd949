-- The gap with its uncertainty, and what a chart needs to draw a fit's confidence band (issue 12).
--
-- gap: a bootstrap over models (fixed seed) of each band's scarcity, and a plain verdict.
-- trends: the OLS quantities behind the band of the fitted mean line,
--   se(x) = resid_se * sqrt(1/n + (x - x_mean)^2 / x_sxx), so any reader can draw it.

ALTER TABLE gap ADD COLUMN scarcity_p05 DOUBLE;
ALTER TABLE gap ADD COLUMN scarcity_p95 DOUBLE;
ALTER TABLE gap ADD COLUMN scarce_share DOUBLE;
ALTER TABLE gap ADD COLUMN verdict VARCHAR;
ALTER TABLE gap ADD COLUMN resamples INTEGER;
ALTER TABLE gap ADD COLUMN seed BIGINT;
COMMENT ON COLUMN gap.scarce IS 'point estimate: scarcity <= 0.5 while both sides hold at least 2 models per band on average (a hole between populated sizes, not a thin tail). See verdict for how firm it is.';
COMMENT ON COLUMN gap.scarcity_p05 IS '5th percentile of scarcity over bootstrap resamples of the models (with replacement, fixed seed)';
COMMENT ON COLUMN gap.scarcity_p95 IS '95th percentile of scarcity over the same resamples';
COMMENT ON COLUMN gap.scarce_share IS 'share of bootstrap resamples in which the band is scarce by the same rule';
COMMENT ON COLUMN gap.verdict IS 'scarce (scarce in >= 95% of resamples) | not scarce (in <= 5%) | undetermined (in between: the data cannot tell)';
COMMENT ON COLUMN gap.resamples IS 'bootstrap resamples';
COMMENT ON COLUMN gap.seed IS 'bootstrap seed (fixed: recomputes are deterministic)';

ALTER TABLE trends ADD COLUMN x_mean DOUBLE;
ALTER TABLE trends ADD COLUMN x_sxx DOUBLE;
ALTER TABLE trends ADD COLUMN resid_se DOUBLE;
COMMENT ON COLUMN trends.x_mean IS 'mean fractional year of the fitted models';
COMMENT ON COLUMN trends.x_sxx IS 'sum of squared deviations of fractional year from x_mean';
COMMENT ON COLUMN trends.resid_se IS 'residual standard error of the OLS fit (log10 units, n - 2 degrees of freedom)';
