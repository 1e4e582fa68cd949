"""``paramtrack export``: the curated dataset as CSV and Parquet, with a data dictionary.

The file speaks Epoch AI's language so that analysts can take it anywhere: Epoch's column
names for what Epoch publishes (System, Domain, Organization, Publication date, Parameters,
Training compute (FLOP), Training dataset size (datapoints), Link), then paramtrack's
provenance (who decided, on which evidence, or which Epoch file and row). ``paramtrack
import-epoch`` reads it back like any Epoch vintage, and the fits on the re-imported file are
the fits of the warehouse it came from (tested): every row of ``curated_models`` is one row of
the file, with the values the fits use.

Both files are written to temporary names and renamed into place, so a reader never sees half
a file.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from paramtrack.core.text import neutralise_cell
from paramtrack.warehouse.csv_files import copy_csv

EXPORT_FILES = ("models.csv", "models.parquet", "data_dictionary.csv", "data_dictionary.md")


#: ``curated_models.provenance`` field -> the exported column it describes.
_PROVENANCE_LABELS = (
    ("system", "System"),
    ("parameters", "Parameters"),
    ("parameters_kind", "Parameters kind"),
    ("publication_date", "Publication date"),
    ("domain", "Domain"),
    ("organization", "Organization"),
    ("training_compute", "Training compute (FLOP)"),
    ("dataset_size", "Training dataset size (datapoints)"),
)
# One text cell: the columns grouped by where they come from, decision first ("decision 12:
# Parameters, Parameters kind; pcd_...csv row 351: System, Organization, ...").
_PROVENANCE_SQL = (
    "(SELECT string_agg(src || ': ' || cols, '; ' ORDER BY src NOT LIKE 'decision%', src) FROM ("
    "SELECT src, string_agg(label, ', ' ORDER BY pos) AS cols FROM (VALUES "
    + ", ".join(f"({i}, c.provenance.{field}, '{label}')" for i, (field, label) in enumerate(_PROVENANCE_LABELS))
    + ") AS p(pos, src, label) WHERE src IS NOT NULL GROUP BY src))"
)


@dataclass(frozen=True)
class Column:
    name: str
    sql: str
    type: str
    meaning: str


#: The exported columns, in order: Epoch's first, then provenance.
COLUMNS: tuple[Column, ...] = (
    Column("System", "c.system", "text", "the system (model) name; a paper can yield several systems"),
    Column(
        "Domain",
        "coalesce(c.domain_raw, c.domain)",
        "text",
        "domain as the source wrote it (Epoch: e.g. Language,Vision; reviewed rows: the primary domain)",
    ),
    Column("Organization", "c.organization", "text", "organisation(s) (Epoch rows)"),
    Column(
        "Publication date",
        "c.publication_date",
        "date (YYYY-MM-DD)",
        "publication date (reviewed rows: the paper's first arXiv version unless the reviewer corrected it)",
    ),
    Column(
        "Parameters", "c.parameters", "number", "parameter count; empty = unknown (such rows are kept but not fitted)"
    ),
    Column("Training compute (FLOP)", "c.training_compute", "number", "training compute in FLOP"),
    Column("Training dataset size (datapoints)", "c.dataset_size", "number", "training dataset size in datapoints"),
    Column(
        "Link",
        "CASE WHEN c.arxiv_id IS NOT NULL THEN 'https://arxiv.org/abs/' || c.arxiv_id END",
        "URL",
        "the paper on arXiv (empty when the row has no arXiv id)",
    ),
    Column(
        "Primary domain",
        "c.domain",
        "text",
        "one of language, vision, games, speech, multimodal, recommendation, robotics, other "
        "(what the per-domain fits group by)",
    ),
    Column(
        "Parameters kind",
        "c.parameters_kind",
        "text",
        "reviewed rows: dense_total, moe_total, moe_active, non_embedding, embedding or unknown",
    ),
    Column("arXiv id", "c.arxiv_id", "text", "arXiv id without version"),
    Column(
        "Source",
        "c.source",
        "text",
        "review (decided by a maintainer in paramtrack) or epoch (imported from an Epoch CSV)",
    ),
    Column("Decision", "c.decision_id", "integer", "reviewed rows: the decision in the warehouse's decisions table"),
    Column("Decision action", "d.action", "text", "approve (as proposed) or correct"),
    Column("Reviewer", "c.reviewer", "text", "reviewed rows: who decided"),
    Column(
        "Decided at",
        "strftime(d.decided_at AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%SZ')",
        "timestamp (UTC)",
        "reviewed rows: when",
    ),
    Column("Evidence", "c.evidence", "text", "reviewed rows: the sentence or table row of the paper stating the count"),
    Column("Evidence page", "c.evidence_page", "integer", "reviewed rows: its PDF page"),
    Column(
        "Evidence source",
        "c.evidence_source",
        "text",
        "candidate (the approved proposal's sentence), picked (another proposal's sentence "
        "chosen by the reviewer) or typed (written by the reviewer)",
    ),
    Column(
        "Evidence link",
        "CASE WHEN c.source = 'review' AND c.arxiv_id IS NOT NULL THEN 'https://arxiv.org/pdf/' "
        "|| c.arxiv_id || coalesce('#page=' || c.evidence_page, '') END",
        "URL",
        "reviewed rows: the PDF at the evidence page",
    ),
    Column(
        "Epoch file",
        "c.source_file",
        "text",
        "the imported Epoch CSV the row's Epoch columns come from (a reviewed row: that of the Epoch row it supersedes)",
    ),
    Column("Epoch row", "c.source_row", "integer", "1-based data row in that file"),
    Column(
        "Provenance",
        _PROVENANCE_SQL,
        "text",
        "where each column's value comes from, grouped by source: 'decision N: Parameters, Parameters kind; "
        "FILE row N: System, Organization, ...' (a reviewed row keeps every column of its Epoch row that the "
        "reviewer did not decide)",
    ),
    Column(
        "Supersedes",
        "s.supersedes",
        "text",
        "reviewed rows: the Epoch rows of the same system this row replaces (file row; ...)",
    ),
)


def _query() -> str:
    cols = ", ".join(f'{c.sql} AS "{c.name}"' for c in COLUMNS)
    return (
        "WITH s AS (SELECT superseded_by, string_agg(source_file || ' row ' || source_row, '; '"
        " ORDER BY source_file, source_row) AS supersedes FROM superseded_models"
        " WHERE superseded_by_source = 'review' GROUP BY superseded_by)"
        f" SELECT {cols} FROM curated_models c"
        " LEFT JOIN decisions d USING (decision_id)"
        " LEFT JOIN s ON s.superseded_by = c.model_id"
        " ORDER BY c.publication_date NULLS LAST, c.system, c.source_file, c.source_row, c.model_id"
    )


def summary(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """What the export holds: rows, reviewed rows, and the Epoch files (vintages) in it."""
    row = con.execute("SELECT count(*), count(*) FILTER (WHERE source = 'review') FROM curated_models").fetchone()
    assert row is not None, "an aggregate without GROUP BY always returns one row"
    rows, reviewed = row
    files = [
        r[0]
        for r in con.execute(
            "SELECT source_file FROM curated_models WHERE source = 'epoch' GROUP BY source_file ORDER BY source_file"
        ).fetchall()
    ]
    return {"rows": int(rows), "reviewed": int(reviewed), "epoch_files": files}


def export_dataset(con: duckdb.DuckDBPyConnection, out_dir: Path) -> list[Path]:
    """Write :data:`EXPORT_FILES` into ``out_dir`` (which must exist); returns their paths."""
    written: list[Path] = []
    query = _query()
    for name, opts in (("models.csv", "FORMAT csv, HEADER true"), ("models.parquet", "FORMAT parquet")):
        target = out_dir / name
        tmp = out_dir / f".{name}.{os.getpid()}.tmp"
        path_sql = str(tmp).replace("'", "''")
        if name.endswith(".csv"):
            copy_csv(con, query, tmp)  # text cells neutralised against spreadsheet formulas
        else:
            con.execute(f"COPY ({query}) TO '{path_sql}' ({opts})")
        os.replace(tmp, target)
        written.append(target)
    info = summary(con)
    written += _write_dictionary(out_dir, info)
    return written


def _write_dictionary(out_dir: Path, info: dict[str, object]) -> list[Path]:
    csv_path, md_path = out_dir / "data_dictionary.csv", out_dir / "data_dictionary.md"
    tmp = out_dir / f".data_dictionary.csv.{os.getpid()}.tmp"
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["column", "type", "meaning"])
        for c in COLUMNS:
            w.writerow([neutralise_cell(cell) for cell in (c.name, c.type, c.meaning)])
    os.replace(tmp, csv_path)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    epoch_files = info["epoch_files"]
    assert isinstance(epoch_files, list), "summary() stores the Epoch files as a list"
    files = ", ".join(str(f) for f in epoch_files) or "none"
    lines = [
        "# paramtrack curated dataset: data dictionary",
        "",
        f"Exported {when}: {info['rows']} rows (view `curated_models`), {info['reviewed']} "
        f"decided by reviewers; Epoch AI files in it: {files}. Epoch AI's data is CC BY 4.0 "
        "(attribution: Epoch AI).",
        "",
        "One row per system. A reviewed row replaces exactly the Epoch row(s) of the same system "
        "(same arXiv id and normalised name, or the same name when the Epoch row has no arXiv "
        "id); of a system listed in several imported Epoch files, only the most recently "
        "imported file's row is kept. `paramtrack import-epoch models.csv` reads this file "
        "back like an Epoch vintage.",
        "",
        "| column | type | meaning |",
        "|---|---|---|",
        *(f"| {c.name} | {c.type} | {c.meaning} |" for c in COLUMNS),
        "",
    ]
    tmp = out_dir / f".data_dictionary.md.{os.getpid()}.tmp"
    tmp.write_text("\n".join(lines), encoding="utf-8")
    os.replace(tmp, md_path)
    return [csv_path, md_path]
