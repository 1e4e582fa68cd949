"""Text on its way out: into a spreadsheet cell or onto a terminal.

Titles, evidence, system names, notes and reviewer names come from outside (arXiv, PDFs, Epoch's
files, reviewers) and are stored as text. Two places would *act* on such text instead of showing
it, so everything the product writes there goes through one function each:

* a spreadsheet runs a CSV cell that begins with ``=``, ``+``, ``-`` or ``@`` as a formula (and
  some strip a leading tab or carriage return first): :func:`neutralise_cell` prefixes such a
  text cell with ``'``, the mark spreadsheets read as "this is text" (OWASP's advice on CSV
  injection); :func:`restore_cell` takes it off again when paramtrack reads its own file back;
* a terminal obeys control characters (``ESC [2J`` clears the screen, ``ESC ]0;...`` sets the
  window title) and bidi overrides reorder what it shows: :func:`for_terminal` writes each such
  character as a visible escape (``\\x1b``, ``\\u202e``).

Pure functions of the kernel: the warehouse (exports), the review queue (CSV, terminal) and the
CLI all use them.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from typing import Any

__all__ = ["FORMULA_LEADS", "neutralise_cell", "restore_cell", "for_terminal", "for_terminal_values"]

#: First characters that make a spreadsheet evaluate a cell (tab and CR: some strip them first).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def neutralise_cell(value: Any) -> Any:
    """``value`` as a CSV cell that no spreadsheet runs: a text cell starting with one of
    :data:`FORMULA_LEADS` gets a leading ``'``; anything else (numbers, dates, None) is
    returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_LEADS):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The text :func:`neutralise_cell` was given, for a cell it wrote (``'=x`` -> ``=x``); any
    other text is returned as it is."""
    if value.startswith("'") and value[1:].startswith(FORMULA_LEADS):
        return value[1:]
    return value


#: Unicode categories a terminal acts on or hides rather than shows: controls (C0, DEL, C1),
#: format characters (bidi marks, overrides and isolates, zero-width characters, the BOM), line
#: and paragraph separators, and lone surrogates.
_UNSHOWN = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def for_terminal(text: Any) -> str:
    """``text`` safe to print to a terminal: every character a terminal would act on, hide or
    reorder (escape sequences, line breaks, bidi overrides, zero-width characters) is written
    as a visible escape, so a reviewer sees that it is there and nothing else happens.
    None becomes an empty string; other values are printed as ``str()`` gives them."""
    if text is None:
        return ""
    text = str(text)
    if text.isprintable():  # the common case: nothing to escape (a space is printable)
        return text
    return "".join(_escape(ch) if unicodedata.category(ch) in _UNSHOWN else ch for ch in text)


def for_terminal_values(data: Any) -> Any:
    """``data`` with :func:`for_terminal` applied to every string in it (dicts, lists and tuples
    are walked; numbers, dates and None stay as they are): a paper view read from the warehouse,
    ready to print."""
    if isinstance(data, str):
        return for_terminal(data)
    if isinstance(data, Mapping):
        return {key: for_terminal_values(value) for key, value in data.items()}
    if isinstance(data, list | tuple):
        return type(data)(for_terminal_values(value) for value in data)
    return data
