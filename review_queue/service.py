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
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from paramtrack.core.domains import DOMAINS
from paramtrack.core.errors import ParamtrackError
from paramtrack.core.units import format_count
from paramtrack.review_queue.reviewer_text import clean_fields, clean_line
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
    "KINDS",
    "DOMAINS",
    "REASONS",
    "parse_parameters",
    "check_parameters",
    "parse_date",
    "parse_reason",
    "format_params",
]

KINDS = ("dense_total", "moe_total", "moe_active", "non_embedding", "embedding", "unknown")
#: Reject reasons: key -> label shown to reviewers (either is accepted on input).
REASONS = {
    "not_notable": "not notable",
    "no_count_stated": "no count stated",
    "duplicate": "duplicate of another entry",
    "not_ml": "not ML",
}
MAX_REVIEWER = 64
MAX_TEXT = 2000


class InvalidDecision(ParamtrackError):
    """A decision's input does not validate (bad number, unknown kind, missing reviewer...)."""


class MatchChanged(Exception):
    """The Epoch rows the value would supersede are not the ones the reviewer was shown.

    Raised before anything is written (the form named another system, or an import changed
    the Epoch rows since the page was drawn); the caller shows ``matches`` and asks again.
    """

    def __init__(self, arxiv_id: str, system: str, matches: list[dict[str, Any]]) -> None:
        self.arxiv_id = arxiv_id
        self.system = system
        self.matches = matches
        names = (
            ", ".join(f"{m['system']} ({m['source_file']} row {m['source_row']})" for m in matches)
            or "no Epoch row (a new system)"
        )
        self.message = f"{system} of {arxiv_id} supersedes: {names}; confirm to save"
        super().__init__(self.message)


def match_ids(matches: list[dict[str, Any]]) -> str:
    """The form value naming a set of superseded Epoch rows: sorted model ids, comma-joined
    (``-`` for none, so "shown: none" differs from "not shown")."""
    ids = sorted(int(m["model_id"]) for m in matches)
    return ",".join(str(i) for i in ids) or "-"


def parse_match_ids(text: str | None) -> tuple[int, ...] | None:
    """Inverse of :func:`match_ids`; None when the form did not say (no check). ``unknown``
    (the page was still asking when the form was sent) matches no real set, so the value
    goes through the confirmation page."""
    raw = (text or "").strip()
    if not raw:
        return None
    if raw == "-":
        return ()
    if raw == "unknown":
        return (-1,)
    try:
        return tuple(sorted(int(part) for part in raw.split(",")))
    except ValueError:
        raise InvalidDecision(f"supersedes {raw!r} is not a list of row ids") from None


@dataclass(frozen=True)
class Correction:
    """Reviewer-supplied values; ``None`` keeps the candidate's (or paper's) value.

    ``model`` is the system the value belongs to. Evidence for a changed value comes from the
    reviewer: ``evidence_candidate_id`` (another candidate's sentence and page) or
    ``evidence`` + ``evidence_page`` (typed). ``replaces`` names a reviewed system of the
    paper to overwrite (to rename it); otherwise the paper's row of the same system is updated
    or, for a new name, a system is added.
    """

    parameters: float | None = None
    kind: str | None = None
    model: str | None = None
    date: date | None = None
    domain: str | None = None
    evidence: str | None = None
    evidence_page: int | None = None
    evidence_candidate_id: int | None = None
    replaces: int | None = None


_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "t": 1e12,
    "trillion": 1e12,
    "trillions": 1e12,
}
_PARAM_RE = re.compile(r"^(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(?P<scale>[A-Za-z]+)?$")


def parse_parameters(text: str) -> float:
    """ "175B", "1.3 billion", "175,000,000,000", "1.75e11" -> float; InvalidDecision otherwise."""
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
    return check_parameters(value, raw)


#: The largest parameter count accepted (10^16: three orders of magnitude past any model yet).
MAX_PARAMETERS = 1e16


def check_parameters(value: float, shown: str | None = None) -> float:
    """A parameter count a decision may record: a finite number from 1 to :data:`MAX_PARAMETERS`.

    Every entry point (web form, terminal, CSV, a script calling the service) ends here, so a
    count of 1e-9 or 0.5 parameters, or NaN, never reaches the curated dataset and its fits.
    """
    text = shown if shown is not None else f"{value:g}"
    if not math.isfinite(value):
        raise InvalidDecision(f"parameters {text!r} is not a number")
    if value < 1:
        raise InvalidDecision(f"parameters {text!r} is below 1: a model has at least one parameter")
    if value > MAX_PARAMETERS:
        raise InvalidDecision(f"parameters {text!r} is out of range (at most {MAX_PARAMETERS:.0e})")
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
    """The reviewer's name as decisions record it: cleaned like all reviewer text (control and
    bidi characters removed, see :mod:`review_queue.reviewer_text`), non-empty, at most
    :data:`MAX_REVIEWER` characters."""
    name = clean_line(reviewer)
    if not name:
        raise InvalidDecision(
            "a reviewer name is required",
            hint="pass --reviewer NAME or set PARAMTRACK_REVIEWER",
        )
    if len(name) > MAX_REVIEWER:
        raise InvalidDecision(f"reviewer name must be at most {MAX_REVIEWER} characters")
    return name


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
        if request_id is not None and len(request_id) > 100:
            raise InvalidDecision("request id too long")
        with self.wh.write() as con:
            outcome = undo_store.undo_decision(
                con,
                arxiv_id=arxiv_id,
                reviewer=name,
                decision_id=decision_id,
                request_id=request_id or None,
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
        system: str | None = None,
        supersedes: tuple[int, ...] | None = None,
    ) -> Outcome:
        """Build the decision from the paper's current data and apply it inside ``con``.

        approve: the chosen candidate (default: the top one) as proposed, for ``system``
        (default: the candidate's model name; never the paper's title). correct: the chosen
        candidate (if any) overridden by ``correction``; a changed value needs the reviewer's
        evidence. reject: needs a reason. second_look and note: no change to ``models``.

        ``supersedes`` is the set of Epoch row ids the reviewer was shown as the same system
        (see :func:`match_ids`); when it differs from what the value would supersede now,
        :class:`MatchChanged` is raised and nothing is written. None skips the check (the CSV
        import, which shows no match).

        Text the reviewer typed (name, note, system, evidence) is stored cleaned; what cleaning
        changed is kept raw beside the decision (:mod:`review_queue.reviewer_text`).
        """
        cleaned, raw_text = clean_fields(
            {
                "reviewer": reviewer,
                "note": note,
                "system": system,
                "model": correction.model if correction else None,
                "evidence": correction.evidence if correction else None,
            }
        )
        note, system = cleaned["note"], cleaned["system"]
        if correction is not None:
            correction = replace(correction, model=cleaned["model"], evidence=cleaned["evidence"])
            if correction.parameters is not None:
                check_parameters(float(correction.parameters))  # whoever built the Correction
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
                raise InvalidDecision(f"candidate {candidate_id} is not a current parameter candidate of {arxiv_id}")
        elif action in ("approve", "correct"):
            ranked = store.candidates(con, arxiv_id)
            cand = ranked[0] if ranked else None
        proposal = None
        if cand is not None:
            proposal = {
                "system": cand["model"],
                "parameters": cand["value"],
                "parameters_kind": cand["kind"],
                "evidence": cand["evidence"],
                "evidence_page": cand["page"],
                "score": cand["score"],
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
            name = " ".join((corr.model or system or "").split())[:200]
            # What the page prefilled (or the terminal offered) is not the reviewer's own
            # spelling: then Epoch's name of the same system stays in the dataset.
            offered = offered_names(con, arxiv_id, cand, float(params))
            typed = bool(name) and name not in offered
            if not name:
                name = suggested_system(con, arxiv_id, cand, float(params))
            if not name:
                raise InvalidDecision(
                    "the candidate names no system: type the name of the system this value belongs to",
                    hint="e.g. ResNet-152",
                )
            kind = corr.kind or (cand or {}).get("kind") or "unknown"
            domain = corr.domain or paper.get("domain") or "other"
            evidence = self._evidence(con, arxiv_id, cand, corr, float(params))
            matches = models_store.matching_epoch_rows(con, arxiv_id, name)
            if supersedes is not None and tuple(sorted(supersedes)) != tuple(
                sorted(int(m["model_id"]) for m in matches)
            ):
                raise MatchChanged(arxiv_id, name, matches)
            new_value = {
                "system": name,
                "parameters": float(params),
                "parameters_kind": check_kind(kind) if corr.kind else (kind if kind in KINDS else "unknown"),
                "publication_date": corr.date or paper.get("published") or paper.get("stated_date"),
                "domain": check_domain(domain) if corr.domain else (domain if domain in DOMAINS else "other"),
                **evidence,
                "replaces": corr.replaces,
                "reviewed_columns": reviewed_columns(typed, corr),
                "supersedes": [
                    {
                        "model_id": m["model_id"],
                        "system": m["system"],
                        "source_file": m["source_file"],
                        "source_row": m["source_row"],
                        "matched_on": m["matched_on"],
                    }
                    for m in matches
                ],
            }
        outcome = store.apply_decision(
            con,
            arxiv_id=arxiv_id,
            reviewer=reviewer,
            action=action,
            candidate_id=cand["candidate_id"] if cand else None,
            proposal=proposal,
            new_value=new_value,
            reason=reason,
            note=note,
            request_id=request_id or None,
            expected_version=expected_version,
        )
        if raw_text and not outcome.duplicate:
            store.record_raw_input(con, int(outcome.decision["decision_id"]), raw_text)
        return outcome

    def _evidence(
        self, con: Connection, arxiv_id: str, cand: dict[str, Any] | None, corr: Correction, value: float
    ) -> dict[str, Any]:
        """The evidence the curated row records: it must state *this* value.

        A sentence picked from another candidate (``evidence_candidate_id``) or typed by the
        reviewer wins. Otherwise the approved candidate's own sentence is kept only while its
        value is kept: a corrected count never carries the sentence of the count it replaced
        (the issue's ResNet 19.4M -> 60.2M kept the CIFAR sentence), so it needs evidence.
        """
        if corr.evidence_candidate_id is not None:
            picked = store.candidate(con, int(corr.evidence_candidate_id))
            if picked is None or picked["arxiv_id"] != arxiv_id:
                raise InvalidDecision(
                    f"candidate {corr.evidence_candidate_id} is not a current parameter candidate of {arxiv_id}"
                )
            same = cand is not None and picked["candidate_id"] == cand["candidate_id"]
            if same and cand is not None and not math.isclose(value, float(cand["value"]), rel_tol=1e-9):
                raise InvalidDecision(
                    "the evidence picked is the sentence of the value being replaced:"
                    " pick the sentence that states the corrected value, or type it"
                )
            return {
                "evidence": picked["evidence"],
                "evidence_page": picked["page"],
                "evidence_source": "candidate" if same else "picked",
                "evidence_candidate_id": picked["candidate_id"],
            }
        typed = " ".join((corr.evidence or "").split())[:MAX_TEXT]
        if typed:
            page = corr.evidence_page
            if page is not None and not 0 <= int(page) <= 100000:  # page 0: arXiv's title and abstract
                raise InvalidDecision(f"evidence page {page} is not a page number")
            return {"evidence": typed, "evidence_page": page, "evidence_source": "typed", "evidence_candidate_id": None}
        if cand is not None and math.isclose(value, float(cand["value"]), rel_tol=1e-9):
            return {
                "evidence": cand["evidence"],
                "evidence_page": cand["page"],
                "evidence_source": "candidate",
                "evidence_candidate_id": cand["candidate_id"],
            }
        raise InvalidDecision(
            f"a corrected value ({format_params(value)}) needs its own evidence: pick the"
            " candidate whose sentence states it, or type the sentence and its page",
        )


def reviewed_columns(typed_name: bool, corr: Correction) -> list[str]:
    """The columns a review decides, and so takes over from Epoch's row of the system: the
    count and its kind always; the name, date and domain only when the reviewer gave them."""
    columns = ["parameters", "parameters_kind"]
    if typed_name:
        columns.append("system")
    if corr.date is not None:
        columns.append("publication_date")
    if corr.domain:
        columns.append("domain")
    return columns


def offered_names(con: Connection, arxiv_id: str, cand: dict[str, Any] | None, value: float) -> set[str]:
    """The names a reviewer was offered rather than typed: the candidate's model name and the
    suggestion for its value and for the value saved (a correction may change the count)."""
    names = {suggested_system(con, arxiv_id, cand), suggested_system(con, arxiv_id, cand, value)}
    if cand is not None and cand.get("model"):
        names.add(" ".join(str(cand["model"]).split())[:200])
    return {n for n in names if n}


def suggested_systems(con: Connection, cands: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """:func:`suggested_system` for each paper's candidate of a whole queue page, in one query:
    the name its Approve button saves the value under ("" when it names none)."""
    asked = [(arxiv_id, _model_name(cand), cand.get("value")) for arxiv_id, cand in cands]
    epoch = models_store.epoch_names_of_same_size(con, asked)
    out = {}
    for arxiv_id, cand in cands:
        names = epoch.get(arxiv_id, set())
        out[arxiv_id] = next(iter(names)) if len(names) == 1 else (_model_name(cand) or "")
    return out


def _model_name(cand: dict[str, Any] | None) -> str | None:
    return " ".join(str((cand or {}).get("model") or "").split())[:200] or None


def suggested_system(con: Connection, arxiv_id: str, cand: dict[str, Any] | None, value: float | None = None) -> str:
    """The system name a value is prefilled with.

    Epoch's own name when exactly one name of Epoch's rows for this paper (or, for rows
    without an arXiv id, a name starting with the candidate's model name) has this parameter
    count: that row is the same system, and using its name makes the review supersede it
    (the candidate's "OPT" at 175B is Epoch's "OPT-175B"; "eters" at 144M is "VGG19").
    Otherwise the candidate's model name. Never the paper's title (a title is not a system:
    "Megatron-LM: Training Multi-Billion Parameter Language Models ...").
    """
    model = " ".join(str((cand or {}).get("model") or "").split())[:200] or None
    size = value if value is not None else (cand or {}).get("value")
    if size:
        names = {r["system"] for r in models_store.epoch_rows_of_same_size(con, arxiv_id, model, float(size))}
        if len(names) == 1:
            return str(names.pop())
    return model or ""
