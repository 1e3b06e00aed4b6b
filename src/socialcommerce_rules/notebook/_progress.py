"""Progress bars (tqdm) for long simulations and long streams.

:class:`ProgressBar` is a callback for ``simulate``/``generate_events``'s
``progress(done, total)``; :func:`track` wraps an event stream on its way into
``measure`` or a book.  Both only display: they never change what is computed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sized
from types import TracebackType
from typing import Any, TypeVar

from tqdm import tqdm

__all__ = ["ProgressBar", "track"]

_Item = TypeVar("_Item")


class ProgressBar:
    """A tqdm bar driven by a ``progress(done, total)`` callback.

    Pass it as ``progress=`` to :func:`~socialcommerce_rules.simulate.simulate`;
    the bar is created on the first call (when the total is known) and advanced
    to ``done`` on every call.  Use it as a context manager to close the bar.

    Args:
        description: the bar's label.
        unit: what is counted.
        options: more keyword arguments for :class:`tqdm.tqdm` (``file``,
            ``disable``, ``mininterval``...).

    >>> import io
    >>> from socialcommerce_rules import load_plan
    >>> from socialcommerce_rules.simulate import SimulationConfig, simulate
    >>> from socialcommerce_rules.notebook import ProgressBar
    >>> plan = load_plan("examples/article_scheme.toml")
    >>> output = io.StringIO()
    >>> with ProgressBar(file=output) as progress:
    ...     events = simulate(plan, SimulationConfig(participants_max=20, days=10),
    ...                       progress=progress)
    >>> progress.done, progress.total
    (10, 10)
    >>> "10/10" in output.getvalue()
    True
    """

    def __init__(
        self, *, description: str = "simulated days", unit: str = "day", **options: Any
    ) -> None:
        self._description = description
        self._unit = unit
        self._options = options
        self._bar: tqdm[Any] | None = None
        self.done = 0
        """The last ``done`` reported."""
        self.total: int | None = None
        """The last ``total`` reported."""

    def __call__(self, done: int, total: int) -> None:
        """Advance the bar to ``done`` of ``total``."""
        if self._bar is None:
            self._bar = tqdm(total=total, desc=self._description, unit=self._unit, **self._options)
        if total != self.total:
            self._bar.total = total
        self.total = total
        if done > self.done:
            self._bar.update(done - self.done)
            self.done = done

    def close(self) -> None:
        """Close the bar (nothing happens if it was never shown)."""
        if self._bar is not None:
            self._bar.close()

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def track(
    items: Iterable[_Item],
    *,
    total: int | None = None,
    description: str = "events",
    unit: str = "event",
    **options: Any,
) -> Iterator[_Item]:
    """Yield ``items`` unchanged while a tqdm bar counts them.

    Args:
        items: the stream (read once, lazily).
        total: how many there are, if known (``len(items)`` is used when it has one).
        description: the bar's label.
        unit: what is counted.
        options: more keyword arguments for :class:`tqdm.tqdm`.

    >>> import io
    >>> from socialcommerce_rules.notebook import track
    >>> list(track([1, 2, 3], file=io.StringIO()))
    [1, 2, 3]
    """
    count = total
    if count is None and isinstance(items, Sized):
        count = len(items)
    with tqdm(items, total=count, desc=description, unit=unit, **options) as bar:
        yield from bar
