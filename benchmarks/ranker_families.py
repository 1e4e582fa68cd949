"""Which kind of ranker, measured: ``python benchmarks/ranker_families.py [--seeds 0 1 2]``.

The product ships the sign-constrained conditional logit of ``extractors.training``. The other
family that can enforce the features' directions is gradient-boosted trees with monotone
constraints (scikit-learn's ``HistGradientBoostingClassifier(monotonic_cst=...)``), which can also
learn interactions ("stated in the abstract *and* with an own-work cue"). Both are trained on the
same examples (the shared PDFs and Epoch's abstracts) and scored on the same outer folds by
paper, so every paper is ranked by a model that never saw it. Prints top-1 on the shared PDFs
and on the abstracts per seed and family, then the means; ``--check`` exits 1 when the shipped
family is not at least as good on both.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable, Sequence

from paramtrack.core.settings import find_corpus
from paramtrack.extractors.abstract_eval import abstract_examples
from paramtrack.extractors.evaluation import examples_from, extract_ground_truth, load_ground_truth
from paramtrack.extractors.features import FEATURES, SIGNS
from paramtrack.extractors.ranking import paper_scores
from paramtrack.extractors.training import Example, fit_model, fold_of

#: Scores for one paper's candidates, in their order.
Scorer = Callable[[Example], list[float]]
#: Shallow trees: a few hundred papers carry no deeper interactions.
TREES = {"max_depth": 2, "max_iter": 150, "learning_rate": 0.05, "l2_regularization": 1.0}


def conditional_logit(train: Sequence[Example]) -> Scorer:
    """The shipped ranker, fitted as ``paramtrack ranker train`` fits it."""
    model = fit_model(train)
    return lambda ex: paper_scores(ex.candidates, model)


def monotone_trees(train: Sequence[Example]) -> Scorer:
    """Gradient-boosted trees on the same features, each constrained to its sign."""
    import numpy as np
    from sklearn.ensemble import HistGradientBoostingClassifier

    def matrix(examples: Sequence[Example]):
        rows = [[float(c.features.get(n, 0.0)) for n in FEATURES] for ex in examples for c in ex.candidates]
        return np.array(rows, dtype=float).reshape(-1, len(FEATURES))

    y = [int(v) for ex in train for v in ex.labels]
    clf = HistGradientBoostingClassifier(monotonic_cst=[SIGNS[n] for n in FEATURES], random_state=0, **TREES)
    clf.fit(matrix(train), y)
    return lambda ex: [float(p) for p in clf.predict_proba(matrix([ex]))[:, 1]] if ex.candidates else []


FAMILIES: dict[str, Callable[[Sequence[Example]], Scorer]] = {
    "conditional logit (shipped)": conditional_logit,
    "monotone gradient-boosted trees": monotone_trees,
}


def top1(examples: Sequence[Example], fit: Callable[[Sequence[Example]], Scorer], *, k: int, seed: int) -> dict:
    """Outer cross-validation by paper: top-1 per origin, each paper scored by ``fit`` on the other folds."""
    folds = fold_of([e.key for e in examples], k, seed)
    right: dict[str, list[bool]] = {"corpus": [], "abstract": []}
    for i in range(k):
        scorer = fit([e for e in examples if folds[e.key] != i])
        for ex in (e for e in examples if folds[e.key] == i and e.states_a_count):
            scores = scorer(ex)
            best = max(range(len(scores)), key=lambda j: (scores[j], ex.candidates[j].value), default=None)
            right[ex.origin].append(best is not None and ex.labels[best])
    return {origin: (sum(r), len(r)) for origin, r in right.items()}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", default=None, help="shared data folder (default: ../shared/data)")
    ap.add_argument("--cv", type=int, default=5, help="outer folds (by paper)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds that deal papers into folds")
    ap.add_argument("--check", action="store_true", help="exit 1 unless the shipped family is at least as good")
    args = ap.parse_args(argv)
    corpus = find_corpus(args.corpus)

    t0 = time.perf_counter()
    examples = examples_from(extract_ground_truth(corpus, load_ground_truth(corpus)))
    examples += abstract_examples(corpus / "epoch")
    print(f"{len(examples)} papers extracted in {time.perf_counter() - t0:.1f} s; {args.cv} outer folds by paper\n")
    print(f"{'family':<34} {'seed':>4} {'shared PDFs top-1':>18} {'abstracts top-1':>16}")
    means: dict[str, tuple[float, float]] = {}
    for name, fit in FAMILIES.items():
        shared, abstracts = [], []
        for seed in args.seeds:
            f = top1(examples, fit, k=args.cv, seed=seed)
            (s, sn), (a, an) = f["corpus"], f["abstract"]
            print(f"{name:<34} {seed:>4} {s / sn:>10.1%} ({s}/{sn}) {a / an:>8.1%} ({a}/{an})")
            shared.append(s / sn)
            abstracts.append(a / an)
        means[name] = (statistics.fmean(shared), statistics.fmean(abstracts))
    print()
    for name, (s, a) in means.items():
        print(f"mean top-1 over seeds {args.seeds}: shared {s:.1%}, abstracts {a:.1%}  {name}")
    shipped = means[next(iter(FAMILIES))]
    ok = all(shipped[i] >= max(m[i] for m in means.values()) - 1e-9 for i in (0, 1))
    print(
        f"({time.perf_counter() - t0:.1f} s)\nresult: "
        + ("the shipped family is as good or better" if ok else "MISSED")
    )
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    raise SystemExit(main())
