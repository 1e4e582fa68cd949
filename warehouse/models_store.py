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
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import duckdb

from paramtrack.warehouse.curated import mark_dataset_changed

if TYPE_CHECKING:  # pandas costs ~0.4 s to import: the review server and most commands never need it
    import pandas as pd

COMPARED = (
    "system",
    "arxiv_id",
    "parameters",
    "training_compute",
    "dataset_size",
    "publication_date",
    "domain",
    "domain_raw",
    "organization",
)
CURATED_COLUMNS = (
    "model_id",
    "system",
    "arxiv_id",
    "parameters",
    "parameters_kind",
    "training_compute",
    "dataset_size",
    "publication_date",
    "domain",
    "domain_raw",
    "organization",
    "source",
    "source_file",
    "source_row",
    "decision_id",
    "reviewer",
    "evidence",
    "evidence_page",
    "evidence_source",
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
            "source_file": self.source_file,
            "rows_total": self.rows_total,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": self.skipped,
            "skip_reasons": self.skip_reasons,
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
    now = datetime.now(UTC)
    counts = ImportCounts(
        source_file, rows_total=len(rows) + skipped, skipped=skipped, skip_reasons=dict(skip_reasons or {})
    )
    existing = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT source_row, {', '.join(COMPARED)} FROM models WHERE source = 'epoch' AND source_file = ?",
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
        import pandas as pd

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
        [
            source_file,
            sha256,
            now,
            counts.rows_total,
            counts.inserted,
            counts.updated,
            counts.unchanged,
            counts.skipped,
            json.dumps(counts.skip_reasons),
        ],
    )
    if counts.inserted or counts.updated:
        mark_dataset_changed(
            con,
            "epoch_import",
            f"{source_file}: {counts.inserted} inserted, {counts.updated} updated",
        )
    return counts


#: ``curated_models.provenance``'s fields, in the order people read them.
PROVENANCE_FIELDS = (
    "system",
    "parameters",
    "parameters_kind",
    "publication_date",
    "domain",
    "organization",
    "training_compute",
    "dataset_size",
)


def curated_rows(con: duckdb.DuckDBPyConnection, model_ids: list[int]) -> dict[int, dict[str, Any]]:
    """The dataset's (merged) rows of these ``models`` ids, with per-column provenance: what a
    reviewed system looks like once Epoch's other columns are kept."""
    if not model_ids:
        return {}
    rows = _dicts(
        con.execute(
            f"SELECT {', '.join(CURATED_COLUMNS)}, provenance FROM curated_models WHERE list_contains(?, model_id)",
            [model_ids],
        )
    )
    return {int(r["model_id"]): r for r in rows}


def has_epoch_rows(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether any Epoch vintage was imported: without one no name is prefilled from Epoch and
    no review supersedes anything."""
    rows = con.execute("SELECT EXISTS (SELECT 1 FROM models WHERE source = 'epoch')").fetchall()
    return bool(rows and rows[0][0])


def read_curated(con: duckdb.DuckDBPyConnection, *, until: date | None = None) -> pd.DataFrame:
    """The curated dataset as the fits see it (view ``curated_models``), in a stable order,
    with ``provenance`` (per column: which decision, or which Epoch file and row) for the
    charts' downloads."""
    sql = f"SELECT {', '.join(CURATED_COLUMNS)}, provenance FROM curated_models"
    params: list[Any] = []
    if until is not None:
        sql += " WHERE publication_date < ?"
        params.append(until)
    sql += " ORDER BY publication_date, system, source_file, source_row, model_id"
    return con.execute(sql, params).df()


# -- systems: which Epoch rows a reviewed value supersedes (schema/0011_a_systems.sql) -------

_EPOCH_ROW_COLUMNS = "model_id, system, arxiv_id, parameters, publication_date, domain, source_file, source_row"


def _dicts(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, row)) for row in cur.fetchall()]


def matching_epoch_rows(con: duckdb.DuckDBPyConnection, arxiv_id: str, system: str | None) -> list[dict[str, Any]]:
    """The Epoch rows a reviewed value for ``system`` of paper ``arxiv_id`` supersedes.

    The same rule as the ``superseded_models`` view (its macros ``system_key`` and
    ``arxiv_compatible``), so what the reviewer is shown is exactly what ``curated_models``
    will hide: the Epoch rows of that system, matched by arXiv id and normalised name, or by
    name alone when the Epoch row has no arXiv id. Other systems of the paper are not touched.
    """
    if not system or not system.strip():
        return []
    return _dicts(
        con.execute(
            f"SELECT {_EPOCH_ROW_COLUMNS}, CASE WHEN arxiv_id IS NULL THEN 'name (no arXiv id)'"
            " ELSE 'arXiv id and name' END AS matched_on FROM models"
            " WHERE source = 'epoch' AND system_key(system) = system_key(?)"
            " AND arxiv_compatible(arxiv_id, ?)"
            " ORDER BY source_file, source_row",
            [system, arxiv_id],
        )
    )


def epoch_rows_of_paper(con: duckdb.DuckDBPyConnection, arxiv_id: str) -> list[dict[str, Any]]:
    """Epoch's rows that link to this paper: the systems Epoch lists for it (shown to the
    reviewer so a value can be given the name Epoch uses, or a second system added)."""
    return _dicts(
        con.execute(
            f"SELECT {_EPOCH_ROW_COLUMNS}, model_id IN (SELECT model_id FROM curated_models)"
            " AS in_dataset FROM models WHERE source = 'epoch' AND arxiv_id = ?"
            " ORDER BY publication_date, system, source_file, source_row",
            [arxiv_id],
        )
    )


def same_system_key(con: duckdb.DuckDBPyConnection, a: str | None, b: str | None) -> bool:
    """Whether two names are the same system name after normalisation (``system_key``)."""
    if not a or not b:
        return False
    row = con.execute("SELECT system_key(?) = system_key(?)", [a, b]).fetchone()
    assert row is not None, "a SELECT without FROM returns one row"
    return bool(row[0])


def epoch_rows_of_same_size(
    con: duckdb.DuckDBPyConnection,
    arxiv_id: str,
    model: str | None,
    value: float,
    *,
    rel_tol: float = 0.02,
) -> list[dict[str, Any]]:
    """Epoch rows that are probably the system a candidate describes: rows of the same paper
    (arXiv id), or rows without an arXiv id whose normalised name starts with the candidate's
    model name ("OPT" -> "OPT-175B"), whose parameter count is within ``rel_tol`` of the
    value. Used only to prefill the name the reviewer confirms, never to supersede."""
    if not value or value <= 0:
        return []
    return _dicts(
        con.execute(
            f"SELECT {_EPOCH_ROW_COLUMNS} FROM models WHERE source = 'epoch'"
            " AND abs(parameters - ?) <= ? * ?"
            " AND (arxiv_id = ? OR (arxiv_id IS NULL AND ? IS NOT NULL"
            "      AND starts_with(system_key(system), system_key(?))))"
            " ORDER BY source_file, source_row",
            [value, rel_tol, value, arxiv_id, model, model],
        )
    )


def epoch_names_of_same_size(
    con: duckdb.DuckDBPyConnection,
    asked: list[tuple[str, str | None, float | None]],
    *,
    rel_tol: float = 0.02,
) -> dict[str, set[str]]:
    """:func:`epoch_rows_of_same_size` for many candidates in one query: for each
    ``(arxiv_id, model, value)``, the names of the Epoch rows that are probably that system.
    The review queue asks it for every row it lists (one query instead of one per row)."""
    wanted = [(a, m, float(v)) for a, m, v in asked if v is not None and v > 0]
    if not wanted:
        return {}
    ids, models, values = (list(column) for column in zip(*wanted))
    rows = con.execute(
        "WITH a AS (SELECT unnest(?::VARCHAR[]) AS arxiv_id, unnest(?::VARCHAR[]) AS model,"
        " unnest(?::DOUBLE[]) AS value)"
        " SELECT a.arxiv_id, list(DISTINCT m.system) FROM a JOIN models m"
        " ON m.source = 'epoch' AND abs(m.parameters - a.value) <= ? * a.value"
        " AND (m.arxiv_id = a.arxiv_id OR (m.arxiv_id IS NULL AND a.model IS NOT NULL"
        "      AND starts_with(system_key(m.system), system_key(a.model))))"
        " GROUP BY a.arxiv_id",
        [ids, models, values, rel_tol],
    ).fetchall()
    return {arxiv_id: set(names) for arxiv_id, names in rows}
