"""First-version date and domain of a paper.

Date: arXiv metadata (the ``published`` argument, which is the v1 submission date) wins. Without
it, the arXiv stamp printed on page 1 ("arXiv:2204.02311v1 [cs.CL] 5 Apr 2022") gives the date of
*that* version, which is the first-version date only for v1; for later versions the date is still
reported, but flagged as the stamp date of vN so nobody mistakes it for the first version.

Domain: the arXiv categories (given, else the stamp's primary category) set a prior; word cues in
the text decide between domains when the category is generic (cs.LG, stat.ML, cs.AI).
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


_CATEGORY_DOMAIN = {
    "cs.CL": "language",
    "cs.CV": "vision",
    "eess.IV": "vision",
    "cs.SD": "speech",
    "eess.AS": "speech",
    "cs.RO": "robotics",
    "cs.IR": "recommendation",
    "cs.GT": "games",
    "cs.MM": "multimodal",
}
_GENERIC = {"cs.LG", "stat.ML", "cs.AI", "cs.NE", "cs.DC", "cs.PF", "math.OC", "cs.CR", "cs.SE", "cs.CY", "cs.HC"}

_CUES: dict[str, re.Pattern[str]] = {
    "language": re.compile(
        r"\b(?:language models?|NLP|natural language|translation|question answering|text|tokens?|corpus|"
        r"sentences?|words?|GLUE|SQuAD|perplexity|LLMs?|linguistic|summari[sz]ation|BERT|GPT|vocabulary)\b",
        re.I,
    ),
    "vision": re.compile(
        r"\b(?:images?|ImageNet|CIFAR|MNIST|pixels?|object detection|segmentation|visual|convolutional|COCO|"
        r"bounding box(?:es)?|detectors?|vision|photos?|classification accuracy)\b",
        re.I,
    ),
    "games": re.compile(r"\b(?:Atari|games?|chess|shogi|Go|StarCraft|Dota|poker|players?|board)\b"),
    "speech": re.compile(
        r"\b(?:speech|audio|acoustic|ASR|speaker|phonemes?|waveforms?|spectrograms?|LibriSpeech)\b", re.I
    ),
    "multimodal": re.compile(
        r"\b(?:multimodal|multi-modal|vision-language|image-text|text-to-image|captioning|VQA)\b", re.I
    ),
    "recommendation": re.compile(r"\b(?:recommend\w*|click-through|CTR|user-item|collaborative filtering)\b", re.I),
    "robotics": re.compile(
        r"\b(?:robots?|robotic|manipulation|locomotion|grasp\w*|embodied|continuous control|MuJoCo|actuat\w+|torques?|"
        r"dexterous|legged|gripper|end-effector)\b",
        re.I,
    ),
    # Science and pure method papers (molecules, proteins, optimisers, theory) are "other" domains.
    "other": re.compile(
        r"\b(?:molecul\w*|chemi\w*|odou?rs?|olfact\w*|proteins?|drug|materials? science|physics|biolog\w*|"
        r"stochastic optimi[sz]ation|optimi[sz]ation algorithms?|convergence|regret|theorems?|lemma|corollary|convex)\b",
        re.I,
    ),
}


#: Case-insensitive cues run as lower-case patterns over the lower-cased sample: the same counts,
#: about twice as fast as ``re.IGNORECASE`` on 60 KB (domain cues were a tenth of the extraction time).
_FOLDED = {d for d, rx in _CUES.items() if rx.flags & re.IGNORECASE}
_CUES_FAST: dict[str, re.Pattern[str]] = {
    d: re.compile(rx.pattern.lower(), rx.flags & ~re.IGNORECASE) if d in _FOLDED else rx for d, rx in _CUES.items()
}


def classify_domain(text: str, categories: Sequence[str] | None, stamp: Stamp | None) -> tuple[str, float]:
    """(domain, confidence 0..1) from categories and word cues.

    A specific category (cs.CL, cs.CV, ...) is a strong prior; generic ones (cs.LG) defer to cues.
    Cue counts are normalised per domain so "tokens" in a vision paper does not outvote "ImageNet".
    """
    cats = list(categories or ([stamp.category] if stamp else []))
    sample = text[:60_000]  # the first ~15 pages decide; counting a whole 80-page paper costs more than the rules
    lower = sample.lower()
    counts = {d: len(rx.findall(lower if d in _FOLDED else sample)) for d, rx in _CUES_FAST.items()}
    total = sum(counts.values()) or 1
    shares = {d: c / total for d, c in counts.items()}
    scores = dict(shares)
    for i, cat in enumerate(cats):
        d = _CATEGORY_DOMAIN.get(cat)
        if d:
            scores[d] = scores.get(d, 0.0) + (0.6 if i == 0 else 0.3)
    # A multimodal paper talks about two modalities or more; call it multimodal only on explicit cues.
    if shares["multimodal"] > 0.05 and sum(shares[m] > 0.15 for m in ("vision", "language", "speech")) >= 2:
        scores["multimodal"] += 0.4
    best = max(scores, key=scores.__getitem__)
    if scores[best] <= 0 or counts[best] == 0 and not any(_CATEGORY_DOMAIN.get(c) == best for c in cats):
        return "other", 0.2
    ranked = sorted(scores.values(), reverse=True)
    margin = ranked[0] - (ranked[1] if len(ranked) > 1 else 0.0)
    has_specific = any(c in _CATEGORY_DOMAIN for c in cats)
    confidence = min(0.99, 0.4 + margin * 0.8 + (0.15 if has_specific else 0.0))
    return best, round(confidence, 3)
