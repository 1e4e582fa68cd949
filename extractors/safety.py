"""Run extractions in a child process with a wall-clock timeout and a resident-memory limit.

PDFs come from the internet: a FlateDecode bomb, a 2,000-page dump or a pdfium crash must end as
``ExtractionResult(error=...)`` while the caller (a Prefect flow, the CLI) carries on. A 'spawn'
child shares no state with the parent; the parent watches the child's resident memory (RSS, from
``/proc``) while it waits and kills it past ``max_memory_mb``, and kills it when the clock runs out.

Why RSS and not only ``RLIMIT_AS``: address space counts what libraries reserve but never touch
(allocator arenas, thread stacks, mapped files), so a 1 GiB address-space limit killed a valid
dense page (10^6 text objects) that needs ~750 MB resident, while a bomb's inflated stream is
touched memory and shows up in RSS at once. ``RLIMIT_AS`` stays, at 4x the limit, as a backstop
for one huge allocation between two looks (and where ``/proc`` is missing).

A failure that says nothing certain about the PDF (timeout, memory, a killed child) is returned
as *transient* with a short ``failure`` signature; the warehouse counts identical signatures per
PDF and extractor version and makes the failure a lasting result once it repeats
(:func:`warehouse.extraction_store.store_extraction`).

:class:`ExtractionWorker` keeps one such child alive across PDFs, so the 1-2 s of imports (spaCy,
pdfium) are paid once per worker rather than once per PDF; after a timeout, a crash or
a MemoryError that child is killed and a fresh one takes the next PDF. :func:`extract_pdf_safely`
is the one-shot form (one child, one PDF).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any

from paramtrack.core.settings import read_settings
from paramtrack.extractors.types import ExtractionResult
from paramtrack.extractors.version import extractor_version

#: The address-space backstop, as a multiple of the resident limit.
ADDRESS_SPACE_FACTOR = 4
#: How often the parent looks at the child's resident memory while it waits.
WATCH_INTERVAL_S = 0.02

_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def _resident_mb(pid: int) -> float | None:
    """The process's resident memory in MB, or None where ``/proc`` cannot tell."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE_BYTES / (1024 * 1024)
    except (OSError, ValueError, IndexError):
        return None


def _set_memory_limit(max_memory_mb: int) -> None:
    try:
        import resource

        limit = max_memory_mb * ADDRESS_SPACE_FACTOR * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):  # not on this OS: the RSS watch and timeout apply
        pass


def _worker_main(conn: Any, max_memory_mb: int) -> None:
    """Child loop: warm up, say ``ready``, then answer ``("extract", payload, kwargs)`` until ``stop``/EOF.

    Replies: ``("ok", result)`` or ``("error", message, fatal)``. After a fatal error (MemoryError,
    an exception escaping ``extract_pdf``) the child exits: its heap may be in a bad state.
    """
    _set_memory_limit(max_memory_mb)
    try:
        from paramtrack.extractors import patterns
        from paramtrack.extractors.pipeline import extract_pdf

        patterns.nlp()
        patterns.cue_matcher()
    except BaseException as exc:
        why = (
            f"memory limit ({max_memory_mb} MB) too low to start"
            if isinstance(exc, MemoryError)
            else f"{type(exc).__name__}: {exc}"
        )
        try:
            conn.send(("startup_error", f"extraction process failed to start ({why})"))
        finally:
            conn.close()
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            break  # parent gone
        if not isinstance(msg, tuple) or msg[0] != "extract":
            break  # "stop"
        _, payload, kwargs = msg
        fatal = False
        try:
            src: Path | bytes = Path(payload) if isinstance(payload, str) else payload
            reply: tuple[Any, ...] = ("ok", extract_pdf(src, **kwargs))
        except MemoryError:
            fatal = True
            reply = (
                "error",
                f"memory limit exceeded ({max_memory_mb * ADDRESS_SPACE_FACTOR} MB of "
                "address space): decompression bomb or huge PDF?",
                True,
            )
        except BaseException as exc:  # report, never hang the parent
            fatal = True
            reply = ("error", f"extraction crashed ({type(exc).__name__}: {exc})", True)
        try:
            conn.send(reply)
        except BaseException:
            break
        if fatal:
            break
    conn.close()


class ExtractionWorker:
    """One long-lived, isolated extraction child reused across PDFs.

    ::

        with ExtractionWorker(timeout_s=60, max_memory_mb=1536) as worker:
            for path in pdfs:
                result = worker.extract(path, published=..., title=..., abstract=...)

    Same isolation as :func:`extract_pdf_safely`: the child is a 'spawn' process killed when its
    resident memory passes ``max_memory_mb`` (default ``PARAMTRACK_EXTRACT_MEMORY_MB``, 1536), with
    ``RLIMIT_AS`` at 4x that as a backstop, and each PDF gets ``timeout_s`` seconds of wall clock (the child's
    start-up, bounded by ``startup_timeout_s``, is not counted against a PDF). On a timeout, a crash
    or a MemoryError the child is killed and a fresh one is started for the next PDF. Every failure
    is returned as ``ExtractionResult(error=...)``; :meth:`extract` never raises for a bad PDF.

    ``max_pdfs_per_child`` recycles the child after that many PDFs (``None``: never) so that native
    memory a library might leak cannot accumulate over a long run. Calls are serialised by a lock,
    so one worker may be shared by threads (they take turns); use one worker per core to go parallel.
    ``timeout_s`` and ``max_pdfs_per_child`` may be changed between calls; ``pid`` is the current child's.
    """

    def __init__(
        self,
        *,
        timeout_s: float = 60,
        max_memory_mb: int | None = None,
        startup_timeout_s: float = 120,
        max_pdfs_per_child: int | None = 500,
    ) -> None:
        self.timeout_s = timeout_s
        # None: PARAMTRACK_EXTRACT_MEMORY_MB, read here in the parent, which starts the children
        self.max_memory_mb = max_memory_mb if max_memory_mb is not None else read_settings().extract_memory_mb
        self.startup_timeout_s = startup_timeout_s
        self.max_pdfs_per_child = max_pdfs_per_child
        self.restarts = 0  # children replaced after a failure (not counting recycling)
        self._ctx = mp.get_context("spawn")
        self._proc: Any = None
        self._conn: Any = None
        self._ready = False
        self._served = 0
        self._lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    def alive(self) -> bool:
        return self._proc is not None and self._proc.is_alive()

    def start(self) -> ExtractionWorker:
        """Start the child now (it warms up in the background); :meth:`extract` starts it lazily anyway."""
        with self._lock:
            if self._proc is None:
                self._spawn()
        return self

    def close(self) -> None:
        """Stop the child (politely, then by force). The worker can be used again: it restarts lazily."""
        with self._lock:
            self._stop()

    def __enter__(self) -> ExtractionWorker:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:  # best effort: never leave a child behind
        try:
            self._kill()
        except Exception:
            pass

    def _spawn(self) -> None:
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_worker_main, args=(child, self.max_memory_mb), daemon=True, name="paramtrack-extract"
        )
        proc.start()
        child.close()
        self._proc, self._conn, self._ready, self._served = proc, parent, False, 0

    def _kill(self) -> int | None:
        """Kill the child (if any) and return its exit code."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        self._ready = False
        if conn is not None:
            conn.close()
        if proc is None:
            return None
        if proc.is_alive():
            proc.kill()
        proc.join(5)
        return proc.exitcode

    def _stop(self) -> None:
        if self._ready and self._proc is not None and self._conn is not None and self._proc.is_alive():
            try:
                self._conn.send(("stop",))
                self._proc.join(2)
            except (OSError, ValueError):
                pass
        self._kill()

    # -- work --------------------------------------------------------------------------------

    def extract(
        self,
        path: Path | str | bytes,
        *,
        published: date | None = None,
        title: str | None = None,
        abstract: str | None = None,
    ) -> ExtractionResult:
        """Like :func:`extractors.extract_pdf`, in the worker's child: errors come back as values."""
        payload = _payload(path)
        if isinstance(payload, ExtractionResult):
            return payload
        kwargs = _kwargs(published, title, abstract)
        with self._lock:
            result = self._run(payload, kwargs, startup_counts=False)
            if self._proc is None:
                self._spawn()  # the replacement warms up while the caller handles this result
            return result

    def _run(self, payload: str | bytes, kwargs: dict[str, Any], *, startup_counts: bool) -> ExtractionResult:
        if self.max_pdfs_per_child and self._served >= self.max_pdfs_per_child:
            self._stop()
        started = time.monotonic()
        for attempt in range(2):
            if self._proc is None or not self._proc.is_alive():
                if self._proc is not None:
                    self._kill()  # died while idle (killed from outside): replace it, nothing was lost
                self._spawn()
            if not startup_counts and not self._ready:
                err = self._await_ready(self.startup_timeout_s)
                if err:
                    return self._fail(err)
            try:
                self._conn.send(("extract", payload, kwargs))
                break
            except (OSError, ValueError):
                self._kill()
                if attempt:
                    return self._fail("could not reach the extraction process")
        deadline = (started if startup_counts else time.monotonic()) + self.timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill()
                return self._fail(
                    f"timed out after {self.timeout_s:g} s (huge or hostile PDF?)",
                    failure=f"timeout after {self.timeout_s:g} s",
                )
            if not self._conn.poll(min(remaining, WATCH_INTERVAL_S)):
                resident = _resident_mb(self._proc.pid)
                if resident is not None and resident > self.max_memory_mb:
                    self._kill()
                    return self._fail(
                        f"memory limit exceeded ({self.max_memory_mb} MB resident): decompression bomb or huge PDF?",
                        failure=f"memory over {self.max_memory_mb} MB",
                    )
                continue
            try:
                msg = self._conn.recv()
            except (EOFError, OSError):
                code = self._kill()
                why = "killed by memory limit or crash" if code is None or code < 0 else f"exit code {code}"
                status = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                return self._fail(
                    f"extraction process died ({why}; limit {self.max_memory_mb} MB)", failure=f"died ({status})"
                )
            if msg[0] == "ready":
                self._ready = True
                continue
            if msg[0] == "startup_error":
                self._kill()
                return self._fail(msg[1], killed=True)
            self._served += 1
            if msg[0] == "ok":
                return msg[1]
            if len(msg) > 2 and msg[2]:  # fatal: the child exits by itself; make sure of it
                self._kill()
                self.restarts += 1
            # Hitting the memory limit depends on the limit, not only on the PDF: try again later
            # (the warehouse makes it lasting once it repeats).
            memory = msg[1].startswith("memory limit exceeded")
            return ExtractionResult(
                error=msg[1],
                extractor_version=extractor_version(),
                error_transient=memory,
                failure=f"memory over {self.max_memory_mb} MB" if memory else None,
            )

    def _await_ready(self, timeout: float) -> str | None:
        try:
            msg = self._conn.recv() if self._conn.poll(timeout) else None
        except (EOFError, OSError):
            code = self._kill()
            return f"extraction process died while starting (exit code {code}; limit {self.max_memory_mb} MB)"
        if msg is None:
            self._kill()
            return f"extraction process did not start within {timeout:g} s"
        if msg[0] != "ready":
            self._kill()
            return str(msg[1])
        self._ready = True
        return None

    def _fail(self, message: str, *, killed: bool = True, failure: str | None = None) -> ExtractionResult:
        """A failure of the worker (timeout, kill, no start), not yet a verdict on the PDF.

        It is marked transient so that the pipeline neither caches it nor counts the paper as
        extracted: a busy machine or a tight limit today must not hide the paper for good.
        ``failure`` names what the PDF may have caused (None: a start-up problem, never the
        PDF's), so that the same failure coming back can be recognised.
        """
        if killed:
            self.restarts += 1
        return ExtractionResult(
            error=message, extractor_version=extractor_version(), error_transient=True, failure=failure
        )


def _payload(source: Path | str | bytes) -> str | bytes | ExtractionResult:
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            return ExtractionResult(error=f"file not found: {path}", extractor_version=extractor_version())
        return str(path.resolve())
    return bytes(source)


def _kwargs(published: date | None, title: str | None, abstract: str | None) -> dict[str, Any]:
    return {
        "published": published,
        "title": title,
        "abstract": abstract,
    }


def extract_pdf_safely(
    source: Path | str | bytes,
    *,
    timeout_s: float = 60,
    max_memory_mb: int | None = None,
    published: date | None = None,
    title: str | None = None,
    abstract: str | None = None,
) -> ExtractionResult:
    """Like :func:`extractors.extract_pdf`, isolated: errors (incl. timeouts, memory) come back as values.

    One child for one PDF, and ``timeout_s`` covers the child's start-up too. To extract many PDFs,
    use :class:`ExtractionWorker`, which keeps its child across PDFs.
    """
    payload = _payload(source)
    if isinstance(payload, ExtractionResult):
        return payload
    worker = ExtractionWorker(timeout_s=timeout_s, max_memory_mb=max_memory_mb, max_pdfs_per_child=None)
    try:
        with worker._lock:
            return worker._run(payload, _kwargs(published, title, abstract), startup_counts=True)
    finally:
        worker._kill()


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
