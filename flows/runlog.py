"""Progress lines go to the terminal *and* to the Prefect run they belong to.

Every step logs to a ``paramtrack.*`` logger (flows, and the sources they call: retries, the
PDF lock, the breaker). The CLI turns those into short terminal lines
(:func:`paramtrack.core.progress.show_progress`). Prefect's UI only shows records that reach its run
loggers (``prefect.flow_runs`` / ``prefect.task_runs``, whose handler sends them to the API), so
without this module every paramtrack run said "This run didn't generate logs".

:class:`RunLogHandler`, attached once to the ``paramtrack`` logger, hands each record to the
handlers of the current run's logger (:func:`prefect.get_run_logger`: the flow run's, or the task
run's inside a task, Dask workers included), with that logger's run ids attached. It calls the run
logger's handlers directly rather than ``run_logger.info(...)`` for two reasons: Prefect's run
loggers inherit ``PREFECT_LOGGING_LEVEL`` (WARNING here, so the engine's own chatter stays off the
terminal), which would drop every INFO line; and their records also propagate to Prefect's
console handler, which would print each line a second time in Prefect's format.
"""

from __future__ import annotations

import logging
import traceback
from collections import deque

from paramtrack.core import exit_noise

_ROOT = "paramtrack"
#: Prefect's loggers for flow and task runs: where the engine logs a failure with its traceback.
ENGINE_LOGGERS = ("prefect.flow_runs", "prefect.task_runs")


class TracebackOnce(logging.Filter):
    """Keep tracebacks out of terminals and run logs where they say nothing new.

    Prefect's engine logs a failure with its traceback at every level it passes: the task run,
    the subflow, the parent flow, and once more when the process that ran a deployment's flow
    reads back its Failed state ("Engine execution exited with unexpected exception", 80 lines
    each for one refused connection). This filter keeps the one-line message of every such
    record (adding the error to it when the message does not say it) and drops the traceback
    when the error is a :class:`~paramtrack.core.errors.ParamtrackError` (explained in one line by
    design), Prefect's ``FailedRun`` (a Failed state read back: its message is the run's reason),
    or when the same exception, or one it was raised from, already had its traceback logged. A
    bug's traceback is still logged, once.

    It also clears the local variables of the exception's frames once it has seen them: Prefect
    keeps a failed run's exception (in its state) until the process exits, and the frames would
    keep what they held, DuckDB connections included, alive to the end, where the DuckDB module
    reports them as "nanobind: leaked ..." on stderr. A traceback prints from the frames' code and
    line numbers, not their locals, so nothing shown is lost.
    """

    def __init__(self, remember: int = 64) -> None:
        super().__init__()
        # (id, message) of exceptions already shown: ids alone could be reused after a
        # collection, and keeping the exceptions would keep their frames (and connections) alive
        self._seen: deque[tuple[int, str]] = deque(maxlen=remember)

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if exc is None:
            return True
        from paramtrack.core.errors import ParamtrackError

        chain: list[BaseException] = []
        link: BaseException | None = exc
        while link is not None and link not in chain and len(chain) < 20:
            chain.append(link)
            link = link.__cause__ or link.__context__
        keys = [(id(e), str(e)) for e in chain]
        if isinstance(exc, (ParamtrackError, *_read_back_failures())) or any(k in self._seen for k in keys):
            message = record.getMessage()
            if str(exc) and str(exc) not in message:
                record.msg, record.args = f"{message}: {type(exc).__name__}: {exc}", None
            record.exc_info, record.exc_text = None, None
        self._seen.extend(keys)
        for link in chain:
            traceback.clear_frames(link.__traceback__)
        return True


def _read_back_failures() -> tuple[type[BaseException], ...]:
    """Prefect's exception for a Failed state read back as a result (when Prefect is loaded)."""
    import sys

    exceptions = sys.modules.get("prefect.exceptions")
    failed = getattr(exceptions, "FailedRun", None)
    return (failed,) if isinstance(failed, type) else ()


class RunLogHandler(logging.Handler):
    """Forward ``paramtrack.*`` records to the current Prefect run's logger's handlers."""

    def emit(self, record: logging.LogRecord) -> None:
        from prefect.exceptions import MissingContextError
        from prefect.logging import get_run_logger

        try:
            run_logger = get_run_logger()
        except MissingContextError:
            return  # outside a flow or task run (a plain function call, a CLI check)
        extra = dict(getattr(run_logger, "extra", None) or {})
        target = run_logger.logger if isinstance(run_logger, logging.LoggerAdapter) else run_logger
        forwarded = logging.makeLogRecord({**record.__dict__, **extra})
        forwarded.msg, forwarded.args = record.getMessage(), None
        for handler in target.handlers:
            if forwarded.levelno >= handler.level:
                handler.handle(forwarded)


def install(level: int = logging.INFO) -> None:
    """Attach :class:`RunLogHandler` to the ``paramtrack`` logger (once per process) and let
    INFO through: a served deployment calls no ``show_progress``, and its progress lines are
    what its run page in the UI shows. Also filter Prefect's engine loggers through
    :class:`TracebackOnce`, and keep DuckDB's exit report off stderr (:mod:`core.exit_noise`)."""
    logger = logging.getLogger(_ROOT)
    if not any(isinstance(h, RunLogHandler) for h in logger.handlers):
        logger.addHandler(RunLogHandler())
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
    exit_noise.install()  # a flow process exits with Prefect's daemon threads alive
    once = TracebackOnce()
    for name in ENGINE_LOGGERS:
        engine = logging.getLogger(name)
        if not any(isinstance(f, TracebackOnce) for f in engine.filters):
            engine.addFilter(once)
