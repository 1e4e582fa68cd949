"""When is a paper notable? A citation threshold that grows with the paper's age.

A young paper cannot have many citations yet, and an old one with few never will: so the bar is
a piecewise-linear function of age in months through a few anchor points, flat after the last.
Defaults (3 months: 10, 12 months: 50, 36 months: 150) are set so that papers Epoch AI lists as
notable pass it early: see the README ("Notability rule") for the check against Epoch's data.

A paper can also qualify on growth: gaining ``growth_per_month`` citations a month across the
snapshots the warehouse has taken (at least ``growth_min_days`` apart). Papers that do not
qualify stay on the watchlist until they are ``max_watch_months`` old, then age out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import Enum
from typing import TypedDict, Unpack


class Verdict(str, Enum):
    NOTABLE = "notable"
    WATCH = "watch"
    AGED_OUT = "aged_out"


DEFAULT_ANCHORS: tuple[tuple[float, int], ...] = ((3, 10), (12, 50), (36, 150))


def months_between(earlier: date, later: date) -> float:
    return (later - earlier).days / 30.4375


class RuleOptions(TypedDict, total=False):
    """The :class:`NotabilityRule` fields besides the anchors, as ``parse()`` takes them."""

    growth_per_month: float
    growth_min_days: int
    max_watch_months: float


@dataclass(frozen=True)
class NotabilityRule:
    """Configurable citation rule; ``parse()`` reads the CLI form ``"3:10,12:50,36:150"``."""

    anchors: tuple[tuple[float, int], ...] = DEFAULT_ANCHORS
    growth_per_month: float = 10.0
    growth_min_days: int = 28
    max_watch_months: float = 24.0
    _sorted: tuple[tuple[float, int], ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.anchors:
            raise ValueError("a notability rule needs at least one AGE:CITATIONS anchor")
        ordered = tuple(sorted(self.anchors))
        for (a0, c0), (a1, c1) in zip(ordered, ordered[1:]):
            if a1 == a0:
                raise ValueError(f"two anchors at age {a0} months")
            if c1 < c0:
                raise ValueError("citation thresholds must not fall with age")
        object.__setattr__(self, "_sorted", ordered)

    @classmethod
    def parse(cls, text: str, **kwargs: Unpack[RuleOptions]) -> NotabilityRule:
        anchors: list[tuple[float, int]] = []
        for part in filter(None, (p.strip() for p in text.split(","))):
            m = re.fullmatch(r"(\d+(?:\.\d+)?)\s*:\s*(\d+)", part)
            if not m:
                raise ValueError(
                    f"bad notability anchor {part!r}: expected AGE_MONTHS:MIN_CITATIONS, e.g. '3:10,12:50'"
                )
            anchors.append((float(m.group(1)), int(m.group(2))))
        return cls(anchors=tuple(anchors), **kwargs)

    def describe(self) -> str:
        return ", ".join(f"≥{c} citations at {a:g} months" for a, c in self._sorted)

    def threshold(self, age_months: float) -> float:
        """Citations needed at this age (flat before the first and after the last anchor)."""
        pts = self._sorted
        if age_months <= pts[0][0]:
            return float(pts[0][1])
        for (a0, c0), (a1, c1) in zip(pts, pts[1:]):
            if age_months <= a1:
                return c0 + (c1 - c0) * (age_months - a0) / (a1 - a0)
        return float(pts[-1][1])

    def growth_rate(self, history: Sequence[tuple[date, int]]) -> float | None:
        """Citations gained per month between the oldest and newest snapshot, if far enough apart."""
        if len(history) < 2:
            return None
        (d0, c0), (d1, c1) = history[0], history[-1]
        if (d1 - d0).days < self.growth_min_days:
            return None
        return (c1 - c0) / months_between(d0, d1)

    def judge(
        self,
        *,
        published: date | None,
        citations: int | None,
        as_of: date,
        history: Sequence[tuple[date, int]] = (),
    ) -> Verdict:
        if citations is None:
            return self._watch_or_age_out(published, as_of)
        age = months_between(published, as_of) if published else self._sorted[-1][0]
        if citations >= self.threshold(max(age, 0.0)):
            return Verdict.NOTABLE
        rate = self.growth_rate(history)
        if rate is not None and rate >= self.growth_per_month:
            return Verdict.NOTABLE
        return self._watch_or_age_out(published, as_of)

    def _watch_or_age_out(self, published: date | None, as_of: date) -> Verdict:
        if published and months_between(published, as_of) > self.max_watch_months:
            return Verdict.AGED_OUT
        return Verdict.WATCH
