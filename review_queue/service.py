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

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from paramtrack.errors import UserError
from warehouse import Connection, Warehouse
from warehouse import review_store as store
from warehouse.review_store import DecisionConflict, NotStaged, Outcome

__all__ = [
    "DecisionConflict", "NotStaged", "Outcome", "InvalidDecision", "Correction", "ReviewService",
    "KINDS", "DOMAINS", "REASONS", "parse_parameters", "parse_date", "parse_reason",
    "format_params",
]

KINDS = ("dense_total", "moe_total", "moe_active", "non_embedding", "embedding", "unknown")
DOMAINS = (
    "language", "vision", "games", "speech", "multimodal", "recommendation", "robotics", "other",
)
#: Reject reasons: key -> label shown to reviewers (either is accepted on input).
REASONS = {
    "not_notable": "not notable",
    "no_count_stated": "no count stated",
    "duplicate": "duplicate of another entry",
    "not_ml": "not ML",
}
MAX_REVIEWER = 64
MAX_TEXT = 2000


class InvalidDecision(UserError):
    """A decision's input does not validate (bad number, unknown kind, missing reviewer...)."""


@dataclass(frozen=True)
class Correction:
    """Reviewer-supplied values; ``None`` keeps the candidate's (or paper's) value."""

    parameters: float | None = None
    kind: str | None = None
    model: str | None = None
    date: date | None = None
    domain: str | None = None


_SCALES = {
    "k": 1e3, "thousand": 1e3, "m": 1e6, "mn": 1e6, "million": 1e6, "millions": 1e6,
    "b": 1e9, "bn": 1e9, "billion": 1e9, "billions": 1e9, "t": 1e12, "trillion": 1e12,
    "trillions": 1e12,
}
_PARAM_RE = re.compile(r"^(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(?P<scale>[A-Za-z]+)?$")


def parse_parameters(text: str) -> float:
    """"175B", "1.3 billion", "175,000,000,000", "1.75e11" -> float; InvalidDecision otherwise."""
    raw = (text or "").strip()
    cleaned = raw.replace(",", "").replace("_", "")
    m = _PARAM_RE.match(cleaned)
    if not m:
        raise InvalidDecision(f"parameters {raw!r} is not a number")
    value = float(m.group("num"))
    scale = m.group("scale")
    if scale:
        factor = _SCALES.get(scale.lower())
        if factor is None:
            raise InvalidDecision(f"parameters {raw!r} is not a number")
        value *= factor
    if not value > 0 or value > 1e16:
        raise InvalidDecision(f"parameters {raw!r} is out of range")
    return value


def parse_date(text: str) -> date:
    raw = (text or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidDecision(f"date {raw!r} is not a date (YYYY-MM-DD)") from None


def parse_reason(text: str) -> str:
    raw = (text or "").strip()
    key = raw.lower().replace("-", "_").replace(" ", "_")
    if key in REASONS:
        return key
    for k, label in REASONS.items():
        if raw.lower() == label.lower():
            return k
    allowed = ", ".join(REASONS)
    raise InvalidDecision(f"reason {raw!r} is not one of {allowed}")


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise InvalidDecision(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    return kind


def check_domain(domain: str) -> str:
    if domain not in DOMAINS:
        raise InvalidDecision(f"domain {domain!r} is not one of {', '.join(DOMAINS)}")
    return domain


def check_reviewer(reviewer: str | None) -> str:
    name = (reviewer or "").strip()
    if not name:
        raise InvalidDecision(
            "a reviewer name is required",
            hint="pass --reviewer NAME or set PARAMTRACK_REVIEWER",
        )
    if len(name) > MAX_REVIEWER or any(ord(ch) < 32 for ch in name):
        raise InvalidDecision(f"reviewer name must be at most {MAX_REVIEWER} printable characters")
    return name


def format_params(value: float | None) -> str:
    """540e9 -> "540B", 1.3e9 -> "1.3B", 350e6 -> "350M"."""
    if value is None:
        return "—"
    for factor, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if abs(value) >= factor:
            scaled = value / factor
            text = f"{scaled:.3g}" if scaled < 1000 else f"{scaled:,.0f}"
            return f"{text}{suffix}"
    return f"{value:g}"


class ReviewService:
    """Review actions over one warehouse; every public method is one short transaction."""

    def __init__(self, wh: Warehouse) -> None:
        self.wh = wh

    # -- reads --------------------------------------------------------------------------------

    def paper_view(self, arxiv_id: str) -> dict[str, Any] | None:
        with self.wh.read() as con:
            paper = store.paper(con, arxiv_id)
            if paper is None:
                return None
            return {
                "paper": paper,
                "candidates": store.candidates(con, arxiv_id),
                "decisions": store.paper_decisions(con, arxiv_id),
                "model": store.review_model(con, arxiv_id),
                "pdf_path": store.cached_pdf_path(con, arxiv_id),
            }

    # -- writes -------------------------------------------------------------------------------

    def decide(self, arxiv_id: str, **kwargs: Any) -> Outcome:
        """Validate and apply one decision in its own transaction (see :meth:`decide_in`)."""
        with self.wh.write() as con:
            return self.decide_in(con, arxiv_id, **kwargs)

    def decide_and_next(self, arxiv_id: str, **kwargs: Any) -> tuple[Outcome, str | None]:
        """:meth:`decide`, plus the next pending paper, read in the same short transaction."""
        with self.wh.write() as con:
            outcome = self.decide_in(con, arxiv_id, **kwargs)
            upcoming = [r["arxiv_id"] for r in store.queue(con, status="pending", limit=2)
                        if r["arxiv_id"] != arxiv_id]
        return outcome, (upcoming[0] if upcoming else None)

    def decide_in(
        self,
        con: Connection,
        arxiv_id: str,
        *,
        reviewer: str | None,
        action: str,
        candidate_id: int | None = None,
        correction: Correction | None = None,
        reason: str | None = None,
        note: str | None = None,
        request_id: str | None = None,
        expected_version: int | None = None,
    ) -> Outcome:
        """Build the decision from the paper's current data and apply it inside ``con``.

        approve: the chosen candidate (default: the top one) as proposed. correct: the chosen
        candidate (if any) overridden by ``correction``. reject: needs a reason. second_look and
        note: no change to ``models``.
        """
        reviewer = check_reviewer(reviewer)
        if action not in store.ACTIONS:
            raise InvalidDecision(f"action {action!r} is not one of {', '.join(store.ACTIONS)}")
        note = (note or "").strip()[:MAX_TEXT] or None
        if request_id is not None and len(request_id) > 100:
            raise InvalidDecision("request id too long")
        if request_id:
            done = store.decision_by_request(con, request_id)
            if done is not None and done["arxiv_id"] == arxiv_id:
                return Outcome(done, duplicate=True)
        paper = store.paper(con, arxiv_id)
        if paper is None or paper["status"] is None:
            raise NotStaged(arxiv_id)
        if action != "note":
            # before the candidate check: a page from before a re-extraction is a conflict
            state = store.item_state(con, arxiv_id)
            assert state is not None
            store.check_version(con, state, expected_version)

        cand: dict[str, Any] | None = None
        if candidate_id is not None:
            cand = store.candidate(con, int(candidate_id))
            if cand is None or cand["arxiv_id"] != arxiv_id:
                raise InvalidDecision(
                    f"candidate {candidate_id} is not a current parameter candidate of {arxiv_id}"
                )
        elif action in ("approve", "correct"):
            ranked = store.candidates(con, arxiv_id)
            cand = ranked[0] if ranked else None
        proposal = None
        if cand is not None:
            proposal = {
                "system": cand["model"], "parameters": cand["value"],
                "parameters_kind": cand["kind"], "evidence": cand["evidence"],
                "evidence_page": cand["page"], "score": cand["score"],
            }

        new_value: dict[str, Any] | None = None
        if action == "reject":
            if not reason:
                raise InvalidDecision("reject needs a reason: " + ", ".join(REASONS.values()))
            reason = parse_reason(reason)
        elif action in ("approve", "correct"):
            corr = correction or Correction()
            if action == "approve" and cand is None:
                raise InvalidDecision(f"{arxiv_id} has no candidate to approve; use correct")
            params = corr.parameters if corr.parameters is not None else (cand or {}).get("value")
            if params is None:
                raise InvalidDecision("correct needs a parameter count (no candidate to start from)")
            kind = corr.kind or (cand or {}).get("kind") or "unknown"
            domain = corr.domain or paper.get("domain") or "other"
            new_value = {
                "system": (corr.model or (cand or {}).get("model") or paper["title"] or arxiv_id)[:200],
                "parameters": float(params),
                "parameters_kind": check_kind(kind) if corr.kind else (kind if kind in KINDS else "unknown"),
                "publication_date": corr.date or paper.get("published") or paper.get("stated_date"),
                "domain": check_domain(domain) if corr.domain else (domain if domain in DOMAINS else "other"),
                "evidence": (cand or {}).get("evidence"),
                "evidence_page": (cand or {}).get("page"),
            }
        return store.apply_decision(
            con, arxiv_id=arxiv_id, reviewer=reviewer, action=action,
            candidate_id=cand["candidate_id"] if cand else None, proposal=proposal,
            new_value=new_value, reason=reason, note=note, request_id=request_id or None,
            expected_version=expected_version,
        )
