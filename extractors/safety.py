"""Run an extraction in a child process with a wall-clock timeout and an address-space limit.

PDFs come from the internet: a FlateDecode bomb, a 2,000-page dump or a pdfium crash must end as
``ExtractionResult(error=...)`` while the caller (a Prefect flow, the CLI) carries on. A 'spawn'
child shares no state with the parent, ``RLIMIT_AS`` turns runaway allocation into a MemoryError
(or a killed child) inside the child, and the parent kills the child when the clock runs out.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from extractors.types import ExtractionResult
from extractors.version import EXTRACTOR_VERSION


def _child(conn: Any, source: str | bytes, max_memory_mb: int, kwargs: dict[str, Any]) -> None:
    try:
        import resource

        limit = max_memory_mb * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this OS: the timeout still applies
        pass
    try:
        from extractors.pipeline import extract_pdf

        src: Path | bytes = Path(source) if isinstance(source, str) else source
        result = extract_pdf(src, **kwargs)
        conn.send(("ok", result))
    except MemoryError:
        conn.send(("error", f"memory limit exceeded ({max_memory_mb} MB): decompression bomb or huge PDF?"))
    except BaseException as exc:  # report, never hang the parent
        try:
            conn.send(("error", f"extraction crashed ({type(exc).__name__}: {exc})"))
        except Exception:
            pass
    finally:
        conn.close()


def extract_pdf_safely(
    source: Path | str | bytes,
    *,
    timeout_s: float = 60,
    max_memory_mb: int = 1024,
    categories: Sequence[str] | None = None,
    published: date | None = None,
    title: str | None = None,
    abstract: str | None = None,
) -> ExtractionResult:
    """Like :func:`extractors.extract_pdf`, isolated: errors (incl. timeouts, memory) come back as values."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            return ExtractionResult(error=f"file not found: {path}", extractor_version=EXTRACTOR_VERSION)
        payload: str | bytes = str(path.resolve())
    else:
        payload = bytes(source)
    kwargs = {"categories": list(categories) if categories else None, "published": published, "title": title, "abstract": abstract}
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(child, payload, max_memory_mb, kwargs), daemon=True)
    proc.start()
    child.close()
    try:
        if parent.poll(timeout_s):
            try:
                status, value = parent.recv()
            except (EOFError, OSError):
                status, value = "error", None
        else:
            status, value = "timeout", None
    finally:
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        parent.close()
    if status == "ok":
        return value
    if status == "timeout":
        return ExtractionResult(error=f"timed out after {timeout_s:g} s (huge or hostile PDF?)", extractor_version=EXTRACTOR_VERSION)
    if value is None:
        code = proc.exitcode
        why = "killed by memory limit or crash" if code and code < 0 else f"exit code {code}"
        value = f"extraction process died ({why}; limit {max_memory_mb} MB)"
    return ExtractionResult(error=value, extractor_version=EXTRACTOR_VERSION)


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
