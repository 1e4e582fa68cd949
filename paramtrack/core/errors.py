"""The errors a caller can act on, rooted at :class:`ParamtrackError`.

Library code (warehouse, sources, review queue, flows) raises these and knows nothing about
terminals or exit codes: the CLI (``paramtrack/cli.py``) maps each class to an exit code and one
line on stderr, the review app to an HTTP status. Anything else that escapes is a bug and keeps
its traceback.
"""

from __future__ import annotations


class ParamtrackError(Exception):
    """A problem with input, configuration or the environment, explained in one line.

    ``hint`` is what to do about it, shown after the message; it names no command-line tool, so
    the same error reads right in a notebook, a flow log or the terminal.
    """

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class InputError(ParamtrackError):
    """A value someone gave (an option, a form field, a file) cannot be used as given."""


class DatabaseLockedError(ParamtrackError):
    """Another process holds the DuckDB file read-write and did not let go in time."""


class CorruptDatabaseError(ParamtrackError):
    """The file at the database path is not a readable DuckDB database."""


class NewerSchemaError(ParamtrackError):
    """The warehouse was migrated by a newer paramtrack than this one."""


class SourceUnavailableError(ParamtrackError):
    """A remote API (arXiv, Semantic Scholar, a PDF server) could not be reached or kept failing.

    ``url`` is the address that failed, when one did: the CLI suggests starting the local replay
    server only when that address is on this machine.
    """

    def __init__(self, message: str, *, hint: str | None = None, url: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.url = url


class CorpusNotFoundError(ParamtrackError):
    """The offline corpus directory (../shared/data or --corpus) is missing or incomplete."""


class RunLockedError(ParamtrackError):
    """Another live run is working on the same window (or backfill): one live run per job."""
