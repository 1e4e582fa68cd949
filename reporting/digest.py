"""The weekly digest: one run's report data as Markdown a maintainer reads on Monday morning.

Pure: it takes a :class:`~warehouse.status_store.RunReport` and returns text, so the same digest
is written to a file, shown as a Prefect artifact and rendered by the review app. Paper titles,
error messages and source problems come from outside (arXiv, PDFs, servers) and may be hostile;
every such string goes through :func:`escape_text`, so it shows as the characters it holds
and can never become a link, an image, a table cell break or raw HTML.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import quote

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


def _table(header: list[str], rows: list[list[str]], more_hint: str) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows[:MAX_ROWS]]
    if len(rows) > MAX_ROWS:
        lines += ["", f"… and {len(rows) - MAX_ROWS} more ({more_hint})."]
    return lines


def render_digest(
    report: RunReport, *, db_path: str | None = None, scheduled_failures: Sequence[ScheduledFailure] | None = None
) -> str:
    """The digest as Markdown (CommonMark + tables).

    ``scheduled_failures``: the scheduled deployments' Failed/Crashed runs since the previous
    digest, or None when no Prefect server with those deployments was asked (the section is
    left out rather than claiming the schedule is fine)."""
    run = report.run
    db = f" --db {db_path}" if db_path else ""
    out: list[str] = [
        f"# paramtrack {escape_text(run.flow)} digest, {run.started_at.astimezone(UTC):%Y-%m-%d}"
        f" ({escape_text(window_text(report))})",
        "",
        summary_line(report),
        "",
    ]
    if run.error:
        out += [f"**Error:** {escape_text(run.error, limit=500)}", ""]
    if run.status == "running":
        out += ["The run had not finished when this digest was written.", ""]

    out += [f"## New notable papers ({len(report.new_notable)})", ""]
    if report.new_notable:
        rows = [
            [
                _paper_link(p.arxiv_id),
                escape_text(p.title, limit=120),
                "-" if p.citations is None else str(p.citations),
                format_count(p.proposed) if p.proposed is not None else "not extracted",
                escape_text(p.kind or "-"),
                "-" if p.score is None else f"{p.score:.2f}",
            ]
            for p in report.new_notable
        ]
        out += _table(
            ["paper", "title", "citations", "proposed parameters", "kind", "score"],
            rows,
            "SELECT * FROM notable_papers ORDER BY notable_since DESC",
        )
    else:
        out.append("Nothing to report: no paper became notable in this run.")
    out.append("")

    out += ["## Review queue", ""]
    if report.queue_size:
        out.append(
            f"**{report.queue_size}** {'paper waits' if report.queue_size == 1 else 'papers wait'}"
            f" for a decision. Triage them with `paramtrack{db} review-server` (browser)"
            f" or `paramtrack{db} review` (terminal)."
        )
    else:
        out.append("Nothing to report: the review queue is empty.")
    out.append("")

    out += [f"## Extraction failures ({len(report.extraction_failures)})", ""]
    if report.extraction_failures:
        rows = [
            [
                _paper_link(f.arxiv_id),
                escape_text(f.title, limit=80),
                escape_text(f.error, limit=160),
                "transient: retried next run" if f.transient else "lasting: staged for a reviewer",
            ]
            for f in report.extraction_failures
        ]
        out += _table(["paper", "title", "error", "kind"], rows, "SELECT * FROM extraction_errors")
    else:
        out.append("Nothing to report: every PDF extracted in this run was read.")
    out.append("")

    out += [f"## PDF download failures ({len(report.pdf_failures)})", ""]
    if report.pdf_failures:
        rows = [
            [_paper_link(f.arxiv_id), escape_text(f.title, limit=80), escape_text(f.error, limit=160), str(f.attempts)]
            for f in report.pdf_failures
        ]
        out += _table(["paper", "title", "error", "runs tried"], rows, "SELECT * FROM pdfs WHERE error IS NOT NULL")
    else:
        out.append("Nothing to report: every PDF this run tried was downloaded.")
    out.append("")

    out += ["## Source problems", ""]
    if report.source_problems:
        rows = [[escape_text(p.source), escape_text(p.problem), str(p.count)] for p in report.source_problems]
        out += _table(["source", "problem", "count"], rows, "see the run's counts in `runs`")
    else:
        out.append("Nothing to report: arXiv and Semantic Scholar answered without trouble.")
    out.append("")

    if scheduled_failures is not None:
        out += [f"## Scheduled runs that failed ({len(scheduled_failures)})", ""]
        if scheduled_failures:
            rows = [
                [
                    escape_text(f.deployment),
                    escape_text(f.name),
                    escape_text(f.state_name),
                    _utc(f.ended_at),
                    escape_text(f.message or "-", limit=300),
                ]
                for f in scheduled_failures
            ]
            out += _table(
                ["deployment", "flow run", "state", "ended", "message"],
                rows,
                "see the deployments' runs in the Prefect UI",
            )
        else:
            out.append("Nothing to report: every scheduled run since the previous digest completed.")
        out.append("")
    return "\n".join(out)
