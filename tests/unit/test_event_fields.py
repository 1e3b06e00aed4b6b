"""Event fields take only values of their own type, like the order's fields."""

from __future__ import annotations

import pytest

from socialcommerce_rules.events import EventError, event_from_json

REFUND = (
    '{"type":"order_refunded","event_id":"r","at":"2026-01-01T00:00:00Z","order_id":"o",'
    '"items":[{"item_id":"1","quantity":%s}]}'
)


@pytest.mark.parametrize(
    ("literal", "code"),
    [("true", "event-invalid"), ('"2"', "event-invalid"), ("2.0", "event-float")],
    ids=["boolean", "string", "float"],
)
def test_a_refunded_quantity_takes_only_a_whole_number(literal: str, code: str) -> None:
    with pytest.raises(EventError) as caught:
        event_from_json(REFUND % literal)

    assert (caught.value.code, caught.value.path) == (code, "items[0].quantity")


def test_a_refunded_quantity_of_two_is_read() -> None:
    event = event_from_json(REFUND % "2")

    assert event.items[0].quantity == 2  # type: ignore[union-attr]


STATUS = (
    '{"type":"participant_status_changed","event_id":"e","at":"2026-01-01T00:00:00Z",'
    '"participant":"p","active":%s}'
)


@pytest.mark.parametrize("literal", ['"yes"', "1", '"off"', '"true"'])
def test_active_takes_only_true_or_false(literal: str) -> None:
    with pytest.raises(EventError) as caught:
        event_from_json(STATUS % literal)

    assert (caught.value.code, caught.value.path) == ("event-invalid", "active")


@pytest.mark.parametrize(("literal", "active"), [("true", True), ("false", False)])
def test_active_reads_true_and_false(literal: str, active: bool) -> None:
    assert event_from_json(STATUS % literal).active is active  # type: ignore[union-attr]
