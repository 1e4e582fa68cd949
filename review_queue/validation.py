"""What a decision's fields may hold: one set of checks for the web form, the terminal and the CSV.

Each check returns the value as a decision records it, or raises :class:`InvalidDecision` with
the one line a reviewer reads ("parameters 'abc' is not a number"). Every entry point ends here,
so a count of 0.5 parameters or a kind nobody knows never reaches the curated dataset.
"""

from __future__ import annotations

import math
import re
from datetime import date

from paramtrack.core.domains import DOMAINS
from paramtrack.core.errors import ParamtrackError
from paramtrack.core.vocabulary import ACTIONS, KINDS
from paramtrack.review_queue.reviewer_text import clean_line

#: Reject reasons: key -> label shown to reviewers (either is accepted on input).
REASONS = {
    "not_notable": "not notable",
    "no_count_stated": "no count stated",
    "duplicate": "duplicate of another entry",
    "not_ml": "not ML",
}
MAX_REVIEWER = 64
MAX_TEXT = 2000
MAX_REQUEST_ID = 100
#: The largest parameter count accepted (10^16: three orders of magnitude past any model yet).
MAX_PARAMETERS = 1e16


class InvalidDecision(ParamtrackError):
    """A decision's input does not validate (bad number, unknown kind, missing reviewer...)."""


_SCALES = {
    "k": 1e3,
    "thousand": 1e3,
    "m": 1e6,
    "mn": 1e6,
    "million": 1e6,
    "millions": 1e6,
    "b": 1e9,
    "bn": 1e9,
    "billion": 1e9,
    "billions": 1e9,
    "t": 1e12,
    "trillion": 1e12,
    "trillions": 1e12,
}
_PARAM_RE = re.compile(r"^(?P<num>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*(?P<scale>[A-Za-z]+)?$")


def parse_parameters(text: str) -> float:
    """ "175B", "1.3 billion", "175,000,000,000", "1.75e11" -> float; InvalidDecision otherwise."""
    raw = (text or "").strip()
    m = _PARAM_RE.match(raw.replace(",", "").replace("_", ""))
    if not m:
        raise InvalidDecision(f"parameters {raw!r} is not a number")
    value = float(m.group("num"))
    scale = m.group("scale")
    if scale:
        factor = _SCALES.get(scale.lower())
        if factor is None:
            raise InvalidDecision(f"parameters {raw!r} is not a number")
        value *= factor
    return check_parameters(value, raw)


def check_parameters(value: float, shown: str | None = None) -> float:
    """A parameter count a decision may record: a finite number from 1 to :data:`MAX_PARAMETERS`.

    Every entry point (web form, terminal, CSV, a script calling the service) ends here, so a
    count of 1e-9 or 0.5 parameters, or NaN, never reaches the curated dataset and its fits.
    """
    text = shown if shown is not None else f"{value:g}"
    if not math.isfinite(value):
        raise InvalidDecision(f"parameters {text!r} is not a number")
    if value < 1:
        raise InvalidDecision(f"parameters {text!r} is below 1: a model has at least one parameter")
    if value > MAX_PARAMETERS:
        raise InvalidDecision(f"parameters {text!r} is out of range (at most {MAX_PARAMETERS:.0e})")
    return value


def parse_date(text: str) -> date:
    """An ISO date (``YYYY-MM-DD``), the one spelling every review surface takes."""
    raw = (text or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidDecision(f"date {raw!r} is not a date (YYYY-MM-DD)") from None


def parse_reason(text: str) -> str:
    """A reject reason's key, from its key or its label in any case ("not ML" -> ``not_ml``)."""
    raw = (text or "").strip()
    key = raw.lower().replace("-", "_").replace(" ", "_")
    if key in REASONS:
        return key
    for k, label in REASONS.items():
        if raw.lower() == label.lower():
            return k
    raise InvalidDecision(f"reason {raw!r} is not one of {', '.join(REASONS)}")


def check_kind(kind: str) -> str:
    """A kind of count the vocabulary knows (:data:`paramtrack.core.vocabulary.KINDS`)."""
    if kind not in KINDS:
        raise InvalidDecision(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    return kind


def check_domain(domain: str) -> str:
    """A domain the dataset knows (:data:`paramtrack.core.domains.DOMAINS`)."""
    if domain not in DOMAINS:
        raise InvalidDecision(f"domain {domain!r} is not one of {', '.join(DOMAINS)}")
    return domain


def check_action(action: str) -> str:
    """One of the review's actions (:data:`paramtrack.core.vocabulary.ACTIONS`)."""
    if action not in ACTIONS:
        raise InvalidDecision(f"action {action!r} is not one of {', '.join(ACTIONS)}")
    return action


def check_request_id(request_id: str | None) -> str | None:
    """A form's idempotency key; longer than any the pages make is refused, empty is none."""
    if request_id is not None and len(request_id) > MAX_REQUEST_ID:
        raise InvalidDecision("request id too long")
    return request_id or None


def check_reviewer(reviewer: str | None) -> str:
    """The reviewer's name as decisions record it: cleaned like all reviewer text (control and
    bidi characters removed, see :mod:`review_queue.reviewer_text`), non-empty, at most
    :data:`MAX_REVIEWER` characters."""
    name = clean_line(reviewer)
    if not name:
        raise InvalidDecision(
            "a reviewer name is required",
            hint="pass --reviewer NAME or set PARAMTRACK_REVIEWER",
        )
    if len(name) > MAX_REVIEWER:
        raise InvalidDecision(f"reviewer name must be at most {MAX_REVIEWER} characters")
    return name
