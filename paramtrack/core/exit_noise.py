"""Keep DuckDB's "nanobind: leaked ..." report out of terminals and logs at process exit.

DuckDB's Python module (built with nanobind) checks at interpreter shutdown that all its
objects were freed, and prints ~40 lines ("nanobind: leaked 84 functions!", "- leaked instance
..." ...) to stderr when they were not. They are not freed whenever a daemon thread is still
alive at exit, even an idle one that never touched DuckDB (measured: a sleeping daemon thread
in a process that ran one query is enough): Prefect's log and heartbeat workers often are, so
`paramtrack serve`'s terminal showed the report after scheduled runs. Nothing leaks in any way
that matters (the process is ending); the report is noise.

:func:`install` registers an exit hook that runs after every other exit hook, just before the
interpreter shuts down. When a daemon thread is alive then, it sends what the shutdown writes to
stderr through a tiny filter process that drops the nanobind report and passes everything else
(an "Exception ignored ..." message still shows). Without a daemon thread it does nothing.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
import threading

#: The filter, run with ``python -I -S -c``: stdin to stderr, without the report's lines.
FILTER = r"""
import sys
drop = (b"nanobind: ", b" - leaked ", b" - ... skipped remainder", b"See https://nanobind.readthedocs.io/")
data = sys.stdin.buffer.read()
kept = [line for line in data.split(b"\n") if not line.startswith(drop)]
sys.stderr.buffer.write(b"\n".join(kept))
sys.stderr.buffer.flush()
"""

_installed = False


def daemon_threads_alive() -> bool:
    """Whether a daemon thread will still be running when the interpreter shuts down."""
    return any(t.daemon and t.is_alive() for t in threading.enumerate() if t is not threading.main_thread())


def filter_shutdown_stderr() -> None:
    """Route this process's remaining stderr (fd 2) through :data:`FILTER`, when it matters."""
    if not daemon_threads_alive():
        return
    try:
        sys.stderr.flush()
        sys.stdout.flush()
        read_end, write_end = os.pipe()
        subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", FILTER],
            stdin=read_end,
            stdout=subprocess.DEVNULL,
            close_fds=True,
        )
        os.close(read_end)
        os.dup2(write_end, 2)
        os.close(write_end)
    except (OSError, ValueError):
        pass  # no filter: the report shows, nothing else changes


def install() -> None:
    """Register :func:`filter_shutdown_stderr` once per process, early, so that it runs last
    (exit hooks run in reverse order of registration)."""
    global _installed
    if not _installed:
        atexit.register(filter_shutdown_stderr)
        _installed = True
