"""``paramtrack review-server``, ``paramtrack review`` and ``paramtrack queue export|import``."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from paramtrack.core.errors import InputError

queue_app = typer.Typer(help="Export the review queue as CSV and import decisions.", no_args_is_help=True)

ReviewerOpt = Annotated[
    str | None,
    typer.Option("--reviewer", envvar="PARAMTRACK_REVIEWER", help="Your name, recorded on every decision."),
]


#: The names a browser may use for a loopback server (``Host`` header without the port).
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def _allowed_hosts(host: str) -> tuple[str, ...] | None:
    """The ``Host`` names a loopback bind answers (its own address too, e.g. 127.0.0.2); None:
    any, for a bind beyond loopback, which needs the token anyway."""
    if not _is_loopback(host):
        return None
    own = host.strip("[]").lower()
    return LOOPBACK_NAMES if own in LOOPBACK_NAMES else (*LOOPBACK_NAMES, own)


def _check_serveable(db: Path) -> None:
    """Refuse to start on anything but a usable warehouse, instead of serving 500s: a missing
    file (nothing to review: the browser would only show errors) or one that does not open as a
    DuckDB warehouse this code understands (format, schema version)."""
    from paramtrack.core.settings import MISSING_HINT
    from paramtrack.warehouse import Warehouse

    if not db.exists():
        raise InputError(f"no database at {db}", hint=MISSING_HINT)
    Warehouse(db).check()


def _check_bindable(host: str, port: int) -> None:
    """A port in use or an unknown interface is one line here, not uvicorn's log and exit."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise InputError(f"cannot listen on {host}: {exc.strerror or exc}") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as exc:
            raise InputError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="pick another --port" if exc.errno == errno.EADDRINUSE else None,
            ) from None


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_server_options(host: str, port: int, token: str | None, tls_cert: Path | None, tls_key: Path | None) -> None:
    """Refuse an exposed bind without a token, a guessable token, a port out of range and a
    half or missing TLS pair, each in one line before the app is built."""
    if not _is_loopback(host) and not token:
        raise InputError(
            f"refusing to listen on {host} without an access token",
            hint="pass --token TOKEN or set PARAMTRACK_REVIEW_TOKEN, or use --host 127.0.0.1",
        )
    if token is not None:
        from paramtrack.review_queue.tokens import GENERATE_HINT, token_weakness

        weakness = token_weakness(token)
        if weakness:
            raise InputError(weakness, hint=GENERATE_HINT)
    if not 1 <= port <= 65535:
        raise InputError(f"--port must be within 1-65535, not {port}")
    if (tls_cert is None) != (tls_key is None):
        raise InputError("--tls-cert and --tls-key go together")
    for pem in (tls_cert, tls_key):
        if pem is not None and not pem.is_file():
            raise InputError(f"no such file: {pem}")


def review_server_command(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Interface to listen on; non-loopback needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    reviewer: ReviewerOpt = None,
    token: Annotated[
        str | None,
        typer.Option(
            "--token",
            envvar="PARAMTRACK_REVIEW_TOKEN",
            help="Access token required on every request (login form or Bearer).",
        ),
    ] = None,
    charts: Annotated[
        Path | None, typer.Option("--charts", help="Trend charts folder to link (default data/charts).")
    ] = None,
    digests: Annotated[
        Path | None, typer.Option("--digests", help="Run digests folder to list (default data/digests).")
    ] = None,
    tls_cert: Annotated[
        Path | None, typer.Option("--tls-cert", help="PEM certificate: serve https (with --tls-key).")
    ] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="PEM private key for --tls-cert.")] = None,
) -> None:
    """Serve the review queue in a browser (binds 127.0.0.1 unless told otherwise)."""
    from paramtrack.commands import settings_from

    settings = settings_from(ctx)
    _check_server_options(host, port, token, tls_cert, tls_key)
    if reviewer:
        from paramtrack.review_queue.service import check_reviewer

        reviewer = check_reviewer(reviewer)

    from paramtrack.review_queue.app import AppConfig, create_app
    from paramtrack.review_queue.serving import serve

    charts_dir = charts or settings.data_dir / "charts"
    _check_serveable(settings.db_path)
    _check_bindable(host, port)
    app = create_app(
        AppConfig(
            db_path=settings.db_path,
            reviewer=reviewer,
            token=token,
            charts_dir=charts_dir,
            pdf_dir=settings.pdf_cache_dir,
            digest_dir=digests or settings.data_dir / "digests",
            allowed_hosts=_allowed_hosts(host),
        )
    )
    shown = f"[{host}]" if ":" in host else host
    scheme = "https" if tls_cert else "http"
    if not _is_loopback(host) and not tls_cert:
        typer.echo(
            f"warning: listening on {host} without TLS: the token and session cookie cross "
            "the network in clear text; use --tls-cert/--tls-key or an https reverse proxy",
            err=True,
        )
    typer.echo(f"paramtrack review: {scheme}://{shown}:{port}/  (database {settings.db_path}; Ctrl-C stops)")
    serve(  # uvicorn with time limits on a request's head and body (review_queue/serving.py)
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        ssl_certfile=str(tls_cert) if tls_cert else None,
        ssl_keyfile=str(tls_key) if tls_key else None,
        header_timeout_s=settings.review_header_timeout_s,
        body_timeout_s=settings.review_body_timeout_s,
    )


def review_command(
    ctx: typer.Context,
    reviewer: ReviewerOpt = None,
    status: Annotated[str, typer.Option(help="open | pending | second_look")] = "open",
) -> None:
    """Review the queue in the terminal (prompts; works with piped stdin)."""
    from paramtrack.commands import settings_from
    from paramtrack.review_queue import terminal
    from paramtrack.review_queue.service import ReviewService, check_reviewer
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.review_store import STATUS_FILTERS

    if status not in STATUS_FILTERS:
        raise InputError(f"unknown status {status!r}", hint=", ".join(STATUS_FILTERS))
    if not reviewer:
        try:
            reviewer = typer.prompt("Reviewer name")
        except (typer.Abort, EOFError):
            raise InputError("a reviewer name is required", hint="pass --reviewer NAME") from None
    reviewer = check_reviewer(reviewer)
    from paramtrack.commands import existing_warehouse

    terminal.run(ReviewService(Warehouse(existing_warehouse(settings_from(ctx)))), reviewer, status=status)


@queue_app.command("export")
def export_command(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="Only csv.")] = "csv",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File (default stdout).")] = None,
    status: Annotated[str, typer.Option(help="pending | open | second_look | decided | all ...")] = "pending",
) -> None:
    """Write the queue as CSV, one row per paper, with empty decision columns to fill in."""
    from paramtrack.commands import settings_from
    from paramtrack.review_queue.csv_io import export_csv
    from paramtrack.review_queue.service import ReviewService
    from paramtrack.warehouse import Warehouse
    from paramtrack.warehouse.review_store import STATUS_FILTERS

    if fmt != "csv":
        raise InputError(f"unknown format {fmt!r}", hint="only csv is supported")
    if status not in STATUS_FILTERS:
        raise InputError(f"unknown status {status!r}", hint=", ".join(STATUS_FILTERS))
    from paramtrack.commands import existing_warehouse

    service = ReviewService(Warehouse(existing_warehouse(settings_from(ctx))))
    if output is None:
        export_csv(service, sys.stdout, status=status)
        return
    if output.is_dir():
        raise InputError(f"cannot write {output}: it is a folder", hint="pass a file name")
    tmp = output.with_name(output.name + ".tmp")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            n = export_csv(service, fh, status=status)
        os.replace(tmp, output)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)  # never leave a half-written file behind
        if isinstance(exc, OSError):
            hint = "create the folder first" if isinstance(exc, FileNotFoundError) else None
            raise InputError(f"cannot write {output}: {exc.strerror or exc}", hint=hint) from None
        raise
    typer.echo(f"wrote {n} paper(s) to {output}", err=True)


@queue_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="CSV from 'queue export' with decision columns filled.")],
    reviewer: ReviewerOpt = None,
) -> None:
    """Validate every line, then apply all decisions in one transaction (or none)."""
    from paramtrack.commands import existing_warehouse, settings_from
    from paramtrack.review_queue.csv_io import ImportFailed, import_csv
    from paramtrack.review_queue.service import ReviewService
    from paramtrack.warehouse import Warehouse

    service = ReviewService(Warehouse(existing_warehouse(settings_from(ctx))))
    try:
        decisions = import_csv(service, file, reviewer=reviewer)
    except ImportFailed as exc:
        for line in exc.errors:
            typer.echo(line, err=True)
        raise InputError(str(exc)) from None
    if decisions:
        from paramtrack.warehouse.publish import publish_after_run

        publish_after_run(service.wh)  # the analysts' read copy
    counts: dict[str, int] = {}
    for d in decisions:
        counts[d["action"]] = counts.get(d["action"], 0) + 1
    summary = ", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no decisions in the file"
    typer.echo(f"imported {len(decisions)} decision(s): {summary}")


def register(app: typer.Typer) -> None:
    app.command("review-server")(review_server_command)
    app.command("review")(review_command)
    app.add_typer(queue_app, name="queue")
