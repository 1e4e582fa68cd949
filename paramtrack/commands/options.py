"""Options several commands share, declared once: the same name, help, environment variable and
default on ``ingest``, ``add``, ``serve`` and ``backfill`` (the defaults come from
``paramtrack.core.settings``, where the flows read them too)."""

from __future__ import annotations

from typing import Annotated

import typer

from paramtrack.core.settings import env_name

ArxivUrl = Annotated[str, typer.Option(envvar="PARAMTRACK_ARXIV_URL", help="arXiv API query URL.")]
S2Url = Annotated[str, typer.Option(envvar="PARAMTRACK_S2_URL", help="Semantic Scholar API base URL.")]
Rule = Annotated[
    str, typer.Option(envvar="PARAMTRACK_NOTABILITY", help="Notability anchors AGE_MONTHS:MIN_CITATIONS,...")
]
Categories = Annotated[
    list[str] | None, typer.Option("--category", "-c", help="arXiv category (repeatable); default the ML set.")
]
ArxivDelay = Annotated[float, typer.Option(help="Seconds between arXiv requests (arXiv asks for ≥ 3).")]
S2Interval = Annotated[
    float | None,
    typer.Option(help="Seconds between Semantic Scholar requests (default 1 with S2_API_KEY, 3 without)."),
]
PdfDelay = Annotated[float, typer.Option(help="Seconds between PDF downloads.")]
NoExtract = Annotated[bool, typer.Option("--no-extract", help="Do not download PDFs or extract candidates.")]
AsOf = Annotated[str, typer.Option(help="Judge notability as of this day (default today).")]
Contact = Annotated[
    str | None,
    typer.Option(
        envvar=env_name("contact"),
        help="Your e-mail address, sent as the User-Agent's mailto to arXiv and Semantic Scholar (they ask harvesters to say who they are).",
    ),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="No progress lines.")]
