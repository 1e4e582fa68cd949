"""The process's one extraction child: who starts it, who uses it, who stops it.

Extraction runs in a child process (time and memory limits; spaCy and pdfium load once per
child, not once per PDF). A discover run keeps one child for its extraction loop; on a Dask
cluster each worker process keeps one for the whole backfill (``ExtractionWorkerPlugin``).
Tasks find it here instead of in another module's global, and fall back to a child of their own
(or the in-process safe path) when none is installed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_current: Any = None  # an ``ExtractionWorker`` while one is installed in this process
_lock = threading.Lock()


def current() -> Any:
    """The installed worker, or None."""
    return _current


def install(timeout_s: float) -> Any:
    """Start a worker and make it this process's (replacing and stopping any other)."""
    global _current
    from paramtrack.extractors import ExtractionWorker

    worker = ExtractionWorker(timeout_s=timeout_s).start()
    with _lock:
        previous, _current = _current, worker
    if previous is not None:
        previous.close()
    return worker


def uninstall() -> None:
    """Stop this process's worker, if any."""
    global _current
    with _lock:
        worker, _current = _current, None
    if worker is not None:
        worker.close()


@contextmanager
def installed(timeout_s: float) -> Iterator[Any]:
    """A worker for the duration of a block (a discover run's extraction loop)."""
    worker = install(timeout_s)
    try:
        yield worker
    finally:
        with _lock:
            mine = _current is worker
        if mine:
            uninstall()


def extract(path: str | Path, meta: dict[str, Any] | None, *, worker: Any = None) -> Any:
    """Extract one PDF through ``worker``, else the installed one, else safely in a fresh child."""
    from paramtrack.extractors import extract_pdf_safely

    meta = meta or {}
    kwargs: dict[str, Any] = dict(
        published=meta.get("published"),
        title=meta.get("title"),
        abstract=meta.get("abstract"),
    )
    worker = worker or current()
    return worker.extract(Path(path), **kwargs) if worker is not None else extract_pdf_safely(Path(path), **kwargs)
