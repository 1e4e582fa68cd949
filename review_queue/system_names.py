"""The system name a reviewed value is offered under, and telling an offered name from a typed one.

A value is saved for a *system* (a model), never for a paper: the name decides which Epoch row the
review supersedes. The review surfaces prefill Epoch's own name when one row of this paper has the
value's count, else the candidate's model name, never the paper's title.
"""

from __future__ import annotations

from typing import Any

from paramtrack.warehouse import Connection, models_store

#: The longest system name a decision records.
MAX_NAME = 200


def model_name(cand: dict[str, Any] | None) -> str | None:
    """The candidate's model name with its spaces normalised, or None when it names none."""
    return " ".join(str((cand or {}).get("model") or "").split())[:MAX_NAME] or None


def suggested_system(con: Connection, arxiv_id: str, cand: dict[str, Any] | None, value: float | None = None) -> str:
    """The system name a value is prefilled with.

    Epoch's own name when exactly one name of Epoch's rows for this paper (or, for rows
    without an arXiv id, a name starting with the candidate's model name) has this parameter
    count: that row is the same system, and using its name makes the review supersede it
    (the candidate's "OPT" at 175B is Epoch's "OPT-175B"; "eters" at 144M is "VGG19").
    Otherwise the candidate's model name. Never the paper's title (a title is not a system:
    "Megatron-LM: Training Multi-Billion Parameter Language Models ...").
    """
    model = model_name(cand)
    size = value if value is not None else (cand or {}).get("value")
    if size:
        names = {r["system"] for r in models_store.epoch_rows_of_same_size(con, arxiv_id, model, float(size))}
        if len(names) == 1:
            return str(names.pop())
    return model or ""


def suggested_systems(con: Connection, cands: list[tuple[str, dict[str, Any]]]) -> dict[str, str]:
    """:func:`suggested_system` for each paper's candidate of a whole queue page, in one query:
    the name its Approve button saves the value under ("" when it names none)."""
    asked = [(arxiv_id, model_name(cand), cand.get("value")) for arxiv_id, cand in cands]
    epoch = models_store.epoch_names_of_same_size(con, asked)
    out = {}
    for arxiv_id, cand in cands:
        names = epoch.get(arxiv_id, set())
        out[arxiv_id] = next(iter(names)) if len(names) == 1 else (model_name(cand) or "")
    return out


def offered_names(con: Connection, arxiv_id: str, cand: dict[str, Any] | None, value: float) -> set[str]:
    """The names a reviewer was offered rather than typed: the candidate's model name and the
    suggestion for its value and for the value saved (a correction may change the count)."""
    names = {suggested_system(con, arxiv_id, cand), suggested_system(con, arxiv_id, cand, value), model_name(cand)}
    return {n for n in names if n}
