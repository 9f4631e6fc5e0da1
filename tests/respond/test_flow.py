"""The path through a survey, step by step (pure code, table-driven)."""

from __future__ import annotations

from typing import Any

import pytest

from surveyor.respond import flow
from surveyor.respond.ratelimit import SlidingWindow, client_key
from surveyor.surveys.questionview import question_view
from tests.respond.helpers import nps_definition

NPS = nps_definition()
ONE_PAGE = nps_definition(settings={"one_page": True})


@pytest.mark.parametrize(
    ("answers", "current", "expected", "position", "total"),
    [
        # The total counts the reason question the score will reveal: "1 of 3", then "2 of 3".
        ({}, "", ["score"], 1, 3),
        ({"score": 3}, "improve", ["improve"], 2, 3),
        ({"score": 8}, "higher", ["higher"], 2, 3),
        ({"score": 10}, "right", ["right"], 2, 3),
        ({"score": 10}, "", ["right"], 2, 3),  # no saved step: first unanswered
        ({"score": 10}, "improve", ["right"], 2, 3),  # saved step no longer visible
        ({"score": 10, "right": "x", "topics": ["price"]}, "", None, 0, 0),
    ],
)
def test_first_step_resumes_where_the_response_stands(
    answers: dict[str, Any], current: str, expected: list[str] | None, position: int, total: int
) -> None:
    step = flow.first_step(NPS, answers, current)
    if expected is None:
        assert step is None
        return
    assert step is not None
    assert (step.ids, step.position, step.total) == (expected, position, total)


@pytest.mark.parametrize(
    ("saved", "posted_ids", "form", "next_step", "complete", "errors"),
    [
        ({}, ["score"], {"q_score": "3"}, "improve", False, {}),
        ({}, ["score"], {"q_score": "9"}, "right", False, {}),
        ({}, ["score"], {"q_score": "11"}, "", False, {"score": "Choose a number from 0 to 10."}),
        ({}, ["score"], {}, "", False, {"score": "This question needs an answer."}),
        ({"score": 3}, ["improve"], {"q_improve": ""}, "topics", False, {}),  # optional skipped
        ({"score": 3, "improve": "x"}, ["topics"], {"q_topics": ["price"]}, "", True, {}),
        (
            {"score": 3},
            ["topics"],
            {"q_topics": "nope"},
            "",
            False,
            {"topics": "Choose among the options."},
        ),
    ],
)
def test_advance_checks_the_step_and_picks_what_comes_next(
    saved: dict[str, Any],
    posted_ids: list[str],
    form: dict[str, Any],
    next_step: str,
    complete: bool,
    errors: dict[str, str],
) -> None:
    step = flow.step_for_ids(NPS, saved, posted_ids)
    assert step is not None
    outcome = flow.advance(NPS, saved, step, form)
    assert (outcome.next_step, outcome.complete, outcome.errors) == (next_step, complete, errors)
    if errors:
        assert outcome.answers == {}


def test_a_hidden_question_is_not_a_valid_step() -> None:
    assert flow.step_for_ids(NPS, {"score": 3}, ["right"]) is None
    assert flow.step_for_ids(NPS, {}, []) is None


def test_one_page_shows_revealed_questions_before_completing() -> None:
    step = flow.first_step(ONE_PAGE, {})
    assert step is not None and step.ids == ["score", "topics"]
    outcome = flow.advance(ONE_PAGE, {}, step, {"q_score": "2", "q_topics": "price"})
    assert (outcome.next_step, outcome.complete) == (flow.PAGE_STEP, False)
    saved = flow.merge({}, outcome.answers)
    step = flow.first_step(ONE_PAGE, saved)
    assert step is not None and step.ids == ["score", "improve", "topics"]
    outcome = flow.advance(ONE_PAGE, saved, step, {"q_score": "2", "q_improve": "late"})
    assert outcome.complete


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({"score": 3}, {"nps": 3, "ces": None, "csat": None, "emotion": None}),
        ({}, {"nps": None, "ces": None, "csat": None, "emotion": None}),
    ],
)
def test_scores_come_from_the_first_question_of_each_metric(
    answers: dict[str, Any], expected: dict[str, Any]
) -> None:
    assert flow.scores(NPS, answers) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("9", {"score": 9}), ("0", {"score": 0}), ("11", {}), ("x", {}), (None, {}), ("123456", {})],
)
def test_a_score_in_the_link_preselects_only_a_valid_answer(
    raw: str | None, expected: dict
) -> None:
    assert flow.preselect(NPS, raw) == expected


def test_recalled_text_is_escaped_in_the_question_view() -> None:
    question = NPS.questions[0]
    view = question_view(
        question, definition=NPS, locale="en", contact={"name": "<script>x</script>"}
    )
    assert view.name == "q_score" and view.scale == list(range(11))
    assert "<script>" not in str(
        flow.ending_text(NPS, {"score": 9}, locale="en", contact={"name": "<script>"})
    )


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("203.0.113.7", "203.0.113.7"),
        ("2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff::9", "2001:db8:1:2::/64"),
        ("::ffff:203.0.113.7", "203.0.113.7"),
        ("", "unknown"),
    ],
)
def test_limits_key_ipv6_clients_by_their_64(address: str, key: str) -> None:
    assert client_key(address) == key


def test_the_sliding_window_blocks_after_the_limit_and_forgives_later() -> None:
    now = [0.0]
    window = SlidingWindow(3, 60, clock=lambda: now[0])
    for _ in range(3):
        assert not window.blocked("198.51.100.1")
        window.hit("198.51.100.1")
    assert window.blocked("198.51.100.1")
    assert not window.blocked("198.51.100.2")
    now[0] = 61
    assert not window.blocked("198.51.100.1")


# -- the progress label counts only the questions this respondent will see (issue 19) --


def ces() -> Any:
    from surveyor.surveys.templates_lib import template_definition

    return template_definition("ces")


@pytest.mark.parametrize(
    ("answers", "before", "bounds"),
    [
        ({}, "score", (3, 3)),  # one reason question follows whatever the score
        ({"score": 3}, "improve", (3, 3)),
        ({"score": 3, "improve": "x"}, "topics", (3, 3)),
        ({"score": 9}, "topics", (3, 3)),  # "right" skipped: it still counted as shown
    ],
)
def test_path_bounds_of_the_nps_template_are_exact(
    answers: dict[str, Any], before: str, bounds: tuple[int, int]
) -> None:
    assert flow.path_bounds(NPS, answers, before=before) == bounds


@pytest.mark.parametrize(
    ("answers", "before", "bounds"),
    [
        ({}, "effort", (2, 3)),  # "what made it hard?" depends on two answers still to come
        ({"effort": 2}, "resolved", (3, 3)),  # low effort: it will be asked
        ({"effort": 6}, "resolved", (2, 3)),  # only if the issue was not resolved
        ({"effort": 6, "resolved": "yes"}, "hard", (2, 2)),
    ],
)
def test_path_bounds_say_when_the_total_is_only_a_ceiling(
    answers: dict[str, Any], before: str, bounds: tuple[int, int]
) -> None:
    assert flow.path_bounds(ces(), answers, before=before) == bounds


def test_the_total_never_changes_on_the_way_through_the_nps_template() -> None:
    answers: dict[str, Any] = {}
    seen = []
    for form in ({"q_score": "3"}, {"q_improve": "slow"}, {"q_topics": ["price"]}):
        step = flow.first_step(NPS, answers)
        assert step is not None
        seen.append((step.position, step.total, step.exact))
        outcome = flow.advance(NPS, answers, step, form)
        answers = flow.merge(answers, outcome.answers)
    assert seen == [(1, 3, True), (2, 3, True), (3, 3, True)]
    assert outcome.complete


def test_a_ceiling_is_shown_as_up_to(tmp_path: Any) -> None:
    step = flow.first_step(ces(), {})
    assert step is not None and (step.position, step.total, step.exact) == (1, 3, False)


def test_a_posted_step_is_counted_only_when_shown() -> None:
    # step_for_ids runs inside the writer's unit: it must not walk the paths there.
    step = flow.step_for_ids(NPS, {}, ["score"])
    assert step is not None and not step.counted
    shown = flow.counted(NPS, {}, step)
    assert (shown.position, shown.total, shown.exact, shown.counted) == (1, 3, True, True)
