-- What the ranker saw, stored with each candidate, so reviewer decisions can train it.
--
-- source: how the value was found (sentence, size, name, table, abstract: "abstract" means only
-- arXiv's title and abstract state it, e.g. for a paper whose PDF is unavailable).
-- features: the ranker's features of a parameter candidate as JSON text (extractors/features.py
-- names them); `paramtrack ranker train --with-decisions` reads them back as training rows.
-- evidence_raw: the evidence as the PDF had it, when cleaning (bidi overrides, control
-- characters) changed what `evidence` shows; null otherwise. Kept for audit.
--
-- Views over candidates (ranked_candidates, review_queue) select c.* or named columns and are
-- bound when read, so they see the new columns without being recreated.

ALTER TABLE candidates ADD COLUMN source VARCHAR;
ALTER TABLE candidates ADD COLUMN features VARCHAR;
ALTER TABLE candidates ADD COLUMN evidence_raw VARCHAR;

COMMENT ON COLUMN candidates.source IS 'How the value was found: sentence, size, name, table, or abstract (only arXiv''s title and abstract state it)';
COMMENT ON COLUMN candidates.features IS 'JSON: the ranker''s features of a parameter candidate (extractors/features.py); training rows for paramtrack ranker train --with-decisions';
COMMENT ON COLUMN candidates.evidence_raw IS 'The evidence as the PDF had it when cleaning (bidi overrides, control characters) changed it; null otherwise';
COMMENT ON TABLE extraction_failures IS 'Transient extraction failures (timeout, memory) counted per PDF and extractor version: the repeated one becomes a lasting, staged error';
COMMENT ON TABLE run_locks IS 'One live run per window: the run holding it, its pid and host, and a heartbeat; a dead or silent holder is taken over';
COMMENT ON TABLE pdfs IS 'One row per paper and arXiv version: the cached PDF (sha256, path) or the last failure, and when the next run tries again (failures double the wait: 1, 2, 4 ... 32 days)';
