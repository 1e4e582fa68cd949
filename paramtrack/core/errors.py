"""Errors a user can act on.

Anything raised as a :class:`UserError` reaches the terminal as one line (``Error: ...``) with a
non-zero exit code and no traceback. Everything else is a bug and keeps its traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """A problem with input, configuration or the environment, explained in one line."""

    exit_code: int = 2

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message} ({self.hint})"


class DatabaseLockedError(UserError):
    """Another process holds the DuckDB file read-write and did not let go in time."""


class CorruptDatabaseError(UserError):
    """The file at the database path is not a readable DuckDB database."""


class NewerSchemaError(UserError):
    """The warehouse was migrated by a newer paramtrack than this one."""


class SourceUnavailableError(UserError):
    """A remote API (arXiv, Semantic Scholar) could not be reached or kept failing."""


class CorpusNotFoundError(UserError):
    """The offline corpus directory (../shared/data or --corpus) is missing or incomplete."""


class RunLockedError(UserError):
    """Another live run is working on the same window (or backfill): one live run per job."""
