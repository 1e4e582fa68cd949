"""Progress lines on stderr for long work, through the standard ``logging`` module.

Flows and tasks log to ``paramtrack.*`` loggers; the CLI turns those into short lines so a user
sees a long ingest advance, while Prefect's own logging stays at WARNING.
"""

from __future__ import annotations

import logging
import sys


def show_progress(verbose: bool = True) -> None:
    """Print ``paramtrack.*`` progress lines on stderr (only warnings with ``verbose=False``).

    The quiet level is set on this terminal handler, not on the logger: the logger stays at
    INFO so the same lines still reach the Prefect run's log (``flows/runlog.py``).
    """
    logger = logging.getLogger("paramtrack")
    if any(getattr(h, "_paramtrack", False) for h in logger.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("  %(message)s"))
    handler.setLevel(logging.INFO if verbose else logging.WARNING)
    handler._paramtrack = True  # type: ignore[attr-defined]
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
