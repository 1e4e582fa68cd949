"""Short-lived DuckDB connections that survive other processes holding the file.

DuckDB lets one process at a time open a file read-write, and refuses even a read-only open while
that process holds it (measured in ../shared/ENVIRONMENT.md). paramtrack has several processes
touching one file (scheduled ingest, review app, CLI, an analyst's notebook), so nobody keeps a
connection open: every unit of work opens, does its work in one transaction, and closes. A lock
conflict is retried with jittered backoff for a bounded time; if the other process still holds
the file, the error names its PID.

Every connection is opened with DuckDB's extension autoinstall and autoload off and the
configuration locked, so no file, however crafted, makes DuckDB download or load native code (a
SQLite file used to make it fetch ``sqlite_scanner``). Before opening, the file's header is
checked for DuckDB's magic bytes, so a SQLite or random file is one line naming it. External
file access stays on: exports write CSV/Parquet with ``COPY ... TO`` and the trends code hands
pandas frames to DuckDB (both built in, no extension needed).
"""

from __future__ import annotations

import logging
import random
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from paramtrack.core.errors import (
    CorruptDatabaseError,
    DatabaseLockedError,
    InputError,
    NewerSchemaError,
)
from paramtrack.core.files import private_files
from paramtrack.core.settings import MISSING_HINT, read_settings

_LOCK_RE = re.compile(r"Conflicting lock is held in (?P<prog>.*?) \(PID (?P<pid>\d+)\)")
log = logging.getLogger("paramtrack.warehouse")
#: A lock held this long is worth a line: shorter waits are the normal interleaving of writers.
WAIT_NOTICE_AFTER_S = 1.0

#: Passed to every ``duckdb.connect``: nothing fetched or loaded behind our back, and SQL cannot
#: switch it back on (``lock_configuration``).
CONNECT_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "lock_configuration": True,
}

#: DuckDB's main header: an 8-byte checksum, then these magic bytes.
_MAGIC_OFFSET, _MAGIC = 8, b"DUCK"
_OTHER_FORMATS = (
    (b"SQLite format 3\x00", "a SQLite database"),
    (b"PAR1", "a Parquet file"),
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a zip archive"),
)

#: The DuckDB storage format new warehouse files (and the read copy) are written in. The pinned
#: Python duckdb (2.0) would write storage version 69, which the newest DuckDB CLI the package
#: registries serve (duckdb-cli 1.5.6 on PyPI) cannot open; DuckDB keeps a file in the format it
#: was created with, so creating it in the 1.4 format lets analysts open it with any DuckDB CLI
#: from 1.4 (the long-term release) on. Checked by tests/warehouse/test_export.py with that CLI.
STORAGE_COMPATIBILITY = "v1.4.0"


def _lock_holder(message: str) -> str | None:
    """Extract "PID n (program)" from DuckDB's lock error, if it says."""
    m = _LOCK_RE.search(message)
    if not m:
        return None
    return f"PID {m.group('pid')} ({m.group('prog')})"


def _is_lock_error(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.IOException) and "lock" in str(exc).lower()


def check_format(path: Path) -> None:
    """Refuse a file that is not DuckDB's, from its first bytes, before DuckDB sees it.

    A missing file is fine: DuckDB creates it (reads refuse a missing file earlier).
    """
    if path.is_dir():
        raise InputError(f"{path} is a folder, not a database file", hint="pass --db FILE.duckdb")
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"cannot read database {path}: {exc.strerror or exc}") from None
    if head[_MAGIC_OFFSET : _MAGIC_OFFSET + len(_MAGIC)] == _MAGIC:
        return
    what = "empty" if not head else next((name for magic, name in _OTHER_FORMATS if head.startswith(magic)), None)
    raise CorruptDatabaseError(
        f"{path} is not a valid DuckDB database file" + (f" (it is {what})" if what else ""),
        hint="pass --db with a paramtrack warehouse, or move the file aside",
    )


def check_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Refuse a file migrated by a newer paramtrack: this code would misread its tables."""
    from paramtrack.warehouse.migrations import newest_known, unknown_migrations

    unknown = unknown_migrations(con)
    if unknown:
        raise NewerSchemaError(
            f"{path} has schema {unknown[-1]}, newer than this paramtrack knows (newest {newest_known()})",
            hint="upgrade paramtrack to use this warehouse",
        )


class Warehouse:
    """A DuckDB file and the rules for touching it.

    ``write()`` and ``read()`` are the only ways in; both are context managers yielding a
    connection that is closed on exit. Within this process a lock serialises writers, so threads
    (the review app's workers, Prefect's task runner) queue instead of fighting over the file.
    """

    def __init__(self, path: Path | str, *, lock_timeout_s: float | None = None) -> None:
        self.path = Path(path)
        if lock_timeout_s is None:  # the caller's settings did not say: PARAMTRACK_LOCK_TIMEOUT
            lock_timeout_s = read_settings().lock_timeout_s
        self.lock_timeout_s = lock_timeout_s
        self._local_lock = threading.RLock()
        self._migrated = False

    def __repr__(self) -> str:
        return f"Warehouse({str(self.path)!r})"

    # -- connections -------------------------------------------------------------------------

    def _open(self, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """Open the file, retrying while another process holds the lock."""
        if read_only and not self.path.exists():
            raise InputError(f"no database at {self.path}", hint=MISSING_HINT)
        check_format(self.path)
        if not read_only:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise InputError(
                    f"cannot create the folder {self.path.parent} for the database: {exc.strerror or exc}",
                    hint="pass --db in a writable folder",
                ) from None
        started = time.monotonic()
        deadline = started + self.lock_timeout_s
        delay = 0.01
        told = False  # a long wait is said once, not once per retry
        while True:
            try:
                if read_only:
                    return duckdb.connect(str(self.path), read_only=True, config=CONNECT_CONFIG)
                # The storage version only matters when the file is created: an existing file
                # keeps its format.
                return duckdb.connect(
                    str(self.path),
                    config={**CONNECT_CONFIG, "storage_compatibility_version": STORAGE_COMPATIBILITY},
                )
            except duckdb.IOException as exc:
                message = str(exc)
                if "not a valid DuckDB database" in message or "Corrupt" in message:
                    raise CorruptDatabaseError(
                        f"{self.path} is not a valid DuckDB database file",
                        hint="move it aside; paramtrack creates a new one on the next run",
                    ) from exc
                if not _is_lock_error(exc):
                    first = message.splitlines()[0] if message else type(exc).__name__
                    raise InputError(f"cannot open database {self.path}: {first}") from exc
                if time.monotonic() >= deadline:
                    holder = _lock_holder(message) or "another process"
                    raise DatabaseLockedError(
                        f"database {self.path} is locked by {holder}; gave up after {self.lock_timeout_s:.0f} s",
                        hint="wait for that process to finish or stop it",
                    ) from exc
                if not told and time.monotonic() - started >= WAIT_NOTICE_AFTER_S:
                    told = True
                    log.warning(
                        "Waiting for the warehouse %s: %s holds its lock (up to %.0f s more)",
                        self.path,
                        _lock_holder(message) or "another process",
                        max(deadline - time.monotonic(), 0),
                    )
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.1)
            except duckdb.ConnectionException as exc:
                # Another thread of this process holds the file with the other access mode (a
                # read while a heartbeat writes): DuckDB refuses a second mode in one process
                # until that connection closes, which it does within a transaction's time.
                if "different configuration" not in str(exc) or time.monotonic() >= deadline:
                    raise CorruptDatabaseError(f"{self.path} could not be opened as a DuckDB database: {exc}") from exc
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.1)
            except duckdb.Error as exc:
                raise CorruptDatabaseError(f"{self.path} could not be opened as a DuckDB database: {exc}") from exc

    @contextmanager
    def write(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """One read-write transaction: committed if the block succeeds, rolled back otherwise.

        Files created meanwhile (the warehouse itself, its WAL) are the owner's (at most 0640,
        :func:`paramtrack.core.files.private_files`)."""
        with self._local_lock, private_files():
            con = self._open(read_only=False)
            try:
                if not self._migrated:
                    from paramtrack.warehouse.migrations import migrate

                    check_schema(con, self.path)
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
        file as it is (``paramtrack status`` reports pending migrations instead of applying them,
        and a schema newer than the code as a health problem instead of refusing). A file written
        inside the block (the read copy, :mod:`warehouse.publish`) is the owner's, as in
        :meth:`write`.
        """
        with self._local_lock, private_files():
            con = self._open(read_only=True)
            try:
                if migrate and not self._migrated:
                    from paramtrack.warehouse.migrations import pending_migrations

                    check_schema(con, self.path)
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

    def check(self) -> None:
        """Refuse now what a long run would trip over later: not DuckDB, or a newer schema.

        A pre-flight for commands that start Prefect: an error there would come wrapped in
        Prefect's logging. Leaves the file as it is (no migration); a missing file passes.
        """
        if not self.path.exists():
            check_format(self.path)  # a folder at the path is refused too
            return
        with self._local_lock:
            con = self._open(read_only=True)
            try:
                check_schema(con, self.path)
            finally:
                con.close()

    def migrate(self) -> list[str]:
        """Apply pending migrations now; returns the names applied."""
        from paramtrack.warehouse.migrations import migrate

        with self._local_lock, private_files():
            con = self._open(read_only=False)
            try:
                check_schema(con, self.path)
                applied = migrate(con)
                self._migrated = True
                return applied
            finally:
                con.close()
