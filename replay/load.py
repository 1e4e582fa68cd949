"""A week of arXiv at full volume, for load tests and benchmarks, built from the recorded corpus.

The recorded corpus holds ~1,000 papers spread over 14 years; a real week of ML submissions is
~5,000 papers, of which a hundred or so are notable. :func:`weekly_load` builds such a week by
copying recorded papers (titles, abstracts, authors, categories, PDF bytes) under new arXiv ids
numbered in the week's month, with submission times spread over the week. Copies backed by one
of the 28 real PDFs get a citation count above the notability rule's threshold; the others get a
few citations or none. Everything here is **synthetic load** derived from recorded data, never
evidence: only benchmarks and load tests use it, and they say so.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

from paramtrack.replay.corpus import Corpus, CorpusPaper

__all__ = ["weekly_load"]


def weekly_load(
    corpus: Corpus,
    *,
    since: date,
    days: int = 7,
    records: int = 5000,
    pdfs: int = 100,
    notable_citations: int = 50,
    seed: int = 0,
) -> Corpus:
    """A corpus of ``records`` papers submitted in ``[since, since + days)``; ``pdfs`` of them
    have PDFs (the real ones, reused in turn) and are cited ``notable_citations`` times."""
    if pdfs > records:
        raise ValueError("a load cannot have more PDFs than records")
    rng = random.Random(seed)
    with_pdf = sorted(corpus.with_pdfs, key=lambda p: p.arxiv_id)
    without_pdf = sorted((p for p in corpus.papers.values() if p.pdf_path is None), key=lambda p: p.arxiv_id)
    if not with_pdf or not without_pdf:
        raise ValueError("the corpus needs papers with and without PDFs to build a load from")
    start = datetime.combine(since, time(0, 0), UTC)
    span = timedelta(days=days).total_seconds()
    papers: dict[str, CorpusPaper] = {}
    for n in range(records):
        source = with_pdf[n % len(with_pdf)] if n < pdfs else without_pdf[n % len(without_pdf)]
        arxiv_id = f"{since:%y%m}.{90000 - records + n:05d}"
        submitted = start + timedelta(seconds=span * n / records)
        cited = notable_citations if n < pdfs else rng.choice((0, 0, 0, 1, 2, 5))
        papers[arxiv_id] = replace(
            source,
            arxiv_id=arxiv_id,
            version=source.version if n < pdfs else 1,
            published=submitted,
            updated=submitted,
            doi=None,
            journal_ref=None,
            citations={since: cited},
        )
    return Corpus(root=corpus.root, papers=papers, vintages=(since,))
