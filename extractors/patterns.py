"""The wording rules: what a size mention looks like and which words around it matter.

All rules are about how papers in general phrase sizes ("N parameters", "an N-parameter model",
"Total Parameters=N", "Name-7B", "sizes 1.3B, 2.7B and 6.7B"), never about one paper's names.
Regexes find the number spans (spaCy's tokenizer splits "350M" but not "7B", so character-level
rules are simpler and exact); spaCy provides sentences and the cue phrases (``Matcher``).
"""

from __future__ import annotations

import re
from functools import lru_cache

from paramtrack.extractors.numbers import NUMBER

# --- size mentions -------------------------------------------------------------------------------

#: "175B", "1.5 billion", "7,532M", "1.6 trillion", "350 M", "a 15-billion-parameter model" (a scale
#: word may be hyphenated to its number; a scale letter may not: "3-B" is a label). Upper-case
#: suffix letters only here: lower-case "b" is a sub-figure ("Figure 3b") or a year suffix ("2016b").
SIZE = re.compile(
    rf"(?<![\w.,^/])(?P<num>{NUMBER})(?:\s|-(?=[TtMmBb](?:housand|illion|rillion)))?(?P<scale>[Tt]housand|[Mm]illion|[Bb]illion|[Tt]rillion|bn|[KMBT])(?![\w])"
)
#: "836,096 parameters", "130,000 trainable parameters": an exact count with no scale word.
BARE_COUNT = re.compile(
    r"(?<![\w.,^/])(?P<num>\d{1,3}(?:,\d{3})+|\d{4,12})(?=\s*-?\s*(?:(?:total|trainable|learnable|free|model)\s+){0,2}(?:parameters?|params?|weights)\b)",
    re.IGNORECASE,
)
#: Words right before a size that say it is rounded: "about 1.5M", "approximately 7B", "~1.2B".
APPROX_BEFORE = re.compile(
    r"(?:\babout|\baround|\broughly|\bapproximately|\bapprox\.?|\bnearly|\balmost|~|≈)\s*$", re.IGNORECASE
)
#: "from 7B to 65B", "ranging from 125M to 175B", "between 1B and 8B", "from 1B up to 8B".
RANGE_GAP = re.compile(r"^\s*(?:-|to|up to|and|through)\s*$", re.IGNORECASE)
RANGE_START = re.compile(r"\b(?:from|between|ranging from|range from|ranges from|sizes? from)\s*$", re.IGNORECASE)
TRAINABLE = re.compile(r"\b(?:trainable|learnable|tunable|updated|fine-?tuned)\b", re.IGNORECASE)
#: "1.2 × 10^9", "1.2x10^9", "2.5e9" (scientific notation).
SCI = re.compile(
    r"(?<![\w.])(?P<mant>\d+(?:\.\d+)?)\s*[×x\*·]\s*10\s*\^\s*(?P<exp>\d{1,2})(?!\d)|(?<![\w.])(?P<mant2>\d+(?:\.\d+)?)[eE]\+?(?P<exp2>\d{1,2})(?![\w.])"
)

#: Words between a size and the parameter noun that keep the reading ("175B total parameters",
#: "7B (non-embedding) parameters", "13B active parameters", "a 540 billion parameter, densely").
_MODIFIER = r"(?:total|active|activated|trainable|learnable|learned|model|network|sparse|dense|free|non-?embedding|\(non-?embedding\)|embedding|additional|extra|fewer|more|unique)"
PARAM_NOUN = r"(?:parameters?|params?|weights|connections)\b"
PARAM_AFTER = re.compile(rf"^\s*-?\s*(?:{_MODIFIER}\s*-?\s*){{0,2}}{PARAM_NOUN}", re.IGNORECASE)
#: "Total Parameters=340M", "parameters: 1.3B", "number of parameters is 1.3B", "model size of 6.7B",
#: "parameter count of 7B" (the size comes after the noun).
PARAM_BEFORE = re.compile(
    r"(?:parameters?|params?|parameter count|model size|size of the model)\s*(?:\(|=|:|of|is|was|are|were|totals?|totall?ing|reaches|to|"
    r"ranging from|range from|from|between)?\s*"
    r"(?:about|around|roughly|approximately|only|just|nearly|over|~)?\s*$",
    re.IGNORECASE,
)
#: "the total number of parameters in our model is 1.3 billion", "parameters of the network amount
#: to 25M": the noun, what it counts, then the size.
PARAM_OF_BEFORE = re.compile(
    r"\b(?:parameters?|params?|parameter count)\s+(?:in|of|for)\s+(?:[\w-]+\s+){1,4}?"
    r"(?:is|was|are|were|amounts? to|comes? to|totals?)\s*(?:about|around|roughly|approximately|only|just|nearly|~)?\s*$",
    re.IGNORECASE,
)
#: "roughly 10^9 parameters": a power of ten alone (normalised from "10⁹"), 10^3 or more.
POWER_OF_TEN = re.compile(r"(?<![\w.×x*·^])10\s*\^\s*(?P<exp>[3-9]|1[0-5])(?![\d.])")
#: "a 7B model", "the 172M baseline", "at the 7B scale", "7B variants", "a compact 1.1B language
#: model", "a 124B open-weights multimodal model", "a 3B VLM", "models at 7B and 13B scales" (a size
#: used as a model's name). Up to three words may qualify the noun, none a preposition or conjunction.
_QUALIFIER = r"(?!(?:of|on|in|to|for|with|and|or|from|at|by|as|than|per|that|which|is|are|was|were)\b)[A-Za-z][\w+.-]*"
_MODEL_NOUN = (
    r"(?:models?|[A-Z]{0,3}LMs?|variants?|versions?|baselines?|scales?|sizes?|configurations?|transformers?|"
    r"networks?|checkpoints?|backbones?|encoders?|decoders?|architectures?|counterparts?|agents?|policies)"
)
SIZE_NOUN_AFTER = re.compile(rf"^\s*-?\s*(?:{_QUALIFIER}\s+){{0,3}}{_MODEL_NOUN}\b")
#: "model sizes (i.e., 1.3B, 2.7B, and 6.7B)", "The model size is 6.7B", "six dense models (1.5B, 7B,
#: 8B)", "offered in three configurations: 32B, 7.8B, and 2.4B", "vision LLMs (11B and 90B)".
SIZE_LIST_CONTEXT = re.compile(
    r"\bmodel\s+sizes?\b|\bsizes\b|\bscales\b|\bsizes? of (?:the )?models?\b"
    r"|\b(?:models|[A-Z]{0,3}LMs|versions|variants|configurations|checkpoints)\s*(?:[:(]|\(?(?:i\.e\.|e\.g\.),?)\s*$",
    re.IGNORECASE,
)

#: A list continues between two sizes: "132M, 368M, 1.3B and 7.0B parameters", "from 125M to 175B".
LIST_GAP = re.compile(r"^\s*(?:,|,?\s*and|,?\s*or|to|-|/|,\s*to)\s*$", re.IGNORECASE)

#: What may follow a size inside a model's name: "Gemma-2-9B-it", "Granite-3.1-8B-Base",
#: "Qwen3-235B-A22B" (total and active sizes), "pplx-7b-online".
_VARIANT = (
    r"(?:-(?:[Ii]t|IT|[Ii]nstruct|[Bb]ase|[Cc]hat|[Pp]review|[Oo]nline|[Cc]ode|[Vv]\d[\w.]*|A\d+(?:\.\d+)?B|\d{4}))*"
)
#: A size glued to a model name: "LLaMA-65B", "OPT-175B", "Pythia-6.9B", "Gemma-2-9B-it".
NAME_SUFFIX = re.compile(
    r"(?<![\w-])(?P<name>[A-Za-z][A-Za-z0-9.]*(?:[- ][A-Za-z0-9][A-Za-z0-9.]*)?)-(?P<num>\d+(?:\.\d+)?)"
    rf"(?P<scale>[MBT]|[bm](?=[\s,.;:)]|$|-))(?={_VARIANT}(?![\w-]))"
)
#: "GPT-3 (175B)", "Gopher (280B)" and "PaLM 540B", "DeepSeek 67B" (figure legends, tables). A size
#: followed by a hyphen modifies the next word ("Unified 100B-Scale", "a 7B-parameter"): it is not
#: glued to the word before it.
NAME_PAREN = re.compile(
    r"(?<![\w-])(?P<name>[A-Z][A-Za-z0-9.-]*(?: [0-9]{1,2})?)\s*\((?P<num>\d+(?:\.\d+)?)(?P<scale>[MBT])\)"
)
NAME_SPACE = re.compile(
    r"(?<![\w-])(?P<name>(?:[A-Z][a-z]*[A-Z0-9][A-Za-z0-9.-]*|[A-Z][a-z]{2,})(?: [0-9]{1,2}(?:\.[0-9])?|-[0-9]{1,2}(?:\.[0-9])?)?\+?)"
    rf"\s(?P<num>\d+(?:\.\d+)?)(?P<scale>[MBT])(?={_VARIANT}(?![\w.-]))(?!\s*(?:\d|[A-Z]{{2}}))"
)

#: A size followed by one of these is not a parameter count.
NOT_PARAMS_AFTER = re.compile(
    r"^\s*-?\s*(?:\w+\s+){0,1}(?:tokens?|words?|subwords?|sub-?word|pieces|images?|frames?|examples?|samples?|documents?|docs|"
    r"sentences?|pairs?|queries|instructions|characters?|bytes?|steps?|iterations?|updates?|episodes?|games?|"
    r"FLOPs?|flops|GB|TB|MB|KB|GiB|GPUs?|TPUs?|chips?|cores?|hours?|days?|USD|dollars|vectors|values|pages|"
    r"conversations?|users?|downloads|hyperparameters?|responses|prompts|videos?|clips?|hrs|utterances|"
    r"petaflops?|teraflops?|rows|entries|passages|chunks|articles|questions|answers|demonstrations|tasks|"
    r"vocab|vocabulary|context|contexts|sequences?|batch)\b",
    re.IGNORECASE,
)
NOT_PARAMS_BEFORE = re.compile(
    r"(?:Figure|Fig\.|Table|Section|Sec\.|Eq\.|Equation|Appendix|Algorithm|\$|USD|batch size of|batch size|trained on|train on|"
    r"context length of|context of|vocabulary of|vocabulary size of|corpus of|dataset of|)\s*$",
    re.IGNORECASE,
)
_NOT_PARAMS_BEFORE_STRICT = re.compile(
    r"(?:Figure|Fig\.|Table|Section|Sec\.|Eq\.|Equation|Appendix|Algorithm|\$|USD|batch size(?: of)?|trained on|"
    r"train(?:ing)? on|context length of|vocabulary(?: size)? of|corpus of|dataset of|consisting of|total of)\s*$",
    re.IGNORECASE,
)


def size_rejected_by_context(before: str, after: str) -> bool:
    """True when the words around a size say it counts something other than parameters."""
    return bool(NOT_PARAMS_AFTER.match(after)) or bool(_NOT_PARAMS_BEFORE_STRICT.search(before[-40:]))


# --- cues around a mention -----------------------------------------------------------------------

#: Citation markers: "(Brown et al., 2020)", "Brown et al. (2020)", "[12]", "[4, 7]", "[ZHB+19]".
CITATION = re.compile(
    r"\(\s*(?:e\.g\.,?\s*|see\s+)?[A-Z][A-Za-z'`-]+(?:\s+et\s+al\.?|\s+(?:and|&)\s+[A-Z][A-Za-z'-]+)?,?\s*\d{4}[a-z]?"
    r"|[A-Z][A-Za-z'-]+\s+et\s+al\.?\s*\(\d{4}[a-z]?\)"
    r"|\[\s*\d{1,3}(?:\s*[,-]\s*\d{1,3})*\s*\]"
    r"|\[[A-Z][A-Za-z]{1,4}\+?\d{2}[a-z]?(?:\s*,\s*[A-Z][A-Za-z]{1,4}\+?\d{2}[a-z]?)*\]"
)
#: Words that put a size on another system: comparisons and examples.
COMPARISON = re.compile(
    r"\b(?:than|compared (?:to|with)|comparison|versus|vs\.?|outperform\w*|surpass\w*|similar to|such as|e\.g\.|"
    r"like|previous|prior|existing|state-of-the-art|SOTA|larger|smaller|literature|popular|other|baselines?|"
    r"proprietary|closed|released by|matches|match|rival\w*)\b",
    re.IGNORECASE,
)
#: Words that make a size hypothetical or a limit, not a trained model. "up to a 280B model" names
#: the largest model trained ("from 44M up to a 280B parameter model"), "up to 1T parameters" a limit.
HYPOTHETICAL = re.compile(
    r"\b(?:could|would|potential(?:ly)?|beyond|up to(?!\s+(?:a|an|the|our)\s)|future|coming soon|still training|capable of|"
    r"theoretical(?:ly)?|hypothetical|projected|estimate[sd]?|can\s+(?:scale|fit|support|handle)|scale to|"
    r"currently training|still training|in progress|upcoming|plan(?:s|ned)? to|will|extend|as an example|for example|consider|"
    r"trillions of|hundreds of|tens of|10s of|100s of)\b",
    re.IGNORECASE,
)
#: Memory/hardware framing ("fits in 48GB", "runs out of memory for models with more than 1.4B").
HARDWARE = re.compile(r"\b(?:memory|GB|GiB|out of memory|OOM|per GPU|per device|DGX|V100|A100|TPUv\d)\b")
#: Own-work framing. Also used through spaCy's Matcher for sentence-level cues (see ``cue_matcher``).
OWN_WORDS = re.compile(
    r"\b(?:we|our|ours|us)\b|\bthis (?:work|paper)\b|\b(?:these|the proposed) models?\b",
    re.IGNORECASE,
)
#: "We compare against the ... 11-billion parameter model": the "we" of a comparison is the
#: subject, and what it compares against is someone else's; the phrase is no own-work cue.
WE_COMPARE = re.compile(
    r"\bwe\s+(?:also\s+|further\s+)?(?:compare|benchmark|evaluate)\s+(?:\w+\s+){0,3}?(?:against|to|with)\b",
    re.IGNORECASE,
)
ACTIVE_WORDS = re.compile(r"\b(?:activ(?:e|ated)|used per token|per token)\b", re.IGNORECASE)
MOE_WORDS = re.compile(r"\b(?:experts?|mixture[- ]of[- ]experts|MoE|sparse(?:ly)?|activ(?:e|ated))\b", re.IGNORECASE)
#: Paper-level evidence that the paper's own model is a mixture of experts: words that name the
#: architecture, not incidental ones ("expert human players", "sparse features" do not count).
MOE_PAPER_WORDS = re.compile(
    r"mixture[- ]of[- ]experts|\bMoEs?\b|sparsely[- ]activated|\bexperts\b|\bexpert (?:layers?|parallelism|routing|networks?)\b|\btop-[12k] (?:routing|gating)\b",
    re.IGNORECASE,
)
#: A sentence that frames a size as a dense model ("a dense baseline with 1.3B parameters").
DENSE_WORDS = re.compile(r"\bdense(?:ly)?\b|\bbaselines?\b", re.IGNORECASE)


def is_moe_paper(title: str | None, first_page: str) -> bool:
    """The title names a mixture-of-experts architecture, or the first page does at least twice.

    "Sparse" alone is not a cue (sparse attention, sparse features are dense-parameter models).
    One passing mention ("unlike MoE models, ...") is not enough; a paper about its own MoE model
    names the architecture repeatedly from the first page on.
    """
    if title and MOE_PAPER_WORDS.search(title):
        return True
    return len(MOE_PAPER_WORDS.findall(first_page[:6000])) >= 2


NON_EMBEDDING = re.compile(
    r"non-?\s?embedding|exclud\w* (?:the )?(?:\w+ )?embeddings?|embeddings? (?:matrices |parameters )?(?:are |is )?(?:excluded|not included|not counted)|without (?:the )?embeddings?",
    re.IGNORECASE,
)
EMBEDDING_AFTER = re.compile(r"^\s*-?\s*(?:of\s+)?(?:are\s+)?(?:in\s+)?(?:the\s+)?embedding", re.IGNORECASE)

#: Own-work verbs: "we train", "we present", "we release" ... as spaCy Matcher patterns.
OWN_VERBS = [
    "train",
    "trained",
    "pretrain",
    "pretrained",
    "pre-train",
    "pre-trained",
    "present",
    "release",
    "released",
    "introduce",
    "introduced",
    "build",
    "built",
    "develop",
    "developed",
    "scale",
    "scaled",
    "design",
    "designed",
    "propose",
    "obtain",
    "create",
    "created",
    "open-source",
    "report",
    "describe",
    "achieve",
    "deliver",
    "finetune",
    "fine-tune",
    "finetuned",
    "continue",
    "use",
    "evaluate",
    "demonstrate",
    "implement",
    "run",
]


_ABBREV = {"al", "e.g", "i.e", "fig", "figs", "eq", "eqs", "vs", "cf", "sec", "approx", "resp", "no", "tab", "et al"}


class _FastSentences:
    """spaCy's rule-based ``sentencizer`` plus the "et al." fix, on token arrays instead of Token objects.

    Same rule as ``spacy.pipeline.Sentencizer`` (default punctuation): after a token in
    ``punct_chars``, the next token that is neither punctuation nor in ``punct_chars`` starts a
    sentence. Then a start right after an abbreviation ("et al.", "e.g.", "Fig.") is undone:
    citations are not sentence ends. Creating a Python Token per token made the stock components
    a third of the spaCy time; here only sentence starts are visited.
    """

    def __init__(self, vocab) -> None:
        import numpy as np
        from spacy.pipeline import Sentencizer  # the same class; its own module is compiled, with no stub

        self._np = np
        self._punct = np.array(sorted({vocab.strings.add(c) for c in Sentencizer.default_punct_chars}), dtype="uint64")
        self._comma_dot = {vocab.strings.add(","), vocab.strings.add(".")}

    def __call__(self, doc):
        # spacy.attrs is a compiled Cython module that ships no .pyi stub (only .pyx/.pxd)
        from spacy.attrs import IS_PUNCT, LOWER, ORTH, SENT_START  # type: ignore[import-not-found]

        np = self._np
        n = len(doc)
        if n == 0:
            return doc
        arr = doc.to_array([ORTH, IS_PUNCT, LOWER])
        in_punct = np.isin(arr[:, 0], self._punct)
        cand = np.nonzero((arr[:, 1] == 0) & ~in_punct)[0]
        nxt = np.searchsorted(cand, np.nonzero(in_punct)[0], side="right")
        starts = np.zeros(n, dtype="int64")
        starts[cand[nxt[nxt < len(cand)]]] = 1
        starts[0] = 1
        # The abbreviation check reads the strings store by hash: ``doc[j]`` would build a Token.
        orth, lower, strings = arr[:, 0].tolist(), arr[:, 2].tolist(), doc.vocab.strings
        for i in (np.nonzero(starts[1:])[0] + 1).tolist():
            prev = [j for j in range(max(0, i - 3), i) if orth[j] not in self._comma_dot]
            if prev and strings[lower[prev[-1]]].rstrip(".") in _ABBREV:
                starts[i] = 0
        starts[starts == 0] = -1
        doc.from_array([SENT_START], starts.astype("uint64").reshape(-1, 1))
        return doc


@lru_cache(maxsize=1)
def nlp():
    """The one spaCy pipeline per process: blank English + sentencizer (no model download).

    Building it costs ~0.3 s, so it is cached; the benchmark measures throughput with it warm.
    """
    import spacy
    from spacy.language import Language

    if "paramtrack_sentences" not in Language.factories:

        @Language.factory("paramtrack_sentences")
        def _make_sentences(nlp, name):  # noqa: ARG001 (spaCy passes both)
            return _FastSentences(nlp.vocab)

    pipeline = spacy.blank("en")
    pipeline.add_pipe("paramtrack_sentences")
    pipeline.max_length = 5_000_000
    return pipeline


#: A word every ``cue_matcher`` pattern needs ("we", "our", "ours", "work", "paper", "report"),
#: case-insensitive, not inside a longer word. No match here means no cue match, so the Matcher
#: can be skipped: spaCy's English tokenizer splits a cue word out of a run of letters only in its
#: contraction exceptions ("wed" -> "we" "d", "weve"), where the next token ends every pattern.
CUE_WORD = re.compile(r"(?<![^\W\d_])(?:we|ours?|work|paper|report)(?![^\W\d_])", re.IGNORECASE)


@lru_cache(maxsize=1)
def cue_matcher():
    """spaCy Matcher for own-work phrases ("we train", "we release", "our largest model")."""
    from spacy.matcher import Matcher

    m = Matcher(nlp().vocab)
    m.add(
        "OWN_VERB",
        [
            [
                {"LOWER": "we"},
                {"LOWER": {"IN": ["also", "further", "then", "first"]}, "OP": "?"},
                {"LOWER": {"IN": OWN_VERBS}},
            ]
        ],
    )
    m.add("OUR_LARGEST", [[{"LOWER": "our"}, {"LOWER": {"IN": ["largest", "biggest", "flagship", "final", "main"]}}]])
    m.add("THIS_WORK", [[{"LOWER": {"IN": ["this", "the"]}}, {"LOWER": {"IN": ["work", "paper", "report"]}}]])
    m.add("OURS", [[{"LOWER": {"IN": ["our", "ours"]}}]])
    return m


def title_terms(title: str | None) -> set[str]:
    """Distinctive words of a title that may name the paper's system.

    The part before a colon ("PaLM: Scaling ...", "Orca: Progressive ...") names the system; in the
    rest only words spelled like names count (inner capitals, digits, all caps): "BERT", "ZeRO".
    Words after the colon naming other systems ("... of GPT-4") are dropped.
    """
    if not title:
        return set()
    terms: set[str] = set()
    head, sep, rest = title.partition(":")
    if sep and len(head.split()) <= 4:
        for w in re.findall(r"[A-Za-z][A-Za-z0-9-]*", head):
            if len(w) >= 3 and w.lower() not in _STOP:
                terms.add(w.lower())
                terms.update(p.lower() for p in w.split("-") if len(p) >= 3)
    else:
        for w in re.findall(r"[A-Za-z][A-Za-z0-9-]*", title):
            if (re.search(r"[a-z][A-Z]|^[A-Z]{2,}", w) and not w.endswith("Ms")) and w.lower() not in _STOP:
                terms.add(w.lower())
    return terms


_STOP = {
    "the",
    "and",
    "for",
    "with",
    "via",
    "from",
    "towards",
    "toward",
    "language",
    "models",
    "model",
    "large",
    "deep",
    "learning",
    "neural",
    "network",
    "networks",
    "llms",
    "llm",
    "nlp",
    "gpu",
    "gpus",
}


#: A bound, not a size: "over 100B", "more than 1.4B", "beyond 1 trillion", "larger than 2B".
BOUND_BEFORE = re.compile(
    r"(?:\bover|\bmore than|\bbeyond|\bup to|\bupwards of|\bin excess of|\bat least|\bless than|\bfewer than|\bunder|\babove|\blarger than|"
    r"\bsmaller than|\bexceed(?:s|ing)?|\bbelow|>|<|≥|≤)\s*(?:~|about|around)?\s*$",
    re.IGNORECASE,
)
BASELINE = re.compile(r"\bbaselines?\b", re.IGNORECASE)
#: Words after which a sentence names the system compared with: "ours outperforms the 12B model".
COMPARED_WITH = re.compile(
    r"\b(?:outperform(?:s|ed|ing)?|surpass(?:es|ed|ing)?|beat(?:s|ing)?|than|compared (?:to|with)|versus|vs\.?)\s",
    re.IGNORECASE,
)
#: Words that turn a sentence to another system: "A has 35M parameters while B has 8M".
CONTRAST = re.compile(r"\b(?:while|whereas|but)\b|;", re.IGNORECASE)
TOTAL_BEFORE = re.compile(r"(?:\ba total of|\bin total|\btotall?ing|\bsum of|\bout of)\s*$", re.IGNORECASE)
#: "2.4B non-embedding and 0.3B embedding parameters, 2.7B in total": a total named after the size.
TOTAL_AFTER = re.compile(r"^\s*(?:in\s+total|in\s+all|altogether|overall)\b", re.IGNORECASE)
#: What a count earlier in the sentence counted, when it is not parameters ("1T tokens, 2T in total").
OTHER_COUNT_NOUN = re.compile(
    r"\b(?:tokens?|words?|images?|examples?|samples?|documents?|steps?|FLOPs?|hours?|GPUs?)\b", re.I
)
_PROPER_MID = re.compile(r"(?<=[a-z,] )(?P<name>[A-Z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*)(?![\w-])")
GENERIC_NAMES = {
    "table",
    "figure",
    "fig",
    "section",
    "appendix",
    "transformer",
    "transformers",
    "english",
    "wikipedia",
    "gpu",
    "gpus",
    "tpu",
    "tpus",
    "adam",
    "lstm",
    "the",
    "we",
    "our",
    "in",
    "for",
    "eq",
    "equation",
    "algorithm",
    "nvidia",
    "google",
    "openai",
    "github",
    "arxiv",
    "imagenet",
    "it",
    "this",
    "these",
    "a",
    "an",
    "as",
    "and",
    "however",
    "attention",
    "linear",
    "layer",
    "softmax",
    "relu",
    "gelu",
    "bleu",
    "rouge",
    "cifar",
    "coco",
    "mnist",
    "rnn",
    "cnn",
    "convnet",
    "mlp",
    "encoder",
    "decoder",
    "model",
    "network",
    "seq2seq",
    "moe",
}

#: Words around a name-size token that make it a dataset ("trained on JFT-300M", "the LAION-400M dataset").
DATASET_BEFORE = re.compile(
    r"\b(?:(?:pre-?|fine-?)?train(?:ed|ing)?|distill(?:ed|ing)?|sampl(?:e|ed|ing)|collected)\s+(?:\w+\s+){0,3}?(?:on|from)\s+(?:the\s+)?$"
    r"|\b(?:pre-?|fine-?)?train(?:ed|ing|s)?\b[^.;]{0,60}\b(?:and|or)\s+on\s+(?:the\s+)?$"
    r"|\b(?:dataset|corpus|subset|split)\s+(?:of\s+)?$",
    re.IGNORECASE,
)
DATASET_AFTER = re.compile(
    # "JFT-300M images", "LAION-2B English subset": one capitalised word may qualify the noun
    r"^\s*(?:\([^)]{0,40}\)\s*)?(?:[A-Z][a-z]+\s+)?(?:data(?:set)?s?|corpus|corpora|benchmark|split|subset|collection|images|examples|queries|pairs)\b",
    re.IGNORECASE,
)


def main_system_names(text: str) -> set[str]:
    """The name the paper uses most often mid-sentence: its own system ("Retro", "Mixtral", "ZeRO").

    Proper nouns mid-sentence are names; the most frequent one in a paper is the system it
    introduces far more often than any system it cites. Generic words (Table, Transformer) are skipped.
    """
    from collections import Counter

    counts = Counter(m.group("name") for m in _PROPER_MID.finditer(text[:300_000]))
    for name, n in counts.most_common(12):
        if name.lower() in GENERIC_NAMES or len(name) < 3 or n < 8:
            continue
        return {name.lower()}
    return set()


#: Others' work: "researchers have used ...", "their model", "the authors".
THIRD_PARTY = re.compile(
    r"\b(?:researchers|others|they|their|the authors|has been|have been used|was used by)\b", re.IGNORECASE
)
