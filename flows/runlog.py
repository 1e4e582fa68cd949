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

_ROOT = "paramtrack"


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
    what its run page in the UI shows."""
    logger = logging.getLogger(_ROOT)
    if not any(isinstance(h, RunLogHandler) for h in logger.handlers):
        logger.addHandler(RunLogHandler())
    if logger.level == logging.NOTSET or logger.level > level:
        logger.setLevel(level)
