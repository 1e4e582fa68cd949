"""The ``paramtrack`` command: a thin layer that parses options and calls the packages.

Every subcommand lives in ``paramtrack/commands/<name>.py``; this module only wires them to the
root app, owns the global ``--db`` option, and turns :class:`~paramtrack.core.errors.UserError` into a
one-line message with a non-zero exit code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from paramtrack.core.errors import UserError
from paramtrack.core.settings import DEFAULT_DB, Settings, configure_ranker

app = typer.Typer(
    name="paramtrack",
    help="Keep a curated dataset of ML model sizes current: discover, extract, review, refit.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        Path,
        typer.Option(
            "--db",
            envvar="PARAMTRACK_DB",
            help="DuckDB warehouse file.",
            show_default=True,
        ),
    ] = DEFAULT_DB,
) -> None:
    """paramtrack: discover notable ML papers, extract parameter counts, review, refit trends."""
    ctx.obj = Settings(db_path=db)
    configure_ranker(ctx.obj)


# -- command registration (one module per command group, in the order --help lists them) ------
from paramtrack.commands import (  # noqa: E402
    backfill,
    database,
    extract,
    ingest,
    pdfs,
    ranker,
    replay,
    review,
    status,
    trends,
)

ingest.register(app)
backfill.register(app)
pdfs.register(app)
extract.register(app)
ranker.register(app)
review.register(app)
trends.register(app)
replay.register(app)
database.register(app)
status.register(app)
# -- end of command registration -------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: Typer reports usage errors; user errors become one line."""
    try:
        app(args=argv, prog_name="paramtrack")
    except UserError as exc:
        typer.secho(f"Error: {exc}", err=True, fg=typer.colors.RED)
        sys.exit(exc.exit_code)


if __name__ == "__main__":
    main()
