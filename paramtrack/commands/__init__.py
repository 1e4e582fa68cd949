"""One module per command group; each has ``register(app)``. Shared helpers live here.

One rule for a warehouse that is not there: commands that read it or refit from it
(``status``, ``export``, ``review``, ``queue``, ``recompute``, ``review-server``, ``db info``,
``pdfs``, ...) refuse with one line and exit 2 before they create anything
(:func:`existing_warehouse`); commands that bring data in (``demo``, ``ingest``, ``add``,
``backfill``, ``import-epoch``, ``db migrate``) may create it, and say so
(:func:`creating_warehouse`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from paramtrack.core.errors import InputError
from paramtrack.core.settings import MISSING_HINT, Settings, read_settings


def settings_from(ctx: typer.Context) -> Settings:
    """The resolved settings of this invocation (the root callback always sets them)."""
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else read_settings()


def existing_warehouse(settings: Settings) -> Path:
    """The warehouse path of a command that reads or refits it; refuses a missing file before
    anything (a chart folder, Prefect's home, an empty database) is created."""
    path = settings.db_path
    if not path.exists():
        raise InputError(f"no database at {path}", hint=MISSING_HINT)
    return path


@contextmanager
def creating_warehouse(settings: Settings) -> Iterator[None]:
    """Around the step of a command that brings data in and may create the warehouse: when it
    did, say so (a mistyped --db shows at once instead of as an empty database later). Said
    after the fact, so a path that cannot be created stays one error line."""
    missing = not settings.db_path.exists()
    yield
    if missing and settings.db_path.exists():
        typer.echo(f"Created a new warehouse at {settings.db_path} (there was none).", err=True)


def prepare_run(db_path: Path) -> None:
    """Before a run starts Prefect: create the warehouse or bring it up to date (an unusable
    path or file, not DuckDB, a newer schema, an unwritable folder, is one line here, not a
    failed flow run in Prefect's logs), then point Prefect's home beside it."""
    from paramtrack.core.settings import configure_prefect
    from paramtrack.warehouse import Warehouse

    with creating_warehouse(read_settings(db_path=db_path)):
        Warehouse(db_path).migrate()
    configure_prefect(db_path.parent)
