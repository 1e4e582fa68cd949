"""Text that is safe to show: invisible and control characters removed, invalid code points marked.

Titles from a feed and evidence from a PDF can carry bidi overrides, zero-width joiners and C0/C1
controls. Shown as is, "\u202e571 billion" renders reversed and a reviewer reads a spoofed number;
so every piece of text a person reads goes through :func:`clean_text` first (the raw text is kept
beside it for audit where it differs).
"""

from __future__ import annotations

import re

# Removed: C0/C1 controls, zero-width space/joiners/word joiner, bidi marks, embeddings,
# overrides and isolates, the Arabic letter mark, the BOM / zero-width no-break space.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\u061c\ufeff]"
)
# Whitespace controls become spaces, so words around a line break stay apart.
_WHITESPACE_CONTROLS = re.compile("[\t\n\r]")
# Not valid Unicode text: lone surrogates and the non-characters U+FFFE / U+FFFF.
_INVALID = re.compile("[\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """``text`` without invisible/control characters, invalid code points as U+FFFD."""
    text = _INVALID.sub("\ufffd", text)
    text = _WHITESPACE_CONTROLS.sub(" ", text)
    return _INVISIBLE.sub("", text)
