"""Parameter-count extraction from paper PDFs: pure functions, no SQL, no HTTP, no Prefect.

Public surface::

    from paramtrack.extractors import extract_pdf, extract_pdf_safely, ExtractionWorker, Candidate, ExtractionResult, CONFIDENT_SCORE

``extract_pdf`` runs in-process; ``extract_pdf_safely`` runs it in a child process with a wall-clock
timeout and an address-space limit, for PDFs from the internet; ``ExtractionWorker`` does the same
but keeps one child alive across many PDFs (``with ExtractionWorker() as w: w.extract(path)``), so
the imports are paid once. All return errors as values (``ExtractionResult.error``), never raise
for a bad PDF.
"""

from paramtrack.extractors.pipeline import extract_abstract, extract_pdf
from paramtrack.extractors.safety import ExtractionWorker, extract_pdf_safely
from paramtrack.extractors.types import CONFIDENT_SCORE, KINDS, Candidate, ExtractionResult
from paramtrack.extractors.version import extractor_version

__all__ = [
    "CONFIDENT_SCORE",
    "EXTRACTOR_VERSION",
    "KINDS",
    "Candidate",
    "extract_abstract",
    "ExtractionResult",
    "ExtractionWorker",
    "extract_pdf",
    "extract_pdf_safely",
    "extractor_version",
]


def __getattr__(name: str) -> str:
    """``EXTRACTOR_VERSION`` follows the active ranker model, so it is read, not imported once."""
    if name == "EXTRACTOR_VERSION":
        return extractor_version()
    raise AttributeError(name)
