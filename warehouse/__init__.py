"""The warehouse: the only code in paramtrack that speaks SQL.

Everything goes through :class:`Warehouse` (short-lived connections, lock retries, migrations)
and the functions in this package's modules, which take a connection from ``Warehouse.write()``
or ``Warehouse.read()``.
"""

from warehouse.connection import Warehouse

__all__ = ["Warehouse"]
