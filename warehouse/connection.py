"""Short-lived DuckDB connections that survive other processes holding the file.

DuckDB lets one process at a time open a file read-write, and refuses even a read-only open while
that process holds it (measured in ../shared/ENVIRONMENT.md). paramtrack has several processes
touching one file (scheduled ingest, review app, CLI, an analyst's notebook), so nobody keeps a
connection open: every unit of work opens, does its work in one transaction, and closes. A lock
conflict is retried with jittered backoff for a bounded time; if the other process still holds
the file, the error names its PID.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from paramtrack.errors import CorruptDatabaseError, DatabaseLockedError, UserError

_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<prog>.*?) \(PID (?P<pid>\d+)\)")

#: How long to keep retrying a lock held by another process before giving up
#: (``PARAMTRACK_LOCK_TIMEOUT`` overrides it, in seconds).
DEFAULT_LOCK_TIMEOUT_S = 30.0

#: The DuckDB storage format new warehouse files (and the read copy) are written in. The pinned
#: Python duckdb (2.0) would write storage version 69, which the newest DuckDB CLI the package
#: registries serve (duckdb-cli 1.5.6 on PyPI) cannot open; DuckDB keeps a file in the format it
#: was created with, so creating it in the 1.4 format lets analysts open it with any DuckDB CLI
#: from 1.4 (the long-term release) on. Checked by tests/test_export.py with that CLI.
STORAGE_COMPATIBILITY = "v1.4.0"


def _lock_holder(message: str) -> str | None:
    """Extract "PID n (program)" from DuckDB's lock error, if it says."""
    m = _LOCK_RE.search(message)
    if not m:
        return None
    return f"PID {m.group('pid')} ({m.group('prog')})"


def _is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def _lock_timeout_from_env() -> float:
    raw = os.environ.get("PARAMTRACK_LOCK_TIMEOUT")
    if raw is None:
        return DEFAULT_LOCK_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:  # also rejects nan
        raise UserError(
            f"PARAMTRACK_LOCK_TIMEOUT must be a number of seconds >= 0, not {raw!r}",
            hint="unset it to use the default of 30 s",
        )
    return value


class Warehouse:
    """A DuckDB file and the rules for touching it.

    ``write()`` and ``read()`` are the only ways in; both are context managers yielding a
    connection that is closed on exit. Within this process a lock serialises writers, so threads
    (the review app's workers, Prefect's task runner) queue instead of fighting over the file.
    """

    def __init__(self, path: Path | str, *, lock_timeout_s: float | None = None) -> None:
        self.path = Path(path)
        if lock_timeout_s is None:
            lock_timeout_s = _lock_timeout_from_env()
        self.lock_timeout_s = lock_timeout_s
        self._local_lock = threading.RLock()
        self._migrated = False

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    # -- connections -------------------------------------------------------------------------

    def _open(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying while another process holds the lock."""
        if read_only and not self.path.exists():
            raise UserError(
                f"no database at {self.path}",
                hint="run 'paramtrack demo' or 'paramtrack ingest' first, or pass --db PATH",
            )
        if not read_only:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline = time.monotonic() + self.lock_timeout_s
        delay = 0.01
        while True:
            try:
                if read_only:
                    return duckdb.connect(str(self.path), read_only=True)
                # Only matters when the file is created: an existing file keeps its format.
                return duckdb.connect(
                    str(self.path),
                    config={"storage_compatibility_version": STORAGE_COMPATIBILITY},
                )
            except duckdb.IOException as exc:
                message = str(exc)
                if "not a valid DuckDB database" in message or "Corrupt" in message:
                    raise CorruptDatabaseError(
                        f"{self.path} is not a valid DuckDB database file",
                        hint="move it aside; paramtrack creates a new one on the next run",
                    ) from exc
                if not _is_lock_error(exc):
                    raise UserError(f"cannot open database {self.path}: {message}") from exc
                if time.monotonic() >= deadline:
                    holder = _lock_holder(message) or "another process"
                    raise DatabaseLockedError(
                        f"database {self.path} is locked by {holder}; gave up after "
                        f"{self.lock_timeout_s:.0f} s",
                        hint="wait for that process to finish or stop it",
                    ) from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.1)
            except duckdb.Error as exc:
                raise CorruptDatabaseError(
                    f"{self.path} could not be opened as a DuckDB database: {exc}"
                ) from exc

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One read-write transaction: committed if the block succeeds, rolled back otherwise."""
        with self._local_lock:
            con = self._open(read_only=False)
            try:
                if not self._migrated:
                    from warehouse.migrations import migrate

                    migrate(con)
                    self._migrated = True
                con.execute("BEGIN TRANSACTION")
                try:
                    yield con
                except BaseException:
                    con.execute("ROLLBACK")
                    raise
                else:
                    con.execute("COMMIT")
            finally:
                con.close()

    @contextmanager
    def read(self, *, migrate: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
        """A read-only connection; it still waits out a writer in another process.

        A read never creates a file (a mistyped ``--db`` must fail, not leave an empty database
        behind) and opens read-write only when the file lacks migrations, so reads of a current
        file coexist with an analyst's read-only connections. ``migrate=False`` leaves an older
        file as it is (``paramtrack status`` reports pending migrations instead of applying them).
        """
        with self._local_lock:
            con = self._open(read_only=True)
            try:
                if migrate and not self._migrated:
                    from warehouse.migrations import pending_migrations

                    if pending_migrations(con):
                        # A read of an older file should see every table and view.
                        con.close()
                        with self.write():
                            pass
                        con = self._open(read_only=True)
                    self._migrated = True
                yield con
            finally:
                con.close()

    def migrate(self) -> list[str]:
        """Apply pending migrations now; returns the names applied."""
        from warehouse.migrations import migrate

        with self._local_lock:
            con = self._open(read_only=False)
            try:
                applied = migrate(con)
                self._migrated = True
                return applied
            finally:
                con.close()
