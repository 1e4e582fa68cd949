"""Where things live and which defaults apply, resolved once from flags and environment.

Every path default is relative to the working directory so that a fresh clone works with no
configuration: the database goes to ``data/paramtrack.duckdb``, the PDF cache to ``data/pdfs``
and Prefect's state to ``data/prefect`` (all git-ignored).

Every environment variable paramtrack reads is a field of :class:`Settings`, with its type, its
default and why it exists; :func:`read_settings` reads them all (a bad value is one
:class:`~paramtrack.core.errors.InputError` naming the variable and the value). The edges (the
CLI's root command, a flow's entry point, the review server) read it once and pass it down; a
deep library function that needs one value takes it as a parameter whose ``None`` asks
:func:`read_settings`. No other module reads ``os.environ`` for a paramtrack setting: Prefect's
own variables (:func:`configure_prefect`) are Prefect's.
"""

from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, ValidationError, field_validator
from pydantic_core import PydanticUseDefault
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from paramtrack.core.errors import CorpusNotFoundError, InputError
from paramtrack.core.files import create_private_file

DEFAULT_DATA_DIR = Path("data")
DEFAULT_DB = DEFAULT_DATA_DIR / "paramtrack.duckdb"
#: What to do about a missing warehouse: the one message of every command that refuses one
#: (the CLI's and the warehouse's own, for a read of a path that does not exist).
MISSING_HINT = (
    "create one with 'paramtrack demo', 'paramtrack ingest' or 'paramtrack import-epoch FILE', "
    "or pass the right one: paramtrack --db PATH COMMAND"
)

ARXIV_API_URL = "https://export.arxiv.org/api/query"
ARXIV_PDF_URL = "https://arxiv.org/pdf/{id}"
#: arXiv's OAI-PMH endpoint since March 2025 (export.arxiv.org/oai2 before), for backfills.
ARXIV_OAI_URL = "https://oaipmh.arxiv.org/oai"
S2_API_URL = "https://api.semanticscholar.org"

#: Seconds between arXiv requests: arXiv's API terms ask for no more than one every three
#: seconds, from the API and OAI-PMH alike. The one place this default is written down.
ARXIV_DELAY_S = 3.0
#: Seconds between PDF downloads from arxiv.org (no published rule; one a second is gentle).
PDF_DELAY_S = 1.0

DEFAULT_CATEGORIES = ("cs.LG", "cs.CL", "cs.CV", "cs.AI", "cs.NE", "stat.ML")

#: Notability anchors AGE_MONTHS:MIN_CITATIONS. Here (not in the ingest command) so that the
#: scheduled flow and the CLI share one default.
DEFAULT_RULE = "3:10,12:50,36:150"

#: How long to keep retrying a DuckDB file lock held by another process before giving up.
DEFAULT_LOCK_TIMEOUT_S = 30.0
#: Identical transient failures of one PDF (bytes + extractor version) before they are its result.
DEFAULT_FAILURE_LIMIT = 2
#: Resident memory one extraction child may use: twice what the densest valid page measured
#: needs, below what a 1 GB bomb inflates to.
DEFAULT_MAX_MEMORY_MB = 1536
#: Seconds the review server waits for a request's line and headers (a browser sends them in one packet).
HEADER_TIMEOUT_S = 10.0
#: Seconds the review server waits for a request's body after its head (64 KB at most).
BODY_TIMEOUT_S = 30.0

#: The extractor's rule families ``PARAMTRACK_RULES_OFF`` may name (``extractors.rule_families``
#: says what each does; a test keeps the two lists equal).
RULE_FAMILIES = ("datasets", "moe_papers", "comparisons", "hedges", "own_names", "layout_tables")

#: An e-mail address and nothing else: no spaces, no header or comment syntax (``()<>;,"``),
#: no control characters, so it cannot change the header it is put into.
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+")


def check_contact(value: str) -> str:
    """``value`` stripped, or ``ValueError`` (one line) when it is not a plain e-mail address."""
    text = value.strip().removeprefix("mailto:")
    if len(text) > 254 or not _EMAIL.fullmatch(text):
        raise ValueError(f"contact {value!r} is not an e-mail address (expected e.g. you@example.org)")
    return text


def _blank_is_default(value: Any) -> Any:
    """An empty (or all-space) variable counts as unset, as ``VAR= paramtrack ...`` means."""
    if isinstance(value, str) and not value.strip():
        raise PydanticUseDefault()
    return value.strip() if isinstance(value, str) else value


def _comma_list(value: Any) -> Any:
    """``a, b,,c`` as a set of names: the variable is a comma list, not JSON."""
    if isinstance(value, str):
        return frozenset(n.strip() for n in value.split(",") if n.strip())
    return value


#: A value where empty means "use the default" (paths, URLs, optional strings, the review limits).
Blank = BeforeValidator(_blank_is_default)


class Settings(BaseSettings):
    """Every environment variable paramtrack reads, typed and checked in one place.

    Built by :func:`read_settings` (or ``Settings(...)``: the same, keywords override the
    environment by field name). Frozen: a run hands one value down and nothing changes it.
    A field's environment variable is its alias (:func:`env_name`), its docstring says why it exists.
    """

    model_config = SettingsConfigDict(
        case_sensitive=True,  # PARAMTRACK_DB, not paramtrack_db: the names os.environ.get used
        frozen=True,
        extra="ignore",
        validate_by_name=True,
        validate_by_alias=True,
        env_ignore_empty=False,  # per field: an empty number is an error, an empty path unset
        use_attribute_docstrings=True,  # each field's docstring is its description (test_settings reads them)
    )

    db_path: Annotated[Path, Blank] = Field(DEFAULT_DB, validation_alias="PARAMTRACK_DB")
    """``PARAMTRACK_DB`` (``--db`` wins): the DuckDB warehouse; its folder holds the rest."""

    pdf_cache: Annotated[Path | None, Blank] = Field(None, validation_alias="PARAMTRACK_PDF_CACHE")
    """``PARAMTRACK_PDF_CACHE``: downloaded PDFs, when they should not sit beside the warehouse (a bigger
    disk); None: ``pdfs/`` in the warehouse's folder."""

    corpus: Annotated[Path | None, Blank] = Field(None, validation_alias="PARAMTRACK_CORPUS")
    """``PARAMTRACK_CORPUS`` (``--corpus`` wins): the offline corpus of third-party PDFs, never inside the
    repo; None: ``../shared/data``."""

    ranker_model: Annotated[Path | None, Blank] = Field(None, validation_alias="PARAMTRACK_RANKER_MODEL")
    """``PARAMTRACK_RANKER_MODEL``: the ranker model file extraction scores candidates with; None: the
    packaged one. The CLI and flows set it to a warehouse's adopted model (configure_ranker) so extraction
    child processes use the same one."""

    lock_timeout_s: float = Field(DEFAULT_LOCK_TIMEOUT_S, ge=0, validation_alias="PARAMTRACK_LOCK_TIMEOUT")
    """``PARAMTRACK_LOCK_TIMEOUT``: seconds to retry a warehouse lock held by another process before a
    one-line "locked" error (0: fail at once)."""

    failure_limit: int = Field(DEFAULT_FAILURE_LIMIT, ge=1, validation_alias="PARAMTRACK_FAILURE_LIMIT")
    """``PARAMTRACK_FAILURE_LIMIT``: identical transient extraction failures (timeout, memory) of one PDF
    before the failure is stored as its lasting result and no longer retried."""

    extract_memory_mb: int = Field(DEFAULT_MAX_MEMORY_MB, ge=256, validation_alias="PARAMTRACK_EXTRACT_MEMORY_MB")
    """``PARAMTRACK_EXTRACT_MEMORY_MB``: resident memory an extraction child may use before it is killed (a
    decompression bomb); at least 256."""

    rules_off: Annotated[frozenset[str], NoDecode, BeforeValidator(_comma_list)] = Field(
        frozenset(), validation_alias="PARAMTRACK_RULES_OFF"
    )
    """``PARAMTRACK_RULES_OFF``: rule families switched off, comma-separated; only measurement
    (``benchmarks/ablation.py``) sets it, the product runs every family."""

    contact: Annotated[str | None, Blank] = Field(None, validation_alias="PARAMTRACK_CONTACT")
    """``PARAMTRACK_CONTACT`` (``--contact`` wins): the e-mail address every request's User-Agent carries, as
    arXiv and Semantic Scholar ask of harvesters; None: the agent says how to set it."""

    notify_url: Annotated[str | None, Blank] = Field(None, validation_alias="PARAMTRACK_NOTIFY_URL")
    """``PARAMTRACK_NOTIFY_URL`` (``serve --notify-url`` sets it for its runs): the webhook a failed
    scheduled run is posted to. Not checked here: a bad URL must never stop a run; the failure hook logs it,
    and ``serve`` refuses it before anything starts."""

    review_header_timeout_s: Annotated[float, Blank] = Field(
        HEADER_TIMEOUT_S, gt=0, allow_inf_nan=False, validation_alias="PARAMTRACK_REVIEW_HEADER_TIMEOUT"
    )
    """``PARAMTRACK_REVIEW_HEADER_TIMEOUT``: seconds the review server waits for a request's head, raised for
    a proxy or link slower than usual."""

    review_body_timeout_s: Annotated[float, Blank] = Field(
        BODY_TIMEOUT_S, gt=0, allow_inf_nan=False, validation_alias="PARAMTRACK_REVIEW_BODY_TIMEOUT"
    )
    """``PARAMTRACK_REVIEW_BODY_TIMEOUT``: seconds the review server waits for a request's body."""

    s2_api_key: Annotated[str | None, Blank] = Field(None, validation_alias="S2_API_KEY", repr=False)
    """``S2_API_KEY``: a Semantic Scholar API key; with one S2 allows ~1 request/s instead of a shared pool
    that answers 429 at the slightest burst. Never a flow parameter (Prefect records those)."""

    prefect_api_url: Annotated[str | None, Blank] = Field(None, validation_alias="PREFECT_API_URL")
    """``PREFECT_API_URL``: the Prefect server runs are scheduled on and shown in (Prefect reads it too);
    None: no server, runs use a local ephemeral API and nothing is scheduled."""

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:  # one line naming the variable, as before this class
            raise _input_error(exc) from None

    @field_validator("rules_off")
    @classmethod
    def _known_families(cls, names: frozenset[str]) -> frozenset[str]:
        unknown = names - set(RULE_FAMILIES)
        if unknown:
            raise ValueError(f"unknown rule families {sorted(unknown)}; known: {sorted(RULE_FAMILIES)}")
        return names

    @field_validator("contact")
    @classmethod
    def _plain_address(cls, value: str | None) -> str | None:
        return check_contact(value) if value else None

    @property
    def data_dir(self) -> Path:
        """Project data folder: the database's folder, so one ``--db`` moves everything."""
        return self.db_path.parent

    @property
    def pdf_cache_dir(self) -> Path:
        """``PARAMTRACK_PDF_CACHE``, else ``pdfs/`` beside the warehouse."""
        return self.pdf_cache if self.pdf_cache is not None else self.data_dir / "pdfs"

    @property
    def ranker_model_path(self) -> Path:
        """Where a ranker adopted from this warehouse's reviewer decisions is kept."""
        return self.data_dir / "ranker" / "model.json"


#: What a bad number must be, and its default as the hint says it: the messages these variables
#: gave when each module read its own.
_NUMBERS: dict[str, tuple[str, str]] = {
    "lock_timeout_s": ("a number of seconds >= 0", f"{DEFAULT_LOCK_TIMEOUT_S:g} s"),
    "failure_limit": ("a whole number >= 1", f"{DEFAULT_FAILURE_LIMIT}"),
    "extract_memory_mb": ("a whole number of MB >= 256", f"{DEFAULT_MAX_MEMORY_MB} MB"),
    "review_header_timeout_s": ("a number of seconds > 0", f"{HEADER_TIMEOUT_S:g} s"),
    "review_body_timeout_s": ("a number of seconds > 0", f"{BODY_TIMEOUT_S:g} s"),
}


def env_name(field: str) -> str:
    """The environment variable of ``Settings`` field ``field`` (``lock_timeout_s`` ->
    ``PARAMTRACK_LOCK_TIMEOUT``): the one place each name is spelled."""
    return str(Settings.model_fields[field].validation_alias)


def _field_of(loc: str) -> str:
    """The field an error's location names: its variable (from the environment) or its name."""
    if loc in Settings.model_fields:
        return loc
    return next(name for name in Settings.model_fields if env_name(name) == loc)


def _input_error(exc: ValidationError) -> InputError:
    """The first problem as one line: the variable, what it must be and the value it has."""
    error = exc.errors()[0]
    field = _field_of(str(error["loc"][0]))
    name, raw = env_name(field), error.get("input")
    if field in _NUMBERS:
        must, default = _NUMBERS[field]
        return InputError(f"{name} must be {must}, not {raw!r}", hint=f"unset it to use the default of {default}")
    if error["type"] == "value_error":
        return InputError(f"{name}: {error['ctx']['error']}")
    return InputError(f"{name}: {error['msg'].lower()}, not {raw!r}")


def read_settings(**overrides: Any) -> Settings:
    """Read every paramtrack environment variable now (``overrides`` by field name win).

    Read per call, so a variable set after import (the CLI's ``configure_ranker``, a test's
    ``monkeypatch.setenv``) is seen. Parsing the environment costs ~1 ms, too much for the
    extractor's per-paper checks, so the result is kept per *values* of the variables: a changed
    variable is a new key, never a stale answer. A bad value raises :class:`InputError` (one line).
    """
    if overrides:
        return Settings(**overrides)
    return _settings_for(tuple(os.environ.get(name) for name in _ENV_NAMES))


#: Every variable :class:`Settings` reads: the key of :func:`_settings_for`.
_ENV_NAMES = tuple(env_name(field) for field in Settings.model_fields)


@lru_cache(maxsize=8)
def _settings_for(values: tuple[str | None, ...]) -> Settings:  # noqa: ARG001 (the values are the cache key)
    """The settings of the environment whose variables have ``values`` (errors are not kept)."""
    return Settings()


def export_setting(field: str, value: str | Path | None) -> None:
    """Set ``field``'s variable in this process's environment, for the child processes it starts
    (extraction workers, Prefect flow runs) to read with :func:`read_settings`; None unsets it."""
    name = env_name(field)
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = str(value)


def configure_ranker(settings: Settings) -> None:
    """Use the warehouse's own ranker model when one was adopted (``ranker train --with-decisions``).

    A default only: an explicit ``PARAMTRACK_RANKER_MODEL`` wins. Set in the environment so that
    extraction child processes and flow runs started from this process use the same model.
    """
    if settings.ranker_model is None and settings.ranker_model_path.is_file():
        export_setting("ranker_model", settings.ranker_model_path.resolve())


def find_corpus(explicit: Path | str | None = None, *, settings: Settings | None = None) -> Path:
    """Locate the offline corpus: ``--corpus``, then ``PARAMTRACK_CORPUS``, then ``../shared/data``.

    The corpus holds third-party PDFs that must not be committed, so it is never inside the repo;
    a missing corpus is a clear message, not a traceback deep inside the replay server.
    """
    candidates: list[tuple[str, Path]] = []
    configured = None if explicit else (settings or read_settings()).corpus
    if explicit:
        candidates.append(("--corpus", Path(explicit)))
    elif configured is not None:
        candidates.append(("PARAMTRACK_CORPUS", configured))
    else:
        candidates.append(("default", Path("..") / "shared" / "data"))
        here = Path(__file__).resolve().parents[2]  # the repo root: paramtrack/core/settings.py
        candidates.append(("default", here.parent / "shared" / "data"))
    for _, path in candidates:
        if (path / "pdfs" / "ground_truth.csv").is_file():
            return path.resolve()
    origin, path = candidates[0]
    raise CorpusNotFoundError(
        f"offline corpus not found at {path} ({origin}): expected {path / 'pdfs' / 'ground_truth.csv'}",
        hint="pass --corpus DIR or set PARAMTRACK_CORPUS to the shared data folder",
    )


def configure_prefect(data_dir: Path | None = None) -> None:
    """Set Prefect's environment before Prefect is imported.

    Defaults only (``setdefault``): a user's own ``PREFECT_API_URL`` or ``PREFECT_HOME`` wins.
    Analytics off stops the outbound telemetry lookup this offline machine cannot make, and the
    longer ephemeral-server timeout covers the 22-28 s first start measured in ENVIRONMENT.md.
    """
    data_dir = data_dir or DEFAULT_DATA_DIR
    os.environ.setdefault("PREFECT_HOME", str((data_dir / "prefect").resolve()))
    # The ephemeral server keeps its SQLite file here and cannot create the folder itself: a
    # missing folder shows up only as a startup timeout.
    home = Path(os.environ["PREFECT_HOME"]).expanduser()
    try:
        home.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(
            f"cannot create Prefect's folder {home}: {exc.strerror or exc}",
            hint="pass --db in a writable folder, or set PREFECT_HOME",
        ) from None
    if not os.environ.get("PREFECT_API_URL") and not os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL"):
        # The local API's SQLite file (runs, parameters, logs): created here for the owner only,
        # since Prefect would create it readable by everyone.
        create_private_file(home / "prefect.db")
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_RESULTS_PERSIST_BY_DEFAULT", "false")
