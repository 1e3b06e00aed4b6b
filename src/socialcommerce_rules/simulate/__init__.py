"""Simulated networks: a plan and a config in, a shop's event stream out.

Grows a synthetic referral network the way the source article describes (seed
guides -> grow -> spread: heavy-tailed invitations, early churn, members becoming
makers through the gift pack, whole teams transplanted) and has it buy, cancel,
refund and settle for a horizon of days.  The output is the very event stream a
shop feeds a :class:`~socialcommerce_rules.book.Book`, in time order and causally
valid, with unique deterministic ids: a simulated stream and a real one are
handled identically, and :func:`~socialcommerce_rules.events.write_events` saves
it for replay.

The stream is a function of the :class:`SimulationConfig` (its ``seed``
included) and the plan: no clock, no global random state.  Random draws use
floats internally; every money amount comes from the config's catalogue,
coupons or the plan's gift pack, as exact decimals.

>>> from collections import Counter
>>> from socialcommerce_rules import load_plan
>>> from socialcommerce_rules.simulate import SimulationConfig, simulate
>>> plan = load_plan("examples/article_scheme.toml")
>>> events = simulate(plan, SimulationConfig(seed=1, participants_max=60, days=60))
>>> events[0].type, events[0].participant
('participant_joined', 'guide-1')
>>> counts = Counter(event.type for event in events)
>>> counts["participant_joined"]
60
>>> events == simulate(plan, SimulationConfig(seed=1, participants_max=60, days=60))
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..events import Event
from ..plan import Plan, PlanSet
from ._config import DAYS_MAX, PARTICIPANTS_MAX, Coupon, Product, SimulationConfig
from ._distributions import Distribution, PowerLaw, Uniform, Weighted
from ._errors import SimulationConfigError
from ._generator import _Simulation
from ._prepare import _prepare

__all__ = [
    "DAYS_MAX",
    "PARTICIPANTS_MAX",
    "Coupon",
    "Distribution",
    "PowerLaw",
    "Product",
    "SimulationConfig",
    "SimulationConfigError",
    "Uniform",
    "Weighted",
    "generate_events",
    "simulate",
]


def generate_events(
    plans: Plan | PlanSet,
    config: SimulationConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[Event]:
    """Simulate a network lazily: events one at a time, in time order.

    The config is checked against the plan before the first event, so errors
    surface at the call, not during iteration.  Memory stays bounded by what is
    pending (open orders, scheduled invitations), not by the stream's length.

    Args:
        plans: the plan (or the versions of one plan) the network runs under; its
            roles, currency, quantum and gift pack shape the stream.
        config: the simulation's parameters (default: ``SimulationConfig()``).
        progress: called with ``(days done, days in the horizon)`` as simulated
            time passes each day, and once at the end.

    Returns:
        An iterator of events, each valid for the lifecycle API.

    Raises:
        SimulationConfigError: the config does not fit the plan (a role it does
            not declare, a price finer than its quantum, a start before it takes
            effect, a gift pack it does not sell).

    >>> from socialcommerce_rules import load_plan
    >>> plan = load_plan("examples/article_scheme.toml")
    >>> stream = generate_events(plan, SimulationConfig(participants_max=10, days=30))
    >>> next(stream).event_id
    'join-guide-1'
    """
    run = _prepare(plans, SimulationConfig() if config is None else config)
    return _Simulation(run).events(progress)


def simulate(
    plans: Plan | PlanSet,
    config: SimulationConfig | None = None,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> list[Event]:
    """Simulate a network and return its whole event stream as a list.

    The same as ``list(generate_events(plans, config, progress=progress))``;
    prefer :func:`generate_events` for streams of millions of events.

    Raises:
        SimulationConfigError: as :func:`generate_events`.

    >>> from socialcommerce_rules import load_plan
    >>> plan = load_plan("examples/article_scheme.toml")
    >>> days = []
    >>> events = simulate(plan, SimulationConfig(participants_max=20, days=10),
    ...                   progress=lambda done, total: days.append(done))
    >>> days[-1]
    10
    """
    return list(generate_events(plans, config, progress=progress))
