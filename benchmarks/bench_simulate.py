"""Benchmark: simulating a network's event stream (generation alone, no book).

Grows a network of ``--participants`` on the article's scheme for ``--days`` and
draws its orders, completions, refunds, cancellations and settlement runs, one
event at a time, counting them by type; prints events/s and the process's peak
memory.  ``--orders-per-month`` sets the exponent of the purchase-rate power law
(lower: more orders).  ``--book N`` also applies the stream of an N-participant
simulation (same settings) to an in-memory Book and times it.  One process, one
core, deterministic for a seed.

    python benchmarks/bench_simulate.py --participants 100000 --seed 7
    python benchmarks/bench_simulate.py --participants 5000 --book 5000
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc
from collections import Counter
from pathlib import Path

from socialcommerce_rules import load_plan
from socialcommerce_rules.book import Book
from socialcommerce_rules.simulate import PowerLaw, SimulationConfig, generate_events

PLAN = Path(__file__).parents[1] / "examples" / "article_scheme.toml"


def config_for(participants: int, days: int, seed: int, exponent: float) -> SimulationConfig:
    """A network of ``participants`` that fills up in the first months of ``days``."""
    stores = max(1, participants // 2_000)
    return SimulationConfig(
        seed=seed,
        days=days,
        stores=stores,
        guides_per_store=5,
        participants_max=participants,
        orders_per_month=PowerLaw(exponent=exponent, maximum=20),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--orders-per-month", type=float, default=1.8, metavar="EXPONENT")
    parser.add_argument("--tracemalloc", action="store_true", help="trace Python allocations")
    parser.add_argument("--book", type=int, default=0, metavar="PARTICIPANTS")
    options = parser.parse_args()
    plan = load_plan(PLAN)
    config = config_for(options.participants, options.days, options.seed, options.orders_per_month)
    if options.tracemalloc:
        tracemalloc.start()
    counts: Counter[str] = Counter()
    started, cpu_started = time.perf_counter(), time.process_time()
    for event in generate_events(plan, config):
        counts[event.type] += 1
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    total = sum(counts.values())
    print(
        f"simulated     {total:>12,} events in {seconds:.1f} s: {total / seconds:,.0f} events/s"
        f" ({total / cpu:,.0f} per CPU-second), seed {options.seed}, {options.days} days"
    )
    for kind, count in sorted(counts.items()):
        print(f"  {kind:<27} {count:>12,}")
    if options.tracemalloc:
        _, peak = tracemalloc.get_traced_memory()
        print(f"traced peak   {peak / 1e6:>12,.0f} MB of Python allocations")
        tracemalloc.stop()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory   {peak_mb:>12,.0f} MB (whole process)")
    if options.book:
        small = config_for(options.book, options.days, options.seed, options.orders_per_month)
        events = list(generate_events(plan, small))
        book = Book(plan)
        started, cpu_started = time.perf_counter(), time.process_time()
        refused = 0
        for event in events:
            try:
                book.apply(event)
            except Exception:  # count, and go on: the figure is the refusals
                refused += 1
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        print(
            f"book          {len(events):>12,} events of {options.book:,} participants applied "
            f"in {seconds:.1f} s ({cpu:.1f} CPU-s, {len(events) / cpu:,.0f} events per "
            f"CPU-second), {refused} refused"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
