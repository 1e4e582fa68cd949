"""The replay corpus: what the local replay server knows, built in memory from the shared data.

Sources (all under the corpus folder found by :func:`paramtrack.core.settings.find_corpus`):

* ``pdfs/ground_truth.csv`` + ``pdfs/<id><version>.pdf``: the 28 papers with real PDFs;
* ``epoch/*.csv``: every Epoch row whose ``Link`` mentions an arXiv id (several vintages).

**Recorded** (copied from the data): arXiv ids and versions, titles (ground truth ``title``,
else Epoch ``Reference``), abstracts (Epoch ``Abstract``), authors (Epoch ``Authors`` /
``Author(s)`` split on commas), first-version dates (ground truth ``first_version_date``),
PDF bytes, and citation counts (Epoch ``Citations``) per CSV vintage.

**Derived** (not recorded anywhere; documented so nobody mistakes them for data):

* ``published`` for papers without ground truth: the Epoch ``Publication date`` of the newest
  vintage that has one (``DD/MM/YYYY`` in the 2022/2023 PCD files, ISO in the others). arXiv's
  v1 date always lies in the id's ``YYMM`` month, so when Epoch's date (often a blog or conference
  date) falls in another month we use the first day of the id's month instead. Time of day is
  always 12:00:00 UTC.
* ``updated``: the date of the arXiv stamp on the served PDF (``pdf_arxiv_stamp``, e.g.
  ``1810.04805v2 24 May 2019``) for ground-truth papers; otherwise equal to ``published``.
  Version: the ground-truth PDF's version, else 1.
* Categories from the Epoch/ground-truth domain: Language->cs.CL, Vision/Image generation/
  Video->cs.CV, Speech/Audio->eess.AS+cs.SD, Games->cs.AI, Multimodal->cs.CV+cs.CL,
  Recommendation->cs.IR, Robotics->cs.RO, anything else->cs.LG; cs.LG is always added. The
  primary category is the first of these.
* Semantic Scholar identity: ``paperId = sha1("paramtrack-replay:" + arxiv_id)`` (40 hex, stable),
  ``corpusId = int(paperId[:8], 16)``; ``venue = "arXiv.org"``; ``fieldsOfStudy =
  ["Computer Science"]``; ``influentialCitationCount = citationCount // 10``; ``year`` and
  ``publicationDate`` from ``published``.
* Citation history: each CSV file name carries its vintage (``2022-09`` -> 2022-09-01,
  ``2023-12-14`` -> that day). A paper's ``citationCount`` as of a date is the count of the newest
  vintage on or before that date (the largest count when one vintage has several rows). Papers
  with no count in any vintage up to that date are unknown to Semantic Scholar (batch -> null),
  and papers published after the date are unknown to arXiv too.
"""

from __future__ import annotations

import csv
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from functools import lru_cache
from pathlib import Path

from paramtrack.core.settings import find_corpus
from paramtrack.sources.arxiv_ids import arxiv_ids_in, parse_arxiv_id

__all__ = ["CorpusPaper", "Corpus", "load_corpus", "s2_paper_id"]

_DOMAIN_CATEGORIES: dict[str, tuple[str, ...]] = {
    "language": ("cs.CL",),
    "vision": ("cs.CV",),
    "image generation": ("cs.CV",),
    "video": ("cs.CV",),
    "speech": ("eess.AS", "cs.SD"),
    "audio": ("eess.AS", "cs.SD"),
    "games": ("cs.AI",),
    "multimodal": ("cs.CV", "cs.CL"),
    "recommendation": ("cs.IR",),
    "robotics": ("cs.RO",),
}


def s2_paper_id(arxiv_id: str) -> str:
    """The replay server's stable Semantic Scholar ``paperId`` for an arXiv id (derived)."""
    return hashlib.sha1(f"paramtrack-replay:{arxiv_id}".encode()).hexdigest()


def categories_for(domain: str | None) -> tuple[str, ...]:
    cats: list[str] = []
    for part in re.split(r"[,;]", domain or ""):
        key = part.strip().lower()
        if not key:
            continue
        for c in _DOMAIN_CATEGORIES.get(key, ("cs.LG",)):
            if c not in cats:
                cats.append(c)
    if "cs.LG" not in cats:
        cats.append("cs.LG")
    return tuple(cats)


@dataclass
class CorpusPaper:
    arxiv_id: str
    version: int
    title: str
    abstract: str
    authors: tuple[str, ...]
    categories: tuple[str, ...]
    published: datetime
    updated: datetime
    doi: str | None = None
    journal_ref: str | None = None
    pdf_path: Path | None = None
    pdf_sha256: str | None = None
    domain: str = ""
    citations: dict[date, int] = field(default_factory=dict)  # vintage -> count

    @property
    def primary_category(self) -> str:
        return self.categories[0]

    @property
    def paper_id(self) -> str:
        return s2_paper_id(self.arxiv_id)

    @property
    def corpus_id(self) -> int:
        return int(self.paper_id[:8], 16)

    def citation_count(self, as_of: date) -> int | None:
        known = [v for v in self.citations if v <= as_of]
        return self.citations[max(known)] if known else None


@dataclass
class Corpus:
    root: Path
    papers: dict[str, CorpusPaper]
    vintages: tuple[date, ...]

    @property
    def with_pdfs(self) -> list[CorpusPaper]:
        return [p for p in self.papers.values() if p.pdf_path is not None]

    def with_citations(self, as_of: date | None = None) -> list[CorpusPaper]:
        as_of = as_of or date.max
        return [p for p in self.papers.values() if p.citation_count(as_of) is not None]

    def stats(self, as_of: date | None = None) -> dict[str, int]:
        return {
            "papers": len(self.papers),
            "with_pdfs": len(self.with_pdfs),
            "with_citations": len(self.with_citations(as_of)),
        }


_VINTAGE_RE = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def vintage_of(path: Path) -> date:
    m = _VINTAGE_RE.search(path.stem)
    if not m:
        raise ValueError(f"{path.name}: no YYYY-MM[-DD] vintage in the file name")
    return date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))


def _parse_date(text: str | None) -> date | None:
    s = (text or "").strip()
    if not s:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%Y-%m-%dT%H:%M:%S", "%Y/%m/%d"):
        try:
            return datetime.strptime(s[:19] if "T" in s else s, fmt).date()
        except ValueError:
            continue
    return None


def _parse_count(text: str | None) -> int | None:
    s = (text or "").strip().replace(",", "")
    if not s or s.upper() in {"N/A", "NA", "NAN"}:
        return None
    try:
        return int(round(float(s)))
    except ValueError:
        return None


def _at_noon(d: date) -> datetime:
    return datetime.combine(d, time(12, 0), tzinfo=UTC)


def _split_authors(text: str | None) -> tuple[str, ...]:
    return tuple(a.strip() for a in (text or "").split(",") if a.strip())


def _id_month_start(arxiv_id: str) -> date | None:
    m = re.match(r"^(?:.*/)?(\d{2})(\d{2})", arxiv_id)
    if not m:
        return None
    yy, mm = int(m.group(1)), int(m.group(2))
    return date(2000 + yy if yy < 90 else 1900 + yy, mm, 1)


def _stamp_date(stamp: str | None) -> date | None:
    m = re.search(r"(\d{1,2} [A-Z][a-z]{2} \d{4})", stamp or "")
    if not m:
        return None
    return datetime.strptime(m.group(1), "%d %b %Y").date()


def load_corpus(root: Path | str | None = None) -> Corpus:
    """Build the corpus from ``root`` (default: :func:`find_corpus`). Raises CorpusNotFoundError."""
    root = find_corpus(root)
    return _load(root)


@lru_cache(maxsize=4)
def _load(root: Path) -> Corpus:
    # Epoch rows first: newest vintage last so it wins for title/abstract/authors/date.
    epoch_files = sorted((root / "epoch").glob("*.csv"), key=vintage_of)
    rows: dict[str, dict] = {}
    citations: dict[str, dict[date, int]] = {}
    for path in epoch_files:
        vintage = vintage_of(path)
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                ids = arxiv_ids_in(row.get("Link"))
                if not ids:
                    continue
                aid = ids[0].id
                info = rows.setdefault(aid, {})
                for key, col in (("title", "Reference"), ("abstract", "Abstract"), ("domain", "Domain")):
                    val = (row.get(col) or "").strip()
                    if val:
                        info[key] = val
                authors = row.get("Authors") or row.get("Author(s)")
                if authors and authors.strip():
                    info["authors"] = _split_authors(authors)
                d = _parse_date(row.get("Publication date"))
                if d:
                    info["date"] = d
                n = _parse_count(row.get("Citations"))
                if n is not None:
                    hist = citations.setdefault(aid, {})
                    hist[vintage] = max(hist.get(vintage, 0), n)

    papers: dict[str, CorpusPaper] = {}
    for aid, info in rows.items():
        published = info.get("date")
        month = _id_month_start(aid)
        if month and (published is None or (published.year, published.month) != (month.year, month.month)):
            published = month
        if published is None:
            continue
        papers[aid] = CorpusPaper(
            arxiv_id=aid,
            version=1,
            title=" ".join((info.get("title") or aid).split()),
            abstract=info.get("abstract", ""),
            authors=info.get("authors", ()),
            categories=categories_for(info.get("domain")),
            published=_at_noon(published),
            updated=_at_noon(published),
            domain=info.get("domain", ""),
            citations=citations.get(aid, {}),
        )

    with (root / "pdfs" / "ground_truth.csv").open(newline="", encoding="utf-8-sig") as fh:
        for row in csv.DictReader(fh):
            aid = parse_arxiv_id(row["arxiv_id"]).id
            version = int(row["arxiv_version"].lstrip("v") or 1)
            pdf = root / "pdfs" / row["file"]
            published = _parse_date(row["first_version_date"])
            if published is None:
                continue
            updated = _stamp_date(row.get("pdf_arxiv_stamp")) or published
            base = papers.get(aid)
            papers[aid] = CorpusPaper(
                arxiv_id=aid,
                version=version,
                title=row["title"].strip(),
                abstract=base.abstract if base else "",
                authors=base.authors if base else (),
                categories=categories_for(row.get("domain") or (base.domain if base else "")),
                published=_at_noon(published),
                updated=_at_noon(max(updated, published)),
                pdf_path=pdf if pdf.is_file() else None,
                pdf_sha256=row.get("sha256") or None,
                domain=row.get("domain", ""),
                citations=base.citations if base else {},
            )
    return Corpus(root=root, papers=papers, vintages=tuple(vintage_of(p) for p in epoch_files))
