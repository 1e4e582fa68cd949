-- The curated dataset: one row per ML system with its parameter count, date and domain.
-- Rows come from reviewer decisions (source = 'review') or from Epoch AI's published CSVs
-- (source = 'epoch', with file and row as provenance). Trends and the gap table are fit on it.

CREATE SEQUENCE model_ids START 1;

CREATE TABLE models (
    model_id           BIGINT PRIMARY KEY DEFAULT nextval('model_ids'),
    system             VARCHAR NOT NULL,
    arxiv_id           VARCHAR,
    parameters         DOUBLE,
    parameters_kind    VARCHAR,            -- dense_total | moe_total | moe_active | non_embedding | embedding | unknown
    training_compute   DOUBLE,             -- FLOP
    dataset_size       DOUBLE,             -- datapoints (tokens, images, ...)
    publication_date   DATE,
    domain             VARCHAR,            -- language | vision | games | speech | multimodal | recommendation | robotics | other
    domain_raw         VARCHAR,            -- as the source wrote it ("Language,Vision")
    organization       VARCHAR,
    source             VARCHAR NOT NULL,   -- review | epoch
    source_file        VARCHAR,            -- epoch: CSV file name
    source_row         INTEGER,            -- epoch: 1-based data row in that file
    decision_id        BIGINT,             -- review: the decision that made this row
    reviewer           VARCHAR,
    evidence           VARCHAR,
    evidence_page      INTEGER,
    updated_at         TIMESTAMPTZ NOT NULL,
    CHECK (source IN ('review', 'epoch'))
);

CREATE UNIQUE INDEX models_epoch_provenance ON models (source_file, source_row);

-- Any change to models appends here; a recompute is due when the newest event is newer than
-- the last finished recompute.
CREATE SEQUENCE dataset_event_ids START 1;
CREATE TABLE dataset_events (
    event_id   BIGINT PRIMARY KEY DEFAULT nextval('dataset_event_ids'),
    changed_at TIMESTAMPTZ NOT NULL,
    source     VARCHAR NOT NULL,           -- review | epoch_import | ...
    detail     VARCHAR
);
