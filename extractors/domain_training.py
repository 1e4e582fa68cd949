"""Fit the domain model (``extractors.domain``) on Epoch's titles and abstracts, cross-validated by paper.

Each paper of Epoch's files that has an abstract and a domain is one example: its title and
abstract are the text, its domain (``core.domains.primary_domain``, "multimodal" when its rows
disagree) the label. A paper listed in several files is one example, keyed like the ranker's
abstracts (``abstract_eval.paper_key``), so it never sits on both sides of a fold.

The model is scikit-learn's ``TfidfVectorizer`` (unigrams and bigrams seen in at least
``MIN_DF`` papers, English stop words, sublinear term frequency) and a multinomial
``LogisticRegression`` with balanced class weights, so that the rarer domains (games, robotics,
recommendation: a few dozen papers each) are not simply outvoted by language. A prediction counts
as right when it is one of the domains Epoch's cell accepts (``core.domains.accepted_domains``).
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from paramtrack.core.domains import accepted_domains, primary_domain
from paramtrack.extractors.abstract_eval import paper_key
from paramtrack.extractors.domain import DomainModel
from paramtrack.extractors.training import fold_of

MIN_DF = 5
MAX_FEATURES = 10_000
C = 3.0


@dataclass
class DomainExample:
    key: str
    text: str
    label: str
    accepted: set[str] = field(default_factory=set)


def domain_examples(epoch_dir: Path) -> list[DomainExample]:
    """One example per paper with an abstract and a domain, over every Epoch file."""
    merged: dict[str, tuple[str, set[str], set[str]]] = {}
    for path in sorted(epoch_dir.glob("*.csv")):
        with path.open(newline="", encoding="utf-8-sig") as fh:
            for row in csv.DictReader(fh):
                abstract, domain = (row.get("Abstract") or "").strip(), primary_domain(row.get("Domain"))
                if not abstract or not domain:
                    continue
                title = (row.get("Reference") or "").strip()
                key = paper_key(row.get("Link"), title)
                text, labels, accepted = merged.setdefault(key, (f"{title}. {abstract}", set(), set()))
                labels.add(domain)
                accepted |= accepted_domains(row.get("Domain"))
    return [
        DomainExample(key, text, labels.pop() if len(labels) == 1 else "multimodal", accepted)
        for key, (text, labels, accepted) in sorted(merged.items())
    ]


def fit_domain_model(examples: Sequence[DomainExample]) -> DomainModel:
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vec = TfidfVectorizer(
        ngram_range=(1, 2), min_df=MIN_DF, max_features=MAX_FEATURES, sublinear_tf=True, stop_words="english"
    )
    x = vec.fit_transform([e.text for e in examples])
    clf = LogisticRegression(C=C, max_iter=5000, class_weight="balanced").fit(x, [e.label for e in examples])
    return DomainModel(
        tuple(str(c) for c in clf.classes_),
        {str(t): int(i) for t, i in vec.vocabulary_.items()},
        tuple(float(v) for v in vec.idf_),
        tuple(tuple(float(v) for v in row) for row in clf.coef_),
        tuple(float(v) for v in clf.intercept_),
        frozenset(ENGLISH_STOP_WORDS),
        {"C": C, "min_df": MIN_DF, "max_features": MAX_FEATURES},
    )


def cross_validate(examples: Sequence[DomainExample], *, k: int = 5, seed: int = 0) -> dict[str, Any]:
    """Accuracy (a prediction Epoch's cell accepts) with folds by paper, overall and per label,
    beside the in-sample accuracy of a model fitted on everything: their gap is how much the
    model remembers of the papers it saw."""
    folds = fold_of([e.key for e in examples], k, seed)
    right: dict[str, list[bool]] = {}
    for i in range(k):
        model = fit_domain_model([e for e in examples if folds[e.key] != i])
        for e in examples:
            if folds[e.key] == i:
                right.setdefault(e.label, []).append(model.classify(e.text)[0] in e.accepted)
    everything = fit_domain_model(examples)
    in_sample = statistics.fmean(everything.classify(e.text)[0] in e.accepted for e in examples)
    flat = [r for rs in right.values() for r in rs]
    return {
        "papers": len(examples),
        "folds": k,
        "seed": seed,
        "accuracy": round(statistics.fmean(flat), 4),
        "in_sample": round(in_sample, 4),
        "per_label": {label: f"{sum(rs)}/{len(rs)}" for label, rs in sorted(right.items())},
    }


def train_domain(epoch_dir: Path, *, k: int = 5, seed: int = 0) -> tuple[DomainModel, dict[str, Any]]:
    """The model fitted on every paper, with its cross-validated figures in ``meta``."""
    from dataclasses import replace

    examples = domain_examples(epoch_dir)
    cv = cross_validate(examples, k=k, seed=seed)
    model = fit_domain_model(examples)
    meta = {**model.meta, "trained_at": datetime.now(UTC).isoformat(timespec="seconds"), "cv": cv}
    return replace(model, meta=meta), cv
