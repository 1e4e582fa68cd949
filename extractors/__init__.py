"""Parameter-count extraction from paper PDFs: pure functions, no SQL, no HTTP, no Prefect.

Public surface::

    from paramtrack.extractors import extract_pdf, extract_pdf_safely, ExtractionWorker, Candidate, ExtractionResult, CONFIDENT_SCORE

``extract_pdf`` runs in-process; ``extract_pdf_safely`` runs it in a child process with a wall-clock
timeout and an address-space limit, for PDFs from the internet; ``ExtractionWorker`` does the same
but keeps one child alive across many PDFs (``with ExtractionWorker() as w: w.extract(path)``), so
the imports are paid once. All return errors as values (``ExtractionResult.error``), never raise
for a bad PDF.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from paramtrack.extractors.pipeline import extract_abstract, extract_pdf
    from paramtrack.extractors.safety import ExtractionWorker, extract_pdf_safely
    from paramtrack.extractors.types import CONFIDENT_SCORE, KINDS, Candidate, ExtractionResult
    from paramtrack.extractors.version import extractor_version

    EXTRACTOR_VERSION: str

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

#: Where each public name lives. Loaded on first use, so importing one small submodule (the
#: review app reads ``extractors.cleaning``) does not load spaCy and the rule tables.
_HOME = {
    "extract_abstract": "pipeline",
    "extract_pdf": "pipeline",
    "ExtractionWorker": "safety",
    "extract_pdf_safely": "safety",
    "CONFIDENT_SCORE": "types",
    "KINDS": "types",
    "Candidate": "types",
    "ExtractionResult": "types",
    "extractor_version": "version",
}


def __getattr__(name: str) -> Any:
    """The public names, imported when first asked for; ``EXTRACTOR_VERSION`` follows the active
    ranker model, so it is read each time, never imported once."""
    if name == "EXTRACTOR_VERSION":
        return import_module("paramtrack.extractors.version").extractor_version()
    if name in _HOME:
        value = getattr(import_module(f"paramtrack.extractors.{_HOME[name]}"), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
