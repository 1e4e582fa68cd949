"""The review actions, shared by the web app, the terminal review and the CSV import.

Lock handling (why every action is its own short transaction)
-------------------------------------------------------------
DuckDB lets one process at a time hold the warehouse file read-write and refuses even read-only
opens meanwhile. The review app, ``paramtrack review``, ``queue import`` and the scheduled ingest
are separate processes, so none of them keeps a connection open: each action here is exactly one
``Warehouse.write()`` (open → one transaction → commit → close, typically tens of ms), and each
page view one ``Warehouse.read()``. While another process holds the file, ``Warehouse`` retries
the open with jittered backoff for up to ``lock_timeout_s`` (30 s); inside one process its lock
queues threads. Nothing waits on a human while holding the file (the terminal review reads,
closes, prompts, then writes).

No decision is lost or doubled: the decision, the curated ``models`` row and the dataset-changed
event are written in the same transaction (all or nothing); a request that still cannot get the
lock after the bounded wait fails loudly (HTTP 503 / exit code), never silently, and carries a
``request_id`` so resubmitting it is safe (applied once). A form also carries the paper's review
``version``; a decision made against a stale version is refused with a conflict naming who decided
first.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from paramtrack.core.domains import DOMAINS
from paramtrack.core.units import format_count
from paramtrack.core.vocabulary import KINDS
from paramtrack.review_queue import decisions
from paramtrack.review_queue.decisions import Correction, MatchChanged, match_ids, parse_match_ids, reviewed_columns
from paramtrack.review_queue.system_names import offered_names, suggested_system, suggested_systems
from paramtrack.review_queue.validation import (
    MAX_PARAMETERS,
    MAX_REVIEWER,
    MAX_TEXT,
    REASONS,
    InvalidDecision,
    check_domain,
    check_kind,
    check_parameters,
    check_request_id,
    check_reviewer,
    parse_date,
    parse_parameters,
    parse_reason,
)
from paramtrack.warehouse import Connection, Warehouse, models_store, undo_store
from paramtrack.warehouse import review_store as store
from paramtrack.warehouse.review_store import DecisionConflict, NotStaged, Outcome
from paramtrack.warehouse.undo_store import UndoRefused


def format_params(value: float | None) -> str:
    """The review surfaces' spelling of a count: an em dash for a value nobody extracted."""
    return format_count(value, missing="—")


__all__ = [
    "DecisionConflict",
    "NotStaged",
    "UndoRefused",
    "Outcome",
    "InvalidDecision",
    "Correction",
    "ReviewService",
    "MatchChanged",
    "match_ids",
    "parse_match_ids",
    "KINDS",
    "DOMAINS",
    "REASONS",
    "MAX_PARAMETERS",
    "MAX_REVIEWER",
    "MAX_TEXT",
    "parse_parameters",
    "check_parameters",
    "check_kind",
    "check_domain",
    "check_reviewer",
    "parse_date",
    "parse_reason",
    "format_params",
    "reviewed_columns",
    "offered_names",
    "suggested_system",
    "suggested_systems",
    "undo_offer",
]


class ReviewService:
    """Review actions over one warehouse; every public method is one short transaction."""

    def __init__(self, wh: Warehouse, on_write: Callable[[], None] | None = None) -> None:
        self.wh = wh
        # called after every committed decision: the review server publishes the analysts'
        # read copy from it (warehouse.publish.ReadCopyPublisher)
        self.on_write = on_write

    def _written(self) -> None:
        if self.on_write is not None:
            self.on_write()

    # -- reads --------------------------------------------------------------------------------

    def paper_view(self, arxiv_id: str, reviewer: str | None = None) -> dict[str, Any] | None:
        """Everything a paper page or the terminal shows; ``reviewer`` decides which decision
        (their own last one) is offered for undo."""
        with self.wh.read() as con:
            paper = store.paper(con, arxiv_id)
            if paper is None:
                return None
            cands = store.candidates(con, arxiv_id)
            systems = store.review_models(con, arxiv_id)
            dataset = models_store.curated_rows(con, [int(m["model_id"]) for m in systems])
            for m in systems:
                m["curated"] = dataset.get(int(m["model_id"]))
            epoch_rows = models_store.epoch_rows_of_paper(con, arxiv_id)
            for c in cands:
                # what approving this candidate would write and supersede, shown before it applies
                c["system"] = suggested_system(con, arxiv_id, c)
                c["matches"] = models_store.matching_epoch_rows(con, arxiv_id, c["system"])
                c["match_ids"] = match_ids(c["matches"])
            return {
                "paper": paper,
                "candidates": cands,
                "decisions": store.paper_decisions(con, arxiv_id),
                "systems": systems,
                "epoch_rows": epoch_rows,
                "epoch_imported": models_store.has_epoch_rows(con),
                "undoable": undo_store.undoable(con, arxiv_id, reviewer),
                "pdf_path": store.cached_pdf_path(con, arxiv_id),
            }

    def name_for_value(self, arxiv_id: str, cand: dict[str, Any] | None, value: float | None) -> str:
        """The system name to offer for a corrected value: the candidate's suggestion while its
        count is kept; for another count, Epoch's name of this paper's row with that count, or
        nothing. Never the name of another system the candidate happened to name (correcting
        VGG's count must not offer "MultiBox", which Enter would save it under)."""
        with self.wh.read() as con:
            if value is None or (cand is not None and math.isclose(value, float(cand["value"]), rel_tol=1e-9)):
                return suggested_system(con, arxiv_id, cand)
            names = {r["system"] for r in models_store.epoch_rows_of_same_size(con, arxiv_id, None, value)}
        return names.pop() if len(names) == 1 else ""

    def match_preview(self, arxiv_id: str, system: str) -> list[dict[str, Any]]:
        """The Epoch rows a value for ``system`` of this paper would supersede (read only)."""
        with self.wh.read() as con:
            return models_store.matching_epoch_rows(con, arxiv_id, system.strip()[:200])

    # -- writes -------------------------------------------------------------------------------

    def undo(
        self,
        arxiv_id: str,
        *,
        reviewer: str | None,
        decision_id: int,
        expected_version: int | None = None,
        request_id: str | None = None,
    ) -> Outcome:
        """Undo the reviewer's own last decision on the paper, as a decision of its own (one
        short transaction); :class:`~warehouse.undo_store.UndoRefused` says why not."""
        name = check_reviewer(reviewer)
        request_id = check_request_id(request_id)
        with self.wh.write() as con:
            outcome = undo_store.undo_decision(
                con,
                arxiv_id=arxiv_id,
                reviewer=name,
                decision_id=decision_id,
                request_id=request_id,
                expected_version=expected_version,
            )
        self._written()
        return outcome

    def decide(self, arxiv_id: str, **kwargs: Any) -> Outcome:
        """Validate and apply one decision in its own transaction (see :meth:`decide_in`)."""
        with self.wh.write() as con:
            outcome = self.decide_in(con, arxiv_id, **kwargs)
        self._written()
        return outcome

    def decide_and_next(self, arxiv_id: str, **kwargs: Any) -> tuple[Outcome, str | None]:
        """:meth:`decide`, plus the next pending paper, read in the same short transaction."""
        with self.wh.write() as con:
            outcome = self.decide_in(con, arxiv_id, **kwargs)
            upcoming = [r["arxiv_id"] for r in store.queue(con, status="pending", limit=2) if r["arxiv_id"] != arxiv_id]
        self._written()
        return outcome, (upcoming[0] if upcoming else None)

    def decide_in(self, con: Connection, arxiv_id: str, **asked: Any) -> Outcome:
        """Build the decision from the paper's current data and apply it inside ``con``.

        ``asked`` are :func:`~review_queue.decisions.clean_request`'s fields (reviewer, action,
        candidate_id, correction, reason, note, request_id, expected_version, system,
        supersedes); :mod:`review_queue.decisions` says what each action does.
        """
        return decisions.decide(con, decisions.clean_request(arxiv_id, **asked))


def undo_offer(con: Connection, last: dict[str, Any] | None, reviewer: str | None) -> dict[str, Any] | None:
    """The Undo button of the "Saved decision" line: the decision just saved, while it is
    still the reviewer's own last decision on its paper, with that paper's version."""
    if not last or last["action"] == "undo":
        return None
    target = undo_store.undoable(con, last["arxiv_id"], reviewer)
    if target is None or target["decision_id"] != last["decision_id"]:
        return None
    state = store.item_state(con, last["arxiv_id"])
    if state is None:
        return None
    return {"decision_id": last["decision_id"], "arxiv_id": last["arxiv_id"], "version": state["version"]}
