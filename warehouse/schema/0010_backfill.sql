-- Backfills: where a long OAI-PMH harvest stands, so a killed backfill resumes instead of
-- starting over. One row per backfill (window + categories), written in the same transaction
-- as the papers of the page it checkpoints.

CREATE TABLE backfills (
    backfill_key      VARCHAR PRIMARY KEY,   -- "2019-05..2019-06 cs.CL,cs.LG" (window + categories)
    window_from       DATE NOT NULL,         -- first day of the --from month
    window_to         DATE NOT NULL,         -- last day of the --to month
    categories        VARCHAR[] NOT NULL,
    sets_done         VARCHAR[] NOT NULL,    -- OAI sets harvested to the end
    current_set       VARCHAR,               -- the set being harvested (null when none is)
    resumption_token  VARCHAR,               -- where that set's harvest continues (null: from the start)
    pages             INTEGER NOT NULL DEFAULT 0,   -- OAI pages committed so far, all sets
    records_seen      BIGINT NOT NULL DEFAULT 0,    -- records harvested (before the window filter)
    records_kept      BIGINT NOT NULL DEFAULT 0,    -- records first submitted in the window
    harvest_done      BOOLEAN NOT NULL DEFAULT false,
    bulk_done         BOOLEAN NOT NULL DEFAULT false, -- Semantic Scholar bulk search finished
    restarts          INTEGER NOT NULL DEFAULT 0,   -- harvests restarted after an expired token
    last_run_id       VARCHAR,
    started_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    completed_at      TIMESTAMPTZ
);
