"""The learned weights that turn a paper's candidates into scores, and where they are kept.

The model is a **conditional logit with a "none of these" alternative**: each candidate gets a
utility ``z = intercept + sum(w * standardised feature)``, "the paper states no count of its own"
gets utility 0, and a candidate's score is its share of ``exp(z)`` among all of them::

    score_i = exp(z_i) / (1 + sum_j exp(z_j))

So the scores of one paper's candidates sum to at most 1, and what is left is the probability
that none of them is the paper's own main-model count. Ranking needs the whole paper at once,
which is also how a reader decides: a size is the flagship because the others are not.

Each weight's direction is fixed by ``extractors.features.SIGNS`` and was enforced when it was
fitted (``extractors.training``). The intercept includes the confidence offset that training
chose so that a top candidate scoring >= 0.5 (``CONFIDENT_SCORE``) was right at least as often as
``CONFIDENT_PRECISION`` out of fold.

A model is a small JSON file: feature list, signs, standardisation (mean, scale), weights, the
intercept, and what it was trained on (a hash of the training set, how many papers, abstracts and
reviewer decisions) with its cross-validated figures. JSON and not a pickle, so the file is
readable, diffable and safe to load; scoring is a few dot products, so extraction needs neither
scikit-learn nor SciPy. The packaged default (``extractors/ranker_model.json``) is trained by
``paramtrack ranker train``; a model adopted from reviewer decisions lives beside the user's
warehouse and is selected with ``PARAMTRACK_RANKER_MODEL`` (the CLI sets it when the file exists).
The model's tag is part of ``EXTRACTOR_VERSION``: a new model re-extracts, and
``candidate_changes`` shows what moved.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from paramtrack.core.settings import env_name, read_settings
from paramtrack.extractors.features import FEATURES, SIGNS

MODEL_ENV = env_name("ranker_model")
PACKAGED_MODEL = "ranker_model.json"
FORMAT = 2


class RankerModelError(ValueError):
    """A model file that cannot be used (unreadable, another format, features this code lacks)."""


@dataclass(frozen=True)
class RankerModel:
    """A fitted conditional logit over :data:`extractors.features.FEATURES`."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def utility(self, feats: Mapping[str, float]) -> float:
        """The candidate's utility: how strongly its features say "the paper's own count"."""
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.coef):
            if w:
                z += w * (float(feats.get(name, 0.0)) - mu) / sd
        return z

    def scores(self, papers_candidates: Sequence[Mapping[str, float]]) -> list[float]:
        """Each candidate's probability of being the paper's own main-model count (same order).

        ``papers_candidates`` are the feature dicts of *all* of one paper's candidates.
        """
        if not papers_candidates:
            return []
        z = [max(-40.0, min(40.0, self.utility(f))) for f in papers_candidates]
        top = max(0.0, *z)
        e = [math.exp(v - top) for v in z]
        denom = math.exp(-top) + sum(e)
        return [v / denom for v in e]

    @cached_property
    def tag(self) -> str:
        """Eight hex digits that change whenever a weight changes (part of the extractor version)."""
        return hashlib.sha256(json.dumps(self._params(), sort_keys=True).encode()).hexdigest()[:8]

    def _params(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "signs": [SIGNS.get(n, 0) for n in self.features],
            "mean": [round(x, 10) for x in self.mean],
            "scale": [round(x, 10) for x in self.scale],
            "coef": [round(x, 10) for x in self.coef],
            "intercept": round(self.intercept, 10),
        }

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **self._params(), "meta": self.meta}, indent=1, sort_keys=False) + "\n"

    def weights(self) -> list[tuple[str, int, float]]:
        """``(feature, enforced sign, weight per standard deviation)``, strongest first (``ranker show``)."""
        rows = [(name, SIGNS.get(name, 0), w) for name, w in zip(self.features, self.coef)]
        return sorted(rows, key=lambda t: (-abs(t[2]), t[0]))

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.replace(path)


def model_from_json(text: str, *, origin: str = "model") -> RankerModel:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RankerModelError(f"{origin}: not a ranker model file ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RankerModelError(
            f"{origin}: not a ranker model file of format {FORMAT} (retrain it with 'paramtrack ranker train')"
        )
    feats = tuple(data["features"])
    unknown = set(feats) - set(FEATURES)
    if unknown:
        raise RankerModelError(f"{origin}: features this version does not compute: {', '.join(sorted(unknown))}")
    n = len(feats)
    if not all(len(data[k]) == n for k in ("mean", "scale", "coef")):
        raise RankerModelError(f"{origin}: weights do not match the feature list")
    for name, w in zip(feats, data["coef"]):
        if SIGNS.get(name, 0) * w < 0:
            raise RankerModelError(f"{origin}: the weight of {name} ({w:+.3g}) breaks its enforced sign")
    return RankerModel(
        feats,
        tuple(data["mean"]),
        tuple(s or 1.0 for s in data["scale"]),
        tuple(data["coef"]),
        float(data["intercept"]),
        dict(data.get("meta") or {}),
    )


def packaged_model_path() -> Path:
    return Path(str(resources.files("paramtrack.extractors") / PACKAGED_MODEL))


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> RankerModel:  # noqa: ARG001 (mtime is the cache key)
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise RankerModelError(f"cannot read ranker model {p}: {exc.strerror or exc}") from exc
    return model_from_json(text, origin=str(p))


def active_model_path() -> Path:
    """``PARAMTRACK_RANKER_MODEL`` when set, else the packaged default."""
    configured = read_settings().ranker_model
    return configured if configured is not None else packaged_model_path()


def load_model(path: Path | str | None = None) -> RankerModel:
    """The model at ``path`` (default: :func:`active_model_path`), read once per file version."""
    p = Path(path) if path else active_model_path()
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as exc:
        raise RankerModelError(f"ranker model not found: {p}") from exc
    return _load(str(p), mtime)
