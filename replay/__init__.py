"""Local replay server: arXiv, Semantic Scholar and PDF endpoints served from the offline corpus.

``ReplayServer`` (``replay.server``) runs on 127.0.0.1; ``FaultPlan`` (``replay.faults``) scripts
429s, 5xx, slow/hanging, truncated and empty-page responses. The corpus is built in memory by
``replay.corpus.load_corpus`` from ``../shared/data`` (or ``--corpus`` / ``PARAMTRACK_CORPUS``).
"""

from paramtrack.replay.corpus import Corpus, CorpusPaper, load_corpus
from paramtrack.replay.faults import FAULT_KINDS, FaultPlan, FaultRule, parse_fault_spec
from paramtrack.replay.server import ReplayServer, create_app

__all__ = [
    "Corpus",
    "CorpusPaper",
    "load_corpus",
    "FAULT_KINDS",
    "FaultPlan",
    "FaultRule",
    "parse_fault_spec",
    "ReplayServer",
    "create_app",
]
