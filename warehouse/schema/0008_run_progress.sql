-- Resumable runs: who runs (so a later run can tell a crashed run from a live one) and how far
-- each listing got (so a re-run of the same window resumes instead of starting over).

ALTER TABLE runs ADD COLUMN pid INTEGER;          -- the process that ran it
ALTER TABLE runs ADD COLUMN host VARCHAR;         -- ... and its host name
ALTER TABLE runs ADD COLUMN job_key VARCHAR;      -- what it does: flow + window + categories
ALTER TABLE runs ADD COLUMN resumed_from VARCHAR; -- the unfinished run whose progress it took over

-- status now also takes 'interrupted' (its process died: kill -9, a reboot; set by the next run)
-- and 'source_down' (a source stayed down; the run ended cleanly and kept what it had).

CREATE TABLE run_checkpoints (
    job_key     VARCHAR NOT NULL,   -- runs.job_key: the same window and categories
    step        VARCHAR NOT NULL,   -- 'arxiv_window'
    position    BIGINT NOT NULL,    -- records of the listing committed so far
    total       BIGINT,             -- the listing's size then (a changed size means start over)
    run_id      VARCHAR NOT NULL,   -- the run that committed it
    job_started_at TIMESTAMPTZ NOT NULL, -- when the first run of this job (before any resume) began
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_key, step)
);
