-- Review: the queue of papers waiting for a maintainer, and the append-only log of decisions.
-- review_items holds one row per staged paper (its current state); decisions is the audit log
-- and is only ever appended to. Approve/correct write the paper's row in `models`
-- (source = 'review', decision_id pointing here) in the same transaction.

CREATE SEQUENCE decision_ids START 1;

CREATE TABLE review_items (
    arxiv_id             VARCHAR PRIMARY KEY,
    status               VARCHAR NOT NULL DEFAULT 'pending',  -- pending | approved | corrected | rejected | second_look
    staged_at            TIMESTAMPTZ NOT NULL,                -- (re-)entered the queue
    updated_at           TIMESTAMPTZ NOT NULL,
    version              INTEGER NOT NULL DEFAULT 0,          -- bumped by every decision; forms carry it
    last_decision_id     BIGINT,
    reviewed_candidates  VARCHAR,                             -- fingerprint of the candidates the last decision saw
    flag_reason          VARCHAR,                             -- why it is back for a second look
    CHECK (status IN ('pending', 'approved', 'corrected', 'rejected', 'second_look'))
);

CREATE TABLE decisions (
    decision_id   BIGINT PRIMARY KEY DEFAULT nextval('decision_ids'),
    arxiv_id      VARCHAR NOT NULL,
    reviewer      VARCHAR NOT NULL,
    decided_at    TIMESTAMPTZ NOT NULL,
    action        VARCHAR NOT NULL,        -- approve | correct | reject | second_look | note
    candidate_id  BIGINT,
    old_value     JSON,                    -- what the decision replaced (models row, else the proposal)
    new_value     JSON,                    -- what it wrote to models (null for reject/second_look/note)
    reason        VARCHAR,
    note          VARCHAR,
    request_id    VARCHAR UNIQUE,          -- idempotency key: the same request is applied once
    CHECK (action IN ('approve', 'correct', 'reject', 'second_look', 'note'))
);

-- Papers waiting for a decision (pending, or flagged for a second look), with the top candidate.
CREATE VIEW review_queue AS
WITH top AS (
    SELECT * FROM ranked_candidates WHERE quantity = 'parameters' AND rank = 1
)
SELECT r.arxiv_id, p.title, r.status, r.flag_reason, r.version,
       t.candidate_id, t.value AS top_value, t.kind AS top_kind, t.model AS top_model,
       t.evidence AS top_evidence, t.page AS top_page, t.score AS top_score,
       (SELECT count(*) FROM ranked_candidates c
         WHERE c.arxiv_id = r.arxiv_id AND c.quantity = 'parameters') AS candidate_count,
       p.citation_count AS citations, p.published, e.domain,
       r.staged_at, CAST(date_trunc('week', r.staged_at) AS DATE) AS week
FROM review_items r
LEFT JOIN papers p USING (arxiv_id)
LEFT JOIN top t USING (arxiv_id)
LEFT JOIN latest_extractions e USING (arxiv_id)
WHERE r.status IN ('pending', 'second_look');
