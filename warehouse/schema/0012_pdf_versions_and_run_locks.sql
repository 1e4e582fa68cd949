-- PDFs per arXiv version, retried on a schedule that grows with each failed run; and one live
-- run per window.
--
-- `pdfs` was keyed by paper: once v1's PDF was cached, a v9 announced by arXiv was never
-- fetched. It is now keyed by (paper, version), so the v9 PDF gets its own row beside v1's and
-- is extracted beside it (extractions are keyed by the PDF's hash). A failed download was
-- retried by every run, so 400 PDFs that answer 404 cost every later run (and every `add`)
-- 400 requests at 1 per second; now each failure sets `next_try_at` a growing number of days
-- ahead (1, 2, 4, ... 32) and runs skip it until then.

CREATE TABLE pdfs_by_version (
    arxiv_id      VARCHAR NOT NULL,
    version       INTEGER NOT NULL DEFAULT 0,      -- the arXiv version the URL names (0: none named)
    sha256        VARCHAR,                         -- null while the download has not succeeded
    bytes         BIGINT,
    path          VARCHAR,
    url           VARCHAR,
    fetched_at    TIMESTAMPTZ,                     -- the last attempt (success or failure)
    error         VARCHAR,                         -- last download failure, cleared on success
    attempts      INTEGER NOT NULL DEFAULT 0,      -- runs that tried this version
    failures      INTEGER NOT NULL DEFAULT 0,      -- failed runs in a row (0 once downloaded)
    next_try_at   TIMESTAMPTZ,                     -- no run tries again before this (null: the next one)
    PRIMARY KEY (arxiv_id, version)
);

-- Existing rows: the version their URL names (.../2205.01068v1), else the paper's version. A
-- failed one waits as if the schedule had been in place: 2^(failed runs - 1) days from its last try.
INSERT INTO pdfs_by_version
SELECT d.arxiv_id,
       coalesce(TRY_CAST(regexp_extract(d.url, 'v([0-9]+)(\.pdf)?$', 1) AS INTEGER), p.version, 0),
       d.sha256, d.bytes, d.path, d.url, d.fetched_at, d.error, d.attempts,
       CASE WHEN d.sha256 IS NULL THEN d.attempts ELSE 0 END,
       CASE WHEN d.sha256 IS NULL AND d.attempts > 0 AND d.fetched_at IS NOT NULL
            THEN d.fetched_at + to_days(CAST(least(pow(2, d.attempts - 1), 32) AS INTEGER))
       END
FROM pdfs d LEFT JOIN papers p USING (arxiv_id);

DROP TABLE pdfs;
ALTER TABLE pdfs_by_version RENAME TO pdfs;

-- One live run per window: a run holds its job's row while it works and refreshes
-- `heartbeat_at`; a second run of the same job refuses while the holder is alive, and takes
-- the row over when the holder's process is gone (same host) or its heartbeat is old.
CREATE TABLE run_locks (
    job_key       VARCHAR PRIMARY KEY,             -- runs.job_key: flow + window + categories
    run_id        VARCHAR NOT NULL,                -- the run holding it
    pid           INTEGER NOT NULL,
    host          VARCHAR NOT NULL,
    acquired_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at  TIMESTAMPTZ NOT NULL
);
