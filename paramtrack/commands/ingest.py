"""``paramtrack ingest``, ``demo`` and ``serve``: run the discover flow live, offline, or weekly."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from paramtrack.commands.checks import (
    PREFECT_HINT,
    check_categories,
    check_contact,
    check_cron,
    check_pacing,
    check_prefect_api,
    check_rule,
    check_sources,
    check_window_days,
    parse_day,
    refuse_if_running,
)
from paramtrack.commands.options import (
    ArxivDelay,
    ArxivUrl,
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
from paramtrack.core.errors import InputError, SourceUnavailableError
from paramtrack.core.progress import show_progress
from paramtrack.core.settings import (
    ARXIV_API_URL,
    ARXIV_DELAY_S,
    DEFAULT_CATEGORIES,
    DEFAULT_RULE,
    PDF_DELAY_S,
    S2_API_URL,
    configure_prefect,
    env_name,
    export_setting,
    find_corpus,
)
from paramtrack.core.text import for_terminal
from paramtrack.core.units import format_count

WEEKLY_CRON = "0 6 * * 1"  # Mondays 06:00 UTC

#: The demo window covers every paper in the offline corpus (ground truth: 2013-12 .. 2024-05;
#: Epoch rows with arXiv links reach further back and forward).
DEMO_SINCE = date(2012, 1, 1)
DEMO_UNTIL = date(2025, 12, 31)


def _source_settings(
    arxiv_url: str, s2_url: str, arxiv_delay: float, s2_interval: float | None, pdf_delay: float, contact: str | None
) -> Any:
    """The checked source options as the flows take them (``flows.options.SourceSettings``)."""
    from paramtrack.flows.options import SourceSettings

    return SourceSettings(
        arxiv_url=arxiv_url,
        s2_url=s2_url,
        arxiv_delay_s=arxiv_delay,
        s2_min_interval=s2_interval,
        pdf_delay_s=pdf_delay,
        contact=contact,
    )


def _run_discover(db_path: Path, **params: Any):
    """Import Prefect only now (slow), with the project-local defaults set first; its local
    API server (when no PREFECT_API_URL is set) dies with this process, even after kill -9."""
    from paramtrack.commands import prepare_run

    prepare_run(db_path)
    from paramtrack.flows.discover import run_discover
    from paramtrack.flows.local_api import local_api

    with local_api():
        return run_discover(db_path=str(db_path), **params)


def _end_if_source_down(summary: Any) -> None:
    """A run a circuit breaker stopped has printed its report; exit non-zero with the reason."""
    if summary.status == "source_down":
        raise SourceUnavailableError(
            f"run stopped early: {summary.error}",
            hint="everything finished so far is kept; run the same command again to resume",
        )


def _print_summary(summary: Any, db_path: Path) -> None:
    verdicts = summary.verdicts
    typer.echo("")
    typer.echo(
        f"Run {summary.run_id} {summary.status} in {summary.seconds:.1f} s"
        + (f" (resumed run {summary.resumed_from})" if summary.resumed_from else "")
    )
    typer.echo(
        f"  arXiv window: {summary.polled} papers; watchlist re-checked: {summary.rechecked};"
        f" found by bulk search: {summary.found_by_bulk}"
    )
    typer.echo(
        f"  citation counts: {summary.with_citations};  notable: {verdicts.get('notable', 0)},"
        f" watch: {verdicts.get('watch', 0)}, aged out: {verdicts.get('aged_out', 0)}"
    )
    if summary.rejected or summary.cleaned:
        typer.echo(f"  screening: {summary.rejected} rejected (see rejected_records), {summary.cleaned} stored cleaned")
    typer.echo(
        f"  warehouse: {summary.inserted} new, {summary.updated} updated, {len(summary.newly_notable)} newly notable"
    )
    typer.echo(
        f"  PDFs: {summary.pdfs_downloaded} downloaded, {summary.pdfs_failed} unavailable;"
        f" extracted: {summary.extracted} ({summary.extraction_errors} with errors);"
        f" staged for review: {summary.staged}"
    )
    if summary.abstracts_read:
        typer.echo(
            f"  without a PDF: {summary.abstracts_read} read from arXiv's abstract,"
            f" {summary.abstracts_staged} staged (the abstract states a size)"
        )
    if summary.source_problems:
        typer.echo(
            "  source problems (retried): "
            + "; ".join(f"{p['source']} {p['problem']} ×{p['count']}" for p in summary.source_problems)
        )


def _print_top_candidates(db_path: Path, limit: int = 40) -> None:
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.extraction_store import top_candidates

    with Warehouse(db_path).read() as con:
        tops = top_candidates(con)
    if not tops:
        return
    typer.echo("")
    typer.echo(f"{'paper':<12} {'proposed':>9} {'kind':<13} {'page':>4} {'score':>5}  title")
    for t in tops[:limit]:
        if t.error:  # titles and errors come from outside: escaped for the terminal
            typer.echo(
                for_terminal(f"{t.arxiv_id:<12} {'-':>9} {'error':<13} {'':>4} {'':>5}  {t.title[:50]}  ({t.error})")
            )
        else:
            typer.echo(
                f"{t.arxiv_id:<12} {format_count(t.value):>9} {(t.kind or '-'):<13} "
                f"{t.page or '':>4} {t.score if t.score is not None else 0:>5.2f}  {for_terminal(t.title[:60])}"
            )
    if len(tops) > limit:
        typer.echo(f"... and {len(tops) - limit} more")


def ingest_command(
    ctx: typer.Context,
    since: Annotated[str, typer.Option(help="First submission day (YYYY-MM-DD).")] = "",
    until: Annotated[str, typer.Option(help="Last submission day (YYYY-MM-DD); default today.")] = "",
    category: Categories = None,
    arxiv_url: ArxivUrl = ARXIV_API_URL,
    s2_url: S2Url = S2_API_URL,
    rule: Rule = DEFAULT_RULE,
    arxiv_delay: ArxivDelay = ARXIV_DELAY_S,
    no_bulk: Annotated[
        bool, typer.Option("--no-bulk", help="Skip the Semantic Scholar search for missed older papers.")
    ] = False,
    no_extract: NoExtract = False,
    as_of: AsOf = "",
    s2_interval: S2Interval = None,
    pdf_delay: PdfDelay = PDF_DELAY_S,
    batch_size: Annotated[
        int, typer.Option(help="Papers judged and committed together (1-500): what a killed run can lose.")
    ] = 500,
    contact: Contact = None,
    quiet: Quiet = False,
) -> None:
    """Discover notable papers submitted in a window, live from arXiv and Semantic Scholar.

    Re-running a window whose run was killed (or stopped by a source outage) resumes it."""
    from paramtrack.commands import settings_from
    from paramtrack.flows.options import RunOptions  # lazily: --help stays fast

    settings = settings_from(ctx)
    today = datetime.now(UTC).date()
    until_day = parse_day(until, "--until") if until else today
    since_day = parse_day(since, "--since") if since else until_day - timedelta(days=7)
    if since_day > until_day:
        raise InputError(f"--since {since_day} is after --until {until_day}")
    categories = list(check_categories(list(category or DEFAULT_CATEGORIES)))
    check_rule(rule)
    check_pacing(arxiv_delay, s2_interval, pdf_delay)
    contact = check_contact(contact)
    if not 1 <= batch_size <= 500:
        raise InputError(f"--batch-size must be within 1..500 (Semantic Scholar's batch limit), got {batch_size}")
    from paramtrack.warehouse.runs_store import discover_window_key

    refuse_if_running(settings.db_path, discover_window_key(since_day, until_day, categories), "ingest")
    check_sources(arxiv_url, s2_url, contact)
    show_progress(not quiet)
    sources = _source_settings(arxiv_url, s2_url, arxiv_delay, s2_interval, pdf_delay, contact)
    options = RunOptions(
        sources=sources,
        rule=rule,
        as_of=parse_day(as_of, "--as-of") if as_of else None,
        bulk_search=not no_bulk,
        extract=not no_extract,
        batch_size=batch_size,
        pdf_cache_dir=str(settings.pdf_cache_dir),
    )
    summary = _run_discover(settings.db_path, since=since_day, until=until_day, categories=categories, options=options)
    _print_summary(summary, settings.db_path)
    _end_if_source_down(summary)


def add_command(
    ctx: typer.Context,
    ids: Annotated[
        list[str], typer.Argument(help="arXiv ids: 2204.02311, 2204.02311v1, hep-th/9901001, or abs/pdf URLs.")
    ],
    arxiv_url: ArxivUrl = ARXIV_API_URL,
    s2_url: S2Url = S2_API_URL,
    arxiv_delay: ArxivDelay = ARXIV_DELAY_S,
    s2_interval: S2Interval = None,
    pdf_delay: PdfDelay = PDF_DELAY_S,
    no_extract: NoExtract = False,
    contact: Contact = None,
    quiet: Quiet = False,
) -> None:
    """Add papers by arXiv id (a maintainer's pick is notable), extract and stage them.

    Only the named papers' PDFs are downloaded (even one waiting for a retry) and extracted."""
    from paramtrack.commands import settings_from
    from paramtrack.flows.options import RunOptions  # lazily: --help stays fast
    from paramtrack.sources.arxiv_ids import parse_arxiv_id

    settings = settings_from(ctx)
    parsed: list[str] = []
    for raw in ids:
        try:
            parsed.append(parse_arxiv_id(raw).id)
        except ValueError as exc:
            raise InputError(str(exc)) from None
    check_pacing(arxiv_delay, s2_interval, pdf_delay)
    contact = check_contact(contact)
    check_sources(arxiv_url, s2_url, contact)
    show_progress(not quiet)
    sources = _source_settings(arxiv_url, s2_url, arxiv_delay, s2_interval, pdf_delay, contact)
    options = RunOptions(sources=sources, extract=not no_extract, pdf_cache_dir=str(settings.pdf_cache_dir))
    summary = _run_discover(settings.db_path, arxiv_ids=parsed, options=options)
    missing = sorted(set(parsed) - set(summary.found_ids))
    _print_summary(summary, settings.db_path)
    _end_if_source_down(summary)
    if missing:
        raise InputError(f"not found on arXiv: {', '.join(missing)}")


def demo_command(
    ctx: typer.Context,
    corpus: Annotated[
        Path | None, typer.Option(envvar=env_name("corpus"), help="Offline corpus folder (default ../shared/data).")
    ] = None,
    quiet: Quiet = False,
) -> None:
    """Run the discover flow offline against the replay server on the bundled corpus."""
    from paramtrack.commands import settings_from
    from paramtrack.flows.options import RunOptions, SourceSettings  # lazily: --help stays fast

    settings = settings_from(ctx)
    corpus_dir = find_corpus(corpus)
    show_progress(not quiet)
    from paramtrack.replay.server import ReplayServer

    typer.echo(f"Replaying arXiv and Semantic Scholar from {corpus_dir}")
    with ReplayServer(corpus_dir) as server:
        typer.echo(f"  replay server on {server.base_url}")
        # The replay server on loopback: no pacing, the documented rule, bulk search and extraction on.
        sources = SourceSettings(
            arxiv_url=server.arxiv_api_url,
            s2_url=server.s2_api_url,
            arxiv_delay_s=0.0,
            s2_min_interval=0.0,
            pdf_delay_s=0.0,
        )
        options = RunOptions(sources=sources, pdf_cache_dir=str(settings.pdf_cache_dir))
        summary = _run_discover(
            settings.db_path, since=DEMO_SINCE, until=DEMO_UNTIL, categories=list(DEFAULT_CATEGORIES), options=options
        )
    _print_summary(summary, settings.db_path)
    _end_if_source_down(summary)
    _import_demo_vintage(settings.db_path, corpus_dir)
    _print_top_candidates(settings.db_path)
    db = settings.db_path
    typer.echo("")
    typer.echo("Next:")
    typer.echo(f"  paramtrack --db {db} review-server        # triage the queue in a browser")
    typer.echo(f"  paramtrack --db {db} review               # ... or in the terminal")
    from paramtrack.warehouse.publish import read_copy_path

    # analysts open the read copy, so a long session never blocks the pipeline's writes
    typer.echo(f'  duckdb -readonly {read_copy_path(db)} "SELECT * FROM review_queue"')


#: The Epoch vintage the demo imports: the one Villalobos et al. (2022) worked from.
DEMO_VINTAGE = "pcd_notable_ml_systems_2022-09.csv"


def _import_demo_vintage(db_path: Path, corpus_dir: Path) -> None:
    """Import the corpus's 2022-09 Epoch vintage: without one, the review page prefills no name
    from Epoch and no reviewed value supersedes (or keeps the other columns of) an Epoch row."""
    from paramtrack.commands.trends import import_epoch_file

    path = corpus_dir / "epoch" / DEMO_VINTAGE
    if not path.is_file():
        typer.echo(f"Epoch vintage: {path} not found; import one with 'paramtrack import-epoch FILE'")
        return
    parsed, counts = import_epoch_file(db_path, path)
    typer.echo(
        f"Epoch vintage: {parsed.file_name}, {counts.inserted + counts.updated + counts.unchanged} rows"
        f" ({counts.inserted} new): review names prefill from it, and a reviewed value supersedes its row"
    )


def serve_command(
    ctx: typer.Context,
    cron: Annotated[str, typer.Option(help="Cron schedule (UTC) of the weekly ingest.")] = WEEKLY_CRON,
    window_days: Annotated[int, typer.Option(help="Days of submissions each run covers.")] = 7,
    category: Categories = None,
    rule: Rule = DEFAULT_RULE,
    arxiv_url: ArxivUrl = ARXIV_API_URL,
    s2_url: S2Url = S2_API_URL,
    notify_url: Annotated[
        str | None,
        typer.Option(
            envvar=env_name("notify_url"),
            help="Webhook that gets a JSON POST when a scheduled run fails or crashes (Slack-compatible 'text').",
        ),
    ] = None,
    contact: Contact = None,
) -> None:
    """Register the weekly ingest (and an hourly recompute-if-due) with a Prefect server and run them."""
    from paramtrack.commands import settings_from

    settings = settings_from(ctx)
    # Every option first, so a typo is reported before anything is deployed.
    check_window_days(window_days)
    categories = list(check_categories(list(category or DEFAULT_CATEGORIES)))
    check_rule(rule)
    contact = check_contact(contact)
    if notify_url:
        from paramtrack.flows.notify import check_webhook_url

        try:
            notify_url = check_webhook_url(notify_url)
        except ValueError as exc:
            raise InputError(f"--notify-url: {exc}") from None
        # The scheduled runs (child processes of this one) read it in their failure hooks.
        export_setting("notify_url", notify_url)
    configure_prefect(settings.db_path.parent)
    check_cron(cron)
    api_url = settings.prefect_api_url
    if not api_url:
        raise InputError("scheduling needs a running Prefect server and PREFECT_API_URL", hint=PREFECT_HINT)
    check_prefect_api(api_url)
    from paramtrack.flows.recompute import prepare_output_dirs

    data_dir = settings.db_path.resolve().parent
    # The hourly recompute writes here; a bad folder should stop serve, not fail every hour.
    charts_dir, export_dir = prepare_output_dirs(
        data_dir / "charts", data_dir / "export", labels=("charts folder", "export folder")
    )
    from paramtrack.flows.schedule import serve_weekly

    # Prefect's runner, stopped by SIGTERM, leaves this warning on the terminal: library noise.
    warnings.filterwarnings("ignore", message="coroutine 'Runner.astop' was never awaited")
    typer.echo(f"Serving the weekly ingest ({cron}, UTC) and an hourly recompute-if-due against {api_url}")
    if notify_url:
        typer.echo(f"  a failed or crashed run is posted to {notify_url}")
    serve_weekly(
        charts_dir=str(charts_dir),
        export_dir=str(export_dir),
        db_path=str(settings.db_path.resolve()),
        cron=cron,
        window_days=window_days,
        categories=categories,
        rule=rule,
        arxiv_api_url=arxiv_url,
        s2_api_url=s2_url,
        pdf_cache_dir=str(settings.pdf_cache_dir.resolve()),
        contact=contact,
    )


def register(app: typer.Typer) -> None:
    app.command("ingest")(ingest_command)
    app.command("add")(add_command)
    app.command("demo")(demo_command)
    app.command("serve")(serve_command)
