-- What a reviewer typed, where cleaning changed it: the audit log's raw text.
--
-- Reviewer-entered text (the reviewer's name, a note, a system name, typed evidence; from the
-- web form, the terminal or a CSV) is stored cleaned: control characters, bidi overrides and
-- isolates, zero-width characters and the BOM removed, so what a reader sees is what is there.
-- As for extracted evidence (candidates.evidence_raw), the text as it came is kept beside the
-- decision when cleaning changed it, one row per field; decisions without such text have none.

CREATE TABLE decision_raw_input (
    decision_id  BIGINT NOT NULL,     -- decisions.decision_id
    field        VARCHAR NOT NULL,    -- reviewer | note | system | model | evidence
    raw          VARCHAR NOT NULL,    -- the text as the reviewer sent it
    PRIMARY KEY (decision_id, field)
);

COMMENT ON TABLE decision_raw_input IS 'Reviewer-entered text as it was sent (reviewer, note, system or model name, evidence), for the decisions whose stored text cleaning changed (control and bidi characters removed); audit only';
