"""Named schema migrations, each applied once, in its own transaction, recorded in a table.

Modelled on sqlite-utils' ``migrations.py``: a migration is a name and a step; the
``_migrations`` table remembers which names ran, so opening an old file brings it up to date and
opening a current one does nothing. Steps are the ``schema/NNNN_name.sql`` files beside this
module, applied in file-name order. Never edit a migration that has shipped: add a new one.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources

import duckdb


def _steps() -> list[tuple[str, str]]:
    folder = resources.files("paramtrack.warehouse") / "schema"
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    return [(entry.name.removesuffix(".sql"), entry.read_text(encoding="utf-8")) for entry in files]


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply every pending step; returns the names applied (empty when up to date)."""
    con.execute("CREATE TABLE IF NOT EXISTS _migrations (name VARCHAR PRIMARY KEY, applied_at TIMESTAMPTZ)")
    done = {row[0] for row in con.execute("SELECT name FROM _migrations").fetchall()}
    applied: list[str] = []
    for name, sql in _steps():
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(sql)
            con.execute("INSERT INTO _migrations VALUES (?, ?)", [name, datetime.now(UTC)])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied


def pending_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the steps this file still lacks; works on a read-only connection."""
    try:
        done = {row[0] for row in con.execute("SELECT name FROM _migrations").fetchall()}
    except duckdb.CatalogException:
        done = set()
    return [name for name, _ in _steps() if name not in done]


def unknown_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names recorded in the file that this code does not ship: a newer paramtrack migrated it."""
    try:
        done = [row[0] for row in con.execute("SELECT name FROM _migrations ORDER BY name").fetchall()]
    except duckdb.CatalogException:
        return []
    known = {name for name, _ in _steps()}
    return [name for name in done if name not in known]


def newest_known() -> str:
    """The newest migration this code ships (the schema version it writes)."""
    return _steps()[-1][0]


def applied_migrations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, datetime]]:
    """The migrations recorded in the file, oldest first."""
    return [
        (name, when) for name, when in con.execute("SELECT name, applied_at FROM _migrations ORDER BY name").fetchall()
    ]
