-- Extraction: one row per (PDF, extractor version); candidates ranked within it.
-- Keyed by PDF hash + extractor version so a better extractor re-runs over old papers and the
-- old rows stay for comparison (0007 adds the paper to the key and the candidate_changes view).

CREATE SEQUENCE candidate_ids START 1;

CREATE TABLE extractions (
    arxiv_id           VARCHAR NOT NULL,
    pdf_sha256         VARCHAR NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    extracted_at       TIMESTAMPTZ NOT NULL,
    pages              INTEGER,
    domain             VARCHAR,
    domain_confidence  DOUBLE,
    stated_date        DATE,                 -- date the PDF states (arXiv stamp)
    seconds            DOUBLE,
    error              VARCHAR,              -- null when extraction succeeded
    PRIMARY KEY (pdf_sha256, extractor_version)
);

CREATE TABLE candidates (
    candidate_id       BIGINT PRIMARY KEY DEFAULT nextval('candidate_ids'),
    arxiv_id           VARCHAR NOT NULL,
    pdf_sha256         VARCHAR NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    quantity           VARCHAR NOT NULL,     -- parameters | training_compute | dataset_size
    rank               INTEGER NOT NULL,     -- 1 = best, within (paper, version, quantity)
    value              DOUBLE NOT NULL,      -- parameters fit in BIGINT, FLOP do not: DOUBLE for all
    kind               VARCHAR,              -- dense_total | moe_total | moe_active | non_embedding | embedding | unknown
    model              VARCHAR,
    evidence           VARCHAR,
    page               INTEGER,
    score              DOUBLE
);

CREATE VIEW latest_extractions AS
SELECT * FROM extractions
QUALIFY row_number() OVER (PARTITION BY arxiv_id ORDER BY extracted_at DESC) = 1;

CREATE VIEW ranked_candidates AS
SELECT c.* FROM candidates c
JOIN latest_extractions e USING (pdf_sha256, extractor_version)
ORDER BY c.arxiv_id, c.quantity, c.rank;

CREATE VIEW extraction_errors AS
SELECT arxiv_id, pdf_sha256, extractor_version, extracted_at, error
FROM latest_extractions WHERE error IS NOT NULL;
