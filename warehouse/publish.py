"""The analysts' read copy: a snapshot of the warehouse published after every run that writes.

Why: DuckDB lets one process hold a file read-write and refuses other processes even a
read-only open meanwhile, and the other way round: a notebook that keeps the warehouse open
read-only makes every writer (ingest, review server, recompute) wait and then fail after
``PARAMTRACK_LOCK_TIMEOUT`` (30 s). So analysts do not open the warehouse at all. After each run
that writes, :func:`publish_read_copy` copies every table, view, macro, sequence and comment
(``COPY FROM DATABASE``) into a new file written in the same DuckDB storage format as the
warehouse (:data:`~warehouse.connection.STORAGE_COMPATIBILITY`, so the registries' DuckDB CLI
opens it), then renames it over ``<db stem>.read.duckdb`` beside the warehouse. The rename is
atomic: an analyst session that has the old copy open keeps reading the old file (its inode
and lock stay with it), a new session gets the new copy, and no writer ever waits for either.

The copy is taken through a normal short read-only connection of the warehouse, so it is a
consistent state between two write transactions. Two processes publishing at once each write
their own temporary file; the last rename wins, and both are whole snapshots.

The hook into runs is one call at their end (:func:`publish_after_run`); the review server
uses :class:`ReadCopyPublisher`, which coalesces a burst of decisions into one copy.
"""

from __future__ import annotations

import logging
import os
import threading
import uuid
from pathlib import Path

import duckdb

from paramtrack.warehouse.connection import STORAGE_COMPATIBILITY, Warehouse

log = logging.getLogger(__name__)

READ_COPY_SUFFIX = ".read.duckdb"


def read_copy_path(db_path: Path | str) -> Path:
    """``data/paramtrack.duckdb`` -> ``data/paramtrack.read.duckdb``."""
    p = Path(db_path)
    return p.with_name(p.stem + READ_COPY_SUFFIX)


def publish_read_copy(wh: Warehouse) -> Path:
    """Write a fresh read copy of ``wh`` and atomically put it in place; returns its path."""
    target = read_copy_path(wh.path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp")
    alias = "paramtrack_read_copy"
    try:
        with wh.read() as con:
            row = con.execute("SELECT current_database()").fetchone()
            assert row is not None, "a SELECT without FROM returns one row"
            source = row[0]
            path_sql = str(tmp).replace("'", "''")
            con.execute(f"ATTACH '{path_sql}' AS {alias} (READ_WRITE, STORAGE_VERSION '{STORAGE_COMPATIBILITY}')")
            try:
                con.execute(f'COPY FROM DATABASE "{source}" TO {alias}')
            finally:
                con.execute(f"DETACH {alias}")  # checkpoints: the file is whole, no WAL left
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            if leftover.exists():
                leftover.unlink()
    return target


def publish_after_run(wh: Warehouse | Path | str) -> Path | None:
    """The hook at the end of a run that wrote: publish the read copy, never fail the run.

    A failure (disk full, the folder not writable) is logged and leaves the previous read copy
    in place: the run's own writes are already committed and must not be reported as failed.
    """
    warehouse = wh if isinstance(wh, Warehouse) else Warehouse(wh)
    try:
        return publish_read_copy(warehouse)
    except (OSError, duckdb.Error) as exc:
        log.warning("read copy of %s not published: %s", warehouse.path, exc)
        return None


class ReadCopyPublisher:
    """Publishes the read copy ``delay_s`` after the first of a burst of writes (the review
    server: one copy for a reviewer's run of decisions, not one per click), on a thread."""

    def __init__(self, wh: Warehouse, delay_s: float = 2.0) -> None:
        self.wh = wh
        self.delay_s = delay_s
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def request(self) -> None:
        with self._lock:
            if self._timer is not None:
                return  # a copy is already due and will include this write
            self._timer = threading.Timer(self.delay_s, self._run)
            self._timer.daemon = True
            self._timer.start()

    def _run(self) -> None:
        with self._lock:
            self._timer = None
        publish_after_run(self.wh)

    def flush(self) -> None:
        """Publish now if a copy is due (on shutdown)."""
        with self._lock:
            timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
            publish_after_run(self.wh)
