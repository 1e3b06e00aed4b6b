"""The stream is a function of the config: same seed, same bytes; saved, it replays."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from socialcommerce_rules.book import Book
from socialcommerce_rules.events import event_to_json, read_events, write_events
from socialcommerce_rules.simulate import SimulationConfig, generate_events, simulate

from ._support import SMALL, article_plan, small_stream


def test_the_same_seed_gives_byte_identical_json_lines(tmp_path: Path) -> None:
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    write_events(generate_events(article_plan(), SMALL), first)
    write_events(generate_events(article_plan(), SMALL), second)

    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes().count(b"\n") == len(small_stream())


def test_another_seed_gives_another_stream() -> None:
    other = simulate(article_plan(), replace(SMALL, seed=SMALL.seed + 1))

    assert [event_to_json(e) for e in other] != [event_to_json(e) for e in small_stream()]


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32))
def test_any_seed_is_reproducible(seed: int) -> None:
    config = SimulationConfig(seed=seed, participants_max=40, days=45)

    assert simulate(article_plan(), config) == simulate(article_plan(), config)


def test_a_saved_stream_reads_back_equal_and_replays_to_the_same_ledger(tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    write_events(small_stream(), path)

    read = [event for _, event in read_events(path)]
    direct, replayed = Book(article_plan()), Book(article_plan())
    for event in small_stream():
        direct.apply(event)
    for event in read:
        assert not isinstance(event, Exception)
        replayed.apply(event)

    assert read == list(small_stream())
    assert replayed.entries == direct.entries


def test_a_stream_saves_as_csv_too(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    events = simulate(article_plan(), SimulationConfig(seed=2, participants_max=30, days=40))
    write_events(events, path)

    assert [event for _, event in read_events(path)] == events


def test_progress_reports_each_day_up_to_the_horizon() -> None:
    calls: list[tuple[int, int]] = []
    config = SimulationConfig(participants_max=20, days=12)

    events = simulate(
        article_plan(), config, progress=lambda done, total: calls.append((done, total))
    )

    assert calls == [(day, 12) for day in range(1, 13)]
    assert events == simulate(article_plan(), config)


def test_the_iterator_is_lazy() -> None:
    stream = generate_events(article_plan(), SimulationConfig(participants_max=10**6, days=3650))

    first = [next(stream) for _ in range(10)]

    assert [event.event_id for event in first[:2]] == ["join-guide-1", "join-guide-2"]
