"""How strong the review server's access token must be, and comparing it without leaks.

The token is the only secret between the network and the warehouse's decisions, and the
throttle (:mod:`review_queue.limits`) only slows guessing down. Strength is judged by zxcvbn's
guess estimate (dictionaries, common passwords, keyboard patterns, repeats, sequences, dates),
not by counting character classes: ``Password1234567890`` has four classes and is guessed at
once, a random 22-character ``secrets.token_urlsafe(16)`` is ~10^22 guesses.
"""

from __future__ import annotations

import hashlib
import hmac

MIN_LENGTH = 16
#: ~10^14 guesses (~46 bits): out of reach of an online attack even without the throttle's
#: lockouts, and met by any random 12+ character string.
MIN_GUESSES_LOG10 = 14.0
GENERATE_HINT = "generate one with: python3 -c 'import secrets; print(secrets.token_urlsafe(24))'"


def token_weakness(token: str) -> str | None:
    """Why ``token`` is too weak to guard the review server, or None when it is strong enough."""
    if len(token) < MIN_LENGTH:
        return f"the access token must be at least {MIN_LENGTH} characters (it has {len(token)})"
    from zxcvbn import zxcvbn

    estimate = zxcvbn(token[:100])  # the estimate is slow on very long input; 100 is plenty
    guesses_log10 = float(estimate["guesses_log10"])
    if guesses_log10 < MIN_GUESSES_LOG10:
        warning = str(estimate["feedback"].get("warning") or "").rstrip(".")
        why = f": {warning.lower()}" if warning else ""
        return (
            f"the access token is too easy to guess (about 10^{guesses_log10:.0f} guesses, "
            f"at least 10^{MIN_GUESSES_LOG10:.0f} needed){why}"
        )
    return None


def same_token(given: str, expected: str) -> bool:
    """Constant-time comparison that does not leak the expected token's length either."""
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(), hashlib.sha256(expected.encode()).digest())
