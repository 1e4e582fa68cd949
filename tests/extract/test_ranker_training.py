"""How the ranker learns: signs enforced, one softmax per paper with "none of them", a confidence
offset set out of fold, and a model file that says what it is.

The examples are built here, feature by feature, so each test shows one property of the learner
on data where the answer is known; accuracy on real papers is ``make eval``'s business.
"""

from __future__ import annotations

import json
import random

import pytest
from typer.testing import CliRunner

from paramtrack.cli import app
from paramtrack.extractors.features import FEATURES, SIGNS
from paramtrack.extractors.ranker import RankerModel, RankerModelError, model_from_json
from paramtrack.extractors.training import Example, choose_offset, fit_model, fit_weights, rerank, shifted
from paramtrack.extractors.types import CONFIDENT_SCORE, Candidate

B = 1_000_000_000


def cand(value: int, **features: float) -> Candidate:
    return Candidate("parameters", value, "dense_total", None, "evidence", 1, 0.0, features=dict(features))


def paper(key: str, cands: list[Candidate], right: int | None, origin: str = "corpus") -> Example:
    return Example(key, cands, [c.value == right for c in cands], origin, [right] if right else [])


def papers(n: int, seed: int = 0) -> list[Example]:
    """Papers whose own count is stated in the abstract; another system's count is cited next to it.

    In this data a citation marker goes with the *right* count half of the time more than chance
    (the "paper" cites its own earlier model), so an unconstrained fit would give ``cite_share`` a
    positive weight; its sign says a citation marks someone else's count.
    """
    rng = random.Random(seed)
    out = []
    for i in range(n):
        own = cand(B + i, in_abstract=1.0, cite_share=float(rng.random() < 0.6))
        other = cand(5 * B + i, in_abstract=float(rng.random() < 0.2), cite_share=float(rng.random() < 0.3))
        out.append(paper(f"p{i}", [own, other], own.value))
    return out


def test_every_weight_keeps_the_sign_its_feature_was_given() -> None:
    model = fit_weights(papers(80), l2=0.1)
    weights = dict(zip(model.features, model.coef))
    assert weights["in_abstract"] > 0
    assert weights["cite_share"] == 0.0  # the data pulls it up; its sign holds it at zero
    assert all(SIGNS[n] * w >= 0 for n, w in weights.items())


def test_a_model_file_with_a_weight_against_its_sign_is_refused() -> None:
    model = fit_weights(papers(20), l2=1.0)
    data = json.loads(model.to_json())
    data["coef"][data["features"].index("cite_share")] = 0.7
    with pytest.raises(RankerModelError, match="cite_share"):
        model_from_json(json.dumps(data))


def test_a_papers_scores_are_one_softmax_with_none_of_them() -> None:
    model = fit_weights(papers(40), l2=1.0)
    ranked = rerank([cand(B, in_abstract=1.0), cand(2 * B), cand(3 * B)], model)
    assert ranked[0].value == B and ranked[1].score == ranked[2].score
    probs = model.scores([c.features for c in ranked])
    assert 0.0 < 1.0 - sum(probs) < 1.0  # what is left is "none of them"


def test_a_paper_that_states_no_count_teaches_none_of_them() -> None:
    """Papers whose candidates are all wrong (method papers citing base models) lower every score."""
    stating = papers(30)
    silent = [paper(f"n{i}", [cand(7 * B + i), cand(8 * B + i)], None) for i in range(60)]
    with_none, without = fit_weights(stating + silent, l2=1.0), fit_weights(stating, l2=1.0)
    probe = [cand(B), cand(2 * B)]
    assert max(c.score for c in rerank(probe, with_none)) < max(c.score for c in rerank(probe, without))


def sure_of_abstracts() -> RankerModel:
    """A model whose only weight says "stated in the abstract": utility 3 for such a candidate."""
    coef = tuple(3.0 if n == "in_abstract" else 0.0 for n in FEATURES)
    return RankerModel(FEATURES, (0.0,) * len(FEATURES), (1.0,) * len(FEATURES), coef, 0.0)


def test_the_confidence_offset_is_the_smallest_that_makes_confident_tops_precise_enough() -> None:
    """Ten papers the model is sure of and right, one it is sure of and wrong (it has a second
    candidate, the right one): confident tops are 10/11 right, below 95 %. Lowering every utility
    until the wrong top drops below 0.5 is the answer, and no larger offset is taken."""
    model = sure_of_abstracts()
    right = [paper(f"r{i}", [cand(B + i, in_abstract=1.0)], B + i) for i in range(10)]
    wrong = paper("w", [cand(2 * B, in_abstract=1.0), cand(3 * B)], 3 * B)
    assert rerank(wrong.candidates, model)[0].score >= CONFIDENT_SCORE
    offset = choose_offset([(model, ex) for ex in [*right, wrong]])
    assert rerank(wrong.candidates, shifted(model, offset))[0].score < CONFIDENT_SCORE
    assert rerank(wrong.candidates, shifted(model, offset - 0.1))[0].score >= CONFIDENT_SCORE
    assert all(rerank(ex.candidates, shifted(model, offset))[0].score >= CONFIDENT_SCORE for ex in right)


def test_fit_model_chooses_its_strength_and_offset_out_of_fold_and_records_them() -> None:
    model = fit_model(papers(40))
    assert model.meta["l2"] > 0 and model.meta["confidence_offset"] >= 0
    assert set(model.features) == set(FEATURES)


def test_ranker_show_lists_every_feature_with_its_sign_and_weight() -> None:
    res = CliRunner().invoke(app, ["ranker", "show"])
    assert res.exit_code == 0, res.output
    listed = {line.split()[0]: line.split()[1] for line in res.output.splitlines() if line.startswith("  ")}
    assert set(listed) == set(FEATURES)
    assert all(listed[n] == {1: "+", -1: "-", 0: "free"}[SIGNS[n]] for n in FEATURES)
    assert "confidence offset" in res.output
