"""XML bodies built with lxml and written byte for byte as the recorded feeds are.

Real feeds carry what authors typed, now and then a control character XML 1.0 forbids; the
hostile records (:mod:`replay.hostile`) serve some so that clients are tested against them.
lxml refuses such text, so :func:`element` and :func:`child` stand a private-use character in
for each one and :func:`to_bytes` puts the raw character back once the tree is serialised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from lxml import etree

__all__ = ["element", "child", "to_bytes", "xml_text"]

#: Characters XML 1.0 forbids (C0 controls but tab, LF and CR; U+FFFE and U+FFFF).
_FORBIDDEN = [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]
#: Their stand-ins, from plane 16's private-use area (no corpus text holds those).
_STAND_IN = {c: 0x10FC00 + i for i, c in enumerate(_FORBIDDEN)}
_RAW = {chr(s).encode(): chr(c).encode() for c, s in _STAND_IN.items()}
_STAND_IN_RE = re.compile(b"|".join(re.escape(s) for s in _RAW))
_PREFIX = chr(0x10FC00).encode()[:3]  # the first three UTF-8 bytes of every stand-in
assert all(s.startswith(_PREFIX) for s in _RAW)


def xml_text(value: str) -> str:
    """``value`` with each character XML forbids replaced by its stand-in."""
    return value.translate(_STAND_IN)


def _attrib(attrib: Mapping[str, str] | None) -> dict[str, str]:
    return {k: xml_text(v) for k, v in (attrib or {}).items()}


def element(
    tag: str,
    text: str | None = None,
    attrib: Mapping[str, str] | None = None,
    *,
    nsmap: Mapping[str | None, str] | None = None,
) -> etree._Element:
    """A new ``<tag attrib...>text</tag>`` declaring ``nsmap``. Appended to a tree that
    already declares the same namespaces, it does not declare them again."""
    e = etree.Element(tag, _attrib(attrib), nsmap=nsmap)
    if text is not None:
        e.text = xml_text(text)
    return e


def child(
    parent: etree._Element, tag: str, text: str | None = None, attrib: Mapping[str, str] | None = None
) -> etree._Element:
    """Append ``<tag attrib...>text</tag>`` to ``parent`` and return it."""
    e = etree.SubElement(parent, tag, _attrib(attrib))
    if text is not None:
        e.text = xml_text(text)
    return e


def to_bytes(root: etree._Element, *, declaration: bytes, pretty: bool = False) -> bytes:
    """``declaration``, then the tree in UTF-8 and a final newline, with every stand-in turned
    back into the raw character it stood for."""
    body = etree.tostring(root, encoding="UTF-8", pretty_print=pretty)
    if not pretty:
        body += b"\n"
    if _PREFIX in body:
        body = _STAND_IN_RE.sub(lambda m: _RAW[m.group()], body)
    return declaration + body
