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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from paramtrack.core.text import neutralise_cell
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
from paramtrack.warehouse import review_store as store

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
    line: int
    arxiv_id: str
    kwargs: dict[str, Any]


class ImportFailed(InvalidDecision):
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
    """Validate every line against the current queue; raises ImportFailed listing all errors."""
    records = _records(text)
    errors: list[str] = []
    plans: list[Planned] = []
    seen: dict[str, int] = {}
    with service.wh.read() as con:
        for line, row in records:
            action = row.get("action", "").lower()
            if not action:
                continue  # not decided in the sheet
            arxiv_id = row.get("arxiv_id", "")
            problems: list[str] = []

            def check(fn, *args, problems=problems):  # noqa: ANN001, ANN202
                try:
                    return fn(*args)
                except InvalidDecision as exc:
                    problems.append(exc.message)
                    return None

            state = store.item_state(con, arxiv_id) if arxiv_id else None
            if not arxiv_id:
                problems.append("arxiv_id is empty")
            elif state is None:
                problems.append(f"unknown arxiv_id {arxiv_id!r} (not in the review queue)")
            elif arxiv_id in seen and action != "note":
                problems.append(f"{arxiv_id} is already decided on line {seen[arxiv_id]}")
            if action not in store.ACTIONS:
                problems.append(f"action {row.get('action')!r} is not one of {', '.join(store.ACTIONS)}")
            if reviewer and row.get("reviewer") and row["reviewer"] != reviewer.strip():
                problems.append(
                    f"reviewer {row['reviewer']!r} disagrees with --reviewer {reviewer.strip()!r}"
                    " (leave the column empty or pass the same name)"
                )
            check(check_reviewer, row.get("reviewer") or reviewer)
            params = check(parse_parameters, row["parameters"]) if row.get("parameters") else None
            kind = check(check_kind, row["kind"]) if row.get("kind") else None
            domain = check(check_domain, row["domain"]) if row.get("domain") else None
            when = check(parse_date, row["date"]) if row.get("date") else None
            reason = check(parse_reason, row["reason"]) if row.get("reason") else None
            evidence_page: int | None = None
            if row.get("evidence_page"):
                try:
                    evidence_page = int(row["evidence_page"])
                except ValueError:
                    problems.append(f"evidence_page {row['evidence_page']!r} is not a number")
            cid: int | None = None
            if row.get("candidate_id"):
                try:
                    cid = int(row["candidate_id"])
                except ValueError:
                    problems.append(f"candidate_id {row['candidate_id']!r} is not a number")
                else:
                    cand = store.candidate(con, cid)
                    if cand is None or cand["arxiv_id"] != arxiv_id:
                        problems.append(f"candidate {cid} is not a current parameter candidate of {arxiv_id}")
            version: int | None = None
            if row.get("review_version"):
                try:
                    version = int(row["review_version"])
                except ValueError:
                    problems.append(f"review_version {row['review_version']!r} is not a number")
            if action == "reject" and not row.get("reason"):
                problems.append("reject needs a reason (" + ", ".join(REASONS) + ")")
            if action == "approve" and cid is None and state is not None:
                if not store.candidates(con, arxiv_id):
                    problems.append(f"{arxiv_id} has no candidate to approve; use correct")
            if action == "approve" and (
                params is not None or row.get("kind") or row.get("model") or row.get("date") or row.get("domain")
            ):
                problems.append("approve takes the proposed values as they are; use action 'correct' to change them")
            if action == "correct" and params is None and cid is None and not row.get("parameters"):
                problems.append("correct needs parameters (or a candidate_id to start from)")
            if action == "correct" and params is not None and not row.get("evidence") and state:
                start = (
                    store.candidate(con, cid) if cid is not None else next(iter(store.candidates(con, arxiv_id)), None)
                )
                if start is None or abs(float(start["value"]) - params) > 1e-9 * params:
                    problems.append(
                        "a corrected count needs its evidence: fill the evidence"
                        " column (the sentence stating it) and evidence_page"
                    )
            if state is not None and action != "note":
                try:
                    store.check_version(con, state, version)
                except DecisionConflict as exc:
                    if version is None:
                        problems.append(
                            f"{exc.message}; a line without review_version decides only an open paper"
                            " (export the queue again to decide it anew)"
                        )
                    else:
                        problems.append(f"{exc.message} after this file was exported")
            if problems:
                errors.extend(f"line {line}: {p}" for p in problems)
                continue
            if action != "note":
                seen[arxiv_id] = line
            kwargs: dict[str, Any] = {
                "reviewer": row.get("reviewer") or reviewer,  # as typed: the service cleans it, keeping the raw text
                "action": action,
                "candidate_id": cid,
                "reason": reason,
                "note": row.get("note") or None,
                "expected_version": version,
                "request_id": None,
            }
            if action == "correct":
                # a corrected count carries the sheet's evidence, never the proposed sentence
                kwargs["correction"] = Correction(
                    parameters=params,
                    kind=kind,
                    model=row.get("model") or None,
                    date=when,
                    domain=domain,
                    evidence=row.get("evidence") or None,
                    evidence_page=evidence_page,
                )
            plans.append(Planned(line, arxiv_id, kwargs))
    if errors:
        raise ImportFailed(errors)
    return plans


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
