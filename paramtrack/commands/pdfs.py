"""``paramtrack pdfs``: which PDFs are missing, why, and when a run tries them again.

A PDF that fails (404, corrupt every time, retries used up) is not retried by every run: it
waits 1 day after its first failed run, then 2, 4, ... up to 32 (``pdfs.next_try_at``). This
command shows that schedule and ``--retry`` lets the next run try a paper now.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Annotated, Any

import typer

from paramtrack.core.errors import InputError
from paramtrack.core.text import for_terminal

_URL = re.compile(r"https?://\S+")


def _short_error(error: str | None) -> str:
    """One line, the URL (the row names the paper already) cut, so the reason fits; a server's
    words in it are escaped for the terminal."""
    return for_terminal(_URL.sub("…", " ".join((error or "").split()))[:80])


def _when(value: datetime | None) -> str:
    return "next run" if value is None else f"{value.astimezone(UTC):%Y-%m-%d %H:%M}"


def _state(s: Any, now: datetime) -> str:
    if s.sha256:
        return "cached" if s.current else "cached (older version)"
    if s.next_try_at is not None and s.next_try_at > now:
        return "waiting"
    return "due"


def pdfs_command(
    ctx: typer.Context,
    show_all: Annotated[bool, typer.Option("--all", help="Also list the PDFs that are cached.")] = False,
    retry: Annotated[
        list[str] | None,
        typer.Option(
            "--retry", help="Let the next run try this paper's PDF now (repeatable; 'all' for every waiting one)."
        ),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="Rows to list.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """List missing PDFs with their last error and when the next run tries them again."""
    from paramtrack.commands import existing_warehouse, settings_from
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.papers_store import pdf_states

    wh = Warehouse(existing_warehouse(settings_from(ctx)))
    if retry:
        typer.echo(f"{_retry_now(wh, retry)} PDF(s) will be tried by the next run")
        return
    now = datetime.now(UTC)
    with wh.read() as con:
        states = pdf_states(con, failed_only=not show_all)
        every = states if show_all else pdf_states(con, failed_only=False)
    counts = {
        "cached": sum(1 for s in every if s.sha256),
        "waiting": sum(1 for s in every if not s.sha256 and s.current and _state(s, now) == "waiting"),
        "due": sum(1 for s in every if not s.sha256 and s.current and _state(s, now) == "due"),
    }
    if as_json:
        typer.echo(json.dumps({**counts, "pdfs": [_as_json(s, now) for s in states[:limit]]}, indent=2))
    else:
        _print_table(counts, states, now, limit)


def _retry_now(wh: Any, retry: list[str]) -> int:
    """Let the next run try these papers' PDFs now (``all``: every waiting one); how many.

    A paper with no missing PDF recorded is refused by name rather than silently counted 0,
    so a mistyped id shows."""
    from paramtrack.sources.arxiv_ids import parse_arxiv_id
    from paramtrack.warehouse.papers_store import clear_pdf_waits, pdf_states

    keys: list[tuple[str, int]] | None = None  # None: every waiting PDF
    if [r.lower() for r in retry] != ["all"]:
        ids = []
        for raw in retry:
            try:
                ids.append(parse_arxiv_id(raw).id)
            except ValueError as exc:
                raise InputError(f"--retry: {exc}") from None
        with wh.read() as con:
            keys = [(s.arxiv_id, s.version) for s in pdf_states(con, arxiv_ids=ids)]
        unknown = sorted(set(ids) - {k[0] for k in keys})
        if unknown:
            raise InputError(
                f"--retry: no missing PDF recorded for {', '.join(unknown)}", hint="'paramtrack pdfs' lists them"
            )
    with wh.write() as con:
        return clear_pdf_waits(con, keys)


def _as_json(s: Any, now: datetime) -> dict[str, Any]:
    """One PDF's row of ``--json``: its state, last error and retry schedule."""
    return {
        "arxiv_id": s.arxiv_id,
        "version": s.version,
        "state": _state(s, now),
        "current_version": s.current,
        "error": s.error,
        "runs_tried": s.attempts,
        "failed_runs_in_a_row": s.failures,
        "url": s.url,
        "last_try": s.fetched_at.isoformat() if s.fetched_at else None,
        "next_try": s.next_try_at.isoformat() if s.next_try_at else None,
    }


def _print_table(counts: dict[str, int], states: list[Any], now: datetime, limit: int) -> None:
    """The counts, a row per listed PDF, and how the retry schedule works."""
    typer.echo(
        f"PDFs: {counts['cached']} cached, {counts['waiting']} unavailable, waiting for their next try,"
        f" {counts['due']} due on the next run"
    )
    if not states:
        return
    typer.echo("")
    typer.echo(f"{'paper':<14} {'v':>2} {'state':<9} {'failed':>6}  {'next try (UTC)':<16}  error")
    for s in states[:limit]:
        error = _short_error(s.error)
        typer.echo(
            f"{s.arxiv_id:<14} {s.version:>2} {_state(s, now):<9} {s.failures:>6}  "
            f"{_when(s.next_try_at) if not s.sha256 else '-':<16}  {error}"
        )
    if len(states) > limit:
        typer.echo(f"... and {len(states) - limit} more (--limit N)")
    typer.echo("")
    typer.echo(
        "A failed PDF waits 1 day, then 2, 4, ... up to 32 after each failed run in a row;"
        " 'paramtrack pdfs --retry ID' (or 'all') lets the next run try it now."
    )


def register(app: typer.Typer) -> None:
    app.command("pdfs")(pdfs_command)
