"""What a warehouse file holds: its tables with row counts and its views, for ``db info``."""

from __future__ import annotations

import duckdb


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows per user table (bookkeeping tables starting with ``_`` left out), by name."""
    names = [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE' AND table_name NOT LIKE '\\_%' ESCAPE '\\' "
            "ORDER BY table_name"
        ).fetchall()
    ]
    return {t: _count(con, t) for t in names}


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()
    assert row is not None, "count(*) always returns one row"
    return row[0]


def view_names(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The documented views analysts read, by name."""
    return [
        name
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_type = 'VIEW' ORDER BY table_name"
        ).fetchall()
    ]
