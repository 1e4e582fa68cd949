"""The extractor's hand-written rules in families, each of which can be switched off to measure it.

Every family must earn its place on papers nobody here has read: ``benchmarks/ablation.py``
switches each off in turn (``PARAMTRACK_RULES_OFF=family[,family...]``), retrains the ranker
without it and measures the shared papers (cross-validated) and the blind set. A family that does
not pay is removed from the code, not left switched off; docs/extraction.md holds the table.

Only measurement switches families off: the product always runs with all of them.
"""

from __future__ import annotations

from paramtrack.core.settings import env_name, read_settings

#: The variable that switches families off (declared and checked in ``core.settings``).
RULES_OFF_ENV = env_name("rules_off")

#: What each family does; its names are ``core.settings.RULE_FAMILIES``, the names the variable
#: may list (a test keeps the two equal).

FAMILIES: dict[str, str] = {
    "datasets": "a size glued to a dataset's name is no model's (\"JFT-300M\")",
    "moe_papers": "on a mixture-of-experts paper, the paper's own totals are MoE totals",
    "comparisons": 'comparison cues ("than", "compared to"), and own-work cues stop at a comparison',
    "hedges": 'bounds and hopes ("over 100B", "could scale to") are not sizes',
    "own_names": "the paper's own names beyond its title: introduced ones, title initials, the most used",
    "layout_tables": "tables read by column from word positions",
}


def enabled(family: str) -> bool:
    """Whether ``family`` runs (always, unless a measurement switched it off)."""
    return family not in read_settings().rules_off
