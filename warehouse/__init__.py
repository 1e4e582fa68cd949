"""The warehouse: the only code in paramtrack that speaks SQL.

Everything goes through :class:`Warehouse` (short-lived connections, lock retries, migrations)
and the functions in this package's modules, which take a connection from ``Warehouse.write()``
or ``Warehouse.read()``.
"""

import duckdb

from paramtrack.warehouse.connection import Warehouse

#: The connection type handed out by ``Warehouse.write()``/``read()``, for type hints outside
#: the warehouse (which never imports duckdb itself).
Connection = duckdb.DuckDBPyConnection

__all__ = ["Connection", "Warehouse"]
