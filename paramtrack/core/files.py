"""Files paramtrack creates are its owner's, not everyone's on the machine.

The warehouse holds reviewers' names, their notes and unpublished decisions; its read copy and
WAL hold the same, Prefect's database the runs' parameters and logs. Created with the usual
umask (022) they were readable by every user of the machine (0644). While a warehouse connection
is open, :func:`private_files` takes write access from the group and every access from others
(umask ``| 027``): the files DuckDB creates then (the warehouse itself, its ``.wal``, a read
copy being written) are at most ``rw-r-----`` (0640), so analysts in the owner's group can
still read them; a stricter umask of the user's still applies.

The umask is per process, so the change is counted and undone when the last holder leaves:
other threads creating files meanwhile (a PDF download, a chart) get 0640 at worst.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["PRIVATE_UMASK", "private_files", "create_private_file"]

#: Bits masked out of every file created inside :func:`private_files`: group write, all of other.
PRIVATE_UMASK = 0o027

_lock = threading.Lock()
_holders = 0
_saved_umask = 0


@contextmanager
def private_files() -> Iterator[None]:
    """Within the block, files this process creates get at most mode 0640 (see the module)."""
    global _holders, _saved_umask
    with _lock:
        if _holders == 0:
            _saved_umask = os.umask(0o077)  # read the umask (briefly stricter), then set it
            os.umask(_saved_umask | PRIVATE_UMASK)
        _holders += 1
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                os.umask(_saved_umask)


def create_private_file(path: Path, mode: int = 0o600) -> bool:
    """Create ``path`` empty with ``mode`` (less the umask) unless it exists; whether it did.
    For a file another program will fill (Prefect's SQLite database) and otherwise create
    with the usual umask: SQLite opens an empty file as a new database and gives its journal
    files the database file's mode."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    os.close(fd)
    return True
