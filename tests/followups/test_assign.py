"""Assignment: the account manager first, otherwise a fair, deterministic rotation."""

from __future__ import annotations

from collections import Counter

from hypothesis import given
from hypothesis import strategies as st

from surveyor.followups.assign import Manager, choose_assignee, next_in_rotation

ANA = Manager(id="u-ana", email="ana@example.com")
BEN = Manager(id="u-ben", email="Ben@Example.com")
CAI = Manager(id="u-cai", email="cai@example.com")
DEE_DISABLED = Manager(id="u-dee", email="dee@example.com", active=False)


def run(managers, count, state=None, account_manager=None):
    owners = []
    for _ in range(count):
        a = choose_assignee(managers, account_manager=account_manager, last_round_robin_id=state)
        owners.append(a.user_id)
        state = a.last_round_robin_id
    return owners, state


def test_round_robin_is_exactly_fair_over_many_assignments():
    owners, _ = run([CAI, ANA, BEN, DEE_DISABLED], 3000)
    assert owners[:6] == ["u-ana", "u-ben", "u-cai"] * 2
    assert Counter(owners) == {"u-ana": 1000, "u-ben": 1000, "u-cai": 1000}


@given(st.integers(1, 12), st.integers(0, 500))
def test_no_manager_ever_gets_more_than_one_case_more_than_another(managers, cases):
    team = [Manager(id=f"u-{i:02}", email=f"m{i}@example.com") for i in range(managers)]
    owners, _ = run(team, cases)
    counts = [Counter(owners)[m.id] for m in team]
    assert max(counts) - min(counts) <= 1


def test_the_rotation_survives_managers_leaving_and_joining():
    owners, state = run([ANA, BEN, CAI], 2)  # ana, ben
    assert state == "u-ben"
    # Ben leaves: the turn after him passes to Cai, not back to Ana.
    owners, state = run([ANA, CAI], 1, state)
    assert owners == ["u-cai"]
    # Bea joins between Ana and Ben in the order and takes her place in line.
    bea = Manager(id="u-bea", email="bea@example.com")
    owners, state = run([ANA, bea, CAI], 4, state)
    assert owners == ["u-ana", "u-bea", "u-cai", "u-ana"]


def test_the_account_manager_owns_the_case_and_does_not_use_a_turn():
    a = choose_assignee(
        [ANA, BEN, CAI], account_manager=" ben@EXAMPLE.com ", last_round_robin_id="u-ana"
    )
    assert (a.user_id, a.reason, a.last_round_robin_id) == ("u-ben", "account_manager", "u-ana")


def test_an_unknown_or_disabled_account_manager_falls_back_to_the_rotation():
    for email in ("nobody@example.com", "dee@example.com", "", None):
        a = choose_assignee(
            [ANA, BEN, DEE_DISABLED], account_manager=email, last_round_robin_id="u-ana"
        )
        assert (a.user_id, a.reason) == ("u-ben", "round_robin")


def test_rotation_stays_fair_between_account_manager_cases():
    state, owners = None, []
    for i in range(300):
        am = "cai@example.com" if i % 3 == 0 else None
        a = choose_assignee([ANA, BEN, CAI], account_manager=am, last_round_robin_id=state)
        state = a.last_round_robin_id
        if a.reason == "round_robin":
            owners.append(a.user_id)
    assert Counter(owners) == {"u-ana": 67, "u-ben": 67, "u-cai": 66}


def test_without_active_managers_the_case_goes_to_the_team_queue():
    a = choose_assignee(
        [DEE_DISABLED], account_manager="dee@example.com", last_round_robin_id="u-x"
    )
    assert (a.user_id, a.reason, a.last_round_robin_id) == (None, "queue", "u-x")


def test_the_choice_is_deterministic_and_ignores_input_order():
    assert next_in_rotation(["c", "a", "b"], "a") == next_in_rotation(["b", "c", "a"], "a") == "b"
    assert next_in_rotation(["c", "a", "b"], "c") == "a"
    assert next_in_rotation(["c", "a", "b"], "zzz") == "a"
    assert next_in_rotation([], "a") is None
