"""Prefect's temporary local API server, started once per process and dying with it.

Without ``PREFECT_API_URL`` a flow run makes Prefect start an ephemeral API server: a
``python -m uvicorn ... prefect.server.api.server:create_app`` child (Prefect 3.8.8,
``SubprocessASGIServer``), stopped by an ``atexit`` hook. ``kill -9`` of the process skips
that hook, so the server (~255 MB) kept running, orphaned, for good.

:func:`local_api` starts that server itself (the same process-wide instance Prefect would use)
and pairs it with a tiny watchdog process that polls its parent: when the parent is gone,
however it died, the watchdog stops the server (SIGTERM, then SIGKILL) and exits. A watchdog
rather than ``prctl(PR_SET_PDEATHSIG)`` in the server child because Prefect builds that child
itself (no hook to set it), and because the death signal follows the *thread* that started the
child, which need not be the main one. The server's URL is set as ``PREFECT_API_URL`` for the
block, so Dask workers report to it too instead of starting one each.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

#: Run with ``python -I -S -c``: parent pid, server pid. No imports beyond the standard library.
WATCHDOG = r"""
import os, signal, sys, time
parent, server = int(sys.argv[1]), int(sys.argv[2])

def running(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"

def is_server(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return b"uvicorn" in fh.read()
    except OSError:
        return False

while os.getppid() == parent:
    if not running(server):
        sys.exit(0)  # stopped normally (atexit): nothing to do
    time.sleep(0.5)
# The parent is gone (we were re-parented): stop its server.
if running(server) and is_server(server):
    os.kill(server, signal.SIGTERM)
    for _ in range(50):
        if not running(server):
            break
        time.sleep(0.2)
    else:
        os.kill(server, signal.SIGKILL)
"""

_watchdogs: list[subprocess.Popen] = []  # kept so they are not reported as leaked


def watch_server(server_pid: int) -> subprocess.Popen:
    """Start a watchdog that stops ``server_pid`` once this process is gone."""
    proc = subprocess.Popen(
        [sys.executable, "-I", "-S", "-c", WATCHDOG, str(os.getpid()), str(server_pid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=True,  # a Ctrl-C to our group must not stop it first
    )
    _watchdogs.append(proc)
    return proc


@contextmanager
def local_api() -> Iterator[str]:
    """Yield the Prefect API URL to use: ``PREFECT_API_URL`` when set, else this process's
    ephemeral server, started now with its watchdog (once; later calls reuse it)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = PREFECT_API_URL.value()
    if configured:
        yield configured
        return
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # the process-wide instance Prefect itself would use
    if not server.running:
        server.start()
        if server.server_process is not None:
            watch_server(server.server_process.pid)
    with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
        yield server.api_url
