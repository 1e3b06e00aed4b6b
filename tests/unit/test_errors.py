"""errors.py: the error hierarchy, stable codes, paths and messages."""

from __future__ import annotations

import re

import pytest

from socialcommerce_rules import (
    ERROR_CODES,
    GraphError,
    InternalInvariantError,
    LimitError,
    NoPlanInForceError,
    OrderError,
    PlanError,
    Problem,
    SocialCommerceError,
    UnknownParticipantError,
)

HIERARCHY = [
    # error, its parent in the library, the built-in it also is
    (PlanError, SocialCommerceError, ValueError),
    (LimitError, SocialCommerceError, ValueError),
    (GraphError, SocialCommerceError, ValueError),
    (UnknownParticipantError, GraphError, LookupError),
    (OrderError, SocialCommerceError, ValueError),
    (NoPlanInForceError, OrderError, LookupError),
    (InternalInvariantError, SocialCommerceError, RuntimeError),
]


@pytest.mark.parametrize(("error", "parent", "builtin"), HIERARCHY)
def test_hierarchy(
    error: type[SocialCommerceError], parent: type[Exception], builtin: type[Exception]
) -> None:
    assert error.__bases__[0] is parent
    assert issubclass(error, builtin)
    assert issubclass(error, SocialCommerceError)


def test_input_errors_are_not_runtime_errors_and_bugs_are_not_value_errors() -> None:
    for error, _, _ in HIERARCHY:
        if error is InternalInvariantError:
            assert not issubclass(error, ValueError)
        else:
            assert not issubclass(error, RuntimeError)


def test_the_tree_in_the_module_docstring_names_every_error() -> None:
    import socialcommerce_rules.errors as errors

    for error, _, _ in HIERARCHY:
        assert error.__name__ in (errors.__doc__ or "")


def test_codes_are_kebab_case_with_a_known_prefix_and_explained() -> None:
    pattern = re.compile(r"(plan|limit|graph|order|event|store|simulation|internal)(-[a-z0-9]+)+")

    for code, explanation in ERROR_CODES.items():
        assert pattern.fullmatch(code), code
        assert explanation.endswith("."), code
        assert len(explanation) > 10, code


def test_an_unregistered_code_is_refused() -> None:
    with pytest.raises(ValueError, match="unregistered"):
        OrderError("order-made-up", "no such code")


def test_an_error_carries_code_path_and_event_id() -> None:
    error = OrderError("order-currency-mismatch", "USD is not CNY", path="currency", event_id="o-7")

    assert (error.code, error.path, error.event_id) == (
        "order-currency-mismatch",
        "currency",
        "o-7",
    )
    assert str(error) == "currency: USD is not CNY [o-7]"


def test_an_error_without_path_or_event_is_just_its_message() -> None:
    error = LimitError("limit-plan-bytes", "too big")

    assert (error.path, error.event_id) == ("", None)
    assert str(error) == "too big"


def test_plan_error_takes_code_and_path_from_its_first_problem() -> None:
    problems = [
        Problem("plan-unknown-role", "rules[0].rates.captain", "'captain' is not declared"),
        Problem("plan-missing-key", "currency", "Field required"),
    ]

    error = PlanError(problems)

    assert error.problems == tuple(problems)
    assert (error.code, error.path) == ("plan-unknown-role", "rules[0].rates.captain")
    text = str(error)
    assert "2 problems" in text
    assert "  - rules[0].rates.captain: 'captain' is not declared" in text
    assert "  - currency: Field required" in text


def test_plan_error_with_one_problem_is_one_line() -> None:
    error = PlanError([Problem("plan-missing-key", "currency", "Field required")])

    assert str(error) == "currency: Field required"


def test_plan_error_needs_a_problem() -> None:
    with pytest.raises(ValueError, match="at least one problem"):
        PlanError([])


def test_problem_reads_as_path_and_message() -> None:
    assert str(Problem("plan-syntax", "", "not valid TOML")) == "not valid TOML"
    assert str(Problem("plan-float", "caps.order_ratio", "0.35 is a float")) == (
        "caps.order_ratio: 0.35 is a float"
    )


def test_problems_are_immutable() -> None:
    problem = Problem("plan-syntax", "", "not valid TOML")

    with pytest.raises(AttributeError):
        problem.code = "plan-float"  # type: ignore[misc]


def test_internal_invariant_error_has_its_own_code() -> None:
    error = InternalInvariantError("paid more than the pool", event_id="o-1")

    assert error.code == "internal-invariant"
    assert error.event_id == "o-1"


def test_errors_can_be_caught_by_their_builtin_kind() -> None:
    with pytest.raises(LookupError):
        raise UnknownParticipantError("graph-unknown-participant", "who?", path="buyer")
    with pytest.raises(ValueError, match="who"):
        raise UnknownParticipantError("graph-unknown-participant", "who?", path="buyer")
