"""The domains a model belongs to, one list for every layer.

Extraction proposes one, reviewers may correct it, Epoch's files are mapped onto it and the
trend tables are cut by it: a domain added in one place and not another would silently drop
models from a fit, so the list lives here once, with the mapping of Epoch's Domain labels onto it.
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

#: Epoch's Domain labels (lower case) onto ours; a label not listed here (Biology, Mathematics,
#: Search, ...) is "other".
EPOCH_DOMAIN_MAP: dict[str, str] = {
    "language": "language",
    "reading": "language",
    "text": "language",
    "vision": "vision",
    "image generation": "vision",
    "drawing": "vision",
    "video": "vision",
    "3d reconstruction": "vision",
    "3d modeling": "vision",
    "image": "vision",
    "games": "games",
    "speech": "speech",
    "audio": "speech",
    "multimodal": "multimodal",
    "recommendation": "recommendation",
    "robotics": "robotics",
    "driving": "robotics",
    "other": "other",
}
_NA = {"", "n/a", "na", "nan", "none", "null", "-", "?", "unknown", "#n/a", "#value!"}


def _epoch_labels(raw: object) -> list[str]:
    text = "" if raw is None else str(raw).strip()
    if text.lower() in _NA:
        return []
    return [part.strip().lower() for part in text.split(",") if part.strip()]


def primary_domain(raw: object) -> str | None:
    """Epoch's Domain cell as one of ours, or None when it is empty.

    Each comma-separated label maps through ``EPOCH_DOMAIN_MAP``; "other" gives way to a more
    specific label; one distinct domain left is the answer, and an explicit "Multimodal" or two
    distinct domains ("Language,Vision") make "multimodal" (Epoch's label order is arbitrary, so
    "the first label wins" would flip a system's domain between vintages).
    """
    mapped = [EPOCH_DOMAIN_MAP.get(label, "other") for label in _epoch_labels(raw)]
    if "multimodal" in mapped:
        return "multimodal"
    distinct = sorted(set(mapped))
    if len(distinct) > 1 and "other" in distinct:
        distinct.remove("other")
    if not distinct:
        return None
    return distinct[0] if len(distinct) == 1 else "multimodal"


def accepted_domains(raw: object) -> set[str]:
    """Every domain a proposal may fairly give for Epoch's Domain cell: each of its labels mapped,
    and "multimodal" as well when it has several ("Language,Vision" accepts language, vision and
    multimodal). How extraction's domain is scored against Epoch."""
    labels = _epoch_labels(raw)
    accepted = {EPOCH_DOMAIN_MAP.get(label, "other") for label in labels}
    if len(labels) > 1:
        accepted.add("multimodal")
    return accepted
