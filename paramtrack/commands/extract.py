"""``paramtrack extract FILE.pdf`` and ``paramtrack eval``: the extractor from the command line.

Register on the app in ``paramtrack/cli.py``::

    from paramtrack.commands.extract import eval_command, extract_command
    app.command("extract")(extract_command)
    app.command("eval")(eval_command)

Heavy imports (pypdfium2, spaCy) happen inside the commands so ``paramtrack --help`` stays fast.
"""

from __future__ import annotations

import math
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from paramtrack.core.errors import InputError

if TYPE_CHECKING:
    from paramtrack.extractors import ExtractionResult

DEFAULT_LIMIT = 10


def extract_command(
    file: Annotated[Path, typer.Argument(help="PDF file to extract parameter counts from")],
    json_output: Annotated[
        bool, typer.Option("--json", help="print one JSON object (with every candidate) instead of a table")
    ] = False,
    show_all: Annotated[
        bool, typer.Option("--all", help="list every candidate in the table, not only the top 10")
    ] = False,
    safe: Annotated[
        bool, typer.Option("--safe/--in-process", help="run in a child process with time and memory limits")
    ] = True,
    timeout: Annotated[float, typer.Option(help="seconds before a --safe extraction is abandoned")] = 60.0,
) -> None:
    """Rank the parameter counts a paper states, with evidence and page; exit 1 if the PDF cannot be read."""
    _check_pdf_path(file)
    if not (math.isfinite(timeout) and timeout > 0):  # nan and inf pass a plain "> 0"
        raise InputError(f"--timeout must be a number of seconds > 0, not {timeout:g}")
    from paramtrack.extractors import extract_pdf, extract_pdf_safely

    result = extract_pdf_safely(file, timeout_s=timeout) if safe else extract_pdf(file)
    limit = None if show_all or json_output else DEFAULT_LIMIT
    if json_output:
        typer.echo(result.to_json(limit=limit))
    else:
        typer.echo(render_table(result, limit=limit, name=file.name))
    if result.error:
        raise typer.Exit(code=1)


#: What a path that is not a regular file is, by the type bits of its mode.
_NOT_A_FILE = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _check_pdf_path(file: Path) -> None:
    """One line naming what is wrong with ``file``: missing, unreadable, or not a regular file
    (a folder, a FIFO, a device). Looked at with ``stat`` only: opening a FIFO would block."""
    try:
        mode = file.stat().st_mode
    except FileNotFoundError:
        raise InputError(f"file not found: {file}", hint="pass the path of a PDF") from None
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror or exc}", hint="pass the path of a PDF") from None
    for is_kind, what in _NOT_A_FILE:
        if is_kind(mode):
            raise InputError(f"{file} is {what}, not a PDF file", hint="pass the path of a PDF")
    if not os.access(file, os.R_OK):
        raise InputError(f"cannot read {file}: permission denied", hint="pass the path of a PDF")


def render_table(result: ExtractionResult, *, limit: int | None, name: str) -> str:
    """A readable ranked table: rank, value, kind, score, page, model, evidence."""
    from paramtrack.core.units import format_count
    from paramtrack.extractors import CONFIDENT_SCORE

    lines = [
        f"{name}: {result.pages} pages, domain {result.domain} ({result.domain_confidence:.2f}), "
        f"date {result.date.isoformat() if result.date else '-'} ({result.date_source or 'unknown'})"
    ]
    if result.error:
        lines.append(f"error: {result.error}")
        return "\n".join(lines)
    cands = result.candidates if limit is None else result.candidates[:limit]
    if not cands:
        lines.append("no parameter count found")
    else:
        lines.append(f"{'#':>2} {'params':>8} {'kind':<13} {'score':>5} {'page':>4}  {'model':<18} evidence")
        for i, c in enumerate(cands, 1):
            mark = "*" if c.score >= CONFIDENT_SCORE else " "
            ev = c.evidence if len(c.evidence) <= 110 else c.evidence[:107] + "..."
            lines.append(
                f"{i:>2} {format_count(c.value):>8} {c.kind:<13} {c.score:>5.2f}{mark}{c.page:>4}  {(c.model or '-')[:18]:<18} {ev}"
            )
        lines.append(f"(* = confident, score >= {CONFIDENT_SCORE}; {len(result.candidates)} candidates in total)")
    for c in result.other_candidates[:5]:
        lines.append(f"   {c.quantity}: {c.value:.3g} {c.unit or ''} (p{c.page}, score {c.score:.2f})")
    return "\n".join(lines)


def eval_command(
    corpus: Annotated[Path | None, typer.Option(help="shared data folder (default ../shared/data)")] = None,
    cv: Annotated[
        int, typer.Option("--cv", min=2, max=20, help="cross-validation folds (papers dealt by a fixed seed)")
    ] = 5,
    seed: Annotated[int, typer.Option(help="seed that deals papers into folds")] = 0,
    strict: Annotated[bool, typer.Option("--strict", help="exit 1 when a cross-validated target is missed")] = False,
) -> None:
    """Evaluate extraction against the corpus ground truth: per-paper rows, cross-validated totals
    (each paper ranked by a model fitted without it) and, beside them, the in-sample figures."""
    from paramtrack.core.settings import find_corpus
    from paramtrack.extractors.abstract_eval import abstract_examples
    from paramtrack.extractors.evaluation import evaluate

    def progress(i: int, n: int, arxiv_id: str) -> None:
        if i == n or i % 10 == 0:
            typer.echo(f"  extracted {i}/{n} ({arxiv_id})", err=True)

    root = find_corpus(corpus)
    report = evaluate(root, folds=cv, seed=seed, abstracts=abstract_examples(root / "epoch"), progress=progress)
    typer.echo(report.render())
    if strict and report.missed_targets():
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    app.command("extract")(extract_command)
    app.command("eval")(eval_command)
