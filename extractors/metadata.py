"""First-version date of a paper, from arXiv's metadata or the stamp arXiv prints on page 1.

Date: arXiv metadata (the ``published`` argument, which is the v1 submission date) wins. Without
it, the arXiv stamp printed on page 1 ("arXiv:2204.02311v1 [cs.CL] 5 Apr 2022") gives the date of
*that* version, which is the first-version date only for v1; for later versions the date is still
reported, but flagged as the stamp date of vN so nobody mistakes it for the first version.

(The domain is learned from title and abstract: ``extractors.domain``.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

_STAMP = re.compile(
    r"arXiv:(?P<id>\d{4}\.\d{4,5}|[a-z\-]+(?:\.[A-Z]{2})?/\d{7})v(?P<v>\d+)\s*\[(?P<cat>[\w.\-]+)\]\s*(?P<d>\d{1,2})\s+(?P<m>[A-Z][a-z]{2})[a-z]*\.?\s+(?P<y>\d{4})"
)


@dataclass(frozen=True)
class Stamp:
    """The arXiv stamp on page 1."""

    arxiv_id: str
    version: int
    category: str
    date: date
    text: str


def find_stamp(first_pages: Sequence[str]) -> Stamp | None:
    for page in first_pages[:2]:
        m = _STAMP.search(page)
        if m:
            try:
                d = datetime.strptime(f"{m.group('d')} {m.group('m')} {m.group('y')}", "%d %b %Y").date()
            except ValueError:
                continue
            return Stamp(m.group("id"), int(m.group("v")), m.group("cat"), d, m.group(0))
    return None


def first_version_date(published: date | None, stamp: Stamp | None) -> tuple[date | None, str | None]:
    """(date, source). Sources: "arxiv-metadata", "pdf-stamp-v1", "pdf-stamp-vN (not first version)"."""
    if published is not None:
        return (published.date() if isinstance(published, datetime) else published), "arxiv-metadata"
    if stamp is None:
        return None, None
    if stamp.version == 1:
        return stamp.date, "pdf-stamp-v1"
    return stamp.date, f"pdf-stamp-v{stamp.version} (not first version)"
