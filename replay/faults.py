"""Fault injection for the replay server: scripted 429s, 5xx, slow/hanging and broken responses.

A :class:`FaultPlan` holds :class:`FaultRule`s. Each request is checked against the rules in
order; the first rule whose ``path`` prefix (and ``method``, when set) matches and that decides to
fire (``times`` left, ``every`` Nth match, ``probability`` with a fixed ``seed``, only ``after``
the first N matches went through) is applied.

Kinds:

``429``        HTTP 429 with the real Semantic Scholar body; ``Retry-After: <retry_after>`` only when
               ``retry_after`` is set (a number of seconds, or an HTTP date string).
``500``/``503`` HTTP 500/503 with a JSON body (``{"message": "Internal Server Error"}``, the shape
               the ``semanticscholar`` package reads) or a plain-text one for arXiv/PDF paths.
``slow``       waits ``delay`` seconds, then answers normally.
``timeout``    holds the request ``delay`` seconds (default 30, longer than test client timeouts)
               and then drops it without an answer.
``truncate``   answers normally but sends only the first half of the body (``fraction``) while
               the headers still announce the full ``Content-Length``, then closes the connection.
``empty_page`` arXiv feeds only: keeps ``opensearch:totalResults`` but removes every ``<entry>`` —
               what makes the ``arxiv`` package raise ``UnexpectedEmptyPageError``.
``404``        HTTP 404 ``PDF not available`` (text) — what arXiv answers for a withdrawn or missing
               PDF; a JSON ``{"error": "Paper not found"}`` on Semantic Scholar paths.
``corrupt``    HTTP 200 with the real headers and the same ``Content-Length``, but the bytes garbled
               (XOR 0xA5, so every garbled byte is >= 0x80 and mostly invalid UTF-8): a PDF keeps
               its first line (``%PDF-1.5``) so it passes a magic-number check and is broken past
               it; an Atom feed keeps its first line (``<?xml ...?>``) and its closing ``</feed>``
               so it looks complete but does not parse; JSON is garbled whole. See :func:`garble`.

CLI/HTTP spec form: ``PATH=KIND[:key=value]...``, e.g. ``/graph/v1/paper/batch=429:times=2:retry_after=1``
(``times=0`` or ``times=inf`` means unlimited).
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = ["FAULT_KINDS", "FaultRule", "FaultPlan", "parse_fault_spec", "garble"]

FAULT_KINDS = ("429", "500", "503", "slow", "timeout", "truncate", "empty_page", "404", "corrupt")


@dataclass
class FaultRule:
    path: str
    kind: str
    times: int | None = 1
    retry_after: str | None = None
    delay: float | None = None
    every: int | None = None
    probability: float | None = None
    seed: int = 0
    method: str | None = None
    fraction: float = 0.5
    after: int = 0  # let the first N matching requests through (a source that goes down mid-run)
    matched: int = 0
    fired: int = 0
    _rng: random.Random = field(default=None, repr=False, compare=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.kind = str(self.kind)
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if not self.path.startswith("/"):
            raise ValueError(f"fault path must start with '/': {self.path!r}")
        if self.times is not None and self.times <= 0:
            self.times = None
        if self.retry_after is not None:
            self.retry_after = str(self.retry_after)
        if self.every is not None and self.every < 1:
            raise ValueError("every must be >= 1")
        if self.probability is not None and not 0.0 <= self.probability <= 1.0:
            raise ValueError("probability must be within 0..1")
        if not 0.0 <= self.fraction < 1.0:
            raise ValueError("fraction must be within 0..1 (exclusive)")
        if self.method:
            self.method = self.method.upper()
        self._rng = random.Random(self.seed)

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def _decide(self, method: str, path: str) -> bool:
        if self.exhausted or not path.startswith(self.path):
            return False
        if self.method and self.method != method.upper():
            return False
        self.matched += 1
        if self.matched <= self.after:
            return False
        if self.every is not None and self.matched % self.every != 0:
            return False
        if self.probability is not None and self._rng.random() >= self.probability:
            return False
        self.fired += 1
        return True

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("_rng", None)
        return d


def _coerce(key: str, value: str) -> Any:
    if key in {"times", "every", "seed", "after"}:
        if value.lower() in {"inf", "unlimited", "always"}:
            return 0
        return int(value)
    if key in {"delay", "probability", "fraction"}:
        return float(value)
    return value


_RULE_KEYS = {"times", "retry_after", "delay", "every", "probability", "seed", "method", "fraction", "after"}


def parse_fault_spec(spec: str) -> FaultRule:
    """``/graph/v1/paper/batch=429:times=2:retry_after=1`` -> :class:`FaultRule`."""
    if "=" not in spec:
        raise ValueError(f"bad fault spec {spec!r}: expected PATH=KIND[:key=value...]")
    path, rest = spec.split("=", 1)
    kind, *opts = rest.split(":")
    kwargs: dict[str, Any] = {}
    for opt in opts:
        if "=" not in opt:
            raise ValueError(f"bad fault option {opt!r} in {spec!r}: expected key=value")
        key, value = opt.split("=", 1)
        if key not in _RULE_KEYS:
            raise ValueError(f"unknown fault option {key!r} in {spec!r}; known: {', '.join(sorted(_RULE_KEYS))}")
        kwargs[key] = _coerce(key, value)
    return FaultRule(path=path.strip(), kind=kind.strip(), **kwargs)


class FaultPlan:
    """A thread-safe, ordered list of fault rules (scripted from tests, HTTP or CLI)."""

    def __init__(self, rules: list[FaultRule] | None = None) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = list(rules or [])

    def add(
        self,
        path: str,
        kind: str,
        *,
        times: int | None = 1,
        retry_after: float | str | None = None,
        delay: float | None = None,
        every: int | None = None,
        probability: float | None = None,
        seed: int = 0,
        method: str | None = None,
        fraction: float = 0.5,
        after: int = 0,
    ) -> FaultRule:
        rule = FaultRule(
            after=after,
            path=path,
            kind=str(kind),
            times=times,
            retry_after=None if retry_after is None else _fmt_retry_after(retry_after),
            delay=delay,
            every=every,
            probability=probability,
            seed=seed,
            method=method,
            fraction=fraction,
        )
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_rule(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_spec(self, spec: str) -> FaultRule:
        return self.add_rule(parse_fault_spec(spec))

    def add_dict(self, data: dict[str, Any]) -> FaultRule:
        unknown = set(data) - _RULE_KEYS - {"path", "kind"}
        if unknown:
            raise ValueError(f"unknown fault fields: {', '.join(sorted(unknown))}")
        if "path" not in data or "kind" not in data:
            raise ValueError("a fault needs 'path' and 'kind'")
        kwargs = dict(data)
        if kwargs.get("retry_after") is not None:
            kwargs["retry_after"] = _fmt_retry_after(kwargs["retry_after"])
        if kwargs.get("times") is None and "times" in kwargs:
            kwargs["times"] = None
        return self.add_rule(FaultRule(**kwargs))

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        with self._lock:
            return list(self._rules)

    def match(self, method: str, path: str) -> FaultRule | None:
        """The rule that fires for this request (counting it), or ``None``."""
        with self._lock:
            for rule in self._rules:
                if rule._decide(method, path):
                    return rule
        return None

    def to_list(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.rules]


def _fmt_retry_after(value: float | str) -> str:
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    return str(value)


_XOR_A5 = bytes(i ^ 0xA5 for i in range(256))


def garble(body: bytes, content_type: str = "") -> bytes:
    """The ``corrupt`` fault's body: same length, bytes XOR 0xA5, with a plausible frame kept.

    Why keep a frame: the cheap checks a client makes first (``%PDF-`` magic, "ends with
    ``</feed>``") must pass, so the test proves the client notices a body that *looks* whole.
    A PDF keeps its first line (at most 16 bytes); an XML body its first line and its last
    16 bytes; anything else (JSON) is garbled whole. XOR with 0xA5 maps every ASCII byte to a
    byte >= 0x80, so no garbled run can form markup or JSON by accident.
    """
    if not body:
        return body
    ctype = content_type.lower()
    head = tail = 0
    if "pdf" in ctype or body.startswith(b"%PDF-"):
        nl = body.find(b"\n", 0, 16)
        head = nl + 1 if nl >= 0 else min(8, len(body))
    elif "xml" in ctype or body.lstrip().startswith(b"<"):
        nl = body.find(b"\n")
        head = nl + 1 if nl >= 0 else 0
        tail = min(16, max(0, len(body) - head))
    middle = body[head : len(body) - tail].translate(_XOR_A5)
    return body[:head] + middle + body[len(body) - tail :]
