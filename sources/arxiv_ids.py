"""arXiv identifiers: parse one (``parse_arxiv_id``) or find all in free text (``arxiv_ids_in``).

Two schemes exist (https://info.arxiv.org/help/arxiv_identifier.html):

* new style since April 2007: ``YYMM.NNNN`` (0704-1412, 4-digit number) and ``YYMM.NNNNN``
  (1501 onwards, 5-digit number), optionally followed by ``vN``;
* old style before that: ``archive[.SUBJ]/YYMMNNN`` (``hep-th/9901001``, ``math.GT/0309136``,
  ``cs/0205070``), optionally followed by ``vN``.

URLs of the abstract, PDF, HTML and API forms (``https://arxiv.org/abs/2204.02311v2``,
``http://arxiv.org/pdf/2204.02311v1``, ``https://arxiv.org/api/2204.02311v1``) and the
``arXiv:`` prefix are accepted too. Old-style ids keep the subject class as written
(``math.GT/0309136`` stays ``math.GT/0309136``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ArxivId", "parse_arxiv_id", "arxiv_ids_in"]

_NEW = r"(?P<yymm>\d{4})\.(?P<num>\d{4,5})"
_OLD = r"(?P<archive>[a-z]+(?:-[a-z]+)?)(?P<subj>\.[A-Za-z]{2})?/(?P<oldnum>\d{7})"
_VERSION = r"(?:v(?P<version>\d+))?"

_ID_RE = re.compile(rf"^(?:{_NEW}|{_OLD}){_VERSION}$")
_URL_PREFIX_RE = re.compile(r"^(?:https?://)?(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|api|format)/", re.IGNORECASE)
# For free text: an id preceded by start, '/', ':' or whitespace and not followed by a digit.
_FIND_NEW = re.compile(r"(?<![\w.])(\d{4}\.\d{4,5})(v\d+)?(?!\d)")
_FIND_OLD = re.compile(r"(?<![\w.])([a-z]+(?:-[a-z]+)?(?:\.[A-Z]{2})?/\d{7})(v\d+)?(?!\d)")


@dataclass(frozen=True)
class ArxivId:
    """A parsed arXiv identifier: ``id`` without version, ``version`` or ``None``."""

    id: str
    version: int | None = None

    @property
    def versioned(self) -> str:
        """``2204.02311v1``, or the bare id when the version is unknown."""
        return f"{self.id}v{self.version}" if self.version is not None else self.id

    @property
    def is_old_style(self) -> bool:
        return "/" in self.id

    def __str__(self) -> str:
        return self.versioned


def _check_new(yymm: str, num: str, text: str) -> None:
    yy, mm = int(yymm[:2]), int(yymm[2:])
    if not 1 <= mm <= 12:
        raise ValueError(f"invalid arXiv id {text!r}: month {mm:02d} in {yymm}.{num} is not 01-12")
    if int(yymm) < 704:
        raise ValueError(f"invalid arXiv id {text!r}: new-style ids start in April 2007 (0704)")
    if int(yymm) <= 1412 and len(num) != 4:
        raise ValueError(f"invalid arXiv id {text!r}: ids from 0704 to 1412 have 4 digits after the dot")
    if int(yymm) >= 1501 and len(num) != 5:
        raise ValueError(f"invalid arXiv id {text!r}: ids from 1501 on have 5 digits after the dot")
    del yy


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an arXiv id, ``arXiv:`` id or arxiv.org URL; ``ValueError`` when it is none of these.

    >>> parse_arxiv_id("https://arxiv.org/abs/2204.02311v2")
    ArxivId(id='2204.02311', version=2)
    >>> parse_arxiv_id("hep-th/9901001")
    ArxivId(id='hep-th/9901001', version=None)
    """
    if not isinstance(text, str):
        raise ValueError(f"invalid arXiv id {text!r}: expected a string")
    s = text.strip()
    if not s:
        raise ValueError("invalid arXiv id '': empty string")
    s = _URL_PREFIX_RE.sub("", s)
    if s[:6].lower() == "arxiv:":
        s = s[6:]
    s = s.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if s.lower().endswith(".pdf"):
        s = s[:-4]
    m = _ID_RE.match(s)
    if not m:
        raise ValueError(
            f"invalid arXiv id {text!r}: expected YYMM.NNNNN[vN] (e.g. 2204.02311v1), "
            "archive/YYMMNNN[vN] (e.g. hep-th/9901001) or an arxiv.org abs/pdf URL"
        )
    version = int(m.group("version")) if m.group("version") else None
    if version is not None and version < 1:
        raise ValueError(f"invalid arXiv id {text!r}: versions start at v1")
    if m.group("yymm"):
        _check_new(m.group("yymm"), m.group("num"), text)
        return ArxivId(f"{m.group('yymm')}.{m.group('num')}", version)
    num = m.group("oldnum")
    mm = int(num[2:4])
    if not 1 <= mm <= 12:
        raise ValueError(f"invalid arXiv id {text!r}: month {mm:02d} in {num} is not 01-12")
    archive = m.group("archive") + (m.group("subj") or "")
    return ArxivId(f"{archive}/{num}", version)


def arxiv_ids_in(text: str | None) -> list[ArxivId]:
    """Every distinct arXiv id in ``text`` (e.g. an Epoch ``Link`` cell), in order of appearance.

    Only parts that mention arXiv are searched, so that a NeurIPS or blog URL with a number that
    looks like an id is not taken for one. Several URLs may be separated by ``,``/``;``/spaces.
    """
    if not text:
        return []
    found: list[ArxivId] = []
    seen: set[str] = set()
    for part in re.split(r"[,;\s]+", text):
        if "arxiv" not in part.lower():
            continue
        part = part.split("#", 1)[0]
        hits = [(m.start(), m.group(1), m.group(2)) for m in _FIND_NEW.finditer(part)]
        hits += [(m.start(), m.group(1), m.group(2)) for m in _FIND_OLD.finditer(part)]
        for _, ident, ver in sorted(hits):
            try:
                aid = parse_arxiv_id(ident + (ver or ""))
            except ValueError:
                continue
            if aid.id not in seen:
                seen.add(aid.id)
                found.append(aid)
    return found
