"""A paper's domain, learned from Epoch's titles and abstracts and applied without scikit-learn.

The packaged model is scikit-learn's TF-IDF and logistic regression written out as JSON; these
tests check that applying it here gives scikit-learn's own numbers, that it reads invented
abstracts the way a reader would, and how Epoch's Domain cells are scored.
"""

from __future__ import annotations

import pytest

from paramtrack.core.domains import DOMAINS, accepted_domains, primary_domain
from paramtrack.extractors.domain import classify_domain, domain_model_from_json, load_domain_model
from paramtrack.extractors.domain_training import DomainExample, fit_domain_model

ABSTRACTS = {
    "vision": "We train a deep convolutional network for image classification and object detection on ImageNet and COCO.",
    "speech": "We present an end-to-end automatic speech recognition model trained on 60,000 hours of audio.",
    "games": "Our agent learns to play Atari games and chess from pixels by self-play, beating human players.",
    "robotics": "A robot learns dexterous manipulation policies for grasping objects with a robotic arm.",
    "language": "We pretrain a large language model on web text and evaluate it on question answering benchmarks.",
    "other": "We predict protein structures and molecular properties with a graph network trained on chemistry data.",
}


@pytest.mark.parametrize(("domain", "text"), sorted(ABSTRACTS.items()))
def test_the_packaged_model_reads_an_invented_abstract_like_a_reader(domain: str, text: str) -> None:
    got, probability = classify_domain(text)
    assert got == domain and 0 < probability <= 1


def test_a_text_without_a_known_word_is_other_with_no_confidence() -> None:
    assert classify_domain("") == ("other", 0.0)
    assert classify_domain("zzqx wvvb") == ("other", 0.0)


def test_applying_the_model_gives_scikit_learns_numbers() -> None:
    """The transform is written out (no scikit-learn at extraction time); it must be the same one."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [*ABSTRACTS.values()] * 5  # every word seen in at least five "papers"
    examples = [DomainExample(str(i), t, label, {label}) for i, (t, label) in enumerate(zip(texts, [*ABSTRACTS] * 5))]
    model = fit_domain_model(examples)
    vec = TfidfVectorizer(ngram_range=(1, 2), min_df=5, max_features=10_000, sublinear_tf=True, stop_words="english")
    vec.fit(texts)
    probe = "A language model and a convolutional network for speech and images."
    expected = vec.transform([probe]).toarray()[0]
    got = np.zeros_like(expected)
    for i, v in model.vector(probe).items():
        got[i] = v
    assert np.allclose(got, expected)


def test_the_packaged_model_file_round_trips_and_records_its_cross_validation() -> None:
    import gzip
    import json

    model = load_domain_model()
    assert set(model.classes) <= set(DOMAINS)
    cv = model.meta["cv"]
    assert cv["folds"] >= 2 and 0.5 < cv["accuracy"] <= cv["in_sample"] <= 1
    data = json.dumps({"format": 1, **model._params(), "meta": model.meta})
    assert domain_model_from_json(gzip.decompress(gzip.compress(data.encode())).decode()).tag == model.tag


def test_epochs_domain_cells_map_to_one_primary_domain_and_accept_each_of_theirs() -> None:
    assert primary_domain("Language,Vision") == "multimodal" and primary_domain("Biology") == "other"
    assert accepted_domains("Multimodal,Language,Vision") == {"multimodal", "language", "vision"}
    assert accepted_domains("Language,Vision") == {"language", "vision", "multimodal"}
    assert accepted_domains("Games") == {"games"} and accepted_domains("") == set()
