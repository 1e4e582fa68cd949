"""arXiv's search query language, as the replay server's ``/api/query`` understands it.

``cat: ti: abs: au: all: id:`` terms (a trailing ``*`` on a category is a prefix), quoted
phrases, ``AND``/``OR``/``ANDNOT`` (juxtaposed terms mean ``AND``, as on arXiv), parentheses, and
``submittedDate:[A TO B]`` / ``lastUpdatedDate:[A TO B]`` with ``YYYYMMDD[HHMM[SS]]`` stamps.

:func:`parse_query` turns a query into a tree of :class:`Term` and :class:`Op`;
:func:`matches` tests a corpus paper against it. A term that makes no sense (an unknown field,
a bad range) raises :class:`QueryError` only when a paper is tested against it, as before a
query reaches arXiv's index: an empty selection answers an empty feed, not an error.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from paramtrack.replay.corpus import CorpusPaper
from paramtrack.sources.arxiv_ids import parse_arxiv_id

__all__ = ["QueryError", "Term", "Op", "Node", "parse_query", "matches", "text_match"]

OPERATORS = ("AND", "OR", "ANDNOT")


class QueryError(ValueError):
    """The query cannot be read; the API answers HTTP 400 with arXiv's Atom error entry."""


@dataclass(frozen=True)
class Term:
    field: str
    value: str  # a word, a quoted phrase ("..."), or a range ([A TO B])


@dataclass(frozen=True)
class Op:
    op: str  # one of OPERATORS
    left: Node
    right: Node


Node = Term | Op

_TOKEN_RE = re.compile(
    r"\s*(?:(?P<lp>\()|(?P<rp>\))|(?P<field>[A-Za-z_]+):(?P<range>\[[^\]]*\])"
    r'|(?P<fieldq>[A-Za-z_]+):"(?P<qval>[^"]*)"|"(?P<phrase>[^"]*)"|(?P<word>[^\s()"]+))'
)
_WORD_RE = re.compile(r"[a-z0-9]+")

Token = tuple[str, str | Term]  # ("(" | ")" | "op" | "term", its value)


def _token(m: re.Match[str]) -> Token:
    """One token from one match of ``_TOKEN_RE``; a bare word is an ``all:`` term."""
    if m.group("lp"):
        return ("(", "(")
    if m.group("rp"):
        return (")", ")")
    if m.group("range"):
        return ("term", Term(m.group("field"), m.group("range")))
    if m.group("fieldq") is not None:
        return ("term", Term(m.group("fieldq"), '"' + m.group("qval") + '"'))
    if m.group("phrase") is not None:
        return ("term", Term("all", '"' + m.group("phrase") + '"'))
    word = m.group("word")
    if word in OPERATORS:
        return ("op", word)
    if ":" in word:
        field, value = word.split(":", 1)
        return ("term", Term(field, value))
    return ("term", Term("all", word))


def _tokenize(q: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    q = q.strip()
    while pos < len(q):
        m = _TOKEN_RE.match(q, pos)
        if not m or m.end() == pos:
            raise QueryError(f"cannot parse search_query near {q[pos : pos + 20]!r}")
        pos = m.end()
        tokens.append(_token(m))
    return tokens


class _Parser:
    """Recursive descent over the tokens: ``expr := primary (op? primary)*``,
    ``primary := term | "(" expr ")"``; operators bind left to right, as arXiv's do."""

    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0

    def parse(self) -> Node:
        tree = self.expr()
        if self.pos != len(self.tokens):
            raise QueryError("unbalanced parentheses in search_query")
        return tree

    def expr(self) -> Node:
        node = self.primary()
        while self.pos < len(self.tokens) and self.tokens[self.pos][0] != ")":
            kind, value = self.tokens[self.pos]
            op = "AND"  # juxtaposed terms: arXiv treats them as AND
            if kind == "op":
                op = str(value)
                self.pos += 1
            node = Op(op, node, self.primary())
        return node

    def primary(self) -> Node:
        if self.pos >= len(self.tokens):
            raise QueryError("search_query ends unexpectedly")
        kind, value = self.tokens[self.pos]
        self.pos += 1
        if kind == "term" and isinstance(value, Term):
            return value
        if kind == "(":
            node = self.expr()
            if self.pos >= len(self.tokens) or self.tokens[self.pos][0] != ")":
                raise QueryError("unbalanced parentheses in search_query")
            self.pos += 1
            return node
        raise QueryError(f"unexpected {value or kind!r} in search_query")


def parse_query(q: str) -> Node:
    """Parse ``search_query`` into a tree; :class:`QueryError` when it cannot be read."""
    return _Parser(_tokenize(q)).parse()


def _parse_stamp(text: str, end: bool) -> datetime:
    """``YYYYMMDD[HHMM[SS]]``; missing parts run to the end of the day when ``end``."""
    digits = re.sub(r"\D", "", text)
    if len(digits) < 8:
        raise QueryError(f"bad date {text!r} in range; expected YYYYMMDD[HHMM[SS]]")
    y, mo, d = int(digits[:4]), int(digits[4:6]), int(digits[6:8])
    hh = int(digits[8:10]) if len(digits) >= 10 else (23 if end else 0)
    mm = int(digits[10:12]) if len(digits) >= 12 else (59 if end else 0)
    ss = int(digits[12:14]) if len(digits) >= 14 else (59 if end else 0)
    return datetime(y, mo, d, hh, mm, ss, tzinfo=UTC)


def text_match(value: str, text: str) -> bool:
    """A quoted phrase matches as a run of words; otherwise every word must occur."""
    v = value.strip()
    if v.startswith('"') and v.endswith('"') and len(v) >= 2:
        phrase = " ".join(_WORD_RE.findall(v[1:-1].lower()))
        return bool(phrase) and phrase in " ".join(_WORD_RE.findall(text.lower()))
    wanted = _WORD_RE.findall(v.lower().replace("_", " "))
    have = set(_WORD_RE.findall(text.lower()))
    return all(w in have for w in wanted) if wanted else False


def _range_match(term: Term, p: CorpusPaper) -> bool:
    parts = re.split(r"\s+TO\s+", term.value[1:-1].strip())
    if len(parts) != 2:
        raise QueryError(f"bad range {term.value!r}; expected [A TO B]")
    lo, hi = _parse_stamp(parts[0], False), _parse_stamp(parts[1], True)
    field = term.field.lower()
    if field == "submitteddate":
        return lo <= p.published.replace(second=0) <= hi
    if field == "lastupdateddate":
        return lo <= p.updated.replace(second=0) <= hi
    raise QueryError(f"ranges are only supported for submittedDate/lastUpdatedDate, not {term.field}")


def _id_match(value: str, p: CorpusPaper) -> bool:
    try:
        return parse_arxiv_id(value.strip('"')).id == p.arxiv_id
    except ValueError:
        return False


def _category_match(value: str, p: CorpusPaper) -> bool:
    v = value.strip('"')
    if v.endswith("*"):
        return any(c.startswith(v[:-1]) for c in p.categories)
    return v in p.categories


def _term_match(term: Term, p: CorpusPaper) -> bool:
    value, field = term.value, term.field.lower()
    if value.startswith("[") and value.endswith("]"):
        return _range_match(term, p)
    if field == "cat":
        return _category_match(value, p)
    if field == "ti":
        return text_match(value, p.title)
    if field == "abs":
        return text_match(value, p.abstract)
    if field == "au":
        return any(text_match(value, a) for a in p.authors)
    if field == "id":
        return _id_match(value, p)
    if field in ("all", "co", "jr", "rn"):
        return text_match(value, " ".join([p.title, p.abstract, " ".join(p.authors), " ".join(p.categories)]))
    raise QueryError(f"unknown search field {term.field!r}")


def matches(node: Node, p: CorpusPaper) -> bool:
    """Does ``p`` satisfy the query? Operands are evaluated left to right, lazily."""
    if isinstance(node, Term):
        return _term_match(node, p)
    if node.op == "AND":
        return matches(node.left, p) and matches(node.right, p)
    if node.op == "OR":
        return matches(node.left, p) or matches(node.right, p)
    if node.op == "ANDNOT":
        return matches(node.left, p) and not matches(node.right, p)
    raise QueryError(f"unknown operator {node.op}")
