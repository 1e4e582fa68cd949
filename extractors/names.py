"""Whose model a size belongs to: the paper's own system names, and names of other systems.

A paper names its own system in a handful of general ways, and each is a rule here:

- the title's head before a colon ("PaLM: Scaling ...", "Orca: Progressive ...");
- words of the title spelled like names ("BERT", "ZeRO", "RoBERTa");
- the title's initials, when the text uses them as a name ("Progressive Neural Architecture
  Search" -> "PNAS", used as "PNASNet-5"; "Fully Convolutional Networks" -> "FCN");
- a name the paper introduces ("we propose X", "we call it X", "dubbed X", "named X");
- the proper noun it uses most often mid-sentence (its own system, far more often than any
  system it cites).

A model name matches an own name when it equals it or starts with it at a word boundary
("MobileNet-224", "Swin-L", "PNASNet-5" for "mobilenet", "swin", "pnas"). Any other name spelled
like a system ("GPT-3", "AlexNet", "T5-11B", "VGG") is someone else's.
"""

from __future__ import annotations

import re

from paramtrack.extractors import patterns as P
from paramtrack.extractors.rule_families import enabled

_TITLE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]*")
_SMALL = {
    "a",
    "an",
    "the",
    "of",
    "for",
    "and",
    "in",
    "on",
    "to",
    "with",
    "via",
    "by",
    "from",
    "at",
    "as",
    "is",
    "are",
    "its",
}
_INTRODUCED = re.compile(
    # an appositive right after the noun: "a predicted compute-optimal model, Chinchilla, that ..."
    r"\b(?:model|network|architecture|system|agent|transformer|family)s?,\s+(?P<appos>[A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*),|"
    r"\b(?:we\s+(?:propose|introduce|present|call|name|term|dub|release|develop|build|design)|"
    r"(?:called|named|dubbed|termed|coined)|(?:which|that)\s+we\s+(?:call|name|term|dub))\s+"
    r"(?:it\s+|this\s+|them\s+|the\s+|a\s+|an\s+|our\s+)?(?:(?:new|novel|simple|family of|series of|method|model|models|"
    r"architecture|approach|framework|network)\s+){0,3}(?:as\s+)?[\"'“‘]?(?P<name>[A-Z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*)",
)
#: A token spelled like a system's name: inner capitals or digits ("GPT-3", "AlexNet", "T5",
#: "LLaMA-65B") or an acronym of three or more capitals ("VGG", "BERT").
SYSTEM_LIKE = re.compile(r"^(?:[A-Z][A-Za-z]*[A-Z0-9][A-Za-z0-9.]*|[A-Z]{2,}[a-z]?)(?:[- ][A-Za-z0-9.]+)*$")


def title_acronyms(title: str | None, text: str) -> set[str]:
    """Initials of the title's words (runs of three or more) that the text uses as a name."""
    if not title:
        return set()
    words = [w for w in _TITLE_WORD.findall(title.split(":")[-1]) if w.lower() not in _SMALL]
    out: set[str] = set()
    for i in range(len(words)):
        for j in range(i + 3, min(len(words), i + 6) + 1):
            acro = "".join(w[0].upper() for w in words[i:j])
            if re.search(rf"(?<![A-Za-z]){acro}(?:[-A-Za-z0-9]|\b)", text):
                out.add(acro.lower())
    return out


def introduced_names(text: str) -> set[str]:
    """Names the paper introduces in its first pages ("we propose PNASNet", "dubbed Primer",
    "a compute-optimal model, Chinchilla, that ...")."""
    out: set[str] = set()
    for m in _INTRODUCED.finditer(text[:20_000]):
        name = m.group("name") or m.group("appos")
        if len(name) >= 3 and name.lower() not in P.GENERIC_NAMES and name not in ("We", "Our", "This", "The"):
            out.add(name.lower())
    return out


def system_names(title: str | None, body: str) -> set[str]:
    """Every name the paper uses for its own system (lower case)."""
    names = P.title_terms(title)
    if enabled("own_names"):
        names |= title_acronyms(title, body) | introduced_names(body) | P.main_system_names(body)
    return {n for n in names if len(n) >= 2}


def is_own_name(name: str | None, own: set[str]) -> bool:
    """ "MobileNet-224", "Swin-L", "Retro-7B", "1.0 MobileNet-224" for own names mobilenet/swin/retro."""
    if not name:
        return False
    low = name.lower()
    for token in re.split(r"[\s(),/]+", low):
        if not token:
            continue
        for t in own:
            if (
                token == t
                or (len(t) >= 3 and token.startswith(t) and not token[len(t) : len(t) + 1].isalpha())
                or (len(t) >= 4 and token.startswith(t))
            ):
                return True
            if t in token.split("-"):
                return True
    return False


def is_other_system(name: str | None, own: set[str]) -> bool:
    """A name spelled like a system's that is not one of the paper's own."""
    if not name or is_own_name(name, own):
        return False
    head = name.split()[0] if name.split() else name
    return bool(SYSTEM_LIKE.match(head)) and head.lower() not in P.GENERIC_NAMES


def label_systems(label: str | None, own: set[str]) -> tuple[bool, bool]:
    """(names an own system, names another system) for a table row's label.

    "UperNet Swin-L" and "Mask R-CNN Swin-T" name both: a downstream system built around the
    paper's backbone, whose size is not the backbone's. "Swin-L", "1.0 MobileNet-224" name only
    the own system.
    """
    if not label:
        return False, False
    tokens = [t for t in re.split(r"[\s(),/]+", label) if t]
    own_found = any(is_own_name(t, own) for t in tokens)
    other_found = any(is_other_system(t, own) for t in tokens if not is_own_name(t, own))
    return own_found, other_found


_NOT_A_NAME = {
    "parameter",
    "parameters",
    "param",
    "params",
    "model",
    "models",
    "total",
    "million",
    "billion",
    "table",
    "figure",
    "ours",
    "baseline",
    "method",
    "size",
}


_FUNCTION_WORD = re.compile(r"(?:and|or|of|the|with|et|al\.?|in|on|by|for|to|from|vs\.?|than)\b")


def clean_model_name(name: str | None, evidence: str, title: str | None = None) -> str | None:
    """A proposed system name, or None when it is not one a reviewer would write down.

    Never a fragment of a word ("eters" from a hyphenated "param-eters"): the name must start at a
    word boundary of its evidence. Never the paper's title, a long phrase, a generic word, or a
    word with neither a capital nor a digit ("base", "large" alone name no system). Never a bare
    number (a table row whose first cell is a score, "54.0") or the tail of a phrase cut at a
    function word ("and Farhadi" from a citation "Redmon and Farhadi").
    """
    if not name:
        return None
    text = " ".join(name.split()).strip(" |:;,.-•◦")
    if not text or len(text) > 60 or len(text.split()) > 6:
        return None
    if not re.search(r"[A-Z0-9]", text) or text.lower() in _NOT_A_NAME or text.lower() in P.GENERIC_NAMES:
        return None
    if not re.search(r"[A-Za-z]", text) or _FUNCTION_WORD.match(text):
        return None
    if title and " ".join(title.split()).lower() in (text.lower(), text.lower().rstrip(":")):
        return None
    if not re.search(rf"(?<![A-Za-z0-9]){re.escape(text.split()[0])}", evidence):
        return None
    return text
