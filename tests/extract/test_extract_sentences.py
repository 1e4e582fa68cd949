"""The spaCy layer under the rules: sentences and own-work cues, as the rules see them.

Sentences are split by a token-array version of spaCy's ``sentencizer`` (plus the "et al."
fix), and the own-work ``Matcher`` only runs where one of its words occurs; these tests hold
both shortcuts to what the stock components would do.
"""

from __future__ import annotations

import pytest
import spacy

from paramtrack.extractors import patterns as P

TEXTS = [
    "We train a 7B model. It beats GPT-3 (175B)! Does it? Yes: on 12 of 14 tasks.",
    "Our largest model has 540B parameters ... and it is dense.",
    "In this paper, we also release the weights.\n\nTable 2: sizes (M).",
    'WE-TRAIN: ours. "This work" scales to 1.2 billion parameters; the report says so.',
]


@pytest.mark.parametrize("text", TEXTS)
def test_sentences_are_split_as_spacys_sentencizer_splits_them(text: str) -> None:
    stock = spacy.blank("en")
    stock.add_pipe("sentencizer")
    assert [s.text for s in P.nlp()(text).sents] == [s.text for s in stock(text).sents]


def test_a_citation_abbreviation_does_not_end_a_sentence() -> None:
    text = "Brown et al. trained GPT-3 with 175B parameters. Kaplan et al. fit the laws, e.g. loss."
    assert [s.text for s in P.nlp()(text).sents] == [
        "Brown et al. trained GPT-3 with 175B parameters.",
        "Kaplan et al. fit the laws, e.g. loss.",
    ]


CUE_TEXTS = [
    "We train a 7B model.",
    "we further scale it to 13B parameters",
    "WE-RELEASE 3 sizes",
    "(ours) 1.3B",
    "Our flagship model: 70B.",
    "This paper's 6.7B model",
    "the report lists 8 models",
    "weve trained 7B models; wed release them",  # tokenizer exceptions split "we" out of a word
    "They train a 175B model; its authors' paper is cited.",  # 'paper' after 'authors'' only
    "A 540B model of theirs, however, was weighed.",  # 'we' only inside words: no cue
    "Fourscore models, sourced from ourselves",  # 'our' only inside words: no cue
]


@pytest.mark.parametrize("text", CUE_TEXTS)
def test_the_cue_word_test_never_skips_a_sentence_the_matcher_would_match(text: str) -> None:
    doc = P.nlp()(text)
    matched = bool(P.cue_matcher()(doc))
    if matched:
        assert P.CUE_WORD.search(text)
    if text.startswith(("A 540B", "Fourscore")):
        assert not P.CUE_WORD.search(text) and not matched
