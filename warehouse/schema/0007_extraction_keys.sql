-- Extraction keys and transient errors.
--
-- extractions was keyed by (pdf_sha256, extractor_version) alone, so two papers sharing one PDF
-- (a mirror or a withdrawn duplicate) overwrote each other's rows. The key now starts with the
-- paper, and ranked_candidates joins on all three columns.
--
-- error_transient marks an error that says nothing about the PDF (the extraction process timed
-- out or was killed); such a row does not count as extracted and is never a paper's latest
-- extraction (its candidates stay), so the next run tries again. Older rows keep false.
--
-- candidate_changes: what a re-extraction (a newer extractor, or a new arXiv version's PDF)
-- changed in a paper's top parameter candidate, oldest change first.
--
-- Views over these (review_overview, review_queue from 0006) are not recreated: DuckDB binds a
-- view's query when the view is read, so they see the new table and views by name.

CREATE TABLE extractions_v2 (
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
    error_transient    BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (arxiv_id, pdf_sha256, extractor_version)
);

INSERT INTO extractions_v2
SELECT arxiv_id, pdf_sha256, extractor_version, extracted_at, pages, domain, domain_confidence,
       stated_date, seconds, error, false
FROM extractions;

DROP VIEW extraction_errors;
DROP VIEW ranked_candidates;
DROP VIEW latest_extractions;
DROP TABLE extractions;
ALTER TABLE extractions_v2 RENAME TO extractions;

-- A transient error never replaces a paper's candidates: the latest extraction is the latest
-- lasting one, so a timeout does not empty the queue row or flag a reviewed paper.
CREATE VIEW latest_extractions AS
SELECT * FROM extractions
WHERE NOT error_transient
QUALIFY row_number() OVER (PARTITION BY arxiv_id ORDER BY extracted_at DESC) = 1;

CREATE VIEW ranked_candidates AS
SELECT c.* FROM candidates c
JOIN latest_extractions e USING (arxiv_id, pdf_sha256, extractor_version)
ORDER BY c.arxiv_id, c.quantity, c.rank;

-- Each paper's newest attempt when it failed, transient failures included (they are news too).
CREATE VIEW extraction_errors AS
SELECT arxiv_id, pdf_sha256, extractor_version, extracted_at, error, error_transient
FROM (
    SELECT * FROM extractions
    QUALIFY row_number() OVER (PARTITION BY arxiv_id ORDER BY extracted_at DESC) = 1
)
WHERE error IS NOT NULL;

CREATE VIEW candidate_changes AS
WITH tops AS (
    SELECT e.arxiv_id, e.pdf_sha256, e.extractor_version, e.extracted_at, e.error,
           c.value, c.kind, c.model, c.page
    FROM extractions e
    LEFT JOIN candidates c
      ON c.arxiv_id = e.arxiv_id AND c.pdf_sha256 = e.pdf_sha256
     AND c.extractor_version = e.extractor_version
     AND c.quantity = 'parameters' AND c.rank = 1
    WHERE NOT e.error_transient
), steps AS (
    SELECT *,
           lag(extractor_version) OVER w AS previous_version,
           lag(pdf_sha256) OVER w AS previous_pdf_sha256,
           lag(value) OVER w AS previous_value,
           lag(kind) OVER w AS previous_kind,
           lag(model) OVER w AS previous_model,
           row_number() OVER w AS step
    FROM tops
    WINDOW w AS (PARTITION BY arxiv_id ORDER BY extracted_at)
)
SELECT arxiv_id, extracted_at,
       previous_version, extractor_version,
       previous_pdf_sha256 <> pdf_sha256 AS new_pdf,
       previous_value, value, previous_kind, kind, previous_model, model, page
FROM steps
WHERE step > 1
  AND (previous_value IS DISTINCT FROM value OR previous_kind IS DISTINCT FROM kind
       OR previous_model IS DISTINCT FROM model)
ORDER BY arxiv_id, extracted_at;

-- Corrects 0005's comment: bands beyond the data count as 0, so scarcity is never NULL.
COMMENT ON COLUMN gap.scarcity IS '(n + 0.5) / (min(mean_below, mean_above) + 0.5): below 1 = fewer models than the thinner side; bands beyond the data count as 0, so never NULL';
