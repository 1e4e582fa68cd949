-- Trends: Epoch CSV import log, the de-duplicated view the fits read, and the three result
-- tables a recompute replaces in one transaction (trends, gap, breakpoints).
-- Every result row carries the run_id of the recompute that wrote it (see runs, flow='recompute').

CREATE SEQUENCE epoch_import_ids START 1;

CREATE TABLE epoch_imports (
    import_id      BIGINT PRIMARY KEY DEFAULT nextval('epoch_import_ids'),
    source_file    VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    imported_at    TIMESTAMPTZ NOT NULL,
    rows_total     INTEGER NOT NULL,
    inserted       INTEGER NOT NULL,
    updated        INTEGER NOT NULL,
    unchanged      INTEGER NOT NULL,
    skipped        INTEGER NOT NULL,
    skip_reasons   JSON
);
COMMENT ON TABLE epoch_imports IS 'One row per paramtrack import-epoch run: which CSV, its hash, and what the import did.';
COMMENT ON COLUMN epoch_imports.source_file IS 'CSV file name (models.source_file of the rows it holds)';
COMMENT ON COLUMN epoch_imports.skip_reasons IS 'JSON object: skip reason -> number of rows';

-- The curated dataset as the fits see it. Review rows always count. An Epoch row counts unless
-- a review row covers the same system (same arXiv id or same name, case-insensitive), and when
-- several imported vintages hold a system of the same name only the rows from the vintage that
-- was imported most recently (first import time) count, so importing a newer CSV on top of an
-- older one does not double-count models.
CREATE VIEW curated_models AS
WITH file_order AS (
    SELECT source_file, min(imported_at) AS first_imported FROM epoch_imports GROUP BY source_file
),
epoch_ranked AS (
    SELECT m.*,
           dense_rank() OVER (
               PARTITION BY lower(m.system)
               ORDER BY f.first_imported DESC NULLS LAST, m.source_file DESC
           ) AS vintage_rank
    FROM models m LEFT JOIN file_order f USING (source_file)
    WHERE m.source = 'epoch'
)
SELECT model_id, system, arxiv_id, parameters, parameters_kind, training_compute, dataset_size,
       publication_date, domain, domain_raw, organization, source, source_file, source_row
FROM models WHERE source = 'review'
UNION ALL
SELECT model_id, system, arxiv_id, parameters, parameters_kind, training_compute, dataset_size,
       publication_date, domain, domain_raw, organization, source, source_file, source_row
FROM epoch_ranked e
WHERE vintage_rank = 1
  AND NOT EXISTS (
      SELECT 1 FROM models r
      WHERE r.source = 'review'
        AND (lower(r.system) = lower(e.system) OR (r.arxiv_id IS NOT NULL AND r.arxiv_id = e.arxiv_id))
  );

CREATE TABLE trends (
    run_id            VARCHAR NOT NULL,
    metric            VARCHAR NOT NULL,
    domain            VARCHAR NOT NULL,
    era               VARCHAR NOT NULL,
    era_label         VARCHAR NOT NULL,
    era_start         DATE,
    era_end           DATE,
    n                 INTEGER NOT NULL,
    slope             DOUBLE,
    intercept         DOUBLE,
    doubling_months   DOUBLE,
    doubling_p05      DOUBLE,
    doubling_p50      DOUBLE,
    doubling_p95      DOUBLE,
    slope_p05         DOUBLE,
    slope_p50         DOUBLE,
    slope_p95         DOUBLE,
    r2                DOUBLE,
    scale_start       DOUBLE,
    scale_end         DOUBLE,
    first_date        DATE,
    last_date         DATE,
    resamples         INTEGER,
    seed              BIGINT,
    PRIMARY KEY (metric, domain, era)
);
COMMENT ON TABLE trends IS 'OLS fit of log10(metric) on fractional year, per metric, domain and era, with Poisson-bootstrap percentiles. Replaced whole by each recompute.';
COMMENT ON COLUMN trends.run_id IS 'runs.run_id of the recompute that wrote the row';
COMMENT ON COLUMN trends.metric IS 'parameters | training_compute (FLOP)';
COMMENT ON COLUMN trends.domain IS 'all, or a primary domain (language, vision, games, ...) with enough points in the era';
COMMENT ON COLUMN trends.era IS 'stable key: pre_2018 | post_2018 | post_2018_below_gap | post_2018_above_gap (keys follow the configured break year)';
COMMENT ON COLUMN trends.era_label IS 'human label, e.g. 1952-2018, 2018-2022 (below gap, < 20B)';
COMMENT ON COLUMN trends.era_start IS 'configured era start (inclusive)';
COMMENT ON COLUMN trends.era_end IS 'configured era end (exclusive), or the last model date when the era is open';
COMMENT ON COLUMN trends.n IS 'models in the fit (curated_models rows with the metric present and > 0)';
COMMENT ON COLUMN trends.slope IS 'orders of magnitude per year (OOM/yr)';
COMMENT ON COLUMN trends.intercept IS 'fitted log10(metric) at year 0 of fractional years (use with slope)';
COMMENT ON COLUMN trends.doubling_months IS '12*log10(2)/slope; negative = halving time';
COMMENT ON COLUMN trends.doubling_p05 IS '5th percentile of bootstrap doubling time (months); NULL when the 5-95% slope interval crosses zero';
COMMENT ON COLUMN trends.doubling_p50 IS 'bootstrap median doubling time (months); NULL when the slope interval crosses zero';
COMMENT ON COLUMN trends.doubling_p95 IS '95th percentile of bootstrap doubling time (months); NULL when the slope interval crosses zero';
COMMENT ON COLUMN trends.slope_p05 IS '5th percentile of bootstrap slope (OOM/yr)';
COMMENT ON COLUMN trends.slope_p50 IS 'bootstrap median slope (OOM/yr)';
COMMENT ON COLUMN trends.slope_p95 IS '95th percentile of bootstrap slope (OOM/yr)';
COMMENT ON COLUMN trends.r2 IS 'coefficient of determination of the OLS fit';
COMMENT ON COLUMN trends.scale_start IS 'fitted metric (not log) at era_start, or at the first model date when the era is open-ended at the start';
COMMENT ON COLUMN trends.scale_end IS 'fitted metric (not log) at era_end';
COMMENT ON COLUMN trends.first_date IS 'earliest publication date in the fit';
COMMENT ON COLUMN trends.last_date IS 'latest publication date in the fit';
COMMENT ON COLUMN trends.resamples IS 'bootstrap replicates';
COMMENT ON COLUMN trends.seed IS 'bootstrap random seed (fixed: recomputes are deterministic)';

CREATE TABLE gap (
    run_id            VARCHAR NOT NULL,
    domain            VARCHAR NOT NULL,
    since_year        INTEGER NOT NULL,
    band_kind         VARCHAR NOT NULL,
    band_lo_log10     DOUBLE NOT NULL,
    band_hi_log10     DOUBLE NOT NULL,
    band_lo           DOUBLE NOT NULL,
    band_hi           DOUBLE NOT NULL,
    label             VARCHAR NOT NULL,
    n                 INTEGER NOT NULL,
    mean_below        DOUBLE,
    mean_above        DOUBLE,
    scarcity          DOUBLE,
    scarce            BOOLEAN NOT NULL,
    PRIMARY KEY (domain, band_kind, band_lo_log10)
);
COMMENT ON TABLE gap IS 'Models per half-order-of-magnitude parameter band since since_year, per domain, with a scarcity score against neighbouring bands. Replaced whole by each recompute.';
COMMENT ON COLUMN gap.domain IS 'all, or a primary domain';
COMMENT ON COLUMN gap.since_year IS 'only models published on or after 1 January of this year count';
COMMENT ON COLUMN gap.band_kind IS 'grid = half-OOM band of the regular grid (anchored at 2*10^k); named = a fixed band of interest (the paper''s 20B-70B gap)';
COMMENT ON COLUMN gap.band_lo_log10 IS 'log10 of the band''s lower edge (inclusive)';
COMMENT ON COLUMN gap.band_hi_log10 IS 'log10 of the band''s upper edge (exclusive)';
COMMENT ON COLUMN gap.band_lo IS 'lower edge in parameters (inclusive)';
COMMENT ON COLUMN gap.band_hi IS 'upper edge in parameters (exclusive)';
COMMENT ON COLUMN gap.label IS 'e.g. 20B-63B';
COMMENT ON COLUMN gap.n IS 'models in the band';
COMMENT ON COLUMN gap.mean_below IS 'mean count of the two half-OOM bands just below (the same width as this band)';
COMMENT ON COLUMN gap.mean_above IS 'mean count of the two half-OOM bands just above';
COMMENT ON COLUMN gap.scarcity IS '(n + 0.5) / (min(mean_below, mean_above) + 0.5): below 1 = fewer models than the thinner side; NULL at the edges of the grid';
COMMENT ON COLUMN gap.scarce IS 'scarcity <= 0.5 while both sides hold at least 2 models per band on average: a hole between populated sizes, not a thin tail';

CREATE TABLE breakpoints (
    run_id            VARCHAR NOT NULL,
    metric            VARCHAR NOT NULL,
    domain            VARCHAR NOT NULL,
    break_date        DATE,
    break_year        DOUBLE,
    break_p05         DOUBLE,
    break_p50         DOUBLE,
    break_p95         DOUBLE,
    sse_single        DOUBLE,
    sse_break         DOUBLE,
    n_before          INTEGER,
    n_after           INTEGER,
    slope_before      DOUBLE,
    slope_after       DOUBLE,
    doubling_before   DOUBLE,
    doubling_after    DOUBLE,
    search_from       DOUBLE,
    search_to         DOUBLE,
    step_years        DOUBLE,
    resamples         INTEGER,
    seed              BIGINT,
    PRIMARY KEY (metric, domain)
);
COMMENT ON TABLE breakpoints IS 'Best single break of a two-segment OLS trend (separate intercepts and slopes, lowest total SSE over a grid of candidate dates), with a bootstrap interval of the break date. Replaced whole by each recompute.';
COMMENT ON COLUMN breakpoints.break_date IS 'first day of the candidate step that minimises SSE; models on or after it belong to the second segment';
COMMENT ON COLUMN breakpoints.break_year IS 'the same as a fractional year';
COMMENT ON COLUMN breakpoints.break_p05 IS '5th percentile of the bootstrap break year';
COMMENT ON COLUMN breakpoints.break_p50 IS 'bootstrap median break year';
COMMENT ON COLUMN breakpoints.break_p95 IS '95th percentile of the bootstrap break year';
COMMENT ON COLUMN breakpoints.sse_single IS 'SSE of one line over the whole series (log10 units squared)';
COMMENT ON COLUMN breakpoints.sse_break IS 'SSE of the two-segment fit at the best break';
COMMENT ON COLUMN breakpoints.slope_before IS 'OOM/yr before the break';
COMMENT ON COLUMN breakpoints.slope_after IS 'OOM/yr after the break';
COMMENT ON COLUMN breakpoints.search_from IS 'earliest candidate break (fractional year)';
COMMENT ON COLUMN breakpoints.search_to IS 'latest candidate break (fractional year)';
COMMENT ON COLUMN breakpoints.step_years IS 'spacing of candidate breaks (0.25 = quarterly)';
