"""Evaluate the extractor against ``pdfs/ground_truth.csv`` (shared by ``paramtrack eval`` and ``make eval``).

The shared papers are extracted as ``paramtrack extract FILE`` sees them (the PDF alone, its title
read off page 1) and ranked **cross-validated**: papers are dealt into K folds with a fixed seed,
and each paper is ranked by a model fitted on the other folds only. The in-sample figures (every
paper ranked by the packaged model, which was trained on all of them) are printed beside them.

These papers have been read by the people who wrote the extractor's rules, so even the
cross-validated figure is not a measurement of unseen papers: the blind set is
(``../shared/tools/blind_eval.py``; ``make eval`` prints both and the gap, and ``BLIND_TARGETS``
are judged on the blind figures). The metrics are the blind tool's:

- top-1: over papers that state a count, the top candidate is within 5 % of ``params_nominal``
  or ``params_stated_precise``; top-3: one of the first three is;
- among the candidates: the right count is proposed at all (recall);
- confident precision: of the top candidates scoring >= 0.5, how many are right;
- negatives clean: papers that state no count of their own get no candidate scoring >= 0.5;
- off-by-10^3: the top candidate is within 5 % of expected x 1000 or / 1000 (a unit error);
- domain agreement with the ground truth's ``domain`` (and, for information, Epoch's ``Domain``);
- kind agreement on mixture-of-experts papers: the top candidate is a ``moe_total``.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from paramtrack.core.domains import DOMAINS, accepted_domains
from paramtrack.core.units import format_count
from paramtrack.extractors.numbers import within
from paramtrack.extractors.pipeline import extract_pdf
from paramtrack.extractors.ranker import RankerModel, load_model
from paramtrack.extractors.training import Example, cross_validated_models, cv_figures, label_candidates, rerank
from paramtrack.extractors.types import CONFIDENT_SCORE, ExtractionResult

#: What extraction must reach on papers nobody here has read (the blind set), and on the shared
#: papers that state no count of their own (which the blind set does not hold).
BLIND_TARGETS: dict[str, float] = {
    "top1": 0.80,
    "top3": 0.92,
    "among": 0.97,
    "confident_precision": 0.95,
    "domain": 0.95,
    "off_by_1000": 0,
    "crashes": 0,
}
SHARED_TARGETS: dict[str, float] = {"negatives_clean": 0.95}
#: The cross-validated top-1 on the shared papers may exceed the blind one by this much; a wider
#: gap says the shared papers are being fitted.
MAX_GAP = 0.10
DEFAULT_FOLDS = 5
DEFAULT_SEED = 0


@dataclass(frozen=True)
class GroundTruthPaper:
    """One row of ``ground_truth.csv``: what a careful reader found in the PDF."""

    arxiv_id: str
    title: str
    file: str
    expected: tuple[int, ...]
    domain: str
    scope: str
    first_version_date: date | None

    @property
    def moe(self) -> bool:
        return "moe" in self.scope.lower()


def _int(s: str | None) -> int | None:
    s = (s or "").strip()
    return int(float(s)) if s else None


def load_ground_truth(corpus: Path) -> list[GroundTruthPaper]:
    with (corpus / "pdfs" / "ground_truth.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    out = []
    for row in rows:
        expected = tuple(v for v in (_int(row.get("params_nominal")), _int(row.get("params_stated_precise"))) if v)
        d = row.get("first_version_date") or ""
        out.append(
            GroundTruthPaper(
                row["arxiv_id"],
                row.get("title", ""),
                row["file"],
                expected,
                row.get("domain", ""),
                row.get("params_scope", ""),
                date.fromisoformat(d) if d else None,
            )
        )
    return out


def extract_ground_truth(
    corpus: Path, papers: Sequence[GroundTruthPaper], *, progress: Callable[[int, int, str], None] | None = None
) -> list[tuple[GroundTruthPaper, ExtractionResult]]:
    """Unscored extractions of every paper from the PDF alone, as ``paramtrack extract FILE`` and the
    blind set see it: no arXiv title, abstract, date or categories (the title is read off page 1)."""
    out = []
    for i, paper in enumerate(papers, start=1):
        out.append((paper, extract_pdf(corpus / "pdfs" / paper.file, score=False)))
        if progress:
            progress(i, len(papers), paper.arxiv_id)
    return out


def examples_from(extracted: Sequence[tuple[GroundTruthPaper, ExtractionResult]]) -> list[Example]:
    return [
        Example(p.arxiv_id, list(r.candidates), label_candidates(r.candidates, p.expected), "corpus", list(p.expected))
        for p, r in extracted
    ]


@dataclass
class PaperOutcome:
    paper: GroundTruthPaper
    result: ExtractionResult
    epoch_domains: list[str]

    @property
    def arxiv_id(self) -> str:
        return self.paper.arxiv_id

    @property
    def expected(self) -> tuple[int, ...]:
        return self.paper.expected

    @property
    def positive(self) -> bool:
        return bool(self.expected)

    def _hit(self, value: int) -> bool:
        return any(within(value, e) for e in self.expected)

    @property
    def top1_ok(self) -> bool:
        top = self.result.top
        return self.positive and top is not None and self._hit(top.value)

    @property
    def top3_ok(self) -> bool:
        return self.positive and any(self._hit(c.value) for c in self.result.candidates[:3])

    @property
    def among_ok(self) -> bool:
        """The right count is among the candidates at all (recall)."""
        return self.positive and any(self._hit(c.value) for c in self.result.candidates)

    @property
    def confident(self) -> bool:
        top = self.result.top
        return top is not None and top.score >= CONFIDENT_SCORE

    @property
    def off_by_1000(self) -> bool:
        top = self.result.top
        if not self.positive or top is None:
            return False
        return any(within(top.value, e * 1000) or within(top.value, e / 1000) for e in self.expected)

    @property
    def negative_clean(self) -> bool:
        return not self.positive and not any(c.score >= CONFIDENT_SCORE for c in self.result.candidates)

    @property
    def domain_ok(self) -> bool:
        gt = self.paper.domain if self.paper.domain in DOMAINS else "other"
        return self.result.domain == gt

    @property
    def kind_ok(self) -> bool | None:
        if not self.paper.moe:
            return None
        top = self.result.top
        return bool(top and self.top1_ok and top.kind == "moe_total")

    @property
    def epoch_domain_ok(self) -> bool | None:
        if not self.epoch_domains:
            return None
        return any(self.result.domain in accepted_domains(d) for d in self.epoch_domains)


def _share(xs: Sequence[bool]) -> float:
    return sum(xs) / len(xs) if xs else 0.0


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The 95 % Wilson interval of k successes in n (as the blind tool computes it)."""
    if n == 0:
        return (0.0, 0.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    r = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - r), min(1.0, c + r))


def totals(outcomes: Sequence[PaperOutcome]) -> dict[str, Any]:
    pos = [o for o in outcomes if o.positive]
    neg = [o for o in outcomes if not o.positive]
    confident = [o for o in outcomes if o.confident]
    epoch = [o.epoch_domain_ok for o in outcomes if o.epoch_domain_ok is not None]
    kinds = [o.kind_ok for o in outcomes if o.kind_ok is not None]
    top1_n = sum(o.top1_ok for o in pos)
    return {
        "papers": len(outcomes),
        "positives": len(pos),
        "negatives": len(neg),
        "top1": _share([o.top1_ok for o in pos]),
        "top1_n": top1_n,
        "top1_interval": wilson(top1_n, len(pos)),
        "top3": _share([o.top3_ok for o in pos]),
        "top3_n": sum(o.top3_ok for o in pos),
        "among": _share([o.among_ok for o in pos]),
        "among_n": sum(o.among_ok for o in pos),
        "confident_n": len(confident),
        "confident_right_n": sum(o.top1_ok for o in confident),
        "confident_precision": _share([o.top1_ok for o in confident]) if confident else 1.0,
        "negatives_clean": _share([o.negative_clean for o in neg]),
        "negatives_clean_n": sum(o.negative_clean for o in neg),
        "off_by_1000": sum(o.off_by_1000 for o in pos),
        "domain": _share([o.domain_ok for o in outcomes]),
        "domain_n": sum(o.domain_ok for o in outcomes),
        "kind_moe": _share([bool(k) for k in kinds]),
        "kind_moe_n": sum(bool(k) for k in kinds),
        "moe_papers": len(kinds),
        "epoch_domain": _share([bool(e) for e in epoch]),
        "epoch_domain_matched": len(epoch),
        "errors": sum(1 for o in outcomes if o.result.error),
    }


def missed_shared_targets(t: dict[str, Any]) -> list[str]:
    """The targets the shared papers themselves judge: negatives stay clean."""
    key = "negatives_clean"
    return [f"negatives clean {t[key]:.1%} < {SHARED_TARGETS[key]:.0%}"] if t[key] < SHARED_TARGETS[key] else []


@dataclass
class EvalReport:
    """Cross-validated outcomes (what is quoted) and in-sample ones (for the gap), per paper."""

    cv: list[PaperOutcome] = field(default_factory=list)
    in_sample: list[PaperOutcome] = field(default_factory=list)
    folds: int = DEFAULT_FOLDS
    seed: int = DEFAULT_SEED
    model_tag: str = ""
    #: ``training.cv_figures`` of the Epoch abstracts that joined the training folds, if any.
    abstracts_cv: dict[str, Any] | None = None

    @property
    def totals(self) -> dict[str, Any]:
        return totals(self.cv)

    @property
    def in_sample_totals(self) -> dict[str, Any]:
        return totals(self.in_sample)

    def missed_targets(self) -> list[str]:
        return missed_shared_targets(self.totals)

    def render(self) -> str:
        lines = [
            f"Shared papers, cross-validated: {self.folds} folds by paper (seed {self.seed}); each paper read from"
            " its PDF alone and ranked by a model that never saw it.",
            "",
            f"{'paper':<11} {'expected':>9} {'top-1':>9} {'ok':>3} {'top3':>4} {'kind':<13} {'page':>4} {'score':>5} "
            f"{'domain':<14} {'gt domain':<14}",
        ]
        for o in self.cv:
            top = o.result.top
            exp = format_count(o.expected[0]) if o.expected else "-"
            if o.positive:
                ok, ok3 = ("yes" if o.top1_ok else "NO"), ("yes" if o.top3_ok else "NO")
            else:
                ok, ok3 = ("yes" if o.negative_clean else "NO"), ""
            lines.append(
                f"{o.arxiv_id:<11} {exp:>9} {format_count(top.value) if top else '-':>9} {ok:>3} {ok3:>4} "
                f"{(top.kind if top else '-'):<13} {(top.page if top else 0):>4} {(top.score if top else 0):>5.2f} "
                f"{o.result.domain:<14} {o.paper.domain:<14}" + (f"  error: {o.result.error}" if o.result.error else "")
            )
        cv, ins = self.totals, self.in_sample_totals
        lines += [
            "",
            f"papers: {cv['papers']} ({cv['positives']} state a count, {cv['negatives']} do not)",
            "",
            f"{'metric':<34} {'cross-validated':>18} {'in-sample':>10}",
        ]
        for label, cell in shared_rows():
            lines.append(f"{label:<34} {cell(cv):>18} {cell(ins):>10}")
        missed = self.missed_targets()
        lines.append(
            f"shared target (negatives clean >= {SHARED_TARGETS['negatives_clean']:.0%}): "
            + ("met" if not missed else "MISSED: " + "; ".join(missed))
        )
        if self.model_tag:
            lines.append(f"in-sample model: {self.model_tag}")
        if self.abstracts_cv:
            a = self.abstracts_cv
            lines.append(
                f"Epoch abstracts in the same folds ({a['positives']} that state a size, title + abstract only): "
                f"top-1 {a['top1']:.1%}, top-3 {a['top3']:.1%}, among {a['among']:.1%}, "
                f"confident right {a['confident_precision']:.1%} of {a['confident']}"
            )
        return "\n".join(lines)


def _pct(k: int, n: int) -> str:
    return f"{k / n:.1%} ({k}/{n})" if n else "-"


def shared_rows() -> list[tuple[str, Callable[[dict[str, Any]], str]]]:
    """The report's rows: a label and how to print it from :func:`totals`."""
    return [
        ("top-1", lambda t: _pct(t["top1_n"], t["positives"])),
        ("top-3", lambda t: _pct(t["top3_n"], t["positives"])),
        ("right count among the candidates", lambda t: _pct(t["among_n"], t["positives"])),
        ("confident (>= 0.5) and right", lambda t: _pct(t["confident_right_n"], t["confident_n"])),
        ("negatives clean (none >= 0.5)", lambda t: _pct(t["negatives_clean_n"], t["negatives"])),
        ("off-by-10^3 errors", lambda t: str(t["off_by_1000"])),
        ("domain (ground truth)", lambda t: _pct(t["domain_n"], t["papers"])),
        ("domain (Epoch accepts)", lambda t: f"{t['epoch_domain']:.1%} of {t['epoch_domain_matched']}"),
        ("MoE papers: top-1 is the MoE total", lambda t: _pct(t["kind_moe_n"], t["moe_papers"])),
        ("extraction errors", lambda t: str(t["errors"])),
    ]


def side_by_side(shared: dict[str, Any], blind: dict[str, Any] | None) -> str:
    """Shared (cross-validated) and blind figures in one table, with the blind targets and the gap.

    ``blind`` is ``blind_eval.py --json``'s object (None when the blind set is not available).
    """

    def blind_pct(k: str, n: str) -> str:
        return _pct(int(blind[k]), int(blind[n])) if blind else "-"

    rows = [
        ("top-1", _pct(shared["top1_n"], shared["positives"]), blind_pct("top1", "papers"), "top1"),
        ("top-3", _pct(shared["top3_n"], shared["positives"]), blind_pct("top3", "papers"), "top3"),
        (
            "right count among the candidates",
            _pct(shared["among_n"], shared["positives"]),
            blind_pct("any_candidate", "papers"),
            "among",
        ),
        (
            "confident (>= 0.5) and right",
            _pct(shared["confident_right_n"], shared["confident_n"]),
            blind_pct("confident_right", "confident"),
            "confident_precision",
        ),
        ("off by 10^3", str(shared["off_by_1000"]), str(blind["off_by_1000"]) if blind else "-", "off_by_1000"),
        ("crashes", str(shared["errors"]), str(blind["crashes"]) if blind else "-", "crashes"),
        ("domain", _pct(shared["domain_n"], shared["papers"]), blind_pct("domain_right", "domain_papers"), "domain"),
    ]
    lines = [f"{'metric':<34} {'shared (CV)':>18} {'blind':>18}  blind target"]
    for label, a, b, key in rows:
        target = BLIND_TARGETS[key]
        lines.append(f"{label:<34} {a:>18} {b:>18}  " + (f">= {target:.0%}" if target else "0"))
    if blind:
        lo, hi = wilson(int(blind["top1"]), int(blind["papers"]))
        gap = shared["top1"] - blind["top1"] / blind["papers"]
        lines.append(f"{'blind top-1, 95 % interval':<34} {'':>18} {f'{lo:.0%}-{hi:.0%}':>18}")
        lines.append(
            f"{'gap: shared CV top-1 - blind top-1':<34} {f'{gap * 100:+.1f} points':>18} {'':>18}  <= {MAX_GAP * 100:.0f} points"
        )
    return "\n".join(lines)


def missed_blind_targets(shared: dict[str, Any], blind: dict[str, Any]) -> list[str]:
    """Which blind targets (and the gap) the figures miss, in words."""
    n = int(blind["papers"]) or 1
    figures = {
        "top1": blind["top1"] / n,
        "top3": blind["top3"] / n,
        "among": blind["any_candidate"] / n,
        "confident_precision": blind["confident_right"] / blind["confident"] if blind["confident"] else 1.0,
        "domain": blind["domain_right"] / blind["domain_papers"] if blind["domain_papers"] else 1.0,
    }
    missed = [f"{k} {v:.1%} < {BLIND_TARGETS[k]:.0%}" for k, v in figures.items() if v < BLIND_TARGETS[k]]
    missed += [f"{k} {blind[k]} > 0" for k in ("off_by_1000", "crashes") if blind[k] > BLIND_TARGETS[k]]
    gap = shared["top1"] - figures["top1"]
    if gap > MAX_GAP:
        missed.append(f"gap {gap * 100:.1f} points > {MAX_GAP * 100:.0f}")
    return missed


def _epoch_domains(corpus: Path) -> dict[str, list[str]]:
    """arXiv id -> Epoch Domain cells, from rows whose Link contains the id (a label, never a feature)."""
    path = corpus / "epoch" / "all_ai_models_2025-04.csv"
    out: dict[str, list[str]] = {}
    if not path.is_file():
        return out
    with path.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for aid in re.findall(r"(\d{4}\.\d{4,5})", row.get("Link") or ""):
                if row.get("Domain"):
                    out.setdefault(aid, []).append(row["Domain"])
    return out


def _ranked(result: ExtractionResult, model: RankerModel) -> ExtractionResult:
    return replace(result, candidates=rerank(result.candidates, model))


def evaluate(
    corpus: Path,
    *,
    folds: int = DEFAULT_FOLDS,
    seed: int = DEFAULT_SEED,
    limit: int | None = None,
    model: RankerModel | None = None,
    abstracts: Sequence[Example] = (),
    progress: Callable[[int, int, str], None] | None = None,
) -> EvalReport:
    """Extract every ground-truth paper once, then rank it cross-validated and in-sample.

    ``abstracts`` (``abstract_eval.abstract_examples``) join every training fold, as they train
    the packaged ranker (``paramtrack ranker train``): the cross-validated figures then measure
    the method that ships, and equal ``ranker train``'s for the same folds and seed.
    """
    papers = load_ground_truth(corpus)[:limit]
    extracted = extract_ground_truth(corpus, papers, progress=progress)
    examples = examples_from(extracted)
    held_out = cross_validated_models([*examples, *abstracts], k=folds, seed=seed)
    in_sample_model = model or load_model()
    epoch = _epoch_domains(corpus)
    report = EvalReport(folds=folds, seed=seed, model_tag=in_sample_model.tag)
    if abstracts:
        report.abstracts_cv = cv_figures(abstracts, held_out)
    for paper, result in extracted:
        domains = epoch.get(paper.arxiv_id, [])
        report.cv.append(PaperOutcome(paper, _ranked(result, held_out[paper.arxiv_id]), domains))
        report.in_sample.append(PaperOutcome(paper, _ranked(result, in_sample_model), domains))
    return report
