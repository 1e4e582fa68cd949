"""``paramtrack import-epoch FILE``, ``paramtrack recompute`` and ``paramtrack export``.

One export folder: ``export`` writes the dataset into ``data/export`` (beside the database),
and the scheduled recompute writes its tables there too (``recompute --export DIR`` on demand).
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from paramtrack.core.errors import InputError


def import_epoch_file(db_path: Path, file: Path) -> tuple[Any, Any]:
    """Parse ``file`` (an Epoch CSV) and upsert its rows into the warehouse at ``db_path``, then
    publish the read copy; returns (the parse, the import counts). Shared by ``import-epoch``
    and ``demo`` (which imports the corpus's 2022-09 vintage so that names prefill from Epoch
    and reviews supersede its rows from the first run)."""
    from paramtrack.trends.epoch_csv import EpochFormatError, parse_epoch_csv
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.models_store import import_epoch_rows
    from paramtrack.warehouse.publish import publish_after_run

    if not file.is_file():
        raise InputError(f"no such file: {file}")
    data = file.read_bytes()
    try:
        parsed = parse_epoch_csv(file, text=data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not UTF-8 text ({exc})") from exc
    except EpochFormatError as exc:
        raise InputError(str(exc)) from exc
    wh = Warehouse(db_path)
    with wh.write() as con:
        counts = import_epoch_rows(
            con,
            parsed.file_name,
            parsed.rows,
            sha256=hashlib.sha256(data).hexdigest(),
            skipped=len(parsed.skipped),
            skip_reasons=parsed.skip_reasons(),
        )
    publish_after_run(wh)  # the analysts' read copy, beside the warehouse
    return parsed, counts


def import_epoch_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An Epoch AI model CSV (any published vintage).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
    show_skipped: Annotated[int, typer.Option(help="List this many skipped rows.")] = 10,
) -> None:
    """Import Epoch AI's published model CSV into the curated dataset (idempotent)."""
    from paramtrack.commands import creating_warehouse, settings_from

    with creating_warehouse(settings_from(ctx)):
        parsed, counts = import_epoch_file(settings_from(ctx).db_path, file)
    if as_json:
        report = counts.as_dict() | {
            "layout": parsed.layout,
            "skipped_rows": [{"row": s.row, "system": s.system, "reason": s.reason} for s in parsed.skipped],
        }
        typer.echo(json.dumps(report, indent=2))
        return
    with_params = sum(r["parameters"] is not None for r in parsed.rows)
    typer.echo(
        f"{parsed.file_name} (key column {parsed.layout}): {counts.rows_total} rows -> "
        f"{counts.inserted} imported, {counts.updated} updated, {counts.unchanged} unchanged, "
        f"{counts.skipped} skipped"
    )
    typer.echo(
        f"  {with_params} of {len(parsed.rows)} kept rows have a parameter count "
        "(rows without one are kept; fits use only rows with one)"
    )
    for reason, n in counts.skip_reasons.items():
        typer.echo(f"  skipped {n:>4}: {reason}")
    for s in parsed.skipped[:show_skipped]:
        typer.echo(f"    row {s.row}: {s.system or '(no name)'}: {s.reason}")
    if len(parsed.skipped) > show_skipped:
        typer.echo(f"    ... {len(parsed.skipped) - show_skipped} more (--json lists all)")


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise InputError(f"--until must be YYYY-MM-DD, got {value!r}") from exc


def _check_gap_split(value: float) -> float:
    """A split of 0, a negative or a non-finite number puts every model on one side of the gap,
    which yields empty eras deep inside the fit rather than a useful message."""
    if not (math.isfinite(value) and value > 0):
        raise InputError(f"--gap-split must be a number of parameters > 0, got {value:g}")
    return value


def recompute_command(
    ctx: typer.Context,
    charts: Annotated[
        Path | None,
        typer.Option(
            "--charts",
            help="Folder for the trend and gap charts (PNG, HTML, CSV) [default: charts/ beside the database].",
        ),
    ] = None,
    no_charts: Annotated[bool, typer.Option("--no-charts", help="Refit the tables only; write no charts.")] = False,
    export: Annotated[
        Path | None, typer.Option("--export", help="Also write trends/gap/breakpoints as CSV and Parquet into DIR.")
    ] = None,
    if_due: Annotated[
        bool, typer.Option("--if-due", help="Only recompute when the dataset changed since the last recompute.")
    ] = False,
    no_prefect: Annotated[
        bool,
        typer.Option(
            "--no-prefect",
            help="Fit in this process even when PREFECT_API_URL names a Prefect server (without one, it always does).",
        ),
    ] = False,
    until: Annotated[str | None, typer.Option(help="Only models published before this date (YYYY-MM-DD).")] = None,
    since_year: Annotated[int, typer.Option(help="Gap table: models published from this year on.")] = 2020,
    resamples: Annotated[int, typer.Option(help="Bootstrap replicates (>= 1000 recommended).")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 20220705,
    gap_split: Annotated[float, typer.Option(help="Above/below-gap split in parameters.")] = 2e10,
    break_year: Annotated[int, typer.Option(help="Era break year.")] = 2018,
) -> None:
    """Refit trend, gap and breakpoint tables from the curated dataset and draw the charts.

    In this process, in seconds; as a run of the Prefect flow when PREFECT_API_URL names a
    Prefect server (so the run shows in its UI).
    """
    from paramtrack.commands import existing_warehouse, settings_from
    from paramtrack.core.progress import show_progress
    from paramtrack.flows.refit import prepare_output_dirs

    settings = settings_from(ctx)
    existing_warehouse(settings)  # before any folder is made: a wrong --db creates nothing
    cut = _parse_date(until)
    if resamples < 1:
        raise InputError("--resamples must be at least 1")
    _check_gap_split(gap_split)
    if no_charts and charts is not None:
        raise InputError("--charts and --no-charts contradict each other")
    show_progress()  # progress lines (and a lock wait) as terminal lines
    # Before any fitting (and before Prefect starts): a bad --charts/--export path is one line
    # here, not a failed run with a traceback.
    charts, export = prepare_output_dirs(None if no_charts else (charts or settings.data_dir / "charts"), export)
    fit: dict[str, Any] = dict(until=cut, resamples=resamples, seed=seed, gap_split=gap_split, break_year=break_year)
    prefect_api = None if no_prefect else settings.prefect_api_url
    if prefect_api:
        summary = _refit_on_prefect(settings, charts, export, if_due=if_due, since_year=since_year, **fit)
    else:
        summary = _refit_here(settings, charts, export, if_due=if_due, since_year=since_year, **fit)
    if summary["skipped"]:
        typer.echo("recompute not due: no dataset change since the last completed recompute")
        return
    _print_refit(settings.db_path, summary, f" (Prefect run, {prefect_api})" if prefect_api else "")


def _refit_here(
    settings: Any, charts: Path | None, export: Path | None, *, if_due: bool, since_year: int, **fit: Any
) -> dict[str, Any]:
    """Fit in this process, in seconds (no Prefect server named, or ``--no-prefect``)."""
    from paramtrack.flows.refit import recompute
    from paramtrack.trends.fit import TrendConfig
    from paramtrack.trends.gap import GapConfig
    from paramtrack.warehouse import Warehouse

    outcome = recompute(
        Warehouse(settings.db_path),
        config=TrendConfig(**fit),
        gap_config=GapConfig(since_year=since_year, until=fit["until"]),
        charts_dir=charts,
        export_dir=export,
        if_due=if_due,
    )
    return outcome.summary()


def _refit_on_prefect(
    settings: Any, charts: Path | None, export: Path | None, *, if_due: bool, since_year: int, **fit: Any
) -> dict[str, Any]:
    """Fit as a run of the recompute flow, so it shows in the Prefect server's UI."""
    from paramtrack.core.settings import configure_prefect

    configure_prefect(settings.data_dir)  # flows.recompute imports Prefect: its settings first
    from paramtrack.flows.recompute import recompute_flow

    return recompute_flow(
        db_path=str(settings.db_path.resolve()),
        charts_dir=str(charts.resolve()) if charts else None,
        export_dir=str(export.resolve()) if export else None,
        if_due=if_due,
        since_year=since_year,
        **fit,
    )


def _print_refit(db_path: Path, summary: dict[str, Any], where: str) -> None:
    """The refitted tables as the warehouse now holds them, then where the run left its files."""
    from paramtrack.trends.report import format_breakpoints, format_gap, format_trends
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.trends_store import read_table

    with Warehouse(db_path).read() as con:
        trends = read_table(con, "trends")
        gap = read_table(con, "gap")
        bps = read_table(con, "breakpoints")
    typer.echo(format_trends(trends))
    typer.echo("")
    typer.echo(format_breakpoints(bps))
    typer.echo("")
    typer.echo(format_gap(gap))
    typer.echo("")
    typer.echo(f"run {summary['run_id']}{where}: {summary['counts']} in {summary['seconds']:.2f} s")
    if summary["charts"]:
        index = next((p for p in summary["charts"] if p.endswith("index.html")), summary["charts"][0])
        typer.echo(f"charts: {len(summary['charts'])} files in {Path(index).parent} (open {index})")
    else:
        typer.echo("charts: none (--no-charts)")
    for p in summary["exports"]:
        typer.echo(f"  export: {p}")


def export_command(
    ctx: typer.Context,
    out_dir: Annotated[
        Path | None,
        typer.Argument(
            help="Folder for models.csv, models.parquet and the data dictionary (default data/export).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Export the curated dataset (Epoch's column names plus provenance) as CSV and Parquet."""
    from paramtrack.commands import existing_warehouse, settings_from
    from paramtrack.flows.outputs import prepare_output_dir
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.export_store import EXPORT_FILES, export_dataset, summary

    settings = settings_from(ctx)
    existing_warehouse(settings)
    out = prepare_output_dir(out_dir or settings.data_dir / "export", label="export folder", files=EXPORT_FILES)
    with Warehouse(settings.db_path).read() as con:
        written = export_dataset(con, out)
        info = summary(con)
    files = ", ".join(info["epoch_files"]) or "no Epoch file"  # type: ignore[arg-type]
    typer.echo(f"exported {info['rows']} curated rows ({info['reviewed']} reviewed; {files})")
    for path in written:
        typer.echo(f"  {path}")


def register(app: typer.Typer) -> None:
    app.command("import-epoch")(import_epoch_command)
    app.command("recompute")(recompute_command)
    app.command("export")(export_command)
