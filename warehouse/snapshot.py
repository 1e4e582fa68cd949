"""Table-by-table content of a warehouse, and the differences between two of them.

Used to prove that a run which met faults (retries, a killed-and-resumed run, a PDF that only
came on the next run) left the same data as a run that met none. Two runs of the same window
legitimately differ in *when* and *how* things happened, not in *what* was stored, so a snapshot
leaves out exactly those columns:

* timestamps of our own actions — every column named ``*_at`` (``fetched_at``, ``extracted_at``,
  ``staged_at``, ``updated_at``, ``rejected_at``, ...) and ``first_seen``, ``last_seen``,
  ``notable_since``: they record the wall clock of the run. (``papers.updated`` and
  ``papers.published`` are arXiv's dates, content, and are kept; so is
  ``citation_snapshots.snapshot_date``, the day the count was read);
* ``run_id`` and ``seconds`` everywhere: which run wrote a row and how long it took;
* ``pdfs.path``: an absolute path under the run's cache folder; ``pdfs.attempts`` and
  ``pdfs.failures``: how many runs a download took and how many of them failed, which a fault
  changes by design (the fault itself is in ``runs``; ``pdfs.next_try_at`` is a ``*_at``);
* sequence-numbered surrogate keys (``candidates.candidate_id``, ``decisions.decision_id``,
  ``models.model_id``, ``dataset_events.event_id``, ``epoch_imports.import_id``): their numbers
  follow the order rows were written, not what they say.

Whole tables left out: ``runs`` (a log of runs — a faulted window may take two),
``run_checkpoints``, ``run_locks`` and ``backfills`` (how far unfinished runs got, which run
works on what: bookkeeping of runs, not data) and ``_migrations`` (when the file was created). ``rejected_records`` holds one row per record per
run, so its rows are compared as a set: two runs rejecting the same record say the same thing.

Rows are sorted (by their ``repr``, which orders ``None`` and mixed types deterministically), so
physical order never counts. Views are not compared: they are queries over the tables.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import duckdb

__all__ = ["IGNORED_COLUMNS", "SKIPPED_TABLES", "SET_TABLES", "content_snapshot", "diff_snapshots"]

#: Columns left out in every table.
IGNORED_EVERYWHERE = frozenset({"run_id", "seconds", "first_seen", "last_seen", "notable_since"})
#: Columns left out per table (besides ``*_at`` and :data:`IGNORED_EVERYWHERE`).
IGNORED_COLUMNS: dict[str, frozenset[str]] = {
    "pdfs": frozenset({"path", "attempts", "failures"}),
    "candidates": frozenset({"candidate_id"}),
    "decisions": frozenset({"decision_id"}),
    "models": frozenset({"model_id"}),
    "dataset_events": frozenset({"event_id"}),
    "epoch_imports": frozenset({"import_id"}),
}
#: Tables that are logs of runs or of the file itself, not content.
SKIPPED_TABLES = frozenset({"runs", "run_checkpoints", "run_locks", "backfills", "_migrations"})
#: Tables with one row per run for the same fact: compared as sets of distinct rows.
SET_TABLES = frozenset({"rejected_records"})


class Snapshot(dict[str, list[tuple]]):
    """``{table: sorted rows}``; ``.columns[table]`` names the columns each row holds."""

    def __init__(self) -> None:
        super().__init__()
        self.columns: dict[str, tuple[str, ...]] = {}


def _ignored(table: str, column: str, extra: Mapping[str, Iterable[str]]) -> bool:
    return (
        column.endswith("_at")
        or column in IGNORED_EVERYWHERE
        or column in IGNORED_COLUMNS.get(table, ())
        or column in set(extra.get(table, ())) | set(extra.get("*", ()))
    )


def content_snapshot(con: duckdb.DuckDBPyConnection, ignore: Mapping[str, Iterable[str]] | None = None) -> Snapshot:
    """``{table: sorted rows}`` of every base table, without the run-specific columns.

    ``ignore`` adds columns to leave out: ``{"papers": ["pdf_url"], "*": ["url"]}`` (``"*"``:
    every table), e.g. when two warehouses were filled from servers on different ports.
    ``.columns[table]`` names the kept columns, so a diff can show them.
    """
    extra = ignore or {}
    tables = [
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables"
            " WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
        ).fetchall()
    ]
    out = Snapshot()
    for table in tables:
        if table in SKIPPED_TABLES:
            continue
        columns = [
            r[0]
            for r in con.execute(
                "SELECT column_name FROM information_schema.columns"
                " WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
                [table],
            ).fetchall()
        ]
        kept = [c for c in columns if not _ignored(table, c, extra)]
        if not kept:
            continue
        select = ", ".join(f'"{c}"' for c in kept)  # names come from the catalog, not from input
        rows = con.execute(f'SELECT {select} FROM "{table}"').fetchall()
        if table in SET_TABLES:
            rows = list(dict.fromkeys(rows))
        out[table] = sorted(rows, key=repr)
        out.columns[table] = tuple(kept)
    return out


def diff_snapshots(a: Mapping[str, list[tuple]], b: Mapping[str, list[tuple]], *, limit: int = 20) -> list[str]:
    """Human-readable differences between two snapshots (``a`` = expected); empty when equal.

    Per table: missing tables, changed column lists, then rows only in ``a`` (``-``) and only in
    ``b`` (``+``), at most ``limit`` of each, values cut to 120 characters.
    """
    lines: list[str] = []
    for table in sorted(set(a) | set(b)):
        if table not in b:
            lines.append(f"{table}: table missing from the second warehouse")
            continue
        if table not in a:
            lines.append(f"{table}: table only in the second warehouse")
            continue
        rows_a, rows_b = a[table], b[table]
        cols_a = getattr(a, "columns", {}).get(table)
        cols_b = getattr(b, "columns", {}).get(table)
        if cols_a and cols_b and cols_a != cols_b:
            lines.append(f"{table}: columns differ: {list(cols_a)} vs {list(cols_b)}")
            continue
        only_a = _multiset_minus(rows_a, rows_b)
        only_b = _multiset_minus(rows_b, rows_a)
        if not only_a and not only_b:
            continue
        lines.append(
            f"{table}: {len(rows_a)} rows vs {len(rows_b)}; "
            f"{len(only_a)} only in the first, {len(only_b)} only in the second"
        )
        for sign, rows in (("-", only_a), ("+", only_b)):
            for row in rows[:limit]:
                lines.append(f"  {sign} " + _show(cols_a, row))
            if len(rows) > limit:
                lines.append(f"  {sign} ... and {len(rows) - limit} more")
    return lines


def _multiset_minus(xs: list[tuple], ys: list[tuple]) -> list[tuple]:
    remaining: dict[str, int] = {}
    for y in ys:
        remaining[repr(y)] = remaining.get(repr(y), 0) + 1
    out = []
    for x in xs:
        k = repr(x)
        if remaining.get(k):
            remaining[k] -= 1
        else:
            out.append(x)
    return out


def _show(columns: tuple | None, row: tuple) -> str:
    parts = []
    for i, v in enumerate(row):
        c = columns[i] if columns and i < len(columns) else f"#{i}"
        text = repr(v)
        parts.append(f"{c}={text[:117] + '...' if len(text) > 120 else text}")
    return ", ".join(parts)
