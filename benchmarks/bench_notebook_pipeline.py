"""Benchmark: the notebook pipeline, simulate -> measure, with progress bars.

Simulates ``--participants`` on the article's scheme for ``--days`` (the default
config: about 10 orders per participant, with refunds, cancellations and
settlement runs), then measures the stream under the plan (``metrics.measure``:
a book applies every event and the figures are collected).  Each phase shows a
tqdm progress bar (days simulated, events measured) and prints its wall and CPU
time.  ``--streamed`` runs both in one pass instead (events go from the
simulation straight into the book; memory stays bounded by the book).

    python benchmarks/bench_notebook_pipeline.py --participants 100000
    python benchmarks/bench_notebook_pipeline.py --participants 10000
"""

from __future__ import annotations

import argparse
import gc
import resource
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from socialcommerce_rules import load_plan
from socialcommerce_rules.events import Event
from socialcommerce_rules.metrics import measure
from socialcommerce_rules.notebook import ProgressBar, track
from socialcommerce_rules.simulate import PowerLaw, SimulationConfig, generate_events, simulate

PLAN = Path(__file__).parents[1] / "examples" / "article_scheme.toml"


def _clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def _report(phase: str, started: tuple[float, float]) -> float:
    wall, cpu = time.perf_counter() - started[0], time.process_time() - started[1]
    print(f"{phase:<10} {wall:8.1f} s wall {cpu:8.1f} s CPU")
    return wall


def _frozen_as_it_goes(events: Iterable[Event], every: int = 1_000) -> Iterator[Event]:
    """The events, with what the run has built so far moved out of the garbage
    collector's scans every ``every`` events (``gc.freeze``): a long run keeps millions
    of objects that would otherwise be scanned again and again.  An application
    choice, as in the command line's ``run``; the library itself never touches the
    collector."""
    for count, event in enumerate(events, start=1):
        if count % every == 0:
            gc.freeze()
        yield event


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--streamed", action="store_true", help="simulate and measure in one pass")
    parser.add_argument(
        "--orders-per-month",
        type=float,
        default=1.8,
        metavar="EXPONENT",
        help="exponent of the purchase-rate power law (1.8: about 10 orders a participant)",
    )
    parser.add_argument(
        "--gc-freeze",
        action="store_true",
        help="move long-lived objects out of the collector's scans as the run goes "
        "(what the command line's run does)",
    )
    options = parser.parse_args()
    plan = load_plan(PLAN)
    config = SimulationConfig(
        seed=options.seed,
        days=options.days,
        stores=max(1, options.participants // 2_000),
        guides_per_store=5,
        participants_max=options.participants,
        orders_per_month=PowerLaw(exponent=options.orders_per_month, maximum=20),
    )

    total = _clock()
    if options.streamed:
        with ProgressBar(mininterval=1.0) as progress:
            stream = generate_events(plan, config, progress=progress)
            metrics = measure(plan, _frozen_as_it_goes(stream) if options.gc_freeze else stream)
        wall = _report("streamed", total)
        events_count = metrics.events.applied + metrics.events.refused
    else:
        started = _clock()
        with ProgressBar(mininterval=1.0) as progress:
            events = simulate(plan, config, progress=progress)
        _report("simulate", started)
        kinds = Counter(event.type for event in events)
        events_count = len(events)
        print(
            f"{events_count:,} events: " + ", ".join(f"{k} {n:,}" for k, n in sorted(kinds.items()))
        )
        started = _clock()
        tracked = track(events, mininterval=1.0)
        metrics = measure(plan, _frozen_as_it_goes(tracked) if options.gc_freeze else tracked)
        _report("measure", started)
        wall = _report("total", total)
    print(
        f"{metrics.regulator.participants:,} participants, {metrics.orders:,} orders "
        f"({metrics.orders_refunded:,} refunded, {metrics.orders_cancelled:,} cancelled), "
        f"{events_count:,} events; refused {metrics.events.refused:,}"
    )
    print(f"GMV net {metrics.gmv_net}, money paid net {metrics.money.total.net}")
    print(f"{events_count / wall:,.0f} events/s end to end")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory {peak:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
