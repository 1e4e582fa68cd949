"""How well arXiv abstracts alone propose a paper's parameter count, measured on Epoch's CSVs.

A notable paper whose PDF is unavailable gets candidates from its title and abstract
(``extract_abstract``). Epoch's files hold, per system, the paper's title ("Reference"), its
abstract and a parameter count: the count labels the measurement and is never an input. Per
vintage this reports how often the abstract's top candidate is Epoch's value (within 5 %), and
the precision of confident (>= 0.5) proposals, the figure that matters most: a confident wrong
number costs a reviewer more than no number.

Epoch lists several systems of one paper as several rows (Gemma 3 1B, 4B, 12B, 27B), so rows are
grouped into papers by abstract, and a top candidate matches when it is any of that paper's
Epoch counts. Epoch's count is not always a number the abstract states (Epoch computes some
itself), so "matches" is a lower bound on being right; papers whose abstract states no size next
to the word "parameters" are counted apart.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from paramtrack.core.domains import accepted_domains
from paramtrack.extractors.numbers import within
from paramtrack.extractors.pipeline import extract_abstract
from paramtrack.extractors.ranker import RankerModel
from paramtrack.extractors.training import Example, label_candidates
from paramtrack.extractors.types import CONFIDENT_SCORE

_STATES_A_SIZE = re.compile(
    r"\d(?:[\d,.]*)\s?(?:[KMBT]\b|[Mm]illion|[Bb]illion|[Tt]rillion)[^.]{0,40}?\bparam|\bparam\w*\b[^.]{0,40}?\d\s?(?:[KMBT]\b|[Mm]illion|[Bb]illion)"
)


@dataclass
class VintageFigures:
    file: str
    rows: int = 0
    states_a_size: int = 0
    top1_match: int = 0
    top1_match_stating: int = 0
    confident: int = 0
    confident_right: int = 0
    domain_matched: int = 0
    domain_right: int = 0
    misses: list[tuple[str, str, str]] = field(default_factory=list)

    @property
    def precision(self) -> float:
        return self.confident_right / self.confident if self.confident else 0.0


@dataclass
class AbstractPaper:
    title: str
    abstract: str
    counts: list[float]
    systems: list[str]
    domain: str


def papers_of(path: Path) -> list[AbstractPaper]:
    """Rows with an abstract and a parameter count, grouped into papers by their abstract."""
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or "Abstract" not in reader.fieldnames:
            return []
        rows = [r for r in reader if (r.get("Abstract") or "").strip() and _count(r.get("Parameters"))]
    by_abstract: dict[str, AbstractPaper] = {}
    for r in rows:
        key = " ".join(r["Abstract"].split())
        paper = by_abstract.setdefault(
            key, AbstractPaper(r.get("Reference") or "", r["Abstract"], [], [], r.get("Domain") or "")
        )
        paper.counts.append(_count(r.get("Parameters")) or 0.0)
        paper.systems.append(r.get("Model") or r.get("System") or "")
    return list(by_abstract.values())


_ARXIV_LINK = re.compile(r"arxiv\.org/(?:abs|pdf|html)/(\d{4}\.\d{4,5})", re.IGNORECASE)


def paper_key(link: str | None, title: str | None) -> str:
    """The arXiv id in a row's Link, else its title folded: one key per paper across Epoch's files
    and the ground truth, so a paper's abstract and its PDF always share a cross-validation fold."""
    m = _ARXIV_LINK.search(link or "")
    if m:
        return m.group(1)
    return "title:" + " ".join(re.sub(r"[^a-z0-9]+", " ", (title or "").lower()).split())[:80]


def abstract_examples(epoch_dir: Path) -> list[Example]:
    """Training examples from every Epoch file: each paper's title and abstract as page 0, its
    candidates labelled by Epoch's counts for it (a label, never an input of extraction).

    Rows are merged into papers across files by :func:`paper_key`; papers whose abstract states no
    size give no candidate and teach nothing, so they are left out.
    """
    papers: dict[str, AbstractPaper] = {}
    for path in sorted(epoch_dir.glob("*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                abstract, count = (row.get("Abstract") or "").strip(), _count(row.get("Parameters"))
                if not abstract or not count:
                    continue
                title = row.get("Reference") or ""
                paper = papers.setdefault(
                    paper_key(row.get("Link"), title), AbstractPaper(title, abstract, [], [], row.get("Domain") or "")
                )
                if not any(within(count, c) for c in paper.counts):
                    paper.counts.append(count)
    out = []
    for key, paper in sorted(papers.items()):
        result = extract_abstract(title=paper.title or None, abstract=paper.abstract, score=False)
        if result.candidates:
            expected = [int(c) for c in paper.counts]
            labels = label_candidates(result.candidates, expected)
            out.append(Example(key, result.candidates, labels, "abstract", expected, pdf=False))
    return out


def _count(text: str | None) -> float | None:
    try:
        v = float((text or "").replace(",", "").strip())
    except ValueError:
        return None
    return v if v > 0 else None


def _domains(cell: str) -> set[str]:
    return accepted_domains(cell) if cell else set()


def evaluate_abstracts(
    epoch_dir: Path,
    *,
    model: RankerModel | None = None,
    limit: int | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> list[VintageFigures]:
    """One :class:`VintageFigures` per Epoch file that has an Abstract column."""
    out: list[VintageFigures] = []
    for path in sorted(epoch_dir.glob("*.csv")):
        papers = papers_of(path)[:limit]
        if not papers:
            continue
        fig = VintageFigures(path.name)
        for i, paper in enumerate(papers, start=1):
            result = extract_abstract(title=paper.title or None, abstract=paper.abstract, model=model)
            top = result.top
            fig.rows += 1
            stating = bool(_STATES_A_SIZE.search(paper.abstract))
            fig.states_a_size += stating
            hit = bool(top and any(within(top.value, c) for c in paper.counts))
            fig.top1_match += hit
            fig.top1_match_stating += hit and stating
            if top and top.score >= CONFIDENT_SCORE:
                fig.confident += 1
                fig.confident_right += hit
                if not hit and len(fig.misses) < 20:
                    fig.misses.append(
                        (paper.systems[0], f"{top.value:.3g}", ", ".join(f"{c:.3g}" for c in paper.counts))
                    )
            domains = _domains(paper.domain)
            if domains:
                fig.domain_matched += 1
                fig.domain_right += result.domain in domains
            if progress and i % 100 == 0:
                progress(path.name, i, len(papers))
        out.append(fig)
    return out


def render(figures: list[VintageFigures]) -> str:
    head = (
        f"{'Epoch file':<42} {'papers':>6} {'states':>6} {'top-1 = Epoch':>14} {'(of stating)':>13} "
        f"{'confident':>9} {'precision':>9} {'domain':>7}"
    )
    lines = [head]
    for f in figures:
        lines.append(
            f"{f.file:<42} {f.rows:>6} {f.states_a_size:>6} {f.top1_match / max(1, f.rows):>13.1%} "
            f"{f.top1_match_stating / max(1, f.states_a_size):>13.1%} {f.confident:>9} {f.precision:>9.1%} "
            f"{f.domain_right / max(1, f.domain_matched):>7.1%}"
        )
    lines.append(
        "papers: rows with an abstract and a count, grouped by abstract; states: the abstract states a size"
        " next to 'parameters';\ntop-1 = Epoch: the top candidate is within 5 % of one of the paper's Epoch"
        " counts; precision: of confident (>= 0.5) top candidates."
    )
    return "\n".join(lines)
