-- A model is a system, not a paper (issue 12).
--
-- One paper can yield several systems (ResNet-110 and ResNet-152), and one system can appear in
-- several of Epoch's files (vintages) and in a review. Which rows describe the same system is
-- decided in one place, the macros below, and used by every reader:
--
--   system_key(name)          the normalised name: accents stripped, lower case, everything but
--                             letters, digits, '.' and '+' removed ("ResNet-152", "resnet 152"
--                             and "ResNet152" are one key; "GPT-3.5" and "GPT-35" are not)
--   arxiv_compatible(a, b)    the same arXiv id, or one of the two has none
--
-- Two rows are the same system when their keys are equal and their arXiv ids are compatible:
-- matched by arXiv id and name, or by name alone when one row (an Epoch row without a link to
-- arXiv: 164 of the 2022-09 vintage's 362 rows) has no id. A reviewed row supersedes exactly
-- the Epoch rows of its own system; an Epoch row is superseded by the row of the same system in
-- a more recently imported file. `superseded_models` lists every hidden row with the reason,
-- and `curated_models` is `models` without them. The review app and `paramtrack review` show
-- the reviewer the rows a value will supersede (the same macros, through
-- warehouse.models_store.matching_epoch_rows) before it is saved.

CREATE MACRO system_key(name) AS
    nullif(regexp_replace(lower(strip_accents(trim(name))), '[^\p{L}\p{N}.+]', '', 'g'), '');

CREATE MACRO arxiv_compatible(a, b) AS (a IS NULL OR b IS NULL OR a = b);

-- Where a review row's evidence came from: the candidate approved, another candidate's sentence
-- the reviewer picked, or a sentence the reviewer typed. Epoch rows have none.
ALTER TABLE models ADD COLUMN evidence_source VARCHAR;       -- candidate | picked | typed
ALTER TABLE models ADD COLUMN evidence_candidate_id BIGINT;  -- candidates.candidate_id quoted

DROP VIEW curated_models;

CREATE VIEW superseded_models AS
WITH file_order AS (
    SELECT source_file, min(imported_at) AS first_imported FROM epoch_imports GROUP BY source_file
), keyed AS (
    SELECT m.model_id, m.system, m.arxiv_id, m.source, m.source_file, m.source_row,
           system_key(m.system) AS skey,
           coalesce(f.first_imported, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS first_imported
    FROM models m LEFT JOIN file_order f USING (source_file)
)
SELECT e.model_id, e.system, e.arxiv_id, e.source_file, e.source_row,
       r.model_id AS superseded_by, r.source AS superseded_by_source,
       r.system AS superseded_by_system, r.arxiv_id AS superseded_by_arxiv_id,
       r.source_file AS superseded_by_file, r.source_row AS superseded_by_row,
       CASE WHEN e.arxiv_id IS NULL OR r.arxiv_id IS NULL THEN 'name (no arXiv id)'
            ELSE 'arXiv id and name' END AS matched_on
FROM keyed e
JOIN keyed r
  ON r.skey = e.skey AND arxiv_compatible(e.arxiv_id, r.arxiv_id) AND r.model_id <> e.model_id
WHERE e.source = 'epoch'
  AND (r.source = 'review'
       OR (r.source = 'epoch' AND r.source_file <> e.source_file
           AND (r.first_imported > e.first_imported
                OR (r.first_imported = e.first_imported AND r.source_file > e.source_file))));

CREATE VIEW curated_models AS
SELECT model_id, system, arxiv_id, parameters, parameters_kind, training_compute, dataset_size,
       publication_date, domain, domain_raw, organization, source, source_file, source_row,
       decision_id, reviewer, evidence, evidence_page, evidence_source, system_key(system) AS system_key
FROM models
WHERE source = 'review' OR model_id NOT IN (SELECT model_id FROM superseded_models);

COMMENT ON MACRO system_key IS 'Normalised system name: accents stripped, lower case, only letters, digits, . and + kept (ResNet-152 = resnet152). NULL when nothing is left.';
COMMENT ON MACRO arxiv_compatible IS 'True when two arXiv ids are equal or either is NULL: with equal system_key, the rows are the same system.';

COMMENT ON VIEW superseded_models IS 'Epoch rows hidden from curated_models, one row per (hidden row, row that hides it): a reviewed row of the same system, or the same system in a more recently imported Epoch file. Same system = equal system_key(system) and arxiv_compatible(arxiv_id): arXiv id and name, or name alone when one side has no arXiv id.';
COMMENT ON COLUMN superseded_models.model_id IS 'the hidden Epoch row (models.model_id)';
COMMENT ON COLUMN superseded_models.superseded_by IS 'models.model_id of the row that hides it';
COMMENT ON COLUMN superseded_models.superseded_by_source IS 'review (a reviewer decided this system) | epoch (a newer vintage lists it)';
COMMENT ON COLUMN superseded_models.matched_on IS 'arXiv id and name | name (no arXiv id): one of the two rows has no arXiv id';

COMMENT ON VIEW curated_models IS 'The curated dataset the fits read: one row per system. Every reviewed row, plus every Epoch row not in superseded_models. A review supersedes exactly the Epoch rows of its own system (same system_key and arXiv id, or same system_key when the Epoch row has no arXiv id), never the other systems of its paper; of the same system in several imported Epoch files only the most recently imported file''s row counts.';
COMMENT ON COLUMN curated_models.system IS 'the system (model) name, e.g. ResNet-152; several systems may come from one paper';
COMMENT ON COLUMN curated_models.system_key IS 'system_key(system): the normalised name systems are matched on';
COMMENT ON COLUMN curated_models.parameters IS 'parameter count; NULL = unknown (kept in the dataset, left out of fits)';
COMMENT ON COLUMN curated_models.source IS 'review (a maintainer decided it) | epoch (imported from an Epoch AI CSV)';
COMMENT ON COLUMN curated_models.evidence IS 'review rows: the sentence or table row stating the value, as the reviewer accepted or gave it';

COMMENT ON TABLE models IS 'Every curated row, superseded or not: review rows (one per system a reviewer decided; decision_id, reviewer, evidence) and Epoch rows (source_file, source_row). Read curated_models for the dataset itself.';
COMMENT ON COLUMN models.model_id IS 'row id';
COMMENT ON COLUMN models.system IS 'system (model) name as the source or the reviewer wrote it';
COMMENT ON COLUMN models.arxiv_id IS 'arXiv id without version; Epoch rows: from the first arxiv.org link, NULL when the row links elsewhere';
COMMENT ON COLUMN models.parameters IS 'parameter count; NULL = unknown';
COMMENT ON COLUMN models.parameters_kind IS 'dense_total | moe_total | moe_active | non_embedding | embedding | unknown (review rows; NULL for Epoch rows)';
COMMENT ON COLUMN models.training_compute IS 'training compute in FLOP (Epoch rows)';
COMMENT ON COLUMN models.dataset_size IS 'training dataset size in datapoints (Epoch rows)';
COMMENT ON COLUMN models.publication_date IS 'publication date (review: the paper''s first arXiv version unless corrected)';
COMMENT ON COLUMN models.domain IS 'primary domain: language | vision | games | speech | multimodal | recommendation | robotics | other';
COMMENT ON COLUMN models.domain_raw IS 'the domain as the source wrote it (Epoch: Language,Vision)';
COMMENT ON COLUMN models.organization IS 'organisation(s) (Epoch rows)';
COMMENT ON COLUMN models.source IS 'review | epoch';
COMMENT ON COLUMN models.source_file IS 'epoch: the CSV file name (epoch_imports.source_file)';
COMMENT ON COLUMN models.source_row IS 'epoch: 1-based data row (CSV record) in that file';
COMMENT ON COLUMN models.decision_id IS 'review: decisions.decision_id of the decision that wrote the row';
COMMENT ON COLUMN models.reviewer IS 'review: who decided';
COMMENT ON COLUMN models.evidence IS 'review: the sentence stating the value (never the sentence of a value the reviewer replaced)';
COMMENT ON COLUMN models.evidence_page IS 'review: the PDF page of the evidence';
COMMENT ON COLUMN models.evidence_source IS 'review: candidate (the approved candidate''s sentence) | picked (another candidate''s sentence, chosen by the reviewer) | typed (written by the reviewer)';
COMMENT ON COLUMN models.evidence_candidate_id IS 'review: candidates.candidate_id whose sentence is the evidence (NULL when typed)';
COMMENT ON COLUMN models.updated_at IS 'when the row was last written';

COMMENT ON TABLE dataset_events IS 'Append-only: one row per change to models (review decision, Epoch import). A recompute is due when the newest event is newer than the last completed recompute.';

COMMENT ON TABLE papers IS 'Every arXiv paper seen: metadata, latest citation counts, notability status. One row per paper (arXiv id without version).';
COMMENT ON COLUMN papers.arxiv_id IS 'arXiv id without version: 2204.02311, hep-th/9901001';
COMMENT ON COLUMN papers.version IS 'latest arXiv version seen';
COMMENT ON COLUMN papers.published IS 'first-version (v1) submission date';
COMMENT ON COLUMN papers.updated IS 'latest version''s date';
COMMENT ON COLUMN papers.citation_count IS 'Semantic Scholar citation count at citations_checked_at';
COMMENT ON COLUMN papers.influential_citation_count IS 'Semantic Scholar influential citations';
COMMENT ON COLUMN papers.status IS 'watch (re-checked each run) | notable (in the review pipeline) | aged_out';
COMMENT ON COLUMN papers.notable_since IS 'when the paper first passed the notability rule';
COMMENT ON COLUMN papers.found_by IS 'arxiv_window | s2_bulk | manual (paramtrack add)';
COMMENT ON COLUMN papers.first_seen IS 'first run that saw it';
COMMENT ON COLUMN papers.last_seen IS 'latest run that saw it';

COMMENT ON TABLE decisions IS 'Append-only audit log of review decisions: who, when, action, what it replaced (old_value) and wrote (new_value: system, parameters, evidence, the Epoch rows it supersedes), reason, note.';
COMMENT ON COLUMN decisions.action IS 'approve | correct | reject | second_look | note';
COMMENT ON COLUMN decisions.candidate_id IS 'the candidate the decision started from';
COMMENT ON COLUMN decisions.old_value IS 'JSON: the models row it replaced, else the candidate as proposed';
COMMENT ON COLUMN decisions.new_value IS 'JSON: what it wrote to models, with supersedes = the Epoch rows shown to the reviewer as the same system';
COMMENT ON COLUMN decisions.reason IS 'reject: not_notable | no_count_stated | duplicate | not_ml';
COMMENT ON COLUMN decisions.request_id IS 'idempotency key: the same request is applied once';

COMMENT ON TABLE review_items IS 'One row per staged paper: its review status and version (bumped by every decision).';
COMMENT ON VIEW review_overview IS 'Every staged paper with its top parameter candidate from the latest extraction.';
COMMENT ON VIEW review_queue IS 'Papers waiting for a decision (pending or second_look) with their top candidate.';
COMMENT ON VIEW notable_papers IS 'Papers with status notable, with their arXiv URL.';
COMMENT ON VIEW watchlist IS 'Papers below the notability bar, re-checked every run until they age out.';
COMMENT ON TABLE citation_snapshots IS 'One citation count per paper per day checked.';
COMMENT ON VIEW citation_growth IS 'Citations gained between consecutive snapshots of a paper.';
COMMENT ON TABLE runs IS 'Every flow run: flow, parameters, status (running | completed | failed | interrupted | source_down), timings, counts (JSON), error, pid, host.';
COMMENT ON VIEW latest_runs IS 'runs, newest first.';
COMMENT ON TABLE run_checkpoints IS 'How far an unfinished window run got: a re-run resumes from here.';
COMMENT ON TABLE backfills IS 'Progress of each OAI-PMH backfill (window + categories): sets done, resumption token, counts.';
COMMENT ON VIEW rejections IS 'Each rejected record once, with its latest reason and how often it was rejected.';
COMMENT ON TABLE pdfs IS 'Download state per paper: sha256, bytes, cached path, last error, attempts.';
COMMENT ON TABLE extractions IS 'One row per (paper, PDF hash, extractor version) extraction attempt: domain, stated date, pages, error.';
COMMENT ON TABLE candidates IS 'Proposed values (parameters, training compute, dataset size) of an extraction, ranked, with evidence sentence and page.';
COMMENT ON VIEW latest_extractions IS 'Each paper''s newest lasting extraction (transient worker failures never count).';
COMMENT ON VIEW ranked_candidates IS 'Candidates of each paper''s latest extraction, best first.';
COMMENT ON VIEW extraction_errors IS 'Each paper''s newest extraction attempt when it failed.';
COMMENT ON VIEW candidate_changes IS 'What a re-extraction changed in a paper''s top parameter candidate.';
