"""Running the discover and backfill flows against a replay server.

``discover(db, replay, since=..., until=..., bulk_search=False)`` is how every test here starts
the real discover flow through Prefect's test harness; a module states its window and settings
once with ``discover.bind(...)``. Its keyword arguments are one flat set: the flow's own
parameters (``since``, ``until``, ``arxiv_ids``, ``categories``, ``return_state``), ``sources``
(fields of :class:`~paramtrack.flows.options.SourceSettings`, on top of the replay server's
addresses and no pacing) and any :class:`~paramtrack.flows.options.RunOptions` field. PDFs go to
``pdfs/`` beside the warehouse unless ``pdf_cache_dir`` says otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

#: The flows' own parameters (``discover_flow``, ``backfill_flow``, ``run_backfill``); everything
#: else a test passes is a ``RunOptions`` field (or, under ``sources``, a ``SourceSettings`` one).
FLOW_PARAMETERS = {
    "db_path",
    "since",
    "until",
    "window_from",
    "window_to",
    "categories",
    "arxiv_ids",
    "return_state",
    "workers",
    "dask_address",
    "dashboard",
}


def run_options(replay: Any, *, sources: dict[str, Any] | None = None, **fields: Any) -> Any:
    """:class:`RunOptions` for a run against ``replay``: its URLs and no pacing (it is on
    loopback); ``sources`` overrides :class:`SourceSettings` fields, ``fields`` the rest."""
    from paramtrack.flows.options import RunOptions, SourceSettings

    where = dict(
        arxiv_url=replay.arxiv_api_url,
        s2_url=replay.s2_api_url,
        oai_url=f"{replay.base_url}/oai2",
        pdf_url_format=f"{replay.base_url}/pdf/{{id}}",
        arxiv_delay_s=0.0,
        s2_min_interval=0.0,
        pdf_delay_s=0.0,
    )
    return RunOptions(sources=SourceSettings(**(where | (sources or {}))), **fields)


def flow_arguments(db: Path, replay: Any, params: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of a flow call from one flat dict (see the module's docstring)."""
    params = {"pdf_cache_dir": str(db.parent / "pdfs"), **params}
    flow = {k: v for k, v in params.items() if k in FLOW_PARAMETERS}
    rest = {k: v for k, v in params.items() if k not in FLOW_PARAMETERS}
    return {"db_path": str(db), **flow, "options": run_options(replay, **rest)}


class DiscoverRun:
    """Starts the discover flow with a module's defaults (``bind``) under each call's settings."""

    def __init__(self, defaults: dict[str, Any] | None = None) -> None:
        self.defaults = defaults or {}

    def bind(self, **defaults: Any) -> DiscoverRun:
        """The same runner with these defaults (``sources`` merges field by field)."""
        return DiscoverRun(self._merged(defaults))

    def _merged(self, params: dict[str, Any]) -> dict[str, Any]:
        merged = {**self.defaults, **params}
        if "sources" in self.defaults and "sources" in params:
            merged["sources"] = {**self.defaults["sources"], **params["sources"]}
        if "arxiv_ids" in params:  # papers by id: no window
            merged.pop("since", None)
            merged.pop("until", None)
        return merged

    def arguments(self, db: Path, replay: Any, **params: Any) -> dict[str, Any]:
        """What :meth:`__call__` hands the flow (for a test that calls it another way)."""
        return flow_arguments(db, replay, self._merged(params))

    def __call__(self, db: Path, replay: Any, **params: Any) -> Any:
        """``discover_flow``'s result: the summary, its final state with ``return_state=True``;
        a run a source outage stopped raises :class:`~paramtrack.flows.discover.RunStoppedError`."""
        from paramtrack.flows.discover import discover_flow

        return discover_flow(**self.arguments(db, replay, **params))

    def summary(self, db: Path, replay: Any, **params: Any) -> Any:
        """The run's summary also when a source outage stopped it (``run_discover``, as the CLI
        and the weekly flow call it): then ``summary.status == 'source_down'``."""
        from paramtrack.flows.discover import run_discover

        return run_discover(**self.arguments(db, replay, **params))


@pytest.fixture(scope="session")
def discover(prefect_harness) -> DiscoverRun:
    """The discover flow through Prefect's test harness against a replay server (see above)."""
    return DiscoverRun()


@pytest.fixture(scope="session")
def backfill_arguments() -> Callable[..., dict[str, Any]]:
    """``backfill_flow(**backfill_arguments(db, replay, window_from=..., window_to=...))``: the
    same flat settings as :func:`discover` takes, as the backfill flow's keyword arguments."""

    def arguments(db: Path, replay: Any, **params: Any) -> dict[str, Any]:
        return flow_arguments(db, replay, params)

    return arguments


@pytest.fixture(scope="session")
def ids_with_pdfs() -> Callable[[Any, date, date], set[str]]:
    """``ids_with_pdfs(corpus, since, until)``: corpus papers first published in the window that
    the replay server has a PDF for. Tests derive their expectations from the corpus with it
    instead of writing its counts down: the shared corpus grows, and a window's PDFs with it."""

    def ids(corpus: Any, since: date, until: date) -> set[str]:
        return {p.arxiv_id for p in corpus.with_pdfs if since <= p.published.date() <= until}

    return ids
