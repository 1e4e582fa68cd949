"""Fit the ranker's weights, and measure them honestly: cross-validation with folds by paper.

Training data is a list of :class:`Example`: one paper's candidates (with their features) and
which of them are right. Labels come from hand-checked ground truth (a value within 5 % of the
stated count) or from reviewer decisions (``warehouse.review_store.decision_examples``): an
approved candidate is right, a corrected value is right and every other candidate wrong, "no count
stated" makes every candidate wrong.

The model is a logistic regression on standardised features (scikit-learn), unweighted so that its
probabilities stay calibrated: a score of 0.7 should be right about 70 % of the time, which is what
a reviewer reads it as. Its regularisation strength is chosen by an inner cross-validation on the
training papers only, so the outer cross-validated figures never saw the papers they score.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from extractors.features import FEATURES
from extractors.ranker import RankerModel
from extractors.types import CONFIDENT_SCORE, Candidate

C_GRID = (0.03, 0.1, 0.3, 1.0, 3.0)
TOLERANCE = 0.05


@dataclass
class Example:
    """One paper's candidates and their labels (True: this value is the paper's own main count)."""

    key: str  # arXiv id
    candidates: list[Candidate]
    labels: list[bool]
    origin: str = "corpus"  # "corpus" (ground truth) or "decision" (a reviewer's)
    expected: list[int] = field(default_factory=list)

    @property
    def positive(self) -> bool:
        return any(self.labels)


def within(value: float | None, expected: float | None, tol: float = TOLERANCE) -> bool:
    return bool(value and expected) and abs(value - expected) <= tol * expected  # type: ignore[operator]


def label_candidates(candidates: Sequence[Candidate], expected: Sequence[int]) -> list[bool]:
    """True for candidates within 5 % of any expected value (the nominal or the precise count)."""
    return [any(within(c.value, e) for e in expected) for c in candidates]


def training_set_hash(examples: Sequence[Example]) -> str:
    """Identifies the training data (features and labels), so a model file says what it learned from."""
    h = hashlib.sha256()
    for ex in sorted(examples, key=lambda e: (e.origin, e.key)):
        rows = [[round(c.features.get(n, 0.0), 6) for n in FEATURES] for c in ex.candidates]
        h.update(json.dumps([ex.origin, ex.key, rows, ex.labels]).encode())
    return h.hexdigest()


def _matrix(examples: Sequence[Example]):  # type: ignore[no-untyped-def]
    import numpy as np

    rows = [[float(c.features.get(n, 0.0)) for n in FEATURES] for ex in examples for c in ex.candidates]
    labels = [int(y) for ex in examples for y in ex.labels]
    return np.array(rows, dtype=float).reshape(-1, len(FEATURES)), np.array(labels, dtype=int)


def _fit_fixed(examples: Sequence[Example], c_value: float) -> RankerModel:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    x, y = _matrix(examples)
    mean = x.mean(axis=0)
    scale = x.std(axis=0)
    scale[scale == 0] = 1.0
    if len(set(y.tolist())) < 2:
        coef = np.zeros(len(FEATURES))
        p = min(max(y.mean() if len(y) else 0.0, 1e-3), 1 - 1e-3)
        intercept = math.log(p / (1 - p))
    else:
        lr = LogisticRegression(C=c_value, max_iter=5000)
        lr.fit((x - mean) / scale, y)
        coef, intercept = lr.coef_[0], float(lr.intercept_[0])
    return RankerModel(FEATURES, tuple(mean.tolist()), tuple(scale.tolist()), tuple(float(w) for w in coef), intercept,
                       {"C": c_value})


def fold_of(keys: Sequence[str], k: int, seed: int) -> dict[str, int]:
    """Papers to folds: shuffled with a fixed seed, dealt round-robin (so fold sizes differ by <= 1)."""
    order = sorted(set(keys))
    random.Random(seed).shuffle(order)
    return {key: i % k for i, key in enumerate(order)}


def rerank(candidates: Sequence[Candidate], model: RankerModel) -> list[Candidate]:
    """Copies of ``candidates`` scored by ``model``, best first (the extractor's own order)."""
    from dataclasses import replace

    from extractors.ranking import candidate_score

    out = [replace(c, score=candidate_score(c, model)) for c in candidates]
    out.sort(key=lambda c: (-c.score, -c.value))
    return out


def paper_correct(ranked: Sequence[Candidate], labels_by_value: dict[int, bool]) -> bool:
    """A positive paper is right when its top candidate is; a negative one when nothing is confident."""
    if any(labels_by_value.values()):
        return bool(ranked) and labels_by_value.get(ranked[0].value, False)
    return not any(c.score >= CONFIDENT_SCORE for c in ranked)


def _objective(examples: Sequence[Example], model_for: Callable[[Example], RankerModel]) -> tuple[float, float]:
    """(share of papers right, mean log-likelihood of the labels): higher is better for both."""
    right = 0
    loglik = 0.0
    n = 0
    for ex in examples:
        model = model_for(ex)
        ranked = rerank(ex.candidates, model)
        right += paper_correct(ranked, {c.value: y for c, y in zip(ex.candidates, ex.labels)})
        for c, y in zip(ex.candidates, ex.labels):
            p = min(max(model.score(c.features), 1e-6), 1 - 1e-6)
            loglik += math.log(p if y else 1 - p)
            n += 1
    return right / max(1, len(examples)), loglik / max(1, n)


def fit_model(examples: Sequence[Example], *, c_value: float | None = None, inner_k: int = 4, seed: int = 0) -> RankerModel:
    """Fit on ``examples``; without ``c_value``, pick it by an inner cross-validation on them."""
    if c_value is None:
        c_value = choose_c(examples, k=inner_k, seed=seed)
    return _fit_fixed(examples, c_value)


def choose_c(examples: Sequence[Example], *, k: int = 4, seed: int = 0) -> float:
    """The regularisation strength with the best inner-CV objective (papers right, then log-likelihood)."""
    folds = fold_of([e.key for e in examples], k, seed + 1)
    best: tuple[tuple[float, float], float] | None = None
    for c_value in C_GRID:
        models = {i: _fit_fixed([e for e in examples if folds[e.key] != i], c_value) for i in range(k)}
        score = _objective(examples, lambda ex: models[folds[ex.key]])
        if best is None or score > best[0]:
            best = (score, c_value)
    assert best is not None
    return best[1]


def cross_validated_models(examples: Sequence[Example], *, k: int = 5, seed: int = 0,
                           train_filter: Callable[[Example], bool] | None = None) -> dict[str, RankerModel]:
    """For each paper, the model fitted without its fold (what the paper would meet as an unseen one).

    ``train_filter`` keeps some examples out of training while still scoring them (CV "before
    decisions": decision papers are scored, but only corpus papers train).
    """
    folds = fold_of([e.key for e in examples], k, seed)
    models: dict[int, RankerModel] = {}
    for i in range(k):
        train = [e for e in examples if folds[e.key] != i and (train_filter is None or train_filter(e))]
        models[i] = fit_model(train, seed=seed)
    return {e.key: models[folds[e.key]] for e in examples}


def describe(model: RankerModel, examples: Sequence[Example], cv: dict[str, Any]) -> RankerModel:
    """The model with its provenance written into ``meta`` (what ``ranker show`` and ``status`` print)."""
    from dataclasses import replace
    from datetime import datetime, timezone

    meta = {
        **model.meta,
        "kind": "logistic regression (scikit-learn), standardised features",
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "training_set_sha256": training_set_hash(examples),
        "papers": sum(1 for e in examples if e.origin == "corpus"),
        "decisions": sum(1 for e in examples if e.origin == "decision"),
        "candidates": sum(len(e.candidates) for e in examples),
        "cv": cv,
    }
    return replace(model, meta=meta)


def cv_figures(examples: Sequence[Example], model_for: dict[str, RankerModel]) -> dict[str, Any]:
    """Top-1, top-3, negatives clean and papers right, each paper ranked by ``model_for[its key]``."""
    pos = neg = top1 = top3 = clean = 0
    for ex in examples:
        ranked = rerank(ex.candidates, model_for[ex.key])
        right = {c.value for c, y in zip(ex.candidates, ex.labels) if y}
        if right or ex.expected:  # a paper that states a count, whether or not a candidate has it
            pos += 1
            top1 += bool(ranked) and ranked[0].value in right
            top3 += any(c.value in right for c in ranked[:3])
        else:
            neg += 1
            clean += not any(c.score >= CONFIDENT_SCORE for c in ranked)
    papers = pos + neg
    return {
        "papers": papers, "positives": pos, "negatives": neg,
        "top1": round(top1 / pos, 4) if pos else 0.0, "top3": round(top3 / pos, 4) if pos else 0.0,
        "negatives_clean": round(clean / neg, 4) if neg else 1.0,
        "right": round((top1 + clean) / papers, 4) if papers else 0.0,
    }


@dataclass
class TrainingOutcome:
    """A fitted model and how it did, cross-validated, before and after adding reviewer decisions.

    ``before``/``after`` hold figures for the ground-truth papers (``corpus``), the decision papers
    (``decisions``) and both (``all``).
    """

    model: RankerModel
    before: dict[str, dict[str, Any]]
    after: dict[str, dict[str, Any]]

    @property
    def adopted(self) -> bool:
        """Adopt only when cross-validation does not get worse, on the hand-checked ground truth
        and over all papers: decisions may teach the ranker, never unteach the ground truth."""
        def key(f: dict[str, Any]) -> tuple[float, float]:
            return (f["right"], f["top1"])
        return key(self.after["corpus"]) >= key(self.before["corpus"]) and key(self.after["all"]) >= key(self.before["all"])


def _split_figures(examples: Sequence[Example], models: dict[str, RankerModel]) -> dict[str, dict[str, Any]]:
    return {
        "all": cv_figures(examples, models),
        "corpus": cv_figures([e for e in examples if e.origin == "corpus"], models),
        "decisions": cv_figures([e for e in examples if e.origin == "decision"], models),
    }


def train(corpus: Sequence[Example], decisions: Sequence[Example] = (), *, k: int = 5, seed: int = 0) -> TrainingOutcome:
    """Fit on corpus (+ decisions) and measure both ways, folds by paper.

    "Before" trains each fold on corpus papers only, "after" on corpus papers and decisions; both
    rank the same held-out papers (decision papers included), so the comparison is like for like.
    A decision on a ground-truth paper shares that paper's fold. Without decisions the two are
    the same figures.
    """
    examples = [*corpus, *decisions]
    after = _split_figures(examples, cross_validated_models(examples, k=k, seed=seed))
    if decisions:
        before = _split_figures(examples, cross_validated_models(
            examples, k=k, seed=seed, train_filter=lambda e: e.origin == "corpus"))
    else:
        before = after
    model = describe(fit_model(examples, seed=seed), examples, {"folds": k, "seed": seed, "before": before, "after": after})
    return TrainingOutcome(model, before, after)
