"""How large a stated quantity can plausibly be, so that a typo or a hostile PDF is never confident.

"999999999999999999999999999999999999999B parameters" parses to 1e47; the largest models stated
so far have a few trillion parameters. A value outside these ranges stays a candidate (a reviewer
may want to see it, and it is evidence of something), but its score is capped far below
``CONFIDENT_SCORE``. The ranges are generous: two orders of magnitude beyond anything published,
so the product does not need a release when models grow.
"""

from __future__ import annotations

#: quantity -> (smallest, largest) plausible value.
PLAUSIBLE: dict[str, tuple[float, float]] = {
    "parameters": (1e3, 1e15),
    "training_compute": (1e9, 1e30),  # FLOP
    "dataset_size": (1e3, 1e17),  # tokens, images, words
}
#: The most an implausible value may score: visible in the list, never proposed.
IMPLAUSIBLE_CAP = 0.05


def plausible(quantity: str, value: float) -> bool:
    lo, hi = PLAUSIBLE.get(quantity, (0.0, float("inf")))
    return lo <= value <= hi
