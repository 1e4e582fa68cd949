"""The weekly digest: one run's report data as Markdown a maintainer reads on Monday morning.

Pure: it takes a :class:`~warehouse.status_store.RunReport` and returns text, so the same digest
is written to a file, shown as a Prefect artifact and rendered by the review app. Paper titles,
error messages and source problems come from outside (arXiv, PDFs, servers) and may be hostile;
every such string goes through :func:`escape_text` (the template's ``md`` filter), so it shows as
the characters it holds and can never become a link, an image, a table cell break or raw HTML.
The layout is ``templates/digest.md.j2``; this module prepares what it shows.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

import jinja2

from paramtrack.core.units import format_count
from paramtrack.warehouse.status_store import RunReport

#: Rows per table; a digest of the first run over a big window would otherwise list hundreds.
MAX_ROWS = 50

#: Inline Markdown that could turn text into markup: emphasis, code, links/images, table cells,
#: strikethrough. Block markers (#, -, 1.) cannot act: escaped text never starts a line.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")
#: Bare URLs that GFM renderers (Prefect's UI) would turn into links: break the scheme's colon.
_AUTOLINK = re.compile(r"(?i)\b(https?|ftp|mailto|javascript|data|vbscript|file)(:)|\b(www)(\.)")
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class ScheduledFailure:
    """A scheduled run (from Prefect, not the warehouse) that Failed or Crashed: a crash before
    the flow even loaded leaves no ``runs`` row, so the digest gets these from the flow."""

    deployment: str
    name: str
    state_name: str
    message: str | None
    ended_at: datetime | None


def escape_text(value: object, limit: int = 200) -> str:
    """Untrusted text as inert Markdown: one line, markup characters backslash-escaped, bare URLs
    unlinked, ``&<>`` as entities (so raw HTML stays text even where a renderer allows HTML)."""
    text = _WHITESPACE.sub(" ", "" if value is None else str(value)).strip()
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _AUTOLINK.sub(lambda m: f"{m.group(1)}\\:" if m.group(1) else f"{m.group(3)}\\.", text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _utc(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _paper_link(arxiv_id: str) -> str:
    return f"[{escape_text(arxiv_id)}](https://arxiv.org/abs/{quote(arxiv_id, safe='/.')})"


def window_text(report: RunReport) -> str:
    """What the run covered: its submission window, or the papers added by hand."""
    params = report.run.parameters
    if params.get("arxiv_ids"):
        ids = [str(i) for i in params["arxiv_ids"]]
        return "papers added by hand: " + ", ".join(ids[:5]) + (" …" if len(ids) > 5 else "")
    since, until = params.get("since"), params.get("until")
    if since or until:
        return f"submissions {since or '?'} .. {until or '?'}"
    return "no window recorded"


def digest_name(report: RunReport) -> str:
    """``<YYYY-MM-DD>-<flow>-<run_id[:8]>.md``: sorts by date, unique per run."""
    run = report.run
    day = run.started_at.astimezone(UTC).date().isoformat()
    flow = re.sub(r"[^a-z0-9-]+", "-", run.flow.lower()).strip("-") or "run"
    return f"{day}-{flow}-{run.run_id[:8]}.md"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(report: RunReport) -> str:
    run = report.run
    took = f" in {run.seconds:.1f} s" if run.seconds is not None else ""
    problems = sum(p.count for p in report.source_problems)
    parts = [
        _plural(len(report.new_notable), "new notable paper"),
        f"{run.count('staged')} staged for review"
        + (
            f" (and {run.count('abstracts_staged')} from their arXiv abstract, no PDF yet)"
            if run.count("abstracts_staged")
            else ""
        ),
        _plural(len(report.extraction_failures), "extraction failure"),
        _plural(len(report.pdf_failures), "PDF download failure"),
        _plural(problems, "source problem") if problems else "no source problems",
    ]
    return f"Run `{run.run_id[:8]}` **{run.status}** (started {_utc(run.started_at)}{took}): " + ", ".join(parts) + "."


@functools.cache
def _template() -> jinja2.Template:
    """``templates/digest.md.j2``, loaded on first use (importing this module reads no file)."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("paramtrack.reporting", "templates"),
        autoescape=False,  # Markdown, not HTML: untrusted text is escaped by the `md` filter
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        md=escape_text,
        paper=_paper_link,
        format_count=format_count,
        utc=_utc,
        day=lambda dt: f"{dt.astimezone(UTC):%Y-%m-%d}",
    )
    return env.get_template("digest.md.j2")


def render_digest(
    report: RunReport, *, db_path: str | None = None, scheduled_failures: Sequence[ScheduledFailure] | None = None
) -> str:
    """The digest as Markdown (CommonMark + tables), laid out by ``templates/digest.md.j2``.

    ``scheduled_failures``: the scheduled deployments' Failed/Crashed runs since the previous
    digest, or None when no Prefect server with those deployments was asked (the section is
    left out rather than claiming the schedule is fine)."""
    return _template().render(
        report=report,
        run=report.run,
        window=window_text(report),
        summary=summary_line(report),
        db=f" --db {db_path}" if db_path else "",
        scheduled_failures=scheduled_failures,
        max_rows=MAX_ROWS,
    )
