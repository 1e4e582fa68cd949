"""Which rules and which ranker made a candidate: stored with every extraction.

``EXTRACTOR_VERSION`` is ``RULES_VERSION`` plus the active ranker model's tag ("2.0.0+r1a2b3c4d"):
bump ``RULES_VERSION`` when extraction rules change; a new ranker model (a retrain, or one adopted
from reviewer decisions) changes the tag by itself. Either way stored candidates can be traced
to what made them, and the next run re-extracts (``candidate_changes`` shows what moved).

It is computed when read, not at import, because the active model is chosen by the environment
(``PARAMTRACK_RANKER_MODEL``), which the CLI sets after the package is imported.
"""

from __future__ import annotations

RULES_VERSION = "2.6.0"


def extractor_version() -> str:
    from paramtrack.extractors.ranker import load_model

    return f"{RULES_VERSION}+r{load_model().tag}"


def __getattr__(name: str) -> str:
    if name == "EXTRACTOR_VERSION":
        return extractor_version()
    raise AttributeError(name)
