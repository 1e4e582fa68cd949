"""Parameter-count extraction from paper PDFs: pure functions, no SQL, no HTTP, no Prefect.

Public surface::

    from extractors import extract_pdf, extract_pdf_safely, ExtractionWorker, Candidate, ExtractionResult, CONFIDENT_SCORE

``extract_pdf`` runs in-process; ``extract_pdf_safely`` runs it in a child process with a wall-clock
timeout and an address-space limit, for PDFs from the internet; ``ExtractionWorker`` does the same
but keeps one child alive across many PDFs (``with ExtractionWorker() as w: w.extract(path)``), so
the imports are paid once. All return errors as values (``ExtractionResult.error``), never raise
for a bad PDF.
"""

from extractors.pipeline import extract_pdf
from extractors.safety import ExtractionWorker, extract_pdf_safely
from extractors.types import CONFIDENT_SCORE, KINDS, Candidate, ExtractionResult
from extractors.version import EXTRACTOR_VERSION

__all__ = [
    "CONFIDENT_SCORE",
    "EXTRACTOR_VERSION",
    "KINDS",
    "Candidate",
    "ExtractionResult",
    "ExtractionWorker",
    "extract_pdf",
    "extract_pdf_safely",
]
