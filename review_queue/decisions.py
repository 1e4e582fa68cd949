"""What a decision means: the rules between a reviewer's input and the rows it writes.

One decision is one :class:`DecisionRequest` (the reviewer's input, its text cleaned and its
fields checked) applied by :func:`decide` inside the caller's transaction:

* **approve** writes the chosen candidate (default: the top one) as proposed, for the system
  the reviewer confirmed (default: the candidate's model name; never the paper's title);
* **correct** writes the chosen candidate (if any) overridden by a :class:`Correction`; a changed
  count needs evidence that states it (:func:`_evidence`);
* **reject** needs a reason and removes every reviewed system of the paper;
* **second_look** flags the paper; **note** changes nothing but the log.

A value is written to the paper's review row it ``replaces``, else to its row of the same system,
else as a new system: a paper holds one row per system. The columns a review decides
(:func:`reviewed_columns`) take over from Epoch's row of the same system, which the value
supersedes; when those rows differ from what the reviewer was shown, :class:`MatchChanged` is
raised before anything is written. The SQL is :mod:`warehouse.review_store`'s.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, TypedDict

from paramtrack.core.domains import DOMAINS
from paramtrack.core.units import format_count
from paramtrack.core.vocabulary import KINDS, VALUE_ACTIONS, DecisionValue, EvidenceSource, Proposal, Superseded
from paramtrack.review_queue.reviewer_text import clean_fields
from paramtrack.review_queue.system_names import MAX_NAME, offered_names, suggested_system
from paramtrack.review_queue.validation import (
    MAX_TEXT,
    REASONS,
    InvalidDecision,
    check_action,
    check_domain,
    check_kind,
    check_parameters,
    check_request_id,
    check_reviewer,
    parse_reason,
)
from paramtrack.warehouse import Connection, models_store
from paramtrack.warehouse import review_store as store
from paramtrack.warehouse.curated import mark_dataset_changed
from paramtrack.warehouse.review_store import NotStaged, Outcome

#: Action -> the status it leaves the paper in (``note`` leaves the status alone).
ACTION_STATUS = {
    "approve": "approved",
    "correct": "corrected",
    "reject": "rejected",
    "second_look": "second_look",
}
#: Actions after which the paper counts as reviewed against its current candidates.
_REVIEWING = ("approve", "correct", "reject")


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
class DecisionRequest:
    """One decision as a reviewer asked for it, text cleaned and fields checked (see
    :func:`clean_request`); ``raw_text`` keeps what cleaning changed, for the audit log."""

    arxiv_id: str
    reviewer: str
    action: str
    candidate_id: int | None = None
    correction: Correction | None = None
    reason: str | None = None
    note: str | None = None
    request_id: str | None = None
    expected_version: int | None = None
    system: str | None = None
    supersedes: tuple[int, ...] | None = None
    raw_text: dict[str, str] = field(default_factory=dict)


def clean_request(
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
) -> DecisionRequest:
    """The decision with the reviewer's text stored cleaned (name, note, system, evidence; what
    cleaning changed is kept raw, :mod:`review_queue.reviewer_text`) and each field checked.

    ``supersedes`` is the set of Epoch row ids the reviewer was shown as the same system (see
    :func:`match_ids`); None skips that check (the CSV import, which shows no match).
    """
    typed = {"reviewer": reviewer, "note": note, "system": system}
    typed |= {"model": correction.model, "evidence": correction.evidence} if correction else {}
    cleaned, raw_text = clean_fields(typed)
    if correction is not None:
        correction = replace(correction, model=cleaned["model"], evidence=cleaned["evidence"])
        if correction.parameters is not None:
            check_parameters(float(correction.parameters))  # whoever built the Correction
    return DecisionRequest(
        arxiv_id=arxiv_id,
        reviewer=check_reviewer(reviewer),
        action=check_action(action),
        candidate_id=candidate_id,
        correction=correction,
        reason=reason,
        note=(cleaned["note"] or "").strip()[:MAX_TEXT] or None,
        request_id=check_request_id(request_id),
        expected_version=expected_version,
        system=cleaned["system"],
        supersedes=supersedes,
        raw_text=raw_text,
    )


def decide(con: Connection, request: DecisionRequest) -> Outcome:
    """Apply one decision inside ``con``: checked against the paper as it is now, then logged
    and applied in the caller's transaction (all or nothing).

    A ``request_id`` seen before is answered from the log (applied once). Raises
    :class:`InvalidDecision`, :class:`MatchChanged`, :class:`~warehouse.review_store.NotStaged`
    or :class:`~warehouse.review_store.DecisionConflict` (a stale ``expected_version``; notes
    never conflict), each before anything is written.
    """
    done = _answered(con, request)
    if done is not None:
        return done
    paper, state = _staged(con, request)
    cand = _chosen_candidate(con, request)
    reason = _reject_reason(request.reason) if request.action == "reject" else request.reason
    value = _decided_value(con, request, paper, cand) if request.action in VALUE_ACTIONS else None
    outcome = _record(con, request, state, cand, value, reason)
    if request.raw_text:
        store.record_raw_input(con, int(outcome.decision["decision_id"]), request.raw_text)
    return outcome


def _answered(con: Connection, request: DecisionRequest) -> Outcome | None:
    """The logged decision of a request applied before (a double click, a retried POST)."""
    done = store.decision_by_request(con, request.request_id) if request.request_id else None
    if done is None:
        return None
    if done["arxiv_id"] != request.arxiv_id:
        raise ValueError(f"request id {request.request_id!r} was used for {done['arxiv_id']}")
    return Outcome(done, duplicate=True)


def _staged(con: Connection, request: DecisionRequest) -> tuple[dict[str, Any], dict[str, Any]]:
    """The paper and its review state; the state must be the one the decision was made against.

    Checked before the candidate: a page from before a re-extraction is a conflict, not a
    complaint about a candidate that no longer exists.
    """
    paper = store.paper(con, request.arxiv_id)
    state = store.item_state(con, request.arxiv_id)
    if paper is None or state is None:
        raise NotStaged(request.arxiv_id)
    if request.action != "note":
        store.check_version(con, state, request.expected_version)
    return paper, state


def _chosen_candidate(con: Connection, request: DecisionRequest) -> dict[str, Any] | None:
    """The candidate the decision starts from: the one named, else the top one for a value."""
    if request.candidate_id is not None:
        cand = store.candidate(con, int(request.candidate_id))
        if cand is None or cand["arxiv_id"] != request.arxiv_id:
            raise InvalidDecision(
                f"candidate {request.candidate_id} is not a current parameter candidate of {request.arxiv_id}"
            )
        return cand
    if request.action in VALUE_ACTIONS:
        ranked = store.candidates(con, request.arxiv_id)
        return ranked[0] if ranked else None
    return None


def _reject_reason(reason: str | None) -> str:
    """A reject says why, as one of :data:`~review_queue.validation.REASONS`."""
    if not reason:
        raise InvalidDecision("reject needs a reason: " + ", ".join(REASONS.values()))
    return parse_reason(reason)


def _decided_value(
    con: Connection, request: DecisionRequest, paper: dict[str, Any], cand: dict[str, Any] | None
) -> DecisionValue:
    """The curated row an approve or correct writes: the candidate, overridden by the correction."""
    corr = request.correction or Correction()
    if request.action == "approve" and cand is None:
        raise InvalidDecision(f"{request.arxiv_id} has no candidate to approve; use correct")
    params = corr.parameters if corr.parameters is not None else (cand or {}).get("value")
    if params is None:
        raise InvalidDecision("correct needs a parameter count (no candidate to start from)")
    value = float(params)
    name, typed = _system_name(con, request, cand, value)
    evidence = _evidence(con, request.arxiv_id, cand, corr, value)
    superseded = _superseded(con, request, name)
    return DecisionValue(
        system=name,
        parameters=value,
        parameters_kind=_kind(corr, cand),
        publication_date=corr.date or paper.get("published") or paper.get("stated_date"),
        domain=_domain(corr, paper),
        evidence=evidence["evidence"],
        evidence_page=evidence["evidence_page"],
        evidence_source=evidence["evidence_source"],
        evidence_candidate_id=evidence["evidence_candidate_id"],
        replaces=corr.replaces,
        reviewed_columns=reviewed_columns(typed, corr),
        supersedes=superseded,
    )


def _system_name(
    con: Connection, request: DecisionRequest, cand: dict[str, Any] | None, value: float
) -> tuple[str, bool]:
    """The system the value is saved for, and whether the reviewer typed that name.

    What the page prefilled (or the terminal offered) is not the reviewer's own spelling: then
    Epoch's name of the same system stays in the dataset.
    """
    corr = request.correction or Correction()
    name = " ".join((corr.model or request.system or "").split())[:MAX_NAME]
    typed = bool(name) and name not in offered_names(con, request.arxiv_id, cand, value)
    name = name or suggested_system(con, request.arxiv_id, cand, value)
    if not name:
        raise InvalidDecision(
            "the candidate names no system: type the name of the system this value belongs to",
            hint="e.g. ResNet-152",
        )
    return name, typed


def _superseded(con: Connection, request: DecisionRequest, system: str) -> list[Superseded]:
    """Epoch's rows of the same system, which the value supersedes: the ones the reviewer was
    shown, else :class:`MatchChanged` and nothing written."""
    matches = models_store.matching_epoch_rows(con, request.arxiv_id, system)
    shown = request.supersedes
    if shown is not None and tuple(sorted(shown)) != tuple(sorted(int(m["model_id"]) for m in matches)):
        raise MatchChanged(request.arxiv_id, system, matches)
    return [
        Superseded(
            model_id=m["model_id"],
            system=m["system"],
            source_file=m["source_file"],
            source_row=m["source_row"],
            matched_on=m["matched_on"],
        )
        for m in matches
    ]


def _kind(corr: Correction, cand: dict[str, Any] | None) -> str:
    """The kind the reviewer chose (checked), else the candidate's, else ``unknown``."""
    if corr.kind:
        return check_kind(corr.kind)
    kind = (cand or {}).get("kind") or "unknown"
    return kind if kind in KINDS else "unknown"


def _domain(corr: Correction, paper: dict[str, Any]) -> str:
    """The domain the reviewer chose (checked), else the paper's detected one, else ``other``."""
    if corr.domain:
        return check_domain(corr.domain)
    domain = paper.get("domain") or "other"
    return domain if domain in DOMAINS else "other"


class Evidence(TypedDict):
    """The evidence columns of a curated value."""

    evidence: str | None
    evidence_page: int | None
    evidence_source: EvidenceSource
    evidence_candidate_id: int | None


def _same_value(value: float, cand: dict[str, Any] | None) -> bool:
    return cand is not None and math.isclose(value, float(cand["value"]), rel_tol=1e-9)


def _evidence(con: Connection, arxiv_id: str, cand: dict[str, Any] | None, corr: Correction, value: float) -> Evidence:
    """The evidence the curated row records: it must state *this* value.

    A sentence picked from another candidate (``evidence_candidate_id``) or typed by the
    reviewer wins. Otherwise the approved candidate's own sentence is kept only while its
    value is kept: a corrected count never carries the sentence of the count it replaced
    (ResNet corrected from 19.4M to 60.2M must not keep the CIFAR sentence), so it needs evidence.
    """
    if corr.evidence_candidate_id is not None:
        return _picked_evidence(con, arxiv_id, cand, int(corr.evidence_candidate_id), value)
    typed = " ".join((corr.evidence or "").split())[:MAX_TEXT]
    if typed:
        page = corr.evidence_page
        if page is not None and not 0 <= int(page) <= 100000:  # page 0: arXiv's title and abstract
            raise InvalidDecision(f"evidence page {page} is not a page number")
        return Evidence(evidence=typed, evidence_page=page, evidence_source="typed", evidence_candidate_id=None)
    if cand is not None and _same_value(value, cand):
        return Evidence(
            evidence=cand["evidence"],
            evidence_page=cand["page"],
            evidence_source="candidate",
            evidence_candidate_id=cand["candidate_id"],
        )
    raise InvalidDecision(
        f"a corrected value ({format_count(value, missing='—')}) needs its own evidence: pick the"
        " candidate whose sentence states it, or type the sentence and its page",
    )


def _picked_evidence(
    con: Connection, arxiv_id: str, cand: dict[str, Any] | None, picked_id: int, value: float
) -> Evidence:
    """Another candidate's sentence, picked for the value; never the replaced value's own."""
    picked = store.candidate(con, picked_id)
    if picked is None or picked["arxiv_id"] != arxiv_id:
        raise InvalidDecision(f"candidate {picked_id} is not a current parameter candidate of {arxiv_id}")
    same = cand is not None and picked["candidate_id"] == cand["candidate_id"]
    if same and not _same_value(value, cand):
        raise InvalidDecision(
            "the evidence picked is the sentence of the value being replaced:"
            " pick the sentence that states the corrected value, or type it"
        )
    return Evidence(
        evidence=picked["evidence"],
        evidence_page=picked["page"],
        evidence_source="candidate" if same else "picked",
        evidence_candidate_id=picked["candidate_id"],
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


def _proposal(cand: dict[str, Any] | None) -> Proposal | None:
    """The candidate as the extractor proposed it."""
    if cand is None:
        return None
    return Proposal(
        system=cand["model"],
        parameters=cand["value"],
        parameters_kind=cand["kind"],
        evidence=cand["evidence"],
        evidence_page=cand["page"],
        score=cand["score"],
    )


def _overwritten(con: Connection, arxiv_id: str, value: DecisionValue) -> dict[str, Any] | None:
    """The paper's review row the value is written over: the one it ``replaces``, else the
    paper's row of the same system, else None (the value adds a system)."""
    row = store.review_model_for(con, arxiv_id, value["system"], value["replaces"])
    if value["replaces"] is not None and row is None:
        raise ValueError(f"model {value['replaces']} is not a reviewed system of {arxiv_id}")
    return row


def _old_value(
    con: Connection, request: DecisionRequest, cand: dict[str, Any] | None, overwritten: dict[str, Any] | None
) -> Mapping[str, Any] | None:
    """What the log keeps as the value before: the row a value overwrites, else every reviewed
    system of the paper (what a reject removes), else the candidate as proposed."""
    if request.action == "note":
        return None
    if request.action in VALUE_ACTIONS:
        return store.model_snapshot(overwritten) if overwritten else _proposal(cand)
    existing = store.review_models(con, request.arxiv_id)
    if existing:
        return {"systems": [store.model_snapshot(m) for m in existing]}
    return _proposal(cand)


def _record(
    con: Connection,
    request: DecisionRequest,
    state: dict[str, Any],
    cand: dict[str, Any] | None,
    value: DecisionValue | None,
    reason: str | None,
) -> Outcome:
    """Append the decision to the log and apply it to the curated rows and the paper's state."""
    now = store.utc_now()
    overwritten = _overwritten(con, request.arxiv_id, value) if value is not None else None
    old_value = _old_value(con, request, cand, overwritten)
    decision_id = store.insert_decision(
        con,
        arxiv_id=request.arxiv_id,
        reviewer=request.reviewer,
        action=request.action,
        candidate_id=cand["candidate_id"] if cand else None,
        old_value=old_value,
        new_value=value,
        reason=reason,
        note=request.note,
        request_id=request.request_id,
        at=now,
        item_before=store.item_before(state),
    )
    if value is not None:
        model_id = overwritten["model_id"] if overwritten else None
        store.write_review_model(
            con, request.arxiv_id, value, decision_id=decision_id, reviewer=request.reviewer, at=now, model_id=model_id
        )
        detail = f"{value['system']} ({value['parameters']:.4g}) decision {decision_id}"
        mark_dataset_changed(con, "review", f"{request.action} {request.arxiv_id} {detail}")
    elif request.action == "reject" and old_value and "systems" in old_value:
        store.delete_review_models(con, request.arxiv_id)
        mark_dataset_changed(con, "review", f"reject {request.arxiv_id} decision {decision_id}")
    _leave_state(con, request, state, decision_id, reason, now)
    decision = store.get_decision(con, decision_id)
    assert decision is not None
    return Outcome(decision, duplicate=False)


def _leave_state(
    con: Connection,
    request: DecisionRequest,
    state: dict[str, Any],
    decision_id: int,
    reason: str | None,
    now: datetime,
) -> None:
    """The paper's status after the decision (a note leaves it alone). Approve, correct and
    reject record the candidates they were made on, so a re-extraction that changes them flags
    the paper for a second look."""
    status = ACTION_STATUS.get(request.action)
    if status is None:
        return
    reviewed = (
        store.candidate_fingerprint(con, request.arxiv_id)
        if request.action in _REVIEWING
        else state["reviewed_candidates"]
    )
    flag = (reason or request.note or "second look requested") if request.action == "second_look" else None
    store.set_item_state(
        con,
        request.arxiv_id,
        status=status,
        decision_id=decision_id,
        at=now,
        reviewed_candidates=reviewed,
        flag_reason=flag,
    )
