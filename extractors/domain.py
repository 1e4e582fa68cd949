"""A paper's domain (language, vision, games, ...), learned from Epoch's titles and abstracts.

Hand-written keyword rules called a paper "language" whenever it said "tokens" often enough, and
were wrong on about one unseen paper in seven. Epoch's files hold some 1,700 papers with a title,
an abstract and a domain, which is enough to learn the words that decide it: a TF-IDF bag of words
and word pairs with a multinomial logistic regression over it (fitted with scikit-learn by
``extractors.domain_training``, cross-validated by paper).

This module only *applies* the fitted model, so extraction needs no scikit-learn: the vocabulary,
IDF weights and coefficients are read from a JSON file in the package (``domain_model.json.gz``)
and the transform is scikit-learn's ``TfidfVectorizer`` written out (lower-case, words of two or
more characters, English stop words removed, unigrams and bigrams, sublinear term frequency, L2
norm). ``tests/extract/test_extract_domain.py`` checks both give the same vector.

The text to classify is what a reader would skim: the title and the abstract (arXiv's, when the
caller has it, else the abstract printed on page 1).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from paramtrack.core.domains import DOMAINS

PACKAGED_DOMAIN_MODEL = "domain_model.json.gz"
FORMAT = 1
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


class DomainModelError(ValueError):
    """A domain model file that cannot be used."""


@dataclass(frozen=True)
class DomainModel:
    """A fitted TF-IDF + multinomial logistic regression over :data:`core.domains.DOMAINS`."""

    classes: tuple[str, ...]
    vocabulary: dict[str, int]
    idf: tuple[float, ...]
    coef: tuple[tuple[float, ...], ...]  # one row per class
    intercept: tuple[float, ...]
    stop_words: frozenset[str]
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def vector(self, text: str) -> dict[int, float]:
        """The text's TF-IDF vector (sparse: term index -> weight), as scikit-learn computes it."""
        words = [w for w in _TOKEN.findall(text.lower()) if w not in self.stop_words]
        grams = words + [f"{a} {b}" for a, b in zip(words, words[1:])]
        counts = Counter(self.vocabulary[g] for g in grams if g in self.vocabulary)
        vec = {i: (1.0 + math.log(n)) * self.idf[i] for i, n in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values()))
        return {i: v / norm for i, v in vec.items()} if norm else {}

    def probabilities(self, text: str) -> dict[str, float]:
        return self._probabilities(self.vector(text))

    def _probabilities(self, vec: dict[int, float]) -> dict[str, float]:
        z = [b + sum(row[i] * v for i, v in vec.items()) for row, b in zip(self.coef, self.intercept)]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return {c: p / total for c, p in zip(self.classes, e)}

    def classify(self, text: str) -> tuple[str, float]:
        """(domain, probability); ``other`` at probability 0 for a text with no known word."""
        vec = self.vector(text)
        if not vec:
            return "other", 0.0
        probs = self._probabilities(vec)
        best = max(probs, key=lambda c: probs[c])
        return best, probs[best]

    @cached_property
    def tag(self) -> str:
        """Eight hex digits that change whenever the model changes (part of the extractor version)."""
        return hashlib.sha256(json.dumps(self._params(), sort_keys=True).encode()).hexdigest()[:8]

    def _params(self) -> dict[str, Any]:
        terms = sorted(self.vocabulary, key=self.vocabulary.__getitem__)
        return {
            "classes": list(self.classes),
            "terms": terms,
            "idf": [round(x, 6) for x in self.idf],
            "coef": [[round(x, 5) for x in row] for row in self.coef],
            "intercept": [round(x, 6) for x in self.intercept],
            "stop_words": sorted(self.stop_words),
        }

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        data = json.dumps({"format": FORMAT, **self._params(), "meta": self.meta}, separators=(",", ":"))
        tmp = path.with_suffix(path.suffix + ".tmp")
        # mtime=0: the same model always gives the same bytes, so the packaged file diffs cleanly
        tmp.write_bytes(gzip.compress(data.encode("utf-8"), mtime=0))
        tmp.replace(path)


def domain_model_from_json(text: str, *, origin: str = "domain model") -> DomainModel:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DomainModelError(f"{origin}: not a domain model file ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise DomainModelError(f"{origin}: not a domain model file of format {FORMAT}")
    classes = tuple(data["classes"])
    if set(classes) - set(DOMAINS):
        raise DomainModelError(f"{origin}: classes this version does not know: {sorted(set(classes) - set(DOMAINS))}")
    terms = data["terms"]
    if len(data["idf"]) != len(terms) or any(len(row) != len(terms) for row in data["coef"]):
        raise DomainModelError(f"{origin}: weights do not match the vocabulary")
    return DomainModel(
        classes,
        {t: i for i, t in enumerate(terms)},
        tuple(data["idf"]),
        tuple(tuple(row) for row in data["coef"]),
        tuple(data["intercept"]),
        frozenset(data["stop_words"]),
        dict(data.get("meta") or {}),
    )


def packaged_domain_model_path() -> Path:
    return Path(str(resources.files("paramtrack.extractors") / PACKAGED_DOMAIN_MODEL))


@lru_cache(maxsize=2)
def load_domain_model(path: str | None = None) -> DomainModel:
    """The domain model at ``path`` (default: the packaged one), read once per process."""
    p = Path(path) if path else packaged_domain_model_path()
    try:
        text = gzip.decompress(p.read_bytes()).decode("utf-8")
    except (OSError, EOFError) as exc:
        raise DomainModelError(f"cannot read domain model {p}: {exc}") from exc
    return domain_model_from_json(text, origin=str(p))


def classify_domain(text: str) -> tuple[str, float]:
    """(domain, probability) of a title and abstract, by the packaged model."""
    return load_domain_model().classify(text)
