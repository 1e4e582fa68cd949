"""The User-Agent every paramtrack request sends, with the operator's contact address.

arXiv asks harvesters to identify themselves with a way to reach them (it blocks anonymous
heavy clients rather than writing to them), and Semantic Scholar asks the same of API users.
The contact comes from ``--contact`` or ``PARAMTRACK_CONTACT``; without one the agent says how
to set it, so a server operator reading their logs learns what is missing, not a fake address.
"""

from __future__ import annotations

import os
import re

from paramtrack.core.version import __version__

CONTACT_ENV = "PARAMTRACK_CONTACT"
PROJECT_URL = "https://github.com/paramtrack"

#: An e-mail address and nothing else: no spaces, no header or comment syntax (``()<>;,"``),
#: no control characters, so it cannot change the header it is put into.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def check_contact(value: str) -> str:
    """``value`` stripped, or ``ValueError`` (one line) when it is not a plain e-mail address."""
    text = value.strip().removeprefix("mailto:")
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise ValueError(f"contact {value!r} is not an e-mail address (expected e.g. you@example.org)")
    return text


def contact_from_env() -> str | None:
    """``PARAMTRACK_CONTACT`` when set to a valid address (None when unset or empty)."""
    raw = os.environ.get(CONTACT_ENV, "").strip()
    return check_contact(raw) if raw else None


#: What is sent when no contact is configured anywhere.
NO_CONTACT_AGENT = (
    f"paramtrack/{__version__} (+{PROJECT_URL}; no contact set: set {CONTACT_ENV}=you@example.org or pass --contact)"
)


def user_agent(contact: str | None = None) -> str:
    """``paramtrack/<version> (+project; mailto:<contact>)``; the contact defaults to
    ``PARAMTRACK_CONTACT``, and without any the agent names the variable to set."""
    contact = check_contact(contact) if contact else contact_from_env()
    if contact:
        return f"paramtrack/{__version__} (+{PROJECT_URL}; mailto:{contact})"
    return NO_CONTACT_AGENT
