"""Contract: recorded arXiv OAI-PMH answers and the replay server's ``/oai2`` answers go through
the same client code to the same structure.

Recorded bodies (``api/arxiv/oai_pmh/``) are served byte-for-byte by a loopback server, so the
client reads both over real HTTP. Besides the parsed values, the XML itself is compared: root
namespace and children, the header layout, and the order of the arXiv-format elements.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime
from pathlib import Path

import pytest

from paramtrack.sources.arxiv_oai import ARXIV_NS, OAI_NS, ArxivOaiClient

OAI = f"{{{OAI_NS}}}"
A = f"{{{ARXIV_NS}}}"

#: Element order of arXiv's metadata format (arXiv.xsd), as the recordings show it.
ARXIV_ORDER = [
    "id",
    "created",
    "updated",
    "authors",
    "title",
    "categories",
    "comments",
    "proxy",
    "report-no",
    "msc-class",
    "acm-class",
    "journal-ref",
    "doi",
    "license",
    "abstract",
]

PAPER_TYPES = {
    "arxiv_id": str,
    "title": str,
    "abstract": str,
    "authors": tuple,
    "categories": tuple,
    "primary_category": str,
    "published": date,
    "updated": datetime,
    "pdf_url": str,
}


def _recorded(corpus_dir: Path, name: str) -> bytes:
    return (corpus_dir / "api" / "arxiv" / "oai_pmh" / name).read_bytes()


def _client(url: str) -> ArxivOaiClient:
    return ArxivOaiClient(url, delay_seconds=0, backoff_base=0.01, max_retries=0, timeout=5)


def _shape(body: bytes) -> dict:
    """What a consumer relies on: element names, namespaces and their order."""
    root = ET.fromstring(body)
    verb_el = root[2]
    record = verb_el.find(f"{OAI}record")
    header = record.find(f"{OAI}header")
    meta = record.find(f"{OAI}metadata")[0]
    return {
        "root": root.tag,
        "root_children": [c.tag for c in root],
        "request_has_base_url": bool((root.find(f"{OAI}request").text or "").strip()),
        "header": sorted(set(c.tag for c in header)),
        "header_first": [c.tag for c in header][:2],
        "metadata_root": meta.tag,
        "metadata_order": [c.tag.removeprefix(A) for c in meta],
        "author_parts": sorted({c.tag.removeprefix(A) for a in meta.iter(f"{A}author") for c in a}),
    }


def _check_paper_types(paper) -> None:
    for name, typ in PAPER_TYPES.items():
        assert isinstance(getattr(paper, name), typ), (name, getattr(paper, name))
    assert paper.primary_category == paper.categories[0]
    assert paper.updated.date() >= paper.published


@pytest.mark.parametrize("name", ["arxiv-physics-hep-th.xml", "arxiv-physics-hep-ex.xml"])
def test_list_records_same_structure(canned, replay, corpus_dir, name):
    recorded = _recorded(corpus_dir, name)
    canned.queue.append((200, "text/xml", recorded))
    rec_page = _client(f"{canned.url}/oai2").list_records("physics:hep-th", date(2017, 12, 14))
    replay.state.oai.page_size = 3
    try:
        with _client(f"{replay.base_url}/oai2") as oai:
            rep_page = oai.list_records("cs", date(2023, 5, 1))
        import httpx

        replayed = httpx.get(
            f"{replay.base_url}/oai2",
            params={"verb": "ListRecords", "metadataPrefix": "arXiv", "set": "cs", "from": "2023-05-01"},
        ).content
    finally:
        replay.state.oai.page_size = 1000
    assert len(rec_page.records) == 3 and len(rep_page.records) == 3
    for paper in rec_page.records + rep_page.records:
        _check_paper_types(paper)
    # Datestamps: one per record, on or after `from`, in both.
    assert set(rec_page.datestamps) == {p.arxiv_id for p in rec_page.records}
    assert set(rep_page.datestamps) == {p.arxiv_id for p in rep_page.records}
    # The recordings hold the whole list (no token); the replay pages, with cursor and size.
    assert rec_page.token is None and rep_page.token and rep_page.cursor == 0
    assert rep_page.complete_list_size and rep_page.complete_list_size > 3

    rec, rep = _shape(recorded), _shape(replayed)
    assert rep["root"] == rec["root"] == f"{OAI}OAI-PMH"
    assert rep["root_children"] == rec["root_children"] == [f"{OAI}responseDate", f"{OAI}request", f"{OAI}ListRecords"]
    assert rep["request_has_base_url"] and rec["request_has_base_url"]
    assert rep["header"] == rec["header"] == sorted({f"{OAI}identifier", f"{OAI}datestamp", f"{OAI}setSpec"})
    assert rep["header_first"] == rec["header_first"] == [f"{OAI}identifier", f"{OAI}datestamp"]
    assert rep["metadata_root"] == rec["metadata_root"] == f"{A}arXiv"
    for shape in (rec, rep):
        order = [ARXIV_ORDER.index(t) for t in shape["metadata_order"]]
        assert order == sorted(order), shape["metadata_order"]
        assert shape["metadata_order"][:2] == ["id", "created"]
        assert shape["metadata_order"][-1] == "abstract"
    assert rep["author_parts"] == rec["author_parts"] == ["forenames", "keyname"]


def test_get_record_same_structure(canned, replay, corpus_dir):
    canned.queue.append((200, "text/xml", _recorded(corpus_dir, "arxiv-single.xml")))
    recorded = _client(f"{canned.url}/oai2").get_record("1401.2122")
    assert recorded is not None and recorded.arxiv_id == "1401.2122"
    assert recorded.published == date(2014, 1, 9)
    assert recorded.authors == ("A. Sergyeyev",)
    with _client(f"{replay.base_url}/oai2") as oai:
        replayed = oai.get_record("2204.02311")
    assert replayed is not None and replayed.arxiv_id == "2204.02311"
    for paper in (recorded, replayed):
        _check_paper_types(paper)
    assert "?verb=GetRecord&metadataPrefix=arXiv&identifier=oai%3AarXiv.org%3A1401.2122" in canned.paths[0]


def test_multi_record_sample_parses_both_namespace_styles(canned, corpus_dir):
    """The 12-record sample's first <arXiv> declares no namespace (its children fall in the OAI
    namespace): the client reads it like the rest."""
    canned.queue.append((200, "text/xml", _recorded(corpus_dir, "sample_arxiv_record.xml")))
    page = _client(f"{canned.url}/oai2").list_records("physics:hep-th", date(2016, 1, 1))
    assert len(page.records) == 12
    first = page.records[0]
    assert first.arxiv_id == "1601.03238" and first.published == date(2016, 1, 13)
    assert first.authors[:2] == ("Planck Collaboration", "Jieci Wang")
    assert first.doi == "10.1103/PhysRevD.93.016005"
    for paper in page.records:
        _check_paper_types(paper)
