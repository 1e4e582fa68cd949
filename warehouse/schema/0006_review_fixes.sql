-- Review fixes: one definition of the queue rows, and the fingerprint of the candidates staged.
--
-- review_overview: every staged paper (any status) with its top parameter candidate from the
-- latest extraction. The review app, the terminal review and the CSV export all read it (with
-- their own status filter); review_queue keeps its meaning (open papers only) on top of it.
--
-- review_items.staged_candidates: fingerprint of the latest candidates when the paper was last
-- staged. When a re-extraction changes it for an open paper, its version is bumped, so a page or
-- CSV row produced before the re-extraction is refused as a conflict instead of approving
-- superseded candidates.

ALTER TABLE review_items ADD COLUMN staged_candidates VARCHAR;

DROP VIEW review_queue;

CREATE VIEW review_overview AS
WITH top AS (
    SELECT * FROM ranked_candidates WHERE quantity = 'parameters' AND rank = 1
), n AS (
    SELECT arxiv_id, count(*) AS candidate_count FROM ranked_candidates
    WHERE quantity = 'parameters' GROUP BY arxiv_id
)
SELECT r.arxiv_id, p.title, r.status, r.flag_reason, r.version,
       t.candidate_id, t.value AS top_value, t.kind AS top_kind, t.model AS top_model,
       t.evidence AS top_evidence, t.page AS top_page, t.score AS top_score,
       coalesce(n.candidate_count, 0) AS candidate_count,
       p.citation_count AS citations, p.published, e.domain,
       r.staged_at, CAST(date_trunc('week', r.staged_at) AS DATE) AS week
FROM review_items r
LEFT JOIN papers p USING (arxiv_id)
LEFT JOIN top t USING (arxiv_id)
LEFT JOIN n USING (arxiv_id)
LEFT JOIN latest_extractions e USING (arxiv_id);

-- Papers waiting for a decision (pending, or flagged for a second look), with the top candidate.
CREATE VIEW review_queue AS
SELECT * FROM review_overview WHERE status IN ('pending', 'second_look');
