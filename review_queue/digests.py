"""Digest Markdown to HTML for the review app.

markdown-it-py (already installed with rich) in CommonMark mode plus tables, with raw HTML off:
the digest escapes untrusted text itself, and this is the second lock on the same door, so a
``<script>`` that got into a digest file by any route still shows as text. Links keep
markdown-it's own URL check (no ``javascript:``), and open arXiv in a new tab without a referrer.
"""

from __future__ import annotations

from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def digest_html(markdown: str) -> str:
    html = _md.render(markdown)
    return html.replace('<a href="https://', '<a rel="noopener noreferrer" href="https://')
