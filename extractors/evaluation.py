"""Evaluate the extractor against ``pdfs/ground_truth.csv`` (shared by the CLI and the benchmark script).

Metrics (targets in ``TARGETS``):

- top-1 accuracy: over papers that state a count, the top candidate is within 5% of
  ``params_nominal`` or ``params_stated_precise``;
- top-3 recall: one of the first three candidates is;
- no-count precision: papers that state no count get no candidate with score >= CONFIDENT_SCORE;
- off-by-10^3: the top candidate is within 5% of expected x 1000 or / 1000 (a unit error);
- domain agreement with the ground truth's ``domain`` and with Epoch's ``Domain`` column.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from extractors.numbers import humanize
from extractors.pipeline import extract_pdf
from extractors.types import CONFIDENT_SCORE, ExtractionResult

TARGETS = {"top1": 0.90, "top3": 0.97, "no_count_precision": 1.0, "off_by_1000": 0}
TOLERANCE = 0.05


def within(value: int | None, expected: int | None, tol: float = TOLERANCE) -> bool:
    return bool(value and expected) and abs(value - expected) <= tol * expected  # type: ignore[operator]


@dataclass
class PaperOutcome:
    arxiv_id: str
    title: str
    expected: list[int]
    result: ExtractionResult
    gt_domain: str
    epoch_domains: list[str]
    gt_date: date | None

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
    def off_by_1000(self) -> bool:
        top = self.result.top
        if not self.positive or top is None:
            return False
        return any(within(top.value, e * 1000) or within(top.value, e / 1000) for e in self.expected)

    @property
    def no_count_ok(self) -> bool:
        return not self.positive and not any(c.score >= CONFIDENT_SCORE for c in self.result.candidates)

    @property
    def domain_ok(self) -> bool:
        return self.result.domain == self.gt_domain

    @property
    def epoch_domain_ok(self) -> bool | None:
        if not self.epoch_domains:
            return None
        return any(self.result.domain in _epoch_domain_set(d) for d in self.epoch_domains)


def _epoch_domain_set(value: str) -> set[str]:
    """Epoch's Domain cell ("Language", "Vision,Multimodal", "Games") as our domain names."""
    parts = {p.strip().lower() for p in re.split(r"[,;]", value) if p.strip()}
    mapped = set()
    for p in parts:
        if p in ("language", "vision", "games", "speech", "multimodal", "robotics", "recommendation"):
            mapped.add(p)
        elif p in ("image generation", "video"):
            mapped.add("vision")
        elif p == "audio":
            mapped.add("speech")
        else:
            mapped.add("other")
    return mapped


@dataclass
class EvalReport:
    outcomes: list[PaperOutcome] = field(default_factory=list)

    def _share(self, xs: list[bool]) -> float:
        return sum(xs) / len(xs) if xs else 0.0

    @property
    def positives(self) -> list[PaperOutcome]:
        return [o for o in self.outcomes if o.positive]

    @property
    def negatives(self) -> list[PaperOutcome]:
        return [o for o in self.outcomes if not o.positive]

    @property
    def totals(self) -> dict[str, float | int]:
        epoch = [o.epoch_domain_ok for o in self.outcomes if o.epoch_domain_ok is not None]
        confident_pos = [bool(o.result.top and o.result.top.score >= CONFIDENT_SCORE) for o in self.positives]
        return {
            "papers": len(self.outcomes),
            "positives": len(self.positives),
            "negatives": len(self.negatives),
            "top1": self._share([o.top1_ok for o in self.positives]),
            "top3": self._share([o.top3_ok for o in self.positives]),
            "no_count_precision": self._share([o.no_count_ok for o in self.negatives]),
            "off_by_1000": sum(o.off_by_1000 for o in self.positives),
            "positives_confident": self._share(confident_pos),
            "domain_agreement": self._share([o.domain_ok for o in self.outcomes]),
            "epoch_domain_agreement": self._share(epoch),
            "epoch_domain_matched": len(epoch),
            "errors": sum(1 for o in self.outcomes if o.result.error),
        }

    def missed_targets(self) -> list[str]:
        t = self.totals
        missed = []
        if t["top1"] < TARGETS["top1"]:
            missed.append(f"top-1 {t['top1']:.1%} < {TARGETS['top1']:.0%}")
        if t["top3"] < TARGETS["top3"]:
            missed.append(f"top-3 {t['top3']:.1%} < {TARGETS['top3']:.0%}")
        if t["no_count_precision"] < TARGETS["no_count_precision"]:
            missed.append(f"no-count precision {t['no_count_precision']:.1%} < 100%")
        if t["off_by_1000"] > TARGETS["off_by_1000"]:
            missed.append(f"{t['off_by_1000']} off-by-10^3 errors")
        return missed

    def render(self) -> str:
        lines = [
            f"{'paper':<11} {'expected':>9} {'top-1':>9} {'ok':>3} {'top3':>4} {'kind':<13} {'page':>4} {'score':>5} {'domain':<10} {'gt dom':<10}"
        ]
        for o in self.outcomes:
            top = o.result.top
            exp = humanize(o.expected[0]) if o.expected else "-"
            if o.positive:
                ok, ok3 = ("yes" if o.top1_ok else "NO"), ("yes" if o.top3_ok else "NO")
            else:
                ok, ok3 = ("yes" if o.no_count_ok else "NO"), ""
            lines.append(
                f"{o.arxiv_id:<11} {exp:>9} {humanize(top.value) if top else '-':>9} {ok:>3} {ok3:>4} "
                f"{(top.kind if top else '-'):<13} {(top.page if top else 0):>4} {(top.score if top else 0):>5.2f} "
                f"{o.result.domain:<10} {o.gt_domain:<10}" + (f"  error: {o.result.error}" if o.result.error else "")
            )
        t = self.totals
        lines += [
            "",
            f"papers: {t['papers']} ({t['positives']} state a count, {t['negatives']} do not)",
            f"top-1 accuracy:            {t['top1']:.1%}  (target >= {TARGETS['top1']:.0%})",
            f"top-3 recall:              {t['top3']:.1%}  (target >= {TARGETS['top3']:.0%})",
            f"no-count precision:        {t['no_count_precision']:.1%}  (negatives with no candidate scoring >= {CONFIDENT_SCORE})",
            f"off-by-10^3 errors:        {t['off_by_1000']}  (target 0)",
            f"positives with confident top: {t['positives_confident']:.1%}",
            f"domain agreement (ground truth): {t['domain_agreement']:.1%}",
            f"domain agreement (Epoch, {t['epoch_domain_matched']} matched): {t['epoch_domain_agreement']:.1%}",
            f"extraction errors:         {t['errors']}",
        ]
        missed = self.missed_targets()
        lines.append("targets: " + ("all met" if not missed else "MISSED: " + "; ".join(missed)))
        return "\n".join(lines)


def _epoch_domains(corpus: Path) -> dict[str, list[str]]:
    """arXiv id -> Epoch Domain cells, from rows whose Link contains the id."""
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


def _int(s: str | None) -> int | None:
    s = (s or "").strip()
    return int(float(s)) if s else None


def evaluate(corpus: Path, *, limit: int | None = None) -> EvalReport:
    """Run ``extract_pdf`` over every ground-truth paper. Titles are passed like arXiv metadata would be;
    dates and categories are not, so the PDF-stamp fallback is what gets exercised."""
    pdf_dir = corpus / "pdfs"
    epoch = _epoch_domains(corpus)
    report = EvalReport()
    with (pdf_dir / "ground_truth.csv").open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows[:limit]:
        expected = [v for v in (_int(row.get("params_nominal")), _int(row.get("params_stated_precise"))) if v]
        result = extract_pdf(pdf_dir / row["file"], title=row.get("title") or None)
        gt_date = date.fromisoformat(row["first_version_date"]) if row.get("first_version_date") else None
        report.outcomes.append(
            PaperOutcome(row["arxiv_id"], row.get("title", ""), expected, result, row.get("domain", ""), epoch.get(row["arxiv_id"], []), gt_date)
        )
    return report
