"""SQL for the curated ``models`` table: importing Epoch rows and reading the dataset the fits use.

Parsing lives in :mod:`trends.epoch_csv` (pure); this module only writes and reads. An import
is keyed by provenance ``(source_file, source_row)``: a row seen before is compared field by
field and updated only when something differs, so re-importing the same file changes nothing
(no update, no ``dataset_events`` entry — only a line in the ``epoch_imports`` log).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any

import duckdb
import pandas as pd

from warehouse.curated import mark_dataset_changed

COMPARED = (
    "system", "arxiv_id", "parameters", "training_compute", "dataset_size", "publication_date",
    "domain", "domain_raw", "organization",
)
CURATED_COLUMNS = (
    "model_id", "system", "arxiv_id", "parameters", "parameters_kind", "training_compute",
    "dataset_size", "publication_date", "domain", "domain_raw", "organization", "source",
    "source_file", "source_row",
)


@dataclass
class ImportCounts:
    source_file: str
    rows_total: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    skip_reasons: dict[str, int] = field(default_factory=dict)
    updated_rows: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source_file": self.source_file, "rows_total": self.rows_total,
            "inserted": self.inserted, "updated": self.updated, "unchanged": self.unchanged,
            "skipped": self.skipped, "skip_reasons": self.skip_reasons,
        }


def _same(a: Any, b: Any) -> bool:
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return b is None or (isinstance(b, float) and math.isnan(b))
    if b is None or (isinstance(b, float) and math.isnan(b)):
        return False
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-12, abs_tol=0.0)
    if isinstance(a, datetime):
        a = a.date()
    if isinstance(b, datetime):
        b = b.date()
    return a == b


def import_epoch_rows(
    con: duckdb.DuckDBPyConnection,
    source_file: str,
    rows: list[dict[str, Any]],
    *,
    sha256: str,
    skipped: int = 0,
    skip_reasons: dict[str, int] | None = None,
) -> ImportCounts:
    """Upsert parsed Epoch rows by (source_file, source_row) inside the caller's transaction."""
    now = datetime.now(timezone.utc)
    counts = ImportCounts(source_file, rows_total=len(rows) + skipped, skipped=skipped,
                          skip_reasons=dict(skip_reasons or {}))
    existing = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT source_row, {', '.join(COMPARED)} FROM models "
            "WHERE source = 'epoch' AND source_file = ?",
            [source_file],
        ).fetchall()
    }
    new: list[dict[str, Any]] = []
    changed: list[dict[str, Any]] = []
    for row in rows:
        old = existing.get(row["source_row"])
        if old is None:
            new.append(row)
        elif all(_same(row[c], o) for c, o in zip(COMPARED, old)):
            counts.unchanged += 1
        else:
            changed.append(row)
    cols = [*COMPARED, "source_file", "source_row"]
    if new:
        frame = pd.DataFrame(new, columns=cols)
        frame["publication_date"] = pd.to_datetime(frame["publication_date"]).dt.date
        con.register("_epoch_new", frame)
        try:
            con.execute(
                f"INSERT INTO models ({', '.join(cols)}, source, updated_at) "
                f"SELECT {', '.join(cols)}, 'epoch', ? FROM _epoch_new ORDER BY source_row",
                [now],
            )
        finally:
            con.unregister("_epoch_new")
        counts.inserted = len(new)
    for row in changed:
        con.execute(
            f"UPDATE models SET {', '.join(f'{c} = ?' for c in COMPARED)}, updated_at = ? "
            "WHERE source = 'epoch' AND source_file = ? AND source_row = ?",
            [*(row[c] for c in COMPARED), now, source_file, row["source_row"]],
        )
        counts.updated_rows.append(row["source_row"])
    counts.updated = len(changed)
    con.execute(
        "INSERT INTO epoch_imports (source_file, sha256, imported_at, rows_total, inserted, "
        "updated, unchanged, skipped, skip_reasons) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [source_file, sha256, now, counts.rows_total, counts.inserted, counts.updated,
         counts.unchanged, counts.skipped, json.dumps(counts.skip_reasons)],
    )
    if counts.inserted or counts.updated:
        mark_dataset_changed(
            con, "epoch_import",
            f"{source_file}: {counts.inserted} inserted, {counts.updated} updated",
        )
    return counts


def read_curated(con: duckdb.DuckDBPyConnection, *, until: date | None = None) -> pd.DataFrame:
    """The curated dataset as the fits see it (view ``curated_models``), in a stable order."""
    sql = f"SELECT {', '.join(CURATED_COLUMNS)} FROM curated_models"
    params: list[Any] = []
    if until is not None:
        sql += " WHERE publication_date < ?"
        params.append(until)
    sql += " ORDER BY publication_date, system, source_file, source_row, model_id"
    return con.execute(sql, params).df()
