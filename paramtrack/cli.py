"""The ``paramtrack`` command: a thin layer that parses options and calls the packages.

Every subcommand lives in ``paramtrack/commands/<name>.py``; this module only wires them to the
root app, owns the global ``--db`` option, and turns the library's
:class:`~paramtrack.core.errors.ParamtrackError` into one line on stderr and an exit code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from paramtrack.core.errors import (
    DatabaseLockedError,
    ParamtrackError,
    RunLockedError,
    SourceUnavailableError,
)
from paramtrack.core.settings import DEFAULT_DB, configure_ranker, env_name, read_settings
from paramtrack.sources.retrying import is_loopback

#: Options of the root command: given after a subcommand, the subcommand knows them not.
GLOBAL_OPTIONS = ("--db",)


def misplaced_global_hint(option: str, args: list[str]) -> str | None:
    """For ``args`` after the root options (the subcommand and its arguments), the hint when
    ``option`` is among them: where it goes, with the value given and the rest of the command
    ("--db goes before the command: paramtrack --db X recompute"); None when it is not."""
    for i, arg in enumerate(args[1:], start=1):
        if arg == "--":
            return None
        if arg == option or arg.startswith(option + "="):
            if arg == option:
                value = args[i + 1] if i + 1 < len(args) else "PATH"
                rest = args[:i] + args[i + 2 :]
            else:
                value, rest = arg.split("=", 1)[1], args[:i] + args[i + 1 :]
            return f"{option} goes before the command: paramtrack {option} {value} {' '.join(rest)}"
    return None


class RootGroup(TyperGroup):
    """The root command: a global option given after a subcommand is a usage error with a hint
    saying where it goes, not only "No such option"."""

    def invoke(self, ctx: Any) -> Any:
        args = [*getattr(ctx, "_protected_args", getattr(ctx, "protected_args", [])), *ctx.args]
        for option in GLOBAL_OPTIONS:
            hint = misplaced_global_hint(option, args)
            if hint is not None:
                ctx.fail(f"No such option: {option} (it is an option of paramtrack itself)\n{hint}")
        return super().invoke(ctx)


app = typer.Typer(
    name="paramtrack",
    cls=RootGroup,
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
            envvar=env_name("db_path"),
            help="DuckDB warehouse file.",
            show_default=True,
        ),
    ] = DEFAULT_DB,
) -> None:
    """paramtrack: discover notable ML papers, extract parameter counts, review, refit trends."""
    # Every environment variable, read once for the whole command: a bad one is one line here.
    ctx.obj = read_settings(db_path=db)
    configure_ranker(ctx.obj)


# -- command registration (one module per command group, in the order --help lists them) ------
from paramtrack.commands import (  # noqa: E402
    backfill,
    database,
    domain,
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
domain.register(app)
review.register(app)
trends.register(app)
replay.register(app)
database.register(app)
status.register(app)
# -- end of command registration -------------------------------------------------------------


# Exit codes: 0 done, 1 a health problem (`status`), 2 fix the input or configuration,
# 75 (EX_TEMPFAIL) nothing is wrong with the request: try again later (a database or run lock
# held by another process, a source that is down). Schedulers retry 75 and page on 2.
EXIT_INPUT = 2
EXIT_TRY_LATER = 75
_TRY_LATER = (DatabaseLockedError, RunLockedError, SourceUnavailableError)
REPLAY_HINT = "is the replay server running? start it with `paramtrack replay-server`"


def exit_code_for(exc: ParamtrackError) -> int:
    """The CLI's decision, not the library's: the same error in a notebook has no exit code."""
    return EXIT_TRY_LATER if isinstance(exc, _TRY_LATER) else EXIT_INPUT


def error_line(exc: ParamtrackError) -> str:
    """One line for stderr; a source that failed on this machine's loopback is most likely the
    replay server not started, and only then is that suggested."""
    line = f"Error: {exc}"
    if isinstance(exc, SourceUnavailableError) and exc.hint is None and is_loopback(exc.url):
        line += f" ({REPLAY_HINT})"
    return line


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: Typer reports usage errors; library errors become one line."""
    from paramtrack.core import exit_noise

    exit_noise.install()  # DuckDB's "nanobind: leaked ..." report at exit is noise
    try:
        app(args=argv, prog_name="paramtrack")
    except ParamtrackError as exc:
        typer.secho(error_line(exc), err=True, fg=typer.colors.RED)
        sys.exit(exit_code_for(exc))


if __name__ == "__main__":
    main()
