"""``paramtrack db ...``: look after the warehouse file itself."""

from __future__ import annotations

from typing import Annotated

import typer

from paramtrack.warehouse import Warehouse, catalog
from paramtrack.warehouse.migrations import applied_migrations

db_app = typer.Typer(help="Create, migrate and inspect the DuckDB warehouse.", no_args_is_help=True)


@db_app.command("migrate")
def migrate_command(ctx: typer.Context) -> None:
    """Create the database file or bring it up to the current schema."""
    from paramtrack.commands import creating_warehouse, settings_from

    wh = Warehouse(settings_from(ctx).db_path)
    with creating_warehouse(settings_from(ctx)):
        applied = wh.migrate()
    if applied:
        typer.echo(f"{wh.path}: applied {', '.join(applied)}")
    else:
        typer.echo(f"{wh.path}: up to date")


@db_app.command("info")
def info_command(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Show the schema version and how many rows each table holds."""
    import json

    from paramtrack.commands import existing_warehouse, settings_from

    wh = Warehouse(existing_warehouse(settings_from(ctx)))
    with wh.read() as con:
        migrations = [name for name, _ in applied_migrations(con)]
        counts = catalog.table_counts(con)
        views = catalog.view_names(con)
    if as_json:
        typer.echo(
            json.dumps({"path": str(wh.path), "migrations": migrations, "tables": counts, "views": views}, indent=2)
        )
        return
    typer.echo(f"{wh.path}  (schema: {migrations[-1] if migrations else 'empty'})")
    width = max((len(t) for t in counts), default=0)
    for table, n in counts.items():
        typer.echo(f"  {table:<{width}}  {n:>8,}")
    typer.echo(f"  views: {', '.join(views)}")


@db_app.command("publish")
def publish_command(ctx: typer.Context) -> None:
    """Publish the analysts' read copy (<db>.read.duckdb) now; runs that write do it themselves."""
    from paramtrack.commands import existing_warehouse, settings_from
    from paramtrack.warehouse.publish import publish_read_copy

    wh = Warehouse(existing_warehouse(settings_from(ctx)))
    typer.echo(f"read copy: {publish_read_copy(wh)}")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
