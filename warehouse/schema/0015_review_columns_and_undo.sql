-- A reviewed value never costs the dataset a column (issue 27).
--
-- 1. Supersede by column, not by row. A review decides the parameter count and its kind, and the
--    name, date and domain only when the reviewer gave them (models.reviewed_columns). Every
--    other column of the system (organisation, training compute, dataset size, Epoch's spelling
--    of the name, its date and domain) is kept from the Epoch row the review supersedes:
--    review_epoch_base pairs each reviewed row with that Epoch row (the same system by the
--    rule of superseded_models; of several vintages the one that would be current without the
--    review), and curated_models shows the merged row, with provenance per column: which
--    decision, or which Epoch file and row. Review rows written before this migration have no
--    reviewed_columns: they keep the name, date and domain they had and gain the Epoch row's
--    other columns.
-- 2. Undo. A reviewer can undo their own last decision on a paper; the undo is a decision of
--    its own (action 'undo', `undoes` naming the decision), and it restores the paper's review
--    state as it was before (decisions.item_before, written with every decision from now on)
--    and the models rows the decision wrote or removed. DuckDB cannot drop a CHECK constraint,
--    so `decisions` is rebuilt with 'undo' allowed (rows, ids and the id sequence kept).
-- 3. Fits say whether they are drawn: trends.drawn and trends.not_drawn_reason (too few models,
--    R² below 0.1, a slope interval crossing 0, or a slope that is not positive).

ALTER TABLE models ADD COLUMN reviewed_columns VARCHAR[];

ALTER TABLE trends ADD COLUMN drawn BOOLEAN;
ALTER TABLE trends ADD COLUMN not_drawn_reason VARCHAR;

ALTER TABLE decisions RENAME TO decisions_before_undo;
CREATE TABLE decisions (
    decision_id   BIGINT PRIMARY KEY DEFAULT nextval('decision_ids'),
    arxiv_id      VARCHAR NOT NULL,
    reviewer      VARCHAR NOT NULL,
    decided_at    TIMESTAMPTZ NOT NULL,
    action        VARCHAR NOT NULL,        -- approve | correct | reject | second_look | note | undo
    candidate_id  BIGINT,
    old_value     JSON,
    new_value     JSON,
    reason        VARCHAR,
    note          VARCHAR,
    request_id    VARCHAR UNIQUE,
    item_before   JSON,                    -- the paper's review state before this decision
    undoes        BIGINT,                  -- undo: the decision it undid
    CHECK (action IN ('approve', 'correct', 'reject', 'second_look', 'note', 'undo'))
);
INSERT INTO decisions BY NAME SELECT * FROM decisions_before_undo;
DROP TABLE decisions_before_undo;

DROP VIEW curated_models;

CREATE VIEW review_epoch_base AS
WITH file_order AS (
    SELECT source_file, min(imported_at) AS first_imported FROM epoch_imports GROUP BY source_file
), current_epoch AS (
    SELECT m.model_id, m.arxiv_id, m.source_file, m.source_row, system_key(m.system) AS skey,
           coalesce(f.first_imported, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS first_imported
    FROM models m LEFT JOIN file_order f USING (source_file)
    WHERE m.source = 'epoch'
      AND m.model_id NOT IN (SELECT model_id FROM superseded_models WHERE superseded_by_source = 'epoch')
)
SELECT r.model_id AS review_model_id, e.model_id AS epoch_model_id, e.source_file, e.source_row,
       CASE WHEN e.arxiv_id IS NULL OR r.arxiv_id IS NULL THEN 'name (no arXiv id)'
            ELSE 'arXiv id and name' END AS matched_on
FROM models r
JOIN current_epoch e ON e.skey = system_key(r.system) AND arxiv_compatible(e.arxiv_id, r.arxiv_id)
WHERE r.source = 'review'
QUALIFY row_number() OVER (
    PARTITION BY r.model_id
    ORDER BY (e.arxiv_id IS NOT NULL AND e.arxiv_id = r.arxiv_id) DESC, e.first_imported DESC,
             e.source_file DESC, e.source_row
) = 1;

CREATE VIEW curated_models AS
WITH reviewed AS (
    SELECT r.*,
           e.model_id AS e_id, e.system AS e_system, e.arxiv_id AS e_arxiv_id,
           e.training_compute AS e_compute, e.dataset_size AS e_dataset_size,
           e.publication_date AS e_date, e.domain AS e_domain, e.domain_raw AS e_domain_raw,
           e.organization AS e_organization, e.source_file AS e_file, e.source_row AS e_row,
           'decision ' || r.decision_id AS by_decision,
           e.source_file || ' row ' || e.source_row AS by_epoch,
           coalesce(r.reviewed_columns, ['system', 'parameters', 'parameters_kind', 'publication_date', 'domain'])
               AS decided
    FROM models r
    LEFT JOIN review_epoch_base b ON b.review_model_id = r.model_id
    LEFT JOIN models e ON e.model_id = b.epoch_model_id
    WHERE r.source = 'review'
), merged AS (
    SELECT *,
           e_id IS NULL OR list_contains(decided, 'system') AS own_system,
           e_id IS NULL OR list_contains(decided, 'publication_date') AS own_date,
           e_id IS NULL OR list_contains(decided, 'domain') AS own_domain
    FROM reviewed
)
SELECT model_id,
       CASE WHEN own_system THEN system ELSE e_system END AS system,
       coalesce(arxiv_id, e_arxiv_id) AS arxiv_id,
       parameters, parameters_kind,
       coalesce(training_compute, e_compute) AS training_compute,
       coalesce(dataset_size, e_dataset_size) AS dataset_size,
       CASE WHEN own_date THEN publication_date ELSE e_date END AS publication_date,
       CASE WHEN own_domain THEN domain ELSE e_domain END AS domain,
       CASE WHEN own_domain THEN domain_raw ELSE e_domain_raw END AS domain_raw,
       coalesce(organization, e_organization) AS organization,
       source, e_file AS source_file, e_row AS source_row,
       decision_id, reviewer, evidence, evidence_page, evidence_source,
       system_key(CASE WHEN own_system THEN system ELSE e_system END) AS system_key,
       struct_pack(
           system := CASE WHEN own_system THEN by_decision ELSE by_epoch END,
           parameters := CASE WHEN parameters IS NOT NULL THEN by_decision END,
           parameters_kind := CASE WHEN parameters_kind IS NOT NULL THEN by_decision END,
           publication_date := CASE WHEN own_date THEN (CASE WHEN publication_date IS NOT NULL THEN by_decision END)
                                    WHEN e_date IS NOT NULL THEN by_epoch END,
           domain := CASE WHEN own_domain THEN (CASE WHEN domain IS NOT NULL THEN by_decision END)
                          WHEN e_domain IS NOT NULL THEN by_epoch END,
           organization := CASE WHEN organization IS NOT NULL THEN by_decision
                                WHEN e_organization IS NOT NULL THEN by_epoch END,
           training_compute := CASE WHEN training_compute IS NOT NULL THEN by_decision
                                    WHEN e_compute IS NOT NULL THEN by_epoch END,
           dataset_size := CASE WHEN dataset_size IS NOT NULL THEN by_decision
                                WHEN e_dataset_size IS NOT NULL THEN by_epoch END
       ) AS provenance
FROM merged
UNION ALL
SELECT model_id, system, arxiv_id, parameters, parameters_kind, training_compute, dataset_size,
       publication_date, domain, domain_raw, organization, source, source_file, source_row,
       decision_id, reviewer, evidence, evidence_page, evidence_source, system_key(system) AS system_key,
       struct_pack(
           system := row_ref,
           parameters := CASE WHEN parameters IS NOT NULL THEN row_ref END,
           parameters_kind := CAST(NULL AS VARCHAR),
           publication_date := CASE WHEN publication_date IS NOT NULL THEN row_ref END,
           domain := CASE WHEN domain IS NOT NULL THEN row_ref END,
           organization := CASE WHEN organization IS NOT NULL THEN row_ref END,
           training_compute := CASE WHEN training_compute IS NOT NULL THEN row_ref END,
           dataset_size := CASE WHEN dataset_size IS NOT NULL THEN row_ref END
       ) AS provenance
FROM (SELECT *, source_file || ' row ' || source_row AS row_ref FROM models) m
WHERE source = 'epoch' AND model_id NOT IN (SELECT model_id FROM superseded_models);

COMMENT ON COLUMN models.reviewed_columns IS 'review: the columns the reviewer decided (parameters and parameters_kind always; system, publication_date and domain when the reviewer gave them); curated_models takes every other column from the Epoch row of the same system. NULL (rows reviewed before this column existed): system, parameters, parameters_kind, publication_date, domain';

COMMENT ON VIEW review_epoch_base IS 'Each reviewed row paired with the Epoch row of the same system whose other columns it keeps (same system_key and arXiv id, or same system_key when one has no arXiv id; of several vintages the most recently imported). curated_models merges the two.';
COMMENT ON COLUMN review_epoch_base.review_model_id IS 'models.model_id of the reviewed row';
COMMENT ON COLUMN review_epoch_base.epoch_model_id IS 'models.model_id of the Epoch row it supersedes and keeps the other columns of';

COMMENT ON VIEW curated_models IS 'The curated dataset the fits read: one row per system. Every reviewed row, merged with the Epoch row of its system (the review decides the parameter count and kind, and the name, date and domain only when the reviewer gave them; organisation, training compute, dataset size and everything else come from Epoch), plus every Epoch row not in superseded_models. provenance says per column which decision or which Epoch file and row it comes from. A review supersedes exactly the Epoch rows of its own system (same system_key and arXiv id, or same system_key when the Epoch row has no arXiv id), never the other systems of its paper; of the same system in several imported Epoch files only the most recently imported file''s row counts.';
COMMENT ON COLUMN curated_models.system IS 'the system (model) name, e.g. ResNet-152: Epoch''s spelling unless the reviewer typed one; several systems may come from one paper';
COMMENT ON COLUMN curated_models.system_key IS 'system_key(system): the normalised name systems are matched on';
COMMENT ON COLUMN curated_models.parameters IS 'parameter count; NULL = unknown (kept in the dataset, left out of fits)';
COMMENT ON COLUMN curated_models.source IS 'review (a maintainer decided its parameter count) | epoch (imported from an Epoch AI CSV)';
COMMENT ON COLUMN curated_models.source_file IS 'the Epoch file of the row''s Epoch columns (for a reviewed row: of the Epoch row it supersedes; NULL when it supersedes none)';
COMMENT ON COLUMN curated_models.source_row IS '1-based data row of that Epoch file';
COMMENT ON COLUMN curated_models.decision_id IS 'reviewed rows: the decision that wrote the parameter count';
COMMENT ON COLUMN curated_models.evidence IS 'review rows: the sentence or table row stating the value, as the reviewer accepted or gave it';
COMMENT ON COLUMN curated_models.provenance IS 'per column, where its value comes from: ''decision N'' (decisions.decision_id) or ''FILE row N'' (an Epoch file and row); NULL where the value is NULL. Fields: system, parameters, parameters_kind, publication_date, domain, organization, training_compute, dataset_size';

COMMENT ON TABLE decisions IS 'Append-only audit log of review decisions: who, when, action, what it replaced (old_value) and wrote (new_value: system, parameters, evidence, the Epoch rows it supersedes), reason, note; an undo is a decision of its own.';
COMMENT ON COLUMN decisions.action IS 'approve | correct | reject | second_look | note | undo';
COMMENT ON COLUMN decisions.candidate_id IS 'the candidate the decision started from';
COMMENT ON COLUMN decisions.old_value IS 'JSON: the models row it replaced, else the candidate as proposed (undo: what the undone decision had written)';
COMMENT ON COLUMN decisions.new_value IS 'JSON: what it wrote to models, with supersedes = the Epoch rows shown to the reviewer as the same system (undo: the models rows restored)';
COMMENT ON COLUMN decisions.reason IS 'reject: not_notable | no_count_stated | duplicate | not_ml';
COMMENT ON COLUMN decisions.request_id IS 'idempotency key: the same request is applied once';
COMMENT ON COLUMN decisions.item_before IS 'JSON: the paper''s review state (status, flag_reason, last_decision_id, reviewed_candidates) before this decision; what an undo restores';
COMMENT ON COLUMN decisions.undoes IS 'undo: decisions.decision_id of the decision it undid (that decision no longer counts, e.g. as a ranker label)';

COMMENT ON COLUMN trends.drawn IS 'whether the data support the fit, so the charts draw it: at least 10 models, R² at least 0.1, a 5-95 % slope interval that does not cross 0 and a positive slope (training_compute fits are not charted; the same rule applies)';
COMMENT ON COLUMN trends.not_drawn_reason IS 'why the fit is not drawn (NULL when drawn), e.g. slope -0.09 OOM/yr is not positive: sizes shrink, no doubling time';
