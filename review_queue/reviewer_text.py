"""What a reviewer types is stored the way extracted text is: cleaned, with the raw text kept.

A reviewer's name, a note, a system name or a typed evidence sentence reaches the curated dataset,
its export and other reviewers' screens. Typed into a form, pasted into a spreadsheet or piped
into the terminal, it can carry the same invisible characters as a hostile PDF: a bidi override
makes ``<b>rev</b>\u202egnp.exe`` read as ``...exe.png``, an ``ESC`` sequence clears a terminal.
So it goes through the extractors' cleaner (:func:`paramtrack.extractors.cleaning.clean_text`:
control characters, bidi marks, overrides and isolates, zero-width characters and the BOM
removed; tab and line breaks become spaces), spaces are collapsed, and where that changed the
text the raw text is returned for the audit log (``decision_raw_input``), as
``candidates.evidence_raw`` keeps an extracted sentence.
"""

from __future__ import annotations

from collections.abc import Mapping

from paramtrack.extractors.cleaning import clean_text

__all__ = ["clean_line", "clean_fields"]


def clean_line(text: str | None) -> str:
    """``text`` as stored: one line, no control or invisible characters, single spaces."""
    return " ".join(clean_text(text or "").split())


def clean_fields(fields: Mapping[str, str | None]) -> tuple[dict[str, str | None], dict[str, str]]:
    """Each field cleaned by :func:`clean_line` (None when nothing is left), and the raw text of
    the fields cleaning changed beyond spacing, for the audit log."""
    cleaned: dict[str, str | None] = {}
    raw: dict[str, str] = {}
    for name, value in fields.items():
        if value is None:
            cleaned[name] = None
            continue
        text = clean_line(value)
        cleaned[name] = text or None
        if text != " ".join(value.split()):
            raw[name] = value
    return cleaned, raw
