-- Rejected records: what screening (discovery/screening.py) kept out of the warehouse, and why.
--
-- One row per record per run: a record that keeps arriving broken is listed by every run that
-- saw it, so an analyst can tell a one-off from a source that stays broken. The excerpt is the
-- record's title, cleaned of control/bidi characters and cut to 200 characters: enough to
-- recognise it, never the 5 MB field that got it rejected.

CREATE TABLE rejected_records (
    run_id       VARCHAR NOT NULL,       -- runs.run_id of the run that rejected it
    source       VARCHAR NOT NULL,       -- how it was found: arxiv_window | watchlist | s2_bulk | manual
    record_id    VARCHAR NOT NULL,       -- arXiv id (without version)
    reason       VARCHAR NOT NULL,       -- e.g. 'published 1899-01-01, before arXiv existed (1991-08)'
    excerpt      VARCHAR,                -- cleaned, truncated title
    rejected_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (run_id, record_id)
);
COMMENT ON TABLE rejected_records IS 'Records screening refused to store, with the reason; one row per record per run.';

-- The latest verdict per record, with how many runs rejected it: what analysts read first.
CREATE VIEW rejections AS
SELECT record_id, source, reason, excerpt,
       count(*) OVER (PARTITION BY record_id) AS times_rejected,
       min(rejected_at) OVER (PARTITION BY record_id) AS first_rejected,
       rejected_at AS last_rejected, run_id AS last_run_id
FROM rejected_records
QUALIFY row_number() OVER (PARTITION BY record_id ORDER BY rejected_at DESC) = 1;
