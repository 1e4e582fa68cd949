"""arXiv id parsing: old/new styles, versions, URLs, invalid input."""

from __future__ import annotations

import pytest

from paramtrack.sources.arxiv_ids import ArxivId, arxiv_ids_in, parse_arxiv_id


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2204.02311", ArxivId("2204.02311", None)),
        ("2204.02311v1", ArxivId("2204.02311", 1)),
        ("arXiv:1501.00001", ArxivId("1501.00001", None)),
        ("arxiv:1501.00001v12", ArxivId("1501.00001", 12)),
        ("0704.0001", ArxivId("0704.0001", None)),
        ("1412.6980v9", ArxivId("1412.6980", 9)),
        ("hep-th/9901001", ArxivId("hep-th/9901001", None)),
        ("hep-th/9901001v3", ArxivId("hep-th/9901001", 3)),
        ("math.GT/0309136", ArxivId("math.GT/0309136", None)),
        ("cs/0205070", ArxivId("cs/0205070", None)),
        ("https://arxiv.org/abs/2204.02311v2", ArxivId("2204.02311", 2)),
        ("http://arxiv.org/pdf/2204.02311v1", ArxivId("2204.02311", 1)),
        ("https://arxiv.org/pdf/2204.02311v1.pdf", ArxivId("2204.02311", 1)),
        ("https://arxiv.org/api/2204.02311v1", ArxivId("2204.02311", 1)),
        ("http://arxiv.org/abs/astro-ph/0601001v1", ArxivId("astro-ph/0601001", 1)),
        ("  https://www.arxiv.org/abs/1706.03762  ", ArxivId("1706.03762", None)),
    ],
)
def test_parse_valid(text: str, expected: ArxivId) -> None:
    assert parse_arxiv_id(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "abc",
        "2204.0231",
        "2204.023111",
        "1412.00001",
        "1501.0001",
        "2213.00001",
        "0612.0001",
        "2204.02311v0",
        "hep-th/99010",
        "https://example.com/abs/2204.02311",
        "2204.02311v",
    ],
)
def test_parse_invalid(text: str) -> None:
    with pytest.raises(ValueError, match="invalid arXiv id"):
        parse_arxiv_id(text)


def test_versioned_and_str() -> None:
    assert parse_arxiv_id("2204.02311v1").versioned == "2204.02311v1"
    assert str(parse_arxiv_id("hep-th/9901001")) == "hep-th/9901001"


def test_ids_in_epoch_link_cells() -> None:
    cell = (
        "https://arxiv.org/abs/2001.08361, "
        "https://web.archive.org/web/20230101000000/https://arxiv.org/pdf/2005.14165.pdf; "
        "https://papers.nips.cc/paper/7181-attention.pdf https://arxiv.org/abs/cs/0205070 "
        "https://arxiv.org/abs/2001.08361v2"
    )
    assert [a.id for a in arxiv_ids_in(cell)] == ["2001.08361", "2005.14165", "cs/0205070"]
    assert arxiv_ids_in("https://openai.com/blog/gpt-4") == []
    assert arxiv_ids_in(None) == []
    assert arxiv_ids_in("https://arxiv.org/abs/1909.08053#:~:text=x")[0].id == "1909.08053"
