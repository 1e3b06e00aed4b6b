"""Events built without validation equal their validated round trip, field for field."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from socialcommerce_rules.events import event_from_mapping, event_to_dict, event_to_json
from socialcommerce_rules.simulate import SimulationConfig, simulate

from ._support import article_plan, mid_stream


def _same_as_validated(event: object) -> None:
    validated = event_from_mapping(event_to_dict(event))  # type: ignore[arg-type]

    assert validated == event
    assert type(validated) is type(event)
    assert event_to_json(validated) == event_to_json(event)  # type: ignore[arg-type]
    # The same attributes, in the same order, as pydantic sets them; and the fields
    # marked as given are those that validating the given fields alone marks.
    assert list(vars(validated)) == list(vars(event))
    given_only = type(event).model_validate(event.model_dump(exclude_unset=True))  # type: ignore[attr-defined]
    assert given_only == event
    assert given_only.model_fields_set == event.model_fields_set  # type: ignore[attr-defined]
    if validated.type == "order_paid":
        order = event.order  # type: ignore[attr-defined]
        assert list(vars(validated.order)) == list(vars(order))
        assert given_only.order.model_fields_set == order.model_fields_set


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(min_value=0, max_value=2**32),
    coupon_share=st.sampled_from([0.0, 0.5, 1.0]),
    refund_share=st.sampled_from([0.0, 0.5, 1.0]),
    full_refund_share=st.sampled_from([0.0, 1.0]),
)
def test_every_generated_event_equals_its_validated_round_trip(
    seed: int, coupon_share: float, refund_share: float, full_refund_share: float
) -> None:
    config = SimulationConfig(
        seed=seed,
        participants_max=40,
        days=60,
        transplant_every_days=10,
        coupon_share=coupon_share,
        refund_share=refund_share,
        full_refund_share=full_refund_share,
        cancel_share=0.2,
    )
    for event in simulate(article_plan(), config):
        _same_as_validated(event)


def test_a_sample_of_a_mid_size_stream_equals_its_validated_round_trip() -> None:
    events = mid_stream()
    for event in events[:: max(1, len(events) // 2_000)]:
        _same_as_validated(event)
