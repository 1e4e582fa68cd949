"""The User-Agent every paramtrack request sends, with the operator's contact address.

arXiv asks harvesters to identify themselves with a way to reach them (it blocks anonymous
heavy clients rather than writing to them), and Semantic Scholar asks the same of API users.
The contact comes from ``--contact`` or ``PARAMTRACK_CONTACT``; without one the agent says how
to set it, so a server operator reading their logs learns what is missing, not a fake address.
"""

from __future__ import annotations

from paramtrack.core.settings import check_contact, env_name, read_settings
from paramtrack.core.version import __version__

CONTACT_ENV = env_name("contact")
PROJECT_URL = "https://github.com/paramtrack"


def contact_from_env() -> str | None:
    """``PARAMTRACK_CONTACT`` when set (None when unset or empty); ``core.settings`` checks it."""
    return read_settings().contact


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
