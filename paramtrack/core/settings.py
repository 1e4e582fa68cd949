"""Where things live and which defaults apply, resolved once from flags and environment.

Every path default is relative to the working directory so that a fresh clone works with no
configuration: the database goes to ``data/paramtrack.duckdb``, the PDF cache to ``data/pdfs``
and Prefect's state to ``data/prefect`` (all git-ignored).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

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


@dataclass(frozen=True)
class Settings:
    """Resolved configuration for one CLI invocation or flow run."""

    db_path: Path = field(default_factory=lambda: Path(os.environ.get("PARAMTRACK_DB", DEFAULT_DB)))

    @property
    def data_dir(self) -> Path:
        """Project data folder: the database's folder, so one ``--db`` moves everything."""
        return self.db_path.parent

    @property
    def pdf_cache_dir(self) -> Path:
        return Path(os.environ.get("PARAMTRACK_PDF_CACHE", self.data_dir / "pdfs"))

    @property
    def ranker_model_path(self) -> Path:
        """Where a ranker adopted from this warehouse's reviewer decisions is kept."""
        return self.data_dir / "ranker" / "model.json"


def configure_ranker(settings: Settings) -> None:
    """Use the warehouse's own ranker model when one was adopted (``ranker train --with-decisions``).

    A default only: an explicit ``PARAMTRACK_RANKER_MODEL`` wins. Set in the environment so that
    extraction child processes and flow runs started from this process use the same model.
    """
    if "PARAMTRACK_RANKER_MODEL" not in os.environ and settings.ranker_model_path.is_file():
        os.environ["PARAMTRACK_RANKER_MODEL"] = str(settings.ranker_model_path.resolve())


def find_corpus(explicit: Path | str | None = None) -> Path:
    """Locate the offline corpus: ``--corpus``, then ``PARAMTRACK_CORPUS``, then ``../shared/data``.

    The corpus holds third-party PDFs that must not be committed, so it is never inside the repo;
    a missing corpus is a clear message, not a traceback deep inside the replay server.
    """
    candidates: list[tuple[str, Path]] = []
    if explicit:
        candidates.append(("--corpus", Path(explicit)))
    elif os.environ.get("PARAMTRACK_CORPUS"):
        candidates.append(("PARAMTRACK_CORPUS", Path(os.environ["PARAMTRACK_CORPUS"])))
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
