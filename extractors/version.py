"""Which rules and which ranker made a candidate: stored with every extraction.

``EXTRACTOR_VERSION`` is ``RULES_VERSION`` plus the tags of the active ranker model and the domain
model ("3.0.0+r1a2b3c4d.d5e6f7a8"): bump ``RULES_VERSION`` when extraction rules change; a new
model (a retrain, or a ranker adopted from reviewer decisions) changes its tag by itself. Either way stored candidates can be traced
to what made them, and the next run re-extracts (``candidate_changes`` shows what moved).

It is computed when read, not at import, because the active model is chosen by the environment
(``PARAMTRACK_RANKER_MODEL``), which the CLI sets after the package is imported.
"""

from __future__ import annotations

RULES_VERSION = "3.0.0"


def extractor_version() -> str:
    from paramtrack.extractors.domain import load_domain_model
    from paramtrack.extractors.ranker import load_model

    return f"{RULES_VERSION}+r{load_model().tag}.d{load_domain_model().tag}"


def __getattr__(name: str) -> str:
    if name == "EXTRACTOR_VERSION":
        return extractor_version()
    raise AttributeError(name)
