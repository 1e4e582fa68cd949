"""``paramtrack import-epoch FILE`` and ``paramtrack recompute``."""

from __future__ import annotations

import hashlib
import json
import math
from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer

from paramtrack.core.errors import InputError


def import_epoch_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="An Epoch AI model CSV (any published vintage).")],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable report.")] = False,
    show_skipped: Annotated[int, typer.Option(help="List this many skipped rows.")] = 10,
) -> None:
    """Import Epoch AI's published model CSV into the curated dataset (idempotent)."""
    from paramtrack.commands import settings_from
    from paramtrack.trends.epoch_csv import EpochFormatError, parse_epoch_csv
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.models_store import import_epoch_rows

    if not file.is_file():
        raise InputError(f"no such file: {file}")
    data = file.read_bytes()
    try:
        parsed = parse_epoch_csv(file, text=data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise InputError(f"{file}: not UTF-8 text ({exc})") from exc
    except EpochFormatError as exc:
        raise InputError(str(exc)) from exc
    wh = Warehouse(settings_from(ctx).db_path)
    with wh.write() as con:
        counts = import_epoch_rows(
            con,
            parsed.file_name,
            parsed.rows,
            sha256=hashlib.sha256(data).hexdigest(),
            skipped=len(parsed.skipped),
            skip_reasons=parsed.skip_reasons(),
        )
    from paramtrack.warehouse.publish import publish_after_run

    publish_after_run(wh)  # the analysts' read copy, beside the warehouse
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
        Path | None, typer.Option("--charts", help="Write trends/gap charts (PNG + HTML) into DIR.")
    ] = None,
    export: Annotated[
        Path | None, typer.Option("--export", help="Write trends/gap/breakpoints as CSV and Parquet into DIR.")
    ] = None,
    if_due: Annotated[
        bool, typer.Option("--if-due", help="Only recompute when the dataset changed since the last recompute.")
    ] = False,
    no_prefect: Annotated[
        bool,
        typer.Option(
            "--no-prefect", help="Run the plain function instead of the Prefect flow (no local Prefect server)."
        ),
    ] = False,
    until: Annotated[str | None, typer.Option(help="Only models published before this date (YYYY-MM-DD).")] = None,
    since_year: Annotated[int, typer.Option(help="Gap table: models published from this year on.")] = 2020,
    resamples: Annotated[int, typer.Option(help="Bootstrap replicates (>= 1000 recommended).")] = 1000,
    seed: Annotated[int, typer.Option(help="Bootstrap seed.")] = 20220705,
    gap_split: Annotated[float, typer.Option(help="Above/below-gap split in parameters.")] = 2e10,
    break_year: Annotated[int, typer.Option(help="Era break year.")] = 2018,
) -> None:
    """Refit trend, gap and breakpoint tables from the curated dataset (via the Prefect flow)."""
    from paramtrack.commands import settings_from
    from paramtrack.core.settings import configure_prefect
    from paramtrack.trends.report import format_breakpoints, format_gap, format_trends
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.trends_store import read_table

    settings = settings_from(ctx)
    # flows.recompute imports Prefect (it defines the deployable flow): its home first.
    configure_prefect(settings.data_dir)
    from paramtrack.core.progress import show_progress

    show_progress()  # the flow's progress line as a terminal line, not in Prefect's log format
    from paramtrack.flows.recompute import prepare_output_dirs

    cut = _parse_date(until)
    if resamples < 1:
        raise InputError("--resamples must be at least 1")
    _check_gap_split(gap_split)
    # Before Prefect starts (10-25 s) and before any fitting: a bad --charts/--export path is
    # one line here, not a failed flow run with a traceback.
    charts, export = prepare_output_dirs(charts, export)
    if no_prefect:
        from paramtrack.flows.recompute import recompute
        from paramtrack.trends.fit import TrendConfig
        from paramtrack.trends.gap import GapConfig

        outcome = recompute(
            Warehouse(settings.db_path),
            config=TrendConfig(until=cut, resamples=resamples, seed=seed, gap_split=gap_split, break_year=break_year),
            gap_config=GapConfig(since_year=since_year, until=cut),
            charts_dir=charts,
            export_dir=export,
            if_due=if_due,
        )
        summary = outcome.summary()
    else:
        from paramtrack.flows.local_api import local_api
        from paramtrack.flows.recompute import recompute_flow

        with local_api():
            summary = recompute_flow(
                db_path=str(settings.db_path.resolve()),
                charts_dir=str(charts.resolve()) if charts else None,
                export_dir=str(export.resolve()) if export else None,
                if_due=if_due,
                until=cut,
                since_year=since_year,
                resamples=resamples,
                seed=seed,
                gap_split=gap_split,
                break_year=break_year,
            )
    if summary["skipped"]:
        typer.echo("recompute not due: no dataset change since the last completed recompute")
        return
    wh = Warehouse(settings.db_path)
    with wh.read() as con:
        trends = read_table(con, "trends")
        gap = read_table(con, "gap")
        bps = read_table(con, "breakpoints")
    typer.echo(format_trends(trends))
    typer.echo("")
    typer.echo(format_breakpoints(bps))
    typer.echo("")
    typer.echo(format_gap(gap))
    typer.echo("")
    typer.echo(f"run {summary['run_id']}: {summary['counts']} in {summary['seconds']:.2f} s")
    for p in summary["charts"]:
        typer.echo(f"  chart: {p}")
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
    from paramtrack.commands import settings_from
    from paramtrack.flows.recompute import prepare_output_dir
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.export_store import EXPORT_FILES, export_dataset, summary

    settings = settings_from(ctx)
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
