"""The domains a model belongs to, one list for every layer.

Extraction proposes one, reviewers may correct it, Epoch's files are mapped onto it and the
trend tables are cut by it: a domain added in one place and not another would silently drop
models from a fit, so the list lives here once.
"""

from __future__ import annotations

DOMAINS: tuple[str, ...] = (
    "language",
    "vision",
    "games",
    "speech",
    "multimodal",
    "recommendation",
    "robotics",
    "other",
)
