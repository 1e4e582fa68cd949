"""CSV round-trip of the review queue: export for a spreadsheet, import the filled-in decisions.

Import validates every line before touching anything and then applies all decisions in ONE write
transaction: either the whole file lands or none of it does. Errors are reported per line
(``line 7: parameters 'abc' is not a number``), line numbers counting the header as line 1.
Untrusted text cells (title, evidence, model) are neutralised against spreadsheet formula
injection on export by :func:`paramtrack.core.text.neutralise_cell`, the rule of every CSV the
product writes (a leading ``=``, ``+``, ``-``, ``@``, tab or CR gets a ``'`` prefix); import
ignores them.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO, TypeVar

from paramtrack.core.text import neutralise_cell
from paramtrack.core.vocabulary import ACTIONS
from paramtrack.review_queue.service import (
    DOMAINS,
    KINDS,
    REASONS,
    Correction,
    DecisionConflict,
    InvalidDecision,
    ReviewService,
    check_domain,
    check_kind,
    check_reviewer,
    parse_date,
    parse_parameters,
    parse_reason,
)
from paramtrack.warehouse import Connection
from paramtrack.warehouse import review_store as store

T = TypeVar("T")

PROPOSED = [
    "arxiv_id",
    "title",
    "status",
    "review_version",
    "candidate_id",
    "proposed_parameters",
    "proposed_kind",
    "proposed_model",
    "proposed_evidence",
    "proposed_page",
    "proposed_score",
    "citations",
    "domain_detected",
]
DECISION = [
    "action",
    "parameters",
    "kind",
    "model",
    "date",
    "domain",
    "reason",
    "note",
    "reviewer",
    "evidence",
    "evidence_page",
]
HEADER = PROPOSED + DECISION


def export_csv(service: ReviewService, out: TextIO, *, status: str = "pending") -> int:
    """Write the queue as CSV; returns the number of rows."""
    with service.wh.read() as con:
        rows = store.export_rows(con, status=status)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for r in rows:
        writer.writerow(
            [
                r["arxiv_id"],
                neutralise_cell(r["title"]),
                r["status"],
                r["version"],
                r["candidate_id"] or "",
                "" if r["top_value"] is None else f"{r['top_value']:.0f}",
                r["top_kind"] or "",
                neutralise_cell(r["top_model"] or ""),
                neutralise_cell(r["top_evidence"] or ""),
                r["top_page"] or "",
                "" if r["top_score"] is None else f"{r['top_score']:.3f}",
                "" if r["citations"] is None else r["citations"],
                r["domain"] or "",
                *([""] * len(DECISION)),
            ]
        )
    return len(rows)


@dataclass
class Planned:
    """A checked line of the file: the decision to apply, and the line to blame if it fails."""

    line: int
    arxiv_id: str
    kwargs: dict[str, Any]


class ImportFailed(InvalidDecision):
    """The file does not import: every refused line, each as ``line N: why``."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__(f"{len(errors)} error(s); nothing imported")
        self.errors = errors


def _records(text: str) -> list[tuple[int, dict[str, str]]]:
    """(starting line number, row) for each data record; the header is line 1."""
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    out = []
    start = 1
    try:
        missing = [c for c in ("arxiv_id", "action") if c not in (reader.fieldnames or [])]
        if missing:
            raise ImportFailed([f"line 1: missing column(s) {', '.join(missing)}"])
        start = reader.line_num + 1
        for row in reader:
            out.append((start, {k: (v or "").strip() for k, v in row.items() if k is not None}))
            start = reader.line_num + 1
    except csv.Error as exc:  # a stray quote, an unclosed quoted field...
        raise InvalidDecision(f"line {start}: not a valid CSV file ({exc}); nothing imported") from None
    return out


def plan_import(service: ReviewService, text: str, *, reviewer: str | None) -> list[Planned]:
    """Validate every line against the current queue; raises ImportFailed listing all errors.

    A line without an action is not decided in the sheet and is skipped; a paper may be decided
    on one line only (notes aside).
    """
    errors: list[str] = []
    plans: list[Planned] = []
    seen: dict[str, int] = {}  # arxiv id -> the line that decides it
    with service.wh.read() as con:
        for number, row in _records(text):
            if not row.get("action", ""):
                continue
            line = _Line(row)
            state = _check_paper(con, line, seen.get(line.arxiv_id))
            values = _check_values(con, line, reviewer)
            _check_action_rules(con, line, state, values)
            if state is not None and line.action != "note":
                _check_version(con, line, state, values.version)
            if line.problems:
                errors.extend(f"line {number}: {p}" for p in line.problems)
                continue
            if line.action != "note":
                seen[line.arxiv_id] = number
            plans.append(Planned(number, line.arxiv_id, _decision(line, reviewer, values)))
    if errors:
        raise ImportFailed(errors)
    return plans


@dataclass
class _Line:
    """One decided line of the file while it is checked: its cells and the problems found."""

    row: dict[str, str]
    problems: list[str] = field(default_factory=list)

    @property
    def arxiv_id(self) -> str:
        return self.row.get("arxiv_id", "")

    @property
    def action(self) -> str:
        return self.row.get("action", "").lower()

    def parsed(self, column: str, parse: Callable[[str], T]) -> T | None:
        """The cell through ``parse``; None when it is empty or refused (the refusal noted)."""
        if not self.row.get(column):
            return None
        return self.checked(parse, self.row[column])

    def checked(self, check: Callable[[str], T], value: str) -> T | None:
        """``check(value)``; None when it refuses (the refusal noted)."""
        try:
            return check(value)
        except InvalidDecision as exc:
            self.problems.append(exc.message)
            return None

    def number(self, column: str) -> int | None:
        """The cell as a whole number; None when it is empty or not a number (noted)."""
        raw = self.row.get(column)
        if not raw:
            return None
        try:
            return int(raw)
        except ValueError:
            self.problems.append(f"{column} {raw!r} is not a number")
            return None


@dataclass(frozen=True)
class _Values:
    """The line's decision cells, parsed (None: empty or refused)."""

    parameters: float | None
    kind: str | None
    domain: str | None
    date: date | None
    reason: str | None
    evidence_page: int | None
    candidate_id: int | None
    version: int | None


def _check_paper(con: Connection, line: _Line, decided_on: int | None) -> dict[str, Any] | None:
    """The paper's review state: the line must name a paper of the queue, not decided on an
    earlier line, with a known action."""
    state = store.item_state(con, line.arxiv_id) if line.arxiv_id else None
    if not line.arxiv_id:
        line.problems.append("arxiv_id is empty")
    elif state is None:
        line.problems.append(f"unknown arxiv_id {line.arxiv_id!r} (not in the review queue)")
    elif decided_on is not None and line.action != "note":
        line.problems.append(f"{line.arxiv_id} is already decided on line {decided_on}")
    if line.action not in ACTIONS:
        line.problems.append(f"action {line.row.get('action')!r} is not one of {', '.join(ACTIONS)}")
    return state


def _check_values(con: Connection, line: _Line, reviewer: str | None) -> _Values:
    """Each decision cell parsed as the service will take it; the reviewer column agrees with
    ``--reviewer`` (or is empty)."""
    row = line.row
    if reviewer and row.get("reviewer") and row["reviewer"] != reviewer.strip():
        line.problems.append(
            f"reviewer {row['reviewer']!r} disagrees with --reviewer {reviewer.strip()!r}"
            " (leave the column empty or pass the same name)"
        )
    line.checked(check_reviewer, row.get("reviewer") or reviewer or "")
    return _Values(
        parameters=line.parsed("parameters", parse_parameters),
        kind=line.parsed("kind", check_kind),
        domain=line.parsed("domain", check_domain),
        date=line.parsed("date", parse_date),
        reason=line.parsed("reason", parse_reason),
        evidence_page=line.number("evidence_page"),
        candidate_id=_candidate_id(con, line),
        version=line.number("review_version"),
    )


def _candidate_id(con: Connection, line: _Line) -> int | None:
    """The line's candidate: a current parameter candidate of its paper (or none named)."""
    cid = line.number("candidate_id")
    if cid is not None:
        cand = store.candidate(con, cid)
        if cand is None or cand["arxiv_id"] != line.arxiv_id:
            line.problems.append(f"candidate {cid} is not a current parameter candidate of {line.arxiv_id}")
    return cid


def _check_action_rules(con: Connection, line: _Line, state: dict[str, Any] | None, values: _Values) -> None:
    """What each action needs: a reason to reject, a candidate to approve (as proposed), a count
    to correct, and evidence for a corrected count (never the proposed sentence)."""
    row, action, arxiv_id = line.row, line.action, line.arxiv_id
    if action == "reject" and not row.get("reason"):
        line.problems.append("reject needs a reason (" + ", ".join(REASONS) + ")")
    if action == "approve" and values.candidate_id is None and state is not None:
        if not store.candidates(con, arxiv_id):
            line.problems.append(f"{arxiv_id} has no candidate to approve; use correct")
    if action == "approve" and (values.parameters is not None or any(row.get(c) for c in _VALUE_COLUMNS)):
        line.problems.append("approve takes the proposed values as they are; use action 'correct' to change them")
    if action == "correct" and values.parameters is None and values.candidate_id is None and not row.get("parameters"):
        line.problems.append("correct needs parameters (or a candidate_id to start from)")
    if action == "correct" and values.parameters is not None and not row.get("evidence") and state:
        if not _states_count(con, arxiv_id, values.candidate_id, values.parameters):
            line.problems.append(
                "a corrected count needs its evidence: fill the evidence"
                " column (the sentence stating it) and evidence_page"
            )


#: Cells an approve must leave empty: it takes the proposal as it is.
_VALUE_COLUMNS = ("kind", "model", "date", "domain")


def _states_count(con: Connection, arxiv_id: str, candidate_id: int | None, count: float) -> bool:
    """Whether the candidate the correction starts from (the named one, else the top one)
    proposed this count, so that its sentence is the count's evidence."""
    if candidate_id is not None:
        start = store.candidate(con, candidate_id)
    else:
        start = next(iter(store.candidates(con, arxiv_id)), None)
    return start is not None and abs(float(start["value"]) - count) <= 1e-9 * count


def _check_version(con: Connection, line: _Line, state: dict[str, Any], version: int | None) -> None:
    """The paper is as it was exported: a line decides only the version it was made against
    (a line without ``review_version``, only an open paper)."""
    try:
        store.check_version(con, state, version)
    except DecisionConflict as exc:
        if version is None:
            line.problems.append(
                f"{exc.message}; a line without review_version decides only an open paper"
                " (export the queue again to decide it anew)"
            )
        else:
            line.problems.append(f"{exc.message} after this file was exported")


def _decision(line: _Line, reviewer: str | None, values: _Values) -> dict[str, Any]:
    """The service's arguments for the line; a corrected count carries the sheet's evidence,
    never the proposed sentence."""
    row = line.row
    kwargs: dict[str, Any] = {
        "reviewer": row.get("reviewer") or reviewer,  # as typed: the service cleans it, keeping the raw text
        "action": line.action,
        "candidate_id": values.candidate_id,
        "reason": values.reason,
        "note": row.get("note") or None,
        "expected_version": values.version,
        "request_id": None,
    }
    if line.action == "correct":
        kwargs["correction"] = Correction(
            parameters=values.parameters,
            kind=values.kind,
            model=row.get("model") or None,
            date=values.date,
            domain=values.domain,
            evidence=row.get("evidence") or None,
            evidence_page=values.evidence_page,
        )
    return kwargs


def import_csv(service: ReviewService, path: Path, *, reviewer: str | None) -> list[dict[str, Any]]:
    """Validate the whole file, then apply it in one transaction; returns the decisions."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise InvalidDecision(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise InvalidDecision(
            f"{path} is not UTF-8 text (line {line}, byte {exc.object[exc.start]:#04x}); nothing imported",
            hint="save it as 'CSV UTF-8' (in Excel: Save As > CSV UTF-8)",
        ) from None
    plans = plan_import(service, text, reviewer=reviewer)
    decisions: list[dict[str, Any]] = []
    errors: list[str] = []
    with service.wh.write() as con:
        for plan in plans:
            try:
                decisions.append(service.decide_in(con, plan.arxiv_id, **plan.kwargs).decision)
            except (InvalidDecision, DecisionConflict, ValueError) as exc:  # changed since validation
                errors.append(f"line {plan.line}: {exc}")
        if errors:
            raise ImportFailed(errors)  # rolls the whole transaction back
    return decisions


__all__ = ["export_csv", "import_csv", "plan_import", "ImportFailed", "HEADER", "KINDS", "DOMAINS"]
