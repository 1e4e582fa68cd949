"""``paramtrack backfill``: harvest past months of arXiv through OAI-PMH, extract on Dask."""

from __future__ import annotations

import calendar
import re
import socket
from datetime import UTC, date, datetime
from typing import Annotated, Any

import typer

from paramtrack.commands.checks import (
    check_categories,
    check_contact,
    check_pacing,
    check_rule,
    check_sources,
    parse_day,
    refuse_if_running,
)
from paramtrack.commands.options import (
    ArxivDelay,
    AsOf,
    Categories,
    Contact,
    NoExtract,
    PdfDelay,
    Quiet,
    Rule,
    S2Interval,
    S2Url,
)
from paramtrack.core.errors import InputError
from paramtrack.core.progress import show_progress
from paramtrack.core.settings import (
    ARXIV_API_URL,
    ARXIV_DELAY_S,
    ARXIV_OAI_URL,
    ARXIV_PDF_URL,
    DEFAULT_CATEGORIES,
    DEFAULT_RULE,
    PDF_DELAY_S,
    S2_API_URL,
)

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})")
_DASK_RE = re.compile(r"(tcp|tls)://(?P<host>[^\s:/]+|\[[0-9a-fA-F:]+\]):(?P<port>\d{1,5})")


def parse_month(value: str, option: str) -> tuple[int, int]:
    """``2020-03`` -> (2020, 3); anything else is a one-line error naming the option."""
    m = _MONTH_RE.fullmatch(value.strip())
    if not m or not 1 <= int(m.group(2)) <= 12 or int(m.group(1)) < 1991:
        raise InputError(f"{option} {value!r} is not a month (expected YYYY-MM, e.g. 2020-03)")
    return int(m.group(1)), int(m.group(2))


def month_window(start: str, end: str) -> tuple[date, date]:
    """First day of the ``--from`` month .. last day of the ``--to`` month."""
    y0, m0 = parse_month(start, "--from")
    y1, m1 = parse_month(end, "--to")
    first = date(y0, m0, 1)
    last = date(y1, m1, calendar.monthrange(y1, m1)[1])
    if last < first:
        raise InputError(f"--from {start} is after --to {end}")
    return first, last


def _check_dask_address(address: str) -> str:
    """``tcp://host:port`` of a running scheduler, checked now rather than after Prefect starts."""
    m = _DASK_RE.fullmatch(address.strip())
    if not m:
        raise InputError(
            f"--dask-address {address!r} is not a scheduler address "
            "(expected tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786)"
        )
    host, port = m.group("host").strip("[]"), int(m.group("port"))
    try:
        socket.create_connection((host, port), timeout=5).close()
    except OSError as exc:
        raise InputError(
            f"no Dask scheduler answers at {address} ({exc.strerror or exc})",
            hint="start one with `dask scheduler` and workers with "
            "`dask worker --no-nanny tcp://HOST:8786`, or drop --dask-address "
            "for a local cluster",
        ) from None
    return address.strip()


def _print_summary(s: Any) -> None:
    typer.echo("")
    typer.echo(f"Backfill {s.backfill_key}: run {s.run_id} finished in {s.seconds:.1f} s")
    if s.resumed_after_pages:
        typer.echo(
            f"  resumed after {s.resumed_after_pages} pages committed by an earlier run"
            + (f"; {s.restarts} restart(s) after an expired token" if s.restarts else "")
        )
    typer.echo(
        f"  OAI-PMH: {s.harvested:,} records in {s.pages} pages; {s.kept:,} first submitted"
        f" in the window ({s.harvest_seconds:.1f} s)"
    )
    v = s.verdicts
    typer.echo(
        f"  citation counts: {s.with_citations:,}; found by bulk search: {s.found_by_bulk};"
        f" notable: {v.get('notable', 0)}, watch: {v.get('watch', 0)},"
        f" aged out: {v.get('aged_out', 0)}"
    )
    typer.echo(f"  warehouse: {s.inserted} new, {s.updated} updated, {len(s.newly_notable)} newly notable")
    typer.echo(
        f"  PDFs: {s.pdfs_downloaded} downloaded, {s.pdfs_failed} unavailable; extracted on"
        f" Dask: {s.extracted} ({s.extraction_errors} with errors, {s.pdf_pages} pages,"
        f" {s.extract_seconds:.1f} s); staged for review: {s.staged}"
    )
    for p in s.source_problems:
        typer.echo(f"  {p['source']}: {p['problem']} x{p['count']} (retried)")


def backfill_command(
    ctx: typer.Context,
    from_month: Annotated[str, typer.Option("--from", help="First month of submissions (YYYY-MM).")],
    to_month: Annotated[
        str, typer.Option("--to", help="Last month of submissions (YYYY-MM); default this month.")
    ] = "",
    category: Categories = None,
    dask_address: Annotated[
        str, typer.Option(help="Use a running Dask scheduler (tcp://HOST:PORT) instead of a local cluster.")
    ] = "",
    workers: Annotated[int, typer.Option(help="Worker processes of the local Dask cluster.")] = 2,
    dashboard: Annotated[
        bool,
        typer.Option(
            "--dashboard",
            help="Serve Dask's dashboard (task stream, worker CPU and memory) for the local cluster and print its address.",
        ),
    ] = False,
    no_extract: NoExtract = False,
    no_bulk: Annotated[
        bool, typer.Option("--no-bulk", help="Skip the Semantic Scholar search for notable papers the harvest missed.")
    ] = False,
    rule: Rule = DEFAULT_RULE,
    oai_url: Annotated[str, typer.Option(envvar="PARAMTRACK_OAI_URL", help="arXiv OAI-PMH base URL.")] = ARXIV_OAI_URL,
    arxiv_url: Annotated[
        str, typer.Option(envvar="PARAMTRACK_ARXIV_URL", help="arXiv API query URL (records of bulk-search finds).")
    ] = ARXIV_API_URL,
    pdf_url: Annotated[
        str, typer.Option(envvar="PARAMTRACK_PDF_URL", help="PDF URL template, {id} = arXiv id.")
    ] = ARXIV_PDF_URL,
    s2_url: S2Url = S2_API_URL,
    arxiv_delay: ArxivDelay = ARXIV_DELAY_S,
    s2_interval: S2Interval = None,
    pdf_delay: PdfDelay = PDF_DELAY_S,
    as_of: AsOf = "",
    contact: Contact = None,
    quiet: Quiet = False,
) -> None:
    """Backfill past months: OAI-PMH harvest, citations, notability, PDF extraction on Dask.

    Re-running with the same --from/--to/--category resumes an interrupted backfill.
    """
    from paramtrack.commands import prepare_run, settings_from
    from paramtrack.flows.options import RunOptions, SourceSettings  # lazily: --help stays fast

    settings = settings_from(ctx)
    this_month = datetime.now(UTC).strftime("%Y-%m")
    window_from, window_to = month_window(from_month, to_month or this_month)
    categories = list(check_categories(list(category or DEFAULT_CATEGORIES)))
    check_rule(rule)
    check_pacing(arxiv_delay, s2_interval, pdf_delay)
    if workers < 1:
        raise InputError(f"--workers must be at least 1, got {workers}")
    if "{id}" not in pdf_url:
        raise InputError(f"--pdf-url {pdf_url!r} has no {{id}} placeholder")
    as_of_day = parse_day(as_of, "--as-of") if as_of else None
    contact = check_contact(contact)
    address = _check_dask_address(dask_address) if dask_address else None
    from paramtrack.warehouse.backfill_store import backfill_key

    refuse_if_running(settings.db_path, backfill_key(window_from, window_to, categories), "backfill")
    check_sources(oai_url, s2_url, contact)
    show_progress(not quiet)
    prepare_run(settings.db_path)
    from paramtrack.flows.backfill import run_backfill

    sources = SourceSettings(
        arxiv_url=arxiv_url,
        s2_url=s2_url,
        oai_url=oai_url,
        pdf_url_format=pdf_url,
        arxiv_delay_s=arxiv_delay,
        s2_min_interval=s2_interval,
        pdf_delay_s=pdf_delay,
        contact=contact,
    )
    summary = run_backfill(
        workers=workers,
        dask_address=address,
        dashboard=dashboard,
        db_path=str(settings.db_path),
        window_from=window_from,
        window_to=window_to,
        categories=categories,
        options=RunOptions(
            sources=sources,
            rule=rule,
            as_of=as_of_day,
            bulk_search=not no_bulk,
            extract=not no_extract,
            pdf_cache_dir=str(settings.pdf_cache_dir),
        ),
    )
    _print_summary(summary)


def register(app: typer.Typer) -> None:
    app.command("backfill")(backfill_command)
