-- Extraction failures that repeat: counted per PDF bytes and extractor version.
--
-- A transient extraction error (timeout, memory limit, killed child) is retried by the next run,
-- because a busy machine can cause it. A hostile PDF causes it every time, so it was retried by
-- every run forever and never reached a reviewer. Each transient failure now counts here under
-- its signature (what happened and the limit hit, e.g. 'timeout after 60 s'); when the same
-- signature comes back PARAMTRACK_FAILURE_LIMIT times (default 2) for the same bytes and
-- extractor version, the extraction is stored as a lasting error and staged for review, and
-- the next run does not retry it. Another signature starts the count again; a lasting result
-- (success or a verdict on the PDF) clears it.

CREATE TABLE extraction_failures (
    pdf_sha256         VARCHAR NOT NULL,
    extractor_version  VARCHAR NOT NULL,
    failure            VARCHAR NOT NULL,      -- signature of the last failure
    failures           INTEGER NOT NULL,      -- times in a row it came back
    first_failed_at    TIMESTAMPTZ NOT NULL,
    last_failed_at     TIMESTAMPTZ NOT NULL,
    last_error         VARCHAR,
    PRIMARY KEY (pdf_sha256, extractor_version)
);
