"""The words the layers share: kinds of parameter count, review actions, and a decision's payload.

The extractor proposes counts of a :data:`KINDS` kind, the review decides them with one of
:data:`ACTIONS`, and an approve or correct decision records the curated row it writes as a
:class:`DecisionValue` (the ``new_value`` column of ``decisions``). One definition here keeps the
extractor, the review surfaces and the warehouse speaking of the same things. Imports nothing
from paramtrack.
"""

from __future__ import annotations

from datetime import date
from typing import Literal, TypedDict

__all__ = [
    "KINDS",
    "ACTIONS",
    "VALUE_ACTIONS",
    "EvidenceSource",
    "Proposal",
    "Superseded",
    "DecisionValue",
]

#: What a parameter count counts: all weights of a dense model, all or the active experts of a
#: mixture, the count without or only of the embeddings, or not said.
KINDS = ("dense_total", "moe_total", "moe_active", "non_embedding", "embedding", "unknown")

#: What a reviewer can do with a paper. ``note`` changes nothing but the log; an ``undo`` is
#: a decision of its own, made through its own path (``warehouse.undo_store``).
ACTIONS = ("approve", "correct", "reject", "second_look", "note")

#: The actions that write a curated value.
VALUE_ACTIONS = ("approve", "correct")

#: Where a curated value's evidence sentence came from: the decided candidate's own sentence,
#: another candidate's that the reviewer picked, or one the reviewer typed.
EvidenceSource = Literal["candidate", "picked", "typed"]


class Proposal(TypedDict):
    """The candidate a decision started from, as proposed (logged when nothing was replaced)."""

    system: str | None
    parameters: float
    parameters_kind: str
    evidence: str
    evidence_page: int | None
    score: float


class Superseded(TypedDict):
    """An Epoch row the value supersedes because it names the same system (kept for the log)."""

    model_id: int
    system: str
    source_file: str
    source_row: int
    matched_on: str


class DecisionValue(TypedDict):
    """The curated row an approve or correct decision writes, as ``decisions.new_value`` keeps it.

    ``replaces`` names a reviewed row of the paper the reviewer chose to overwrite (to rename a
    system); ``reviewed_columns`` are the columns the review decides, so they take over from
    Epoch's row of the same system; ``supersedes`` lists those Epoch rows.
    """

    system: str
    parameters: float
    parameters_kind: str
    publication_date: date | None
    domain: str
    evidence: str | None
    evidence_page: int | None
    evidence_source: EvidenceSource
    evidence_candidate_id: int | None
    replaces: int | None
    reviewed_columns: list[str]
    supersedes: list[Superseded]
