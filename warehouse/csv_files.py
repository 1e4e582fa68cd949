"""CSV files written straight from SQL, with every text cell made safe for spreadsheets.

``COPY (query) TO 'file.csv'`` writes what the warehouse holds, and the warehouse holds text
from outside: a system name, an evidence sentence or a reviewer's note that begins with ``=``,
``+``, ``-`` or ``@`` would run as a formula in the analyst's spreadsheet. :func:`copy_csv`
passes each text column of the query through :func:`paramtrack.core.text.neutralise_cell`, the
one rule every CSV of the product follows (the queue export writes its rows with the same
function), and leaves numbers and dates exactly as DuckDB formats them. Parquet files keep the
text as it is: no spreadsheet evaluates them.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
from duckdb.sqltypes import VARCHAR

from paramtrack.core.text import neutralise_cell

__all__ = ["copy_csv"]

#: The name the neutralising function has inside a connection (a Python UDF lives as long as
#: the connection; nothing is stored in the file).
_CELL = "paramtrack_csv_cell"


def _register(con: duckdb.DuckDBPyConnection) -> None:
    if not con.execute("SELECT 1 FROM duckdb_functions() WHERE function_name = ?", [_CELL]).fetchall():
        con.create_function(_CELL, neutralise_cell, [VARCHAR], VARCHAR, side_effects=False)


def copy_csv(con: duckdb.DuckDBPyConnection, query: str, path: Path | str) -> None:
    """Write the rows of ``query`` (a SELECT, trusted SQL) to ``path`` as CSV with a header,
    every VARCHAR column neutralised against formula injection."""
    _register(con)
    text = [name for name, kind, *_ in con.execute(f"DESCRIBE {query}").fetchall() if kind == "VARCHAR"]
    select = f"SELECT * FROM ({query})"
    if text:
        quoted = ['"' + name.replace('"', '""') + '"' for name in text]
        replaced = ", ".join(f"{_CELL}({q}) AS {q}" for q in quoted)
        select = f"SELECT * REPLACE ({replaced}) FROM ({query})"
    target = str(path).replace("'", "''")
    con.execute(f"COPY ({select}) TO '{target}' (FORMAT csv, HEADER true)")
