-- Intake: papers found on arXiv / Semantic Scholar, their citation history, and flow runs.

CREATE TABLE papers (
    arxiv_id                    VARCHAR PRIMARY KEY,   -- without version: 2204.02311, hep-th/9901001
    version                     INTEGER,               -- latest version seen (2 for ...v2)
    title                       VARCHAR NOT NULL,
    abstract                    VARCHAR,
    authors                     VARCHAR[],
    categories                  VARCHAR[],
    primary_category            VARCHAR,
    published                   DATE,                  -- first-version (v1) submission date
    updated                     TIMESTAMPTZ,           -- latest version's date
    doi                         VARCHAR,
    journal_ref                 VARCHAR,
    pdf_url                     VARCHAR,
    s2_paper_id                 VARCHAR,
    citation_count              INTEGER,
    influential_citation_count  INTEGER,
    citations_checked_at        TIMESTAMPTZ,
    status                      VARCHAR NOT NULL DEFAULT 'watch',  -- watch | notable | aged_out
    notable_since               TIMESTAMPTZ,
    found_by                    VARCHAR NOT NULL,      -- arxiv_window | s2_bulk | manual
    first_seen                  TIMESTAMPTZ NOT NULL,
    last_seen                   TIMESTAMPTZ NOT NULL,
    CHECK (status IN ('watch', 'notable', 'aged_out'))
);

CREATE TABLE citation_snapshots (
    arxiv_id                    VARCHAR NOT NULL,
    snapshot_date               DATE NOT NULL,         -- one row per paper per day: re-runs overwrite
    citation_count              INTEGER,
    influential_citation_count  INTEGER,
    PRIMARY KEY (arxiv_id, snapshot_date)
);

CREATE TABLE pdfs (
    arxiv_id      VARCHAR PRIMARY KEY,
    sha256        VARCHAR,                             -- null while the download has not succeeded
    bytes         BIGINT,
    path          VARCHAR,
    url           VARCHAR,
    fetched_at    TIMESTAMPTZ,
    error         VARCHAR,                             -- last download failure, cleared on success
    attempts      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE runs (
    run_id        VARCHAR PRIMARY KEY,
    flow          VARCHAR NOT NULL,
    parameters    JSON,
    status        VARCHAR NOT NULL,                    -- running | completed | failed
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    seconds       DOUBLE,
    counts        JSON,
    error         VARCHAR
);

-- Analyst views -------------------------------------------------------------------------------

CREATE VIEW notable_papers AS
SELECT arxiv_id, title, primary_category, published, citation_count,
       influential_citation_count, notable_since, 'https://arxiv.org/abs/' || arxiv_id AS url
FROM papers WHERE status = 'notable';

CREATE VIEW watchlist AS
SELECT arxiv_id, title, primary_category, published, citation_count, citations_checked_at
FROM papers WHERE status = 'watch';

CREATE VIEW citation_growth AS
SELECT arxiv_id, snapshot_date, citation_count,
       citation_count - lag(citation_count) OVER (PARTITION BY arxiv_id ORDER BY snapshot_date)
           AS gained_since_previous
FROM citation_snapshots;

CREATE VIEW latest_runs AS
SELECT run_id, flow, status, started_at, seconds, counts, error
FROM runs ORDER BY started_at DESC;
