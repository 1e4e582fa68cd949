"""The learned weights that turn a candidate's features into a score, and where they are kept.

A model is a small JSON file: the feature list, the standardisation (mean, scale), one weight per
feature and an intercept (a logistic regression), plus what it was trained on (a hash of the
training set, how many papers and reviewer decisions) and its cross-validated figures. JSON and
not a pickle, so the file is readable, diffable and safe to load; scoring is a dot product, so
extraction needs no scikit-learn (``extractors.training`` fits the weights).

The packaged default (``extractors/ranker_model.json``) is trained on the shared ground truth by
``paramtrack ranker train``. A model adopted from reviewer decisions lives beside the user's
warehouse and is selected with ``PARAMTRACK_RANKER_MODEL`` (the CLI sets it when the file exists).
The model's tag is part of ``EXTRACTOR_VERSION``: a new model re-extracts, and
``candidate_changes`` shows what moved.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from paramtrack.extractors.features import FEATURES

MODEL_ENV = "PARAMTRACK_RANKER_MODEL"
PACKAGED_MODEL = "ranker_model.json"
FORMAT = 1


class RankerModelError(ValueError):
    """A model file that cannot be used (unreadable, another format, features this code lacks)."""


@dataclass(frozen=True)
class RankerModel:
    """A fitted logistic model over :data:`extractors.features.FEATURES`."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float
    meta: dict[str, Any] = field(default_factory=dict, compare=False)

    def score(self, feats: dict[str, float]) -> float:
        """P(this candidate is the paper's own main-model count), from its features."""
        z = self.intercept
        for name, mu, sd, w in zip(self.features, self.mean, self.scale, self.coef):
            z += w * (float(feats.get(name, 0.0)) - mu) / sd
        return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, z))))

    @property
    def tag(self) -> str:
        """Eight hex digits that change whenever a weight changes (part of the extractor version)."""
        return hashlib.sha256(json.dumps(self._params(), sort_keys=True).encode()).hexdigest()[:8]

    def _params(self) -> dict[str, Any]:
        return {
            "features": list(self.features),
            "mean": [round(x, 10) for x in self.mean],
            "scale": [round(x, 10) for x in self.scale],
            "coef": [round(x, 10) for x in self.coef],
            "intercept": round(self.intercept, 10),
        }

    def to_json(self) -> str:
        return json.dumps({"format": FORMAT, **self._params(), "meta": self.meta}, indent=1, sort_keys=False) + "\n"

    def weights(self) -> list[tuple[str, float]]:
        """Features by the weight of one standard deviation, strongest first (``ranker show``).

        A feature trained unshrunk is stored on a finer scale (``sd_in_scale_units`` in ``meta``
        says how much finer); its weight is converted back, or the prior would look negligible.
        """
        units = self.meta.get("sd_in_scale_units") or {}
        per_sd = [(name, w * float(units.get(name, 1.0))) for name, w in zip(self.features, self.coef)]
        return sorted(per_sd, key=lambda t: -abs(t[1]))

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
        raise RankerModelError(f"{origin}: not a ranker model file of format {FORMAT}")
    feats = tuple(data["features"])
    unknown = set(feats) - set(FEATURES)
    if unknown:
        raise RankerModelError(f"{origin}: features this version does not compute: {', '.join(sorted(unknown))}")
    n = len(feats)
    if not all(len(data[k]) == n for k in ("mean", "scale", "coef")):
        raise RankerModelError(f"{origin}: weights do not match the feature list")
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
    env = os.environ.get(MODEL_ENV)
    return Path(env) if env else packaged_model_path()


def load_model(path: Path | str | None = None) -> RankerModel:
    """The model at ``path`` (default: :func:`active_model_path`), read once per file version."""
    p = Path(path) if path else active_model_path()
    try:
        mtime = p.stat().st_mtime_ns
    except OSError as exc:
        raise RankerModelError(f"ranker model not found: {p}") from exc
    return _load(str(p), mtime)
