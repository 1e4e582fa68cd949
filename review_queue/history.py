"""A decision in words, for the paper page's History and the terminal: what it wrote, not the
JSON the audit log keeps ("BERT-Large: 335M (dense_total), evidence page 3 (candidate);
supersedes Epoch's BERT-Large, pcd_notable_ml_systems_2022-09.csv row 351")."""

from __future__ import annotations

import json
from typing import Any

from paramtrack.core.units import format_count

REASON_LABELS = {
    "not_notable": "not notable",
    "no_count_stated": "no count stated",
    "duplicate": "duplicate of another entry",
    "not_ml": "not ML",
}


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _value(v: dict[str, Any]) -> str:
    """One system's value as the dataset holds it."""
    parts = [f"{v.get('system') or '(unnamed)'}: {format_count(v.get('parameters'), missing='—')}"]
    if v.get("parameters_kind"):
        parts[0] += f" ({v['parameters_kind']})"
    page = v.get("evidence_page")
    source = v.get("evidence_source")
    if v.get("evidence") is not None:
        where = "the abstract" if page == 0 else (f"page {page}" if page else "no page")
        parts.append(f"evidence {where}" + (f" ({source})" if source else ""))
    return ", ".join(parts)


def _supersedes(v: dict[str, Any]) -> str:
    rows = v.get("supersedes") or []
    if not rows:
        return ""
    listed = "; ".join(f"{r.get('system')}, {r.get('source_file')} row {r.get('source_row')}" for r in rows)
    return f"; supersedes Epoch's {listed} (keeps its other columns)"


def describe(decision: dict[str, Any]) -> str:
    """What ``decision`` (a ``decisions`` row) did, in one line a reviewer reads at a glance."""
    action = decision.get("action")
    new = _json(decision.get("new_value"))
    old = _json(decision.get("old_value"))
    if action in ("approve", "correct") and isinstance(new, dict):
        text = _value(new) + _supersedes(new)
        if action == "correct" and isinstance(old, dict) and old.get("parameters") is not None:
            if old.get("parameters") != new.get("parameters"):
                text += f"; was {format_count(old.get('parameters'), missing='—')}"
        return text
    if action == "reject":
        label = REASON_LABELS.get(decision.get("reason") or "", decision.get("reason") or "")
        removed = old.get("systems") if isinstance(old, dict) else None
        if removed:
            label += "; removed " + ", ".join(str(m.get("system")) for m in removed) + " from the dataset"
        return label
    if action == "undo" and isinstance(old, dict):
        status = new.get("status") if isinstance(new, dict) else None
        text = f"undid #{old.get('decision')} ({old.get('action')})"
        return text + (f"; the paper is {str(status).replace('_', ' ')} again" if status else "")
    if action == "second_look":
        return "flagged for a second look"
    return ""
