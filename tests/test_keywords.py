"""Reading an inbound text the way carriers do: whole message, any case, punctuation around it ignored."""

import pytest

from contacts_app.domain.keywords import (
    CONFIRM_KEYWORDS,
    HELP_KEYWORDS,
    OPT_IN_KEYWORDS,
    OPT_OUT_KEYWORDS,
    KeywordKind,
    classify,
)


def test_the_keyword_lists_are_the_carrier_ones():
    assert OPT_OUT_KEYWORDS == {
        *("STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT", "OPT OUT")
    }
    assert OPT_IN_KEYWORDS == {"START", "UNSTOP"}
    assert CONFIRM_KEYWORDS == {"YES"}
    assert HELP_KEYWORDS == {"HELP", "INFO"}


@pytest.mark.parametrize("word", sorted(OPT_OUT_KEYWORDS))
@pytest.mark.parametrize("written", ["{}", "{lower}", "  {title}  ", "{}!", "...{lower}.", '"{}"', "\n{}\t"])
def test_every_opt_out_keyword_in_any_case_and_punctuation_opts_out(word, written):
    body = written.format(word, lower=word.lower(), title=word.title())
    assert classify(body) == KeywordKind.OPT_OUT


def test_opt_out_written_with_extra_inner_spaces_still_counts():
    assert classify("opt   out") == KeywordKind.OPT_OUT


@pytest.mark.parametrize("body", ["START", "start", " Start. ", "UNSTOP", "unstop!"])
def test_start_and_unstop_opt_in(body):
    assert classify(body) == KeywordKind.OPT_IN


@pytest.mark.parametrize("body", ["YES", "yes", "Yes!", " yes. "])
def test_yes_confirms(body):
    assert classify(body) == KeywordKind.CONFIRM


@pytest.mark.parametrize("body", ["HELP", "help?", "Info", "INFO!"])
def test_help_and_info_are_recognised(body):
    assert classify(body) == KeywordKind.HELP


@pytest.mark.parametrize(
    "body",
    [
        "please stop texting me",
        "unsubscribe me",
        "Stop it",
        "Can you take me off this list?",
        "Don't text me again",
        "no more texts please",
        "I want to opt-out",
        "please cancel these text messages",
        "Leave me alone",
    ],
)
def test_longer_message_that_reads_like_a_revocation_is_only_flagged(body):
    assert classify(body) == KeywordKind.POSSIBLE_OPT_OUT


@pytest.mark.parametrize(
    "body", ["See you at 5", "Yes please, book me in", "Can I cancel my appointment?", "", "   ", "Thanks!", "STARTED"]
)
def test_ordinary_messages_are_neither_keywords_nor_flagged(body):
    assert classify(body) == KeywordKind.NONE


def test_a_keyword_inside_a_sentence_is_not_the_keyword():
    assert classify("yes stop") != KeywordKind.OPT_OUT
    assert classify("start now") == KeywordKind.NONE
