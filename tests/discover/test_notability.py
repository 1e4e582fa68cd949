"""The notability rule, read as a specification."""

from datetime import date

import pytest

from paramtrack.discovery.notability import NotabilityRule, Verdict

RULE = NotabilityRule()  # 3 months: 10, 12 months: 50, 36 months: 150
TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("age_months", "needed"),
    [(0, 10), (3, 10), (7.5, 30), (12, 50), (24, 100), (36, 150), (120, 150)],
)
def test_the_bar_rises_with_age_between_anchors_and_is_flat_outside(age_months, needed):
    assert RULE.threshold(age_months) == pytest.approx(needed)


def test_a_young_paper_with_enough_citations_is_notable_at_once():
    assert RULE.judge(published=date(2026, 10, 1), citations=12, as_of=TODAY) is Verdict.NOTABLE


def test_a_paper_below_the_bar_stays_on_the_watchlist():
    assert RULE.judge(published=date(2026, 1, 1), citations=20, as_of=TODAY) is Verdict.WATCH


def test_a_watched_paper_ages_out_after_the_watch_period():
    assert RULE.judge(published=date(2023, 1, 1), citations=20, as_of=TODAY) is Verdict.AGED_OUT


def test_fast_growth_makes_a_paper_notable_before_it_reaches_the_bar():
    history = [(date(2026, 9, 1), 5), (date(2026, 11, 1), 30)]  # 25 in two months
    assert RULE.judge(published=date(2026, 3, 1), citations=30, as_of=TODAY, history=history) is Verdict.NOTABLE


def test_snapshots_too_close_together_say_nothing_about_growth():
    history = [(date(2026, 11, 20), 5), (date(2026, 11, 23), 30)]
    assert RULE.growth_rate(history) is None


def test_unknown_citations_keep_a_young_paper_watched():
    assert RULE.judge(published=date(2026, 11, 1), citations=None, as_of=TODAY) is Verdict.WATCH


def test_rule_parses_from_the_cli_form():
    rule = NotabilityRule.parse("3:10, 12:50")
    assert rule.threshold(12) == 50 and rule.threshold(100) == 50


@pytest.mark.parametrize("text", ["3-10", "3:10,3:20", "12:50,3:100", ""])
def test_malformed_rules_are_refused_with_a_reason(text):
    with pytest.raises(ValueError):
        NotabilityRule.parse(text)
