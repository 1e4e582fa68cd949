"""The public result types: one :class:`Candidate` per proposed figure, one :class:`ExtractionResult` per PDF."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from paramtrack.core.vocabulary import KINDS  # noqa: F401  (re-exported as paramtrack.extractors.KINDS)

Quantity = Literal["parameters", "training_compute", "dataset_size"]

#: A candidate at or above this score is "confident": the extractor believes it is the paper's own
#: main-model count. A reviewer prefers no confident proposal to a confident wrong one, so training
#: sets the ranker's confidence offset (``extractors.training``) so that confident top candidates
#: were right at least ``CONFIDENT_PRECISION`` of the time out of fold.
CONFIDENT_SCORE = 0.5
CONFIDENT_PRECISION = 0.95


@dataclass
class Candidate:
    """One proposed figure with the evidence a reviewer needs to accept or reject it.

    ``page`` is the 1-based physical page; ``evidence`` is the sentence (or a rendering of the table
    row) the value was read from; ``mentions`` counts how often the same value was proposed.
    """

    quantity: Quantity
    value: int
    kind: str
    model: str | None
    evidence: str
    page: int
    score: float
    mentions: int = 1
    source: str = "sentence"  # sentence | table | name | size-context
    unit: str | None = None  # for training_compute ("FLOP") and dataset_size ("tokens", "images")
    hedged: bool = field(default=False, repr=False, compare=False)  # best evidence is a bound or hypothetical
    #: What the ranker scored (``extractors.features``); stored so reviewer decisions can train it.
    features: dict[str, float] = field(default_factory=dict, repr=False, compare=False)
    #: The evidence as the PDF had it, when cleaning (``extractors.cleaning``) changed it: for audit.
    evidence_raw: str | None = field(default=None, repr=False, compare=False)

    @property
    def parameters(self) -> int | None:
        return self.value if self.quantity == "parameters" else None

    @property
    def confident(self) -> bool:
        return self.score >= CONFIDENT_SCORE

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.quantity == "parameters":
            d["parameters"] = self.value
        else:
            d["quantity"] = self.quantity
            d["value"] = self.value
            d["unit"] = self.unit
        d.update(
            kind=self.kind,
            model=self.model,
            evidence=self.evidence,
            page=self.page,
            score=round(self.score, 3),
            mentions=self.mentions,
            source=self.source,
        )
        return d


@dataclass
class ExtractionResult:
    """Everything extracted from one PDF. ``error`` set means the PDF could not be read (a value, not an exception)."""

    candidates: list[Candidate] = field(default_factory=list)
    other_candidates: list[Candidate] = field(default_factory=list)
    domain: str = "other"
    domain_confidence: float = 0.0
    date: date | None = None
    date_source: str | None = None
    stamp: str | None = None
    stamp_version: int | None = None
    pages: int = 0
    pages_read: int = 0
    truncated: bool = False
    error: str | None = None
    #: The error came from the extraction process (timeout, memory kill), not from the PDF.
    error_transient: bool = False
    #: For a transient error the PDF may have caused: what happened, with the limit that was
    #: hit ("timeout after 60 s", "memory over 1536 MB", "died (signal 11)"). The same signature
    #: again for the same PDF bytes and extractor version makes it a lasting result.
    failure: str | None = None
    extractor_version: str = ""

    @property
    def top(self) -> Candidate | None:
        return self.candidates[0] if self.candidates else None

    def to_dict(self, *, limit: int | None = None) -> dict[str, Any]:
        cands = self.candidates if limit is None else self.candidates[:limit]
        return {
            "candidates": [c.to_dict() for c in cands],
            "domain": self.domain,
            "date": self.date.isoformat() if self.date else None,
            "pages": self.pages,
            "error": self.error,
            "domain_confidence": round(self.domain_confidence, 3),
            "date_source": self.date_source,
            "arxiv_stamp": self.stamp,
            "stamp_version": self.stamp_version,
            "pages_read": self.pages_read,
            "truncated": self.truncated,
            "other_candidates": [c.to_dict() for c in self.other_candidates],
            "extractor_version": self.extractor_version,
        }

    def to_json(self, *, limit: int | None = None, indent: int | None = None) -> str:
        """The CLI's JSON shape: candidates/domain/date/pages/error plus a few extra keys."""
        return json.dumps(self.to_dict(limit=limit), indent=indent, ensure_ascii=False)
