"""Sentence splitting and title normalisation (generator/drafting/textutil.py)."""

from __future__ import annotations

import pytest

from generator.drafting.textutil import normalize_title, split_sentences


@pytest.mark.parametrize(
    "sentence",
    [
        "Sparse models, e.g. Switch Transformers, route each token to one expert.",
        "Dense layers, i.e. standard feed-forward blocks, are replaced.",
        "Shazeer et al. introduced the sparsely-gated layer.",
        "As shown in Fig. 2 the loss drops quickly.",
        "The auxiliary loss in Eq. 3 balances the experts.",
        "Details follow in Sec. 4 of the appendix.",
        "The router reaches an F1 of 0.84 on the held-out set.",
        "Accuracy improves to 92.5% with eight experts.",
        "We compare MoE vs. dense models at equal compute.",
        "The method was proposed by J. Smith in earlier work.",
        "Funding came from the U.S. Army Research Office.",
        "Training takes approx. 5 days on 64 GPUs.",
    ],
)
def test_abbreviations_decimals_and_initials_stay_inside_the_sentence(sentence: str) -> None:
    text = f"{sentence} Next sentence starts here."
    assert split_sentences(text) == [sentence, "Next sentence starts here."]


def test_splits_on_period_exclamation_and_question_mark() -> None:
    text = "Experts specialise. Does routing collapse? It does not! 8 experts suffice."
    assert split_sentences(text) == [
        "Experts specialise.",
        "Does routing collapse?",
        "It does not!",
        "8 experts suffice.",
    ]


def test_splits_before_a_digit() -> None:
    assert split_sentences("We train two models. 16 experts are used.") == [
        "We train two models.",
        "16 experts are used.",
    ]


def test_no_split_before_lowercase() -> None:
    text = "The gate uses top-k. selection is then applied per token."
    assert split_sentences(text) == [text]


def test_decimal_without_space_is_not_a_boundary() -> None:
    assert split_sentences("Scores were 3.14 and 2.71 overall.") == [
        "Scores were 3.14 and 2.71 overall."
    ]


def test_closing_quote_and_parenthesis_stay_with_their_sentence() -> None:
    text = 'They wrote "experts help." Then they left. (See the appendix.) Results follow.'
    assert split_sentences(text) == [
        'They wrote "experts help."',
        "Then they left.",
        "(See the appendix.)",
        "Results follow.",
    ]


def test_opening_quote_or_parenthesis_starts_a_new_sentence() -> None:
    assert split_sentences('It works. "Experts" are cheap. (Mostly) true.') == [
        "It works.",
        '"Experts" are cheap.',
        "(Mostly) true.",
    ]


def test_sentences_rejoin_to_the_normalised_text() -> None:
    text = "First claim, e.g. one. Second claim (Fig. 2)! Third? 4 more."
    assert " ".join(split_sentences(text)) == text


@pytest.mark.parametrize("text", ["", "   ", "\n\t \n"])
def test_empty_or_whitespace_input_gives_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_whitespace_is_normalised() -> None:
    text = "  Mixture of\n  experts\tscale.   Routing\n\nmatters  "
    assert split_sentences(text) == ["Mixture of experts scale.", "Routing matters"]


def test_text_without_terminal_punctuation_is_one_sentence() -> None:
    assert split_sentences("a title without a period") == ["a title without a period"]


def test_normalize_title_folds_case_and_punctuation() -> None:
    assert normalize_title("Mixture-of-Experts: A Survey!") == "mixture of experts a survey"
    assert normalize_title("  GShard:   Scaling  Giant Models ") == "gshard scaling giant models"


def test_normalize_title_keeps_digits() -> None:
    assert normalize_title("Llama 2: 70B Models") == "llama 2 70b models"


def test_normalize_title_drops_accents_and_width_variants() -> None:
    assert normalize_title("Ünïcödé Títle") == "unicode title"
    assert normalize_title("ＭｏＥ Routing") == "moe routing"


def test_normalize_title_makes_variants_equal() -> None:
    assert normalize_title("Switch Transformers.") == normalize_title("switch  transformers")
    assert normalize_title("Switch Transformers") != normalize_title("Switch Transformer")
