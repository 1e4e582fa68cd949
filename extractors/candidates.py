"""Find every parameter-count mention in a paper's text, with the cues ranking needs.

A *mention* is one place where a size is stated; ranking (``extractors.ranking``) turns the
mentions into scored, de-duplicated candidates. Mentions carry features rather than a score so
that the scoring rules live in one place.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

from paramtrack.extractors import patterns as P
from paramtrack.extractors.names import is_other_system, is_own_name
from paramtrack.extractors.numbers import parse_scaled, to_int
from paramtrack.extractors.rule_families import enabled


@dataclass
class Mention:
    """One stated size and what surrounds it."""

    value: int
    kind: str
    model: str | None
    evidence: str
    page: int
    source: str  # "sentence" (N parameters), "size" (a 7B model), "name" (LLaMA-65B), "table"
    features: dict[str, bool | int | float | str] = field(default_factory=dict)


@dataclass
class Document:
    """The paper as one string, with page boundaries and the bibliography located."""

    text: str
    page_starts: list[int]
    refs_span: tuple[int, int] | None
    #: The abstract: page 1 from an "Abstract" heading to the first section heading, or all of
    #: page 0 (title and abstract from arXiv's metadata, see ``build_document(first_page=0)``).
    abstract_span: tuple[int, int] | None = None
    first_page: int = 1

    def page_of(self, offset: int) -> int:
        return bisect.bisect_right(self.page_starts, offset) - 1 + self.first_page

    def in_abstract(self, offset: int) -> bool:
        return self.abstract_span is not None and self.abstract_span[0] <= offset < self.abstract_span[1]

    def in_appendix(self, offset: int) -> bool:
        """After the bibliography (appendices follow it in most arXiv papers)."""
        return self.refs_span is not None and offset >= self.refs_span[1]

    def in_references(self, offset: int) -> bool:
        return self.refs_span is not None and self.refs_span[0] <= offset < self.refs_span[1]


_REF_HEADING = re.compile(
    r"^[ \t]*(?:\d{1,2}\.?\s*|[IVX]+\.\s*)?(?:References|REFERENCES|Bibliography|BIBLIOGRAPHY|Literature Cited|Works Cited)[ \t]*$",
    re.MULTILINE,
)
_APPENDIX_HEADING = re.compile(
    r"^[ \t]*(?:Appendix\b.*|APPENDIX\b.*|Appendices|Supplementary Material.*|SUPPLEMENTARY.*|"
    r"[A-H](?:\.\d)?\.?[ \t]+[A-Z][A-Za-z-]+(?:[ \t]+[A-Za-z-]+){0,8})[ \t]*$",
    re.MULTILINE,
)
_BIB_LIKE = re.compile(
    r"(?:In Proceedings|Proceedings of|arXiv preprint|arXiv:\d{4}\.\d{4,5}|URL https?://|CoRR|abs/\d{4}|Advances in Neural|pp\. \d+|Journal of)"
)


_ABSTRACT_HEADING = re.compile(r"^[ \t]*(?:Abstract|ABSTRACT|A B S T R A C T)\b[ \t.:—-]*", re.MULTILINE)
_FIRST_SECTION = re.compile(
    r"^[ \t]*(?:(?:1|I)\.?[ \t]+)?(?:Introduction|INTRODUCTION|Background|BACKGROUND|Overview)\b", re.MULTILINE
)


def _abstract_span(text: str, end_of_page: int) -> tuple[int, int] | None:
    m = _ABSTRACT_HEADING.search(text, 0, end_of_page)
    if not m:
        return None
    sec = _FIRST_SECTION.search(text, m.end(), min(len(text), end_of_page + 4000))
    end = sec.start() if sec else min(end_of_page, m.end() + 2500)
    return (m.start(), end) if end - m.end() >= 200 else None


def build_document(pages: list[str], *, first_page: int = 1) -> Document:
    """Join pages (keeping offsets) and locate the abstract and the references section.

    The bibliography starts at a "References" heading past the first page and ends at the next
    appendix-style heading ("Appendix", "A Details of ...") or the end; appendices after it are
    real content (hyper-parameter tables often live there) and are not skipped. ``first_page=0``
    says ``pages[0]`` is arXiv's title and abstract (page 0), which is all abstract.
    """
    starts: list[int] = []
    parts: list[str] = []
    pos = 0
    for p in pages:
        starts.append(pos)
        parts.append(p)
        pos += len(p) + 2
    text = "\n\n".join(parts)
    refs: tuple[int, int] | None = None
    min_start = starts[1] if len(starts) > 1 and first_page else 0
    for m in _REF_HEADING.finditer(text):
        if m.start() < min_start:
            continue
        end = len(text)
        a = _APPENDIX_HEADING.search(text, m.end() + 200)
        if a:
            end = a.start()
        refs = (m.start(), end)
        break
    if first_page == 0:
        abstract = (0, len(pages[0])) if pages else None
    else:
        abstract = _abstract_span(text, starts[1] if len(starts) > 1 else len(text))
    return Document(text=text, page_starts=starts, refs_span=refs, abstract_span=abstract, first_page=first_page)


_MODEL_NAME = re.compile(r"(?<![\w-])(?:[A-Z][A-Za-z0-9]*[A-Z0-9][A-Za-z0-9.-]*[A-Za-z0-9]|[A-Z]{2,}[a-z]*)(?![\w-])")
_NAME_STOP = {
    "Figure",
    "Fig",
    "Table",
    "Section",
    "Sec",
    "Eq",
    "Appendix",
    "Top",
    "We",
    "Our",
    "The",
    "In",
    "For",
    "As",
    "GPU",
    "GPUs",
    "TPU",
    "TPUs",
    "GB",
    "FLOPs",
    "FLOP",
    "MB",
    "TB",
    "MP",
    "DP",
    "PP",
    "BPE",
    "NLP",
    "LM",
    "LMs",
    "LLM",
    "LLMs",
    "II",
    "III",
    "IV",
    "AI",
    "ML",
    "QA",
    "API",
    "MLP",
    "FFN",
    "RNN",
    "CNN",
    "SGD",
    "Adam",
    "Total",
    "Params",
    "Parameters",
    "Number",
    "Model",
    "Size",
    "Non",
    "NVIDIA",
    "V100",
    "A100",
    "DGX",
    "All",
    "Baseline",
    "Ours",
    "This",
    "These",
    "With",
    "Both",
    "Each",
    "Then",
    "Note",
    # Table-header words that stand before a size column ("Subset 7B Baseline ..."):
    "Subset",
    "Dataset",
    "Task",
    "Split",
    "Benchmark",
    "Method",
    "Setting",
    "Metric",
}
#: Parallelism-strategy names ("ZeRO-DP", "Megatron-MP", "1F1B-PP") sit next to sizes in systems
#: papers but are not models.
_STRATEGY_NAME = re.compile(r"-(?:DP|MP|PP|TP|SP|EP)$")


_SIZE_TOKEN = re.compile(r"^[\d.,]+[KMBTkmb]?$")
_AFTER_NAME = re.compile(
    r"^\s*(?:-?\s*(?:parameters?|params?)\)?\s*)?(?:(?:total|trainable|active|activated)\s+)?(?:parameters?\s+)?(?:from|of|in|for)?\s*(?:the\s+)?(?P<name>[A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*)"
)


def _nearest_model_name(before: str, after: str) -> str | None:
    """The model a size belongs to, only when a name sits right next to it.

    "BERTLARGE contains 340M", "GPT-3 (175B", "the 7.5B Retro model", "406M parameters from
    BART-large": at most a few words away and in the same clause; otherwise None (a wrong name is
    worse than none, since names drive the cited-system penalty).
    """
    parts = re.split(r"[,;:()]\s|\.\s", before)
    clause = parts[-1]
    if len(parts) > 1 and re.match(r"\s*(?:which|that|who|with|having|containing)\b", clause) and len(clause) < 40:
        # "AlexNet, which used 60 million parameters", "GPT-3, with 175 billion parameters"
        clause = parts[-2].split(" ")[-1] + " " + clause
    # "the same budget as Gopher but with 70B parameters": a name before a contrast belongs to
    # the compared system, not to the size after it
    clause = re.split(r"\b(?:but|whereas|while|than|unlike|versus|vs\.?)\b", clause)[-1]
    near = clause[-32:] if len(clause) > 32 else clause
    if len(clause) > 32:
        near = near.split(" ", 1)[-1] if " " in near else ""
    names = [
        m.group(0)
        for m in _MODEL_NAME.finditer(near)
        if m.group(0) not in _NAME_STOP
        and not _SIZE_TOKEN.match(m.group(0))
        and not _STRATEGY_NAME.search(m.group(0))
        and not _generic(m.group(0))
    ]
    if names:
        return names[-1]
    m = _AFTER_NAME.match(after[:45])
    if (
        m
        and m.group("name") not in _NAME_STOP
        and not _SIZE_TOKEN.match(m.group("name"))
        and len(m.group("name")) >= 2
        and not _generic(m.group("name"))
        and m.group("name").rstrip("s") not in ("Parameter", "Param", "Billion", "Million")
    ):
        return m.group("name")
    return None


def _generic(name: str) -> bool:
    """An architecture or common word, not a system: "a 1.5B parameter Transformer" names no model."""
    return name.lower().rstrip("s") in P.GENERIC_NAMES or name.lower() in P.GENERIC_NAMES


#: "JFT-300M", "LAION-400M", "FLAN-5M": a size glued to a *dataset's* name. A name-size token counts
#: as a dataset when the paper trains/samples on it or calls it a dataset/corpus anywhere.
def _dataset_names(text: str) -> set[str]:
    names: set[str] = set()
    for m in P.NAME_SUFFIX.finditer(text):
        name = _clean_name(m.group("name"))
        start = m.end("name") - len(name)
        before = text[max(0, start - 40) : start]
        after = text[m.end() : m.end() + 30]
        if P.DATASET_BEFORE.search(before) or P.DATASET_AFTER.match(after):
            names.add(text[start : m.end()].lower())
    return names


def _clean_name(name: str) -> str:
    """ "and LLaMA" -> "LLaMA", "the JFT" -> "JFT": a lower-case word is not part of a glued name."""
    head, sep, rest = name.partition(" ")
    return rest if sep and head.islower() and rest else name


_DENSELY_ACTIVATED = re.compile(r"\bdense(?:ly)?[\s-]+activated\b", re.IGNORECASE)


def _kind(sentence: str, start: int, end: int, explicit: bool, next_start: int | None) -> str:
    """MoE total vs active, non-embedding, embedding, or plain dense total, from local wording."""
    after = sentence[end : (next_start if next_start is not None else end + 60)][:60]
    before = sentence[max(0, start - 40) : start]
    if P.EMBEDDING_AFTER.match(after) and "non" not in after[:12].lower():
        return "embedding"
    if (
        P.ACTIVE_WORDS.search(after[:40]) and not re.search(r"\bdense(?:ly)?\s*activated", after[:40], re.I)
    ) or re.search(r"\b(?:activat\w+|active)\s*$", before[-20:], re.I):
        return "moe_active"
    if re.search(r"\bonly\s*$", before[-20:], re.I) and P.MOE_WORDS.search(_DENSELY_ACTIVATED.sub(" ", sentence)):
        return "moe_active"  # "each token only uses 13B"; "a small model of only 10M parameters" is whole
    # a total the sentence sums from its parts ("2.4B non-embedding and 0.3B embedding
    # parameters, 2.7B in total") is the whole, unless its own words say non-embedding
    total = P.TOTAL_BEFORE.search(before[-20:]) or P.TOTAL_AFTER.match(after) or re.match(r"\s*total\b", after, re.I)
    if P.NON_EMBEDDING.search(after[:30] if total else sentence):
        return "non_embedding"
    if not explicit:
        return "unknown"
    if P.DENSE_WORDS.search(before):
        return "dense_total"  # "our dense baseline has 1.3B parameters" in a sentence about the sparse model
    moe_text = _DENSELY_ACTIVATED.sub(" ", sentence)  # "densely activated" names a dense model
    if P.MOE_WORDS.search(moe_text) and (
        re.search(r"total", sentence[start : end + 40], re.I) or P.ACTIVE_WORDS.search(moe_text)
    ):
        return "moe_total"
    return "dense_total"


def _window(sentence: str, start: int, end: int, before: int = 200, after: int = 150) -> tuple[int, int]:
    return max(0, start - before), min(len(sentence), end + after)


def _evidence(sentence: str, start: int, end: int) -> str:
    """The sentence, or a ~300-character window of it when the sentence is a glued-up table."""
    a, b = (0, len(sentence)) if len(sentence) <= 320 else _window(sentence, start, end, 160, 140)
    return re.sub(r"\s+", " ", sentence[a:b]).strip()


def _features(
    doc: Document,
    sentence: str,
    s_off: int,
    start: int,
    end: int,
    title_terms: set[str],
    own_spans: list[tuple[int, int]],
) -> dict[str, bool | int | float | str]:
    a, b = _window(sentence, start, end)
    win = sentence[a:b]
    near_a, near_b = _window(sentence, start, end, 90, 70)
    near = sentence[near_a:near_b]
    abs_start = s_off + start
    # "our model with 3.2B parameters outperforms the 48-layer model with 12B parameters": an
    # own-work cue does not reach past a comparison into the compared system's size
    scoped = enabled("comparisons")
    own_a = (
        max((m.end() for m in P.COMPARED_WITH.finditer(P.BOUND_BEFORE.sub("", sentence[a:start]))), default=0)
        if scoped
        else 0
    ) + a
    own_text = P.WE_COMPARE.sub(" ", sentence[own_a:b]) if scoped else sentence[own_a:b]
    own = bool(P.OWN_WORDS.search(own_text)) or any(sa < s_off + b and se > s_off + own_a for sa, se in own_spans)
    low = win.lower()
    title = any(re.search(rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])", low) for t in title_terms)
    c_lo, c_hi = _clause(sentence, start, end) if scoped else (0, len(sentence))
    hedges = enabled("hedges")
    return {
        "page": doc.page_of(abs_start),
        "own": own,
        "title": title,
        "cite": bool(P.CITATION.search(near)),
        # "less than 25 million": the "than" of a bound right before the number is the bound's
        # (counted below), not a comparison with another system
        "comparison": scoped
        and bool(P.COMPARISON.search(P.BOUND_BEFORE.sub("", sentence[max(c_lo, start - 70) : start]))),
        "hypothetical": hedges and bool(P.HYPOTHETICAL.search(sentence[max(0, start - 120) : end + 40])),
        "third_party": bool(P.THIRD_PARTY.search(sentence[max(c_lo, start - 120) : start])),
        "hardware": bool(P.HARDWARE.search(near)),
        "refs": doc.in_references(abs_start) or bool(_BIB_LIKE.search(near)),
        "appendix": doc.in_appendix(abs_start),
        "abstract": doc.in_abstract(abs_start),
        "bound": hedges and bool(P.BOUND_BEFORE.search(sentence[max(0, start - 25) : start])),
        "baseline": bool(P.BASELINE.search(sentence[max(c_lo, start - 120) : min(c_hi, end + 40)])),
        "total": bool(
            P.TOTAL_BEFORE.search(sentence[max(0, start - 20) : start])
            or re.match(r"\s*total\b", sentence[end : end + 8], re.I)
            or P.TOTAL_AFTER.match(sentence[end : end + 16])
        ),
        "offset_frac": abs_start / max(1, len(doc.text)),
    }


def _clause(sentence: str, start: int, end: int) -> tuple[int, int]:
    """The clause around a size, cut at contrasts: in "the baseline has 35M while ours has 8M"
    the baseline's cue is not the 8M's. Only cues about whose model it is are scoped this way;
    hedges ("could scale to") reach across."""
    lo = max((m.end() for m in P.CONTRAST.finditer(sentence, 0, start)), default=0)
    after = P.CONTRAST.search(sentence, end)
    return lo, after.start() if after else len(sentence)


#: Anything that may be a size. The leading lookahead only names the characters every alternative
#: starts with: it lets the regex engine skip to them instead of trying five alternatives at every
#: character of the paper (same matches, half the time; this scans the whole text).
_TRIGGER = re.compile(
    r"(?=[\d-])(?:\d\s?(?:[KMBT]\b)|\d[\s-]?(?:[Mm]illion|[Bb]illion|[Tt]rillion|×\s*10|[eE]\d)|\d,\d{3}\s|-\d+(?:\.\d+)?b\b|\b10\s*\^\s*\d)"
)
CUE_REACH = 2  # tokens a cue match may start before a sentence (patterns in P.cue_matcher are <= 3 tokens)
WINDOW = 400  # characters of context kept on each side of a possible size for sentence splitting (>= a long sentence)


def _windows(text: str) -> list[tuple[int, int]]:
    """Spans of the text worth running spaCy on: around anything that looks like a size.

    spaCy's tokenizer is the slowest step by far; a paper's sizes sit in a few percent of its text,
    so tokenising only ±WINDOW characters around them (cut at line starts) keeps the pipeline
    within the 2.5x-of-raw-pdfium target (docs/extraction.md, "Speed and memory").
    """
    spans: list[tuple[int, int]] = []
    for m in _TRIGGER.finditer(text):
        a = text.rfind("\n", 0, max(0, m.start() - WINDOW)) + 1
        b = text.find("\n", min(len(text), m.end() + WINDOW))
        b = len(text) if b < 0 else b
        if spans and a <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], b))
        else:
            spans.append((a, b))
    return spans


def find_mentions(doc: Document, *, title_terms: set[str] | None = None) -> list[Mention]:
    """All parameter-count mentions in running text (tables are read by ``extractors.columns``)."""
    title_terms = title_terms or set()
    nlp = P.nlp()
    matcher = P.cue_matcher()
    body = doc.text[: doc.refs_span[0]] if doc.refs_span else doc.text
    datasets = _dataset_names(body) if enabled("datasets") else set()
    out: list[Mention] = []
    spans = _windows(doc.text)
    for (a, _b), sdoc in zip(spans, nlp.pipe(doc.text[a:b] for a, b in spans)):
        for sent in sdoc.sents:
            # The sentence's text cut from the paper by offsets: ``Span.text`` builds a Python
            # Token for every token, for every sentence of the window.
            s = doc.text[a + sent.start_char : a + sent.end_char]
            if not _TRIGGER.search(s):
                continue
            # Own-work cues only matter where they overlap this sentence, so match just around
            # it (cue patterns are at most 3 tokens): most of a window has no size in it, and
            # matching whole windows was a fifth of the extraction time. Where none of the cue
            # words occurs, the Matcher (which visits every token) cannot match and is not run.
            near = sdoc[max(0, sent.start - CUE_REACH) : min(len(sdoc), sent.end + CUE_REACH)]
            own_spans = (
                [(a + near[s_:e_].start_char, a + near[s_:e_].end_char) for _, s_, e_ in matcher(near)]
                if P.CUE_WORD.search(doc.text, a + near.start_char, a + near.end_char)
                else []
            )
            for m in _sentence_mentions(doc, s, a + sent.start_char, title_terms, own_spans, datasets):
                if is_own_name(m.model, title_terms):
                    m.features["named_main"] = True
                elif is_other_system(m.model, title_terms) or (m.source == "name" and m.model):
                    m.features["other_name"] = True  # a size glued to a name ("Llama 2 70B") names a system
                out.append(m)
    return out


#: A possible size in a sentence: start, end, value, form ("compact" 7B, "word" 7 billion,
#: "sci" 1.2 x 10^9, "bare" 836,096).
Size = tuple[int, int, int, str]


def _sizes_in(s: str) -> list[Size]:
    """Every possible size in a sentence, in order; an overlapping later reading is dropped."""
    sizes: list[Size] = []
    for m in P.SIZE.finditer(s):
        if _negative(s, m.start()):
            continue  # "-175B" is a difference or a typo, never a model's size
        try:
            v = to_int(m.group("num"), m.group("scale"))
        except ValueError:
            continue
        compact = m.group("scale") in ("K", "M", "B", "T") and " " not in m.group(0)
        sizes.append((m.start(), m.end(), v, "compact" if compact else "word"))
    for m in P.SCI.finditer(s):
        scaled = parse_scaled(m.group(0))
        if scaled:
            sizes.append((m.start(), m.end(), scaled, "sci"))
    for m in P.POWER_OF_TEN.finditer(s):
        if not any(a <= m.start() < b for a, b, _, _ in sizes):
            sizes.append((m.start(), m.end(), 10 ** int(m.group("exp")), "sci"))
    for m in P.BARE_COUNT.finditer(s):
        if not any(a <= m.start() < b for a, b, _, _ in sizes):
            sizes.append((m.start(), m.end(), int(m.group("num").replace(",", "")), "bare"))
    return sorted(sizes)


def _reading(s: str, a: int, b: int, form: str) -> str | None:
    """What the words around one size say it is: "param" (a parameter count), "size" (a size used
    as a model's name), "reject" (a count of something else) or None (nothing says)."""
    before, after = s[:a], s[b:]
    if P.PARAM_AFTER.match(after) or P.PARAM_BEFORE.search(before[-45:]) or P.PARAM_OF_BEFORE.search(before[-90:]):
        return "param"
    if re.search(r"\bof which\s*$", before[-12:]) and P.ACTIVE_WORDS.search(after[:30]):
        return "param"  # "236B total parameters, of which 21B are activated"
    if P.TOTAL_BEFORE.search(before[-20:]) and re.search(P.PARAM_NOUN, before[-200:], re.I):
        if not P.NOT_PARAMS_AFTER.match(after):
            return "param"
    if P.TOTAL_AFTER.match(after) and _last_noun_is_params(before[-150:]):
        return "param"  # "..., 2.7B in total" after the parts it sums
    if P.size_rejected_by_context(before, after):
        return "reject"
    if form == "compact" and (P.SIZE_NOUN_AFTER.match(after) or P.SIZE_LIST_CONTEXT.search(s[max(0, a - 60) : a])):
        return "size"
    return None


def _share_list_nouns(s: str, sizes: list[Size], ctx: list[str | None]) -> None:
    """Lists share their noun: "132M, 368M, 1.3B and 7.0B parameters", "from 169 million to 14
    billion parameters" (a reading spreads backwards, then forwards, over list separators)."""
    for i in range(len(sizes) - 2, -1, -1):
        if (
            ctx[i] in (None, "size")
            and ctx[i + 1] in ("param", "size")
            and P.LIST_GAP.match(s[sizes[i][1] : sizes[i + 1][0]])
        ):
            if ctx[i] is None or ctx[i + 1] == "param":
                ctx[i] = ctx[i + 1]
    for i in range(1, len(sizes)):
        if ctx[i] is None and ctx[i - 1] in ("param", "size") and P.LIST_GAP.match(s[sizes[i - 1][1] : sizes[i][0]]):
            ctx[i] = ctx[i - 1]


def _sentence_mentions(
    doc: Document,
    s: str,
    s_off: int,
    title_terms: set[str],
    own_spans: list[tuple[int, int]],
    datasets: set[str] | frozenset[str] = frozenset(),
) -> list[Mention]:
    """The mentions of one sentence: sizes with a parameter word or a model noun, then sizes glued
    to names ("LLaMA-65B") that no reading above took."""
    sizes = _sizes_in(s)
    if not sizes and not P.NAME_SUFFIX.search(s):
        return []
    ctx = [_reading(s, a, b, form) for a, b, _v, form in sizes]
    _share_list_nouns(s, sizes, ctx)
    ends = _range_ends(s, sizes, ctx)
    out: list[Mention] = []
    taken: set[tuple[int, int]] = set()
    for i, (a, b, v, _form) in enumerate(sizes):
        if ctx[i] not in ("param", "size"):
            continue
        nxt = sizes[i + 1][0] if i + 1 < len(sizes) else None
        explicit = ctx[i] == "param"
        feats = _features(doc, s, s_off, a, b, title_terms, own_spans)
        feats["param_word"] = explicit
        feats["approx"] = bool(P.APPROX_BEFORE.search(s[max(0, a - 16) : a]))
        feats["trainable"] = bool(explicit and P.TRAINABLE.search(s[b : b + 30]))
        if i in ends:
            feats[ends[i]] = True
        kind = _kind(s, a, b, explicit, nxt)
        model = _nearest_model_name(s[:a], s[b:])
        out.append(
            Mention(v, kind, model, _evidence(s, a, b), int(feats["page"]), "sentence" if explicit else "size", feats)
        )
        taken.add((a, b))
    out += _glued_mentions(doc, s, s_off, title_terms, own_spans, datasets, taken)
    return out


def _glued_mentions(
    doc: Document,
    s: str,
    s_off: int,
    title_terms: set[str],
    own_spans: list[tuple[int, int]],
    datasets: set[str] | frozenset[str],
    taken: set[tuple[int, int]],
) -> list[Mention]:
    """Sizes glued to names: "LLaMA-65B", "GPT-3 (175B)", "PaLM 540B" (not a dataset's "JFT-300M")."""
    out: list[Mention] = []
    for rx, strength in ((P.NAME_SUFFIX, "name"), (P.NAME_PAREN, "name"), (P.NAME_SPACE, "name-space")):
        for m in rx.finditer(s):
            name = _clean_name(m.group("name"))
            if name.split("-")[0].split(" ")[0] in _NAME_STOP or name.lower() in {"figure", "table", "top", "fig"}:
                continue
            if rx is P.NAME_SUFFIX and (name.lower() + m.group(0)[len(m.group("name")) :].lower()) in datasets:
                continue  # "pre-trained on JFT-300M": a dataset's size, not a model's
            a, b = m.start("num"), m.end("scale")
            if any(ta <= a < tb for ta, tb in taken) or P.NOT_PARAMS_AFTER.match(s[m.end() :]):
                continue
            v = to_int(m.group("num"), m.group("scale").upper())
            # context is read from where the name starts, not the match: in "Compared to
            # DeepSeekCoder-33B" the match begins at "to", which would hide the comparison
            n_start = m.end("name") - len(name)
            feats = _features(doc, s, s_off, n_start, m.end(), title_terms, own_spans)
            feats["name_space"] = strength == "name-space"
            kind = _kind(s, a, b, False, None)
            out.append(Mention(v, kind, name, _evidence(s, n_start, m.end()), int(feats["page"]), "name", feats))
            taken.add((a, b))
    return out


def _last_noun_is_params(before: str) -> bool:
    """The count nearest before a size counted parameters, not tokens or images."""
    params = [m.end() for m in re.finditer(P.PARAM_NOUN, before, re.I)]
    other = [m.end() for m in P.OTHER_COUNT_NOUN.finditer(before)]
    return bool(params) and (not other or params[-1] > other[-1])


def _negative(s: str, start: int) -> bool:
    """A minus sign before the number that is not a hyphen inside a name ("OPT-175B")."""
    return bool(re.search(r"(?:^|[\s(=:,;])[-\u2212]\s?$", s[max(0, start - 3) : start]))


def _range_ends(s: str, sizes: list[tuple[int, int, int, str]], ctx: list[str | None]) -> dict[int, str]:
    """Which sizes open or close a range or list: "from 7B to 65B", "1.3B, 2.7B and 6.7B parameters".

    The top of a range is the family's largest model (what the dataset records); its bottom and
    the middle of a list are smaller siblings. Returns {index: "range_high" | "range_low"}.
    """
    out: dict[int, str] = {}
    i = 0
    while i < len(sizes):
        j = i
        while (
            j + 1 < len(sizes)
            and ctx[j + 1] in ("param", "size")
            and (
                P.LIST_GAP.match(s[sizes[j][1] : sizes[j + 1][0]])
                or P.RANGE_GAP.match(s[sizes[j][1] : sizes[j + 1][0]])
            )
        ):
            j += 1
        if j > i and ctx[i] in ("param", "size"):
            top = max(range(i, j + 1), key=lambda k: sizes[k][2])
            for k in range(i, j + 1):
                out[k] = "range_high" if k == top else "range_low"
        i = j + 1
    return out


def apply_paper_kind(mentions: list[Mention], moe_paper: bool) -> None:
    """On a mixture-of-experts paper, the paper's own total counts are MoE totals.

    Sentences rarely repeat "sparse"/"experts" next to every size ("we design a model with 1.6
    trillion parameters"), so the kind comes from the paper: when the title/first page establish an
    MoE model, a plain total that is not someone else's (no citation, cited name, comparison) and
    not framed as dense or a baseline becomes ``moe_total``. Active counts keep their own kind.
    """
    if not moe_paper:
        return
    for m in mentions:
        f = m.features
        if m.kind != "dense_total" or m.source == "table" and not f.get("own") and not f.get("title"):
            continue
        if f.get("cite") or f.get("comparison") or f.get("third_party") or f.get("baseline"):
            continue
        if P.DENSE_WORDS.search(m.evidence):
            continue
        m.kind = "moe_total"
