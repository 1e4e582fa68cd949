"""``paramtrack review``: the review queue in a terminal, for a server without a browser.

Reads a paper (short read transaction), closes the database, prompts, then applies the decision in
its own short write transaction: a reviewer thinking for ten minutes never blocks the ingest.
Prompts go through ``click.prompt`` so piped stdin works (tests, scripts); end of input quits.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Callable
from typing import Any

import click

from paramtrack.core.errors import DatabaseLockedError
from paramtrack.core.text import for_terminal, for_terminal_values
from paramtrack.review_queue.service import (
    DOMAINS,
    KINDS,
    REASONS,
    Correction,
    DecisionConflict,
    InvalidDecision,
    MatchChanged,
    ReviewService,
    format_params,
    parse_date,
    parse_parameters,
)
from paramtrack.warehouse import review_store as store
from paramtrack.warehouse.publish import publish_after_run

HELP = (
    "a=approve top  1-9=approve candidate n (then name its system)  e=correct  r=reject  s=second look  n=note  "
    "k=skip  q=quit  ?=help"
)


class _Quit(Exception):
    pass


def _ask(text: str, default: str | None = None, **kw: Any) -> str:
    if default not in (None, "") and "type" not in kw:
        # A default may be a name read from a paper or an Epoch file: shown escaped, kept as it is.
        text, shown_by_click = f"{text} [{for_terminal(default)}]", False
    else:
        shown_by_click = default not in (None, "")
    try:
        return click.prompt(text, default=default, show_default=shown_by_click, **kw)
    except (click.Abort, EOFError):
        raise _Quit from None


def _show(echo: Callable[[str], None], view: dict[str, Any], position: str) -> None:
    view = for_terminal_values(view)  # titles, names and evidence come from outside: no escape codes
    p = view["paper"]
    echo("")
    echo("=" * 78)
    echo(f"[{position}] {p['arxiv_id']}  {p['title']}")
    echo(
        f"  https://arxiv.org/abs/{p['arxiv_id']}  published {p['published'] or '-'}  "
        f"citations {p['citation_count'] if p['citation_count'] is not None else '-'}  "
        f"domain {p['domain'] or '-'}  status {p['status']}"
    )
    if p.get("flag_reason"):
        echo(f"  second look: {p['flag_reason']}")
    if p.get("abstract"):
        echo(textwrap.indent(textwrap.shorten(p["abstract"], 400), "  "))
    for m in view["systems"]:
        echo(
            f"  in dataset: {m['system']} {format_params(m['parameters'])} ({m['parameters_kind']}) by {m['reviewer']}"
        )
    for e in view["epoch_rows"]:
        echo(
            f"  Epoch lists: {e['system']} {format_params(e['parameters'])}"
            f" ({e['source_file']} row {e['source_row']}"
            f"{'' if e['in_dataset'] else ', superseded'})"
        )
    if not view["candidates"]:
        echo("  (no parameter candidates)")
    for i, c in enumerate(view["candidates"][:9], start=1):
        score = f"{c['score']:.2f}" if c["score"] is not None else "-"
        echo(
            f"  {i}. {format_params(c['value']):>7}  {c['kind'] or '-':<13} {c['model'] or '-'}"
            f"  score {score}  {'arXiv abstract' if c['page'] == 0 else 'page ' + str(c['page'] or '-')}"
            f"  system: {c['system'] or '(unnamed)'}"
        )
        if c["evidence"]:
            echo(textwrap.indent(textwrap.fill(c["evidence"], 72), "       "))


def _exact(value: float) -> str:
    """The candidate's value written out in full (never rounded), e.g. 7,532,000,000."""
    return f"{value:,.0f}" if float(value).is_integer() else repr(float(value))


def _correction(view: dict[str, Any]) -> Correction:
    """Ask for the corrected values. A count that changes needs its own evidence, so that is
    asked right after the count, before anything else, and without offering the replaced
    candidate's sentence (which the service would refuse only after every other question)."""
    top = view["candidates"][0] if view["candidates"] else None
    params: float | None = None
    while True:
        if top:
            # Enter keeps the candidate's exact value (like the web form's empty field); the
            # short form (3 significant figures) is only shown, never written.
            raw = _ask(f"  parameters [Enter keeps {_exact(top['value'])} = {format_params(top['value'])}]", default="")
            if not raw.strip():
                break
        else:
            raw = _ask("  parameters")
        try:
            params = parse_parameters(raw)
            break
        except InvalidDecision as exc:
            click.echo(f"  {exc}")
    changed = params is not None and (top is None or not math.isclose(params, float(top["value"]), rel_tol=1e-9))
    evidence = _evidence(view, params) if params is not None and changed else {}
    kind = _ask("  kind", default=(top or {}).get("kind") or "unknown", type=click.Choice(KINDS))
    published = view["paper"]["published"]
    while True:
        raw_date = _ask("  date (YYYY-MM-DD)", default=published.isoformat() if published else None)
        try:
            when = parse_date(raw_date)
            break
        except InvalidDecision as exc:
            click.echo(f"  {exc}")
    domain = _ask(
        "  domain",
        default=view["paper"]["domain"] if view["paper"]["domain"] in DOMAINS else "other",
        type=click.Choice(DOMAINS),
    )
    return Correction(parameters=params, kind=kind, date=when, domain=domain, **evidence)


def _match_line(matches: list[dict[str, Any]]) -> str:
    if not matches:
        return "supersedes no Epoch row: adds a system of its own"
    return "supersedes Epoch: " + "; ".join(
        f"{m['system']} ({m['source_file']} row {m['source_row']}, {m['matched_on']})" for m in matches
    )


def _system(service: ReviewService, arxiv_id: str, default: str) -> tuple[str, tuple[int, ...]] | None:
    """Ask which system the value belongs to, show the Epoch rows it supersedes and confirm;
    returns (name, the ids shown) or None when the reviewer declines."""
    while True:
        name = " ".join(_ask("  system", default=default or None).split())
        if not name:
            click.echo("  name the system this value belongs to")
            continue
        matches = service.match_preview(arxiv_id, name)
        click.echo(for_terminal(f"  {name}: {_match_line(matches)}"))
        answer = _ask("  save for this system? [y/n/r=rename]", default="y").strip().lower()
        if answer in ("y", "yes"):
            return name, tuple(sorted(int(m["model_id"]) for m in matches))
        if answer in ("n", "no"):
            return None
        default = name


def _evidence(view: dict[str, Any], value: float) -> dict[str, Any]:
    """The evidence for a changed count: a candidate's sentence (by number) or typed text.
    Required: the replaced candidate's sentence states another count, so it is never offered."""
    cands = view["candidates"]
    click.echo(f"  a new count needs the sentence that states {format_params(value)}:")
    for i, c in enumerate(cands[:9], start=1):
        if math.isclose(float(c["value"]), value, rel_tol=1e-9):
            where = "abstract" if c["page"] == 0 else f"page {c['page'] or '-'}"
            click.echo(f"    {i}. {where}: {for_terminal(textwrap.shorten(c['evidence'] or '', 90))}")
    while True:
        raw = _ask("  evidence: candidate number whose sentence states it, or type the sentence", default="").strip()
        if not raw:
            click.echo("  evidence is required for a changed count")
            continue
        if raw.isdigit() and 1 <= int(raw) <= len(cands):
            return {"evidence_candidate_id": cands[int(raw) - 1]["candidate_id"]}
        if raw.isdigit():
            click.echo("  no such candidate")
            continue
        page = _ask("  page of that sentence (Enter: unknown)", default="").strip()
        if page and not page.isdigit():
            click.echo("  a page is a number")
            continue
        return {"evidence": raw, "evidence_page": int(page) if page else None}


def _reason() -> str:
    keys = list(REASONS)
    for i, key in enumerate(keys, start=1):
        click.echo(f"  {i}. {REASONS[key]}")
    choice = _ask("  reason", type=click.IntRange(1, len(keys)))
    return keys[int(choice) - 1]


def _approve(service: ReviewService, arxiv_id: str, view: dict[str, Any], key: str) -> dict[str, Any] | None:
    """Approve candidate ``key`` (``a``: the top one) for the system the reviewer confirms;
    None when there is no such candidate or the reviewer declines the system."""
    index = 1 if key == "a" else int(key)
    if not 1 <= index <= len(view["candidates"]):
        click.echo(
            "  no such candidate" if view["candidates"] else "  no candidate to approve: use e (correct) or r (reject)"
        )
        return None
    chosen = view["candidates"][index - 1]
    named = _system(service, arxiv_id, chosen["system"])
    if named is None:
        return None
    return {"action": "approve", "candidate_id": chosen["candidate_id"], "system": named[0], "supersedes": named[1]}


def _correct(service: ReviewService, arxiv_id: str, view: dict[str, Any]) -> dict[str, Any] | None:
    """Correct the top candidate (values asked for), for the system the reviewer confirms."""
    correction = _correction(view)
    top = view["candidates"][0] if view["candidates"] else {}
    # the name offered is that of the value saved: never another system's
    default = service.name_for_value(arxiv_id, top or None, correction.parameters)
    named = _system(service, arxiv_id, default)
    if named is None:
        return None
    return {
        "action": "correct",
        "system": named[0],
        "supersedes": named[1],
        "correction": correction,
        "candidate_id": top.get("candidate_id"),
    }


def _asked(service: ReviewService, arxiv_id: str, view: dict[str, Any], key: str) -> dict[str, Any] | None:
    """The decision a key asks for, its details prompted; None: ask for a key again."""
    if key == "a" or key.isdigit():
        return _approve(service, arxiv_id, view, key)
    if key == "e":
        return _correct(service, arxiv_id, view)
    if key == "r":
        return {"action": "reject", "reason": _reason(), "note": _ask("  note (optional)", default="")}
    if key == "s":
        return {"action": "second_look", "note": _ask("  why (optional)", default="")}
    if key == "n":
        return {"action": "note", "note": _ask("  note")}
    click.echo(f"  unknown key {key!r}. {HELP}")
    return None


def _saved(service: ReviewService, reviewer: str, arxiv_id: str, version: int, decision: dict[str, Any]) -> str | None:
    """Apply the decision; the action saved, ``"conflicts"`` when someone decided first, or None
    when it was not saved (the reviewer is asked again)."""
    try:
        outcome = service.decide(arxiv_id, reviewer=reviewer, expected_version=version, **decision)
    except MatchChanged as exc:  # the Epoch rows changed since they were shown
        click.echo(f"  not saved: {for_terminal(exc.message)}")
        return None
    except DecisionConflict as exc:
        click.echo(f"  conflict: {for_terminal(exc.message)}; not applied")
        return "conflicts"
    except InvalidDecision as exc:
        click.echo(f"  not saved: {for_terminal(exc)}")
        return None
    except DatabaseLockedError as exc:
        click.echo(f"  not saved, database busy: {exc}; try again")
        return None
    d = outcome.decision
    click.echo(f"  saved decision #{d['decision_id']}: {d['action']} {arxiv_id}")
    return str(d["action"])


def _review_paper(
    service: ReviewService, reviewer: str, arxiv_id: str, view: dict[str, Any], counts: dict[str, int]
) -> None:
    """Ask for keys until the paper is decided or skipped (a note stays on the paper); ``q``
    raises :class:`_Quit`."""
    version = view["paper"]["version"]
    while True:
        key = _ask("action [a/1-9/e/r/s/n/k/q/?]", default="").strip().lower()
        if key == "?":
            click.echo(HELP)
            continue
        if key == "q":
            raise _Quit
        if key in ("k", ""):
            counts["skipped"] = counts.get("skipped", 0) + 1
            return
        decision = _asked(service, arxiv_id, view, key)
        done = _saved(service, reviewer, arxiv_id, version, decision) if decision is not None else None
        if done is None:
            continue
        counts[done] = counts.get(done, 0) + 1
        if done != "note":  # a note does not decide: stay on the paper
            return


def run(service: ReviewService, reviewer: str, *, status: str = "open") -> dict[str, int]:
    """Walk the queue once; returns counts per action (plus 'skipped', 'conflicts')."""
    with service.wh.read() as con:
        ids = [r["arxiv_id"] for r in store.queue(con, status=status)]
    counts: dict[str, int] = {}
    click.echo(f"{len(ids)} paper(s) to review as {reviewer}.  {HELP}")
    try:
        for n, arxiv_id in enumerate(ids, start=1):
            view = service.paper_view(arxiv_id)
            if view is None or view["paper"]["status"] not in store.OPEN_STATUSES:
                continue  # decided meanwhile by someone else
            _show(click.echo, view, f"{n}/{len(ids)}")
            _review_paper(service, reviewer, arxiv_id, view, counts)
    except _Quit:
        pass
    if any(k not in ("skipped", "conflicts") for k in counts):
        publish_after_run(service.wh)  # the analysts' read copy
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "nothing decided"
    click.echo(f"done: {summary}")
    return counts
