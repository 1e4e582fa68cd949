"""``paramtrack replay-server``: serve arXiv, Semantic Scholar and PDFs from the offline corpus."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from paramtrack.core.errors import InputError
from paramtrack.core.settings import env_name


def replay_server_command(
    corpus: Annotated[
        Path | None,
        typer.Option("--corpus", envvar=env_name("corpus"), help="Shared data folder (default ../shared/data)."),
    ] = None,
    port: Annotated[int, typer.Option("--port", help="Port on 127.0.0.1 (0 = any free port).")] = 8765,
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Serve citation counts as of this date (YYYY-MM-DD; default today)."),
    ] = None,
    fault: Annotated[
        list[str] | None,
        typer.Option(
            "--fault",
            help="Inject a fault, e.g. /graph/v1/paper/batch=429:times=2:retry_after=1 "
            "(kinds: 429 500 503 slow timeout truncate empty_page 404 corrupt). Repeatable.",
        ),
    ] = None,
    hostile: Annotated[
        bool,
        typer.Option(
            "--hostile", help="Also serve the hostile test records (replay/hostile.py), submitted 2020-04-15."
        ),
    ] = False,
) -> None:
    """Run the local replay server until Ctrl-C."""
    from paramtrack.replay.corpus import load_corpus
    from paramtrack.replay.faults import FaultPlan
    from paramtrack.replay.server import ReplayServer

    when: date | None = None
    if as_of:
        try:
            when = date.fromisoformat(as_of)
        except ValueError:
            raise InputError(f"--as-of {as_of!r} is not a date (expected YYYY-MM-DD)") from None
    plan = FaultPlan()
    for spec in fault or []:
        try:
            plan.add_spec(spec)
        except ValueError as exc:
            raise InputError(f"--fault: {exc}") from None
    data = load_corpus(corpus)  # CorpusNotFoundError is a ParamtrackError: one line, no traceback
    server = ReplayServer(data, port=port, as_of=when, faults=plan, hostile=hostile)
    try:
        server.start()
    except OSError as exc:
        raise InputError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
    stats = data.stats(server.as_of)
    typer.echo(f"replay server on {server.base_url}  (corpus {data.root}, as of {server.as_of})")
    typer.echo(f"  papers {stats['papers']}, with PDFs {stats['with_pdfs']}, with citations {stats['with_citations']}")
    typer.echo(f"  arXiv API:          {server.arxiv_api_url}")
    typer.echo(f"  Semantic Scholar:   {server.s2_api_url}   (e.g. {server.s2_api_url}/graph/v1/paper/batch)")
    typer.echo(f"  PDFs:               {server.base_url}/pdf/<id>v<n>")
    typer.echo(f"  arXiv OAI-PMH:      {server.base_url}/oai2")
    typer.echo(f"  faults:             {server.base_url}/_replay/faults   log: {server.base_url}/_replay/log")
    if server.hostile:
        typer.echo(
            f"  hostile records:    {len(server.hostile)}, submitted "
            f"{server.hostile[0].paper.published.date()} (replay/hostile.py)"
        )
    for rule in plan.rules:
        typer.echo(f"  fault: {rule.path} -> {rule.kind} (times={rule.times or 'unlimited'})")
    typer.echo("Press Ctrl-C to stop.", err=False)
    server.serve_forever()  # already started above: blocks until Ctrl-C, then stops


def register(app: typer.Typer) -> None:
    app.command("replay-server")(replay_server_command)
