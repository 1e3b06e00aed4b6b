"""The transaction context both stores hand out: begin on enter, end on exit."""

from __future__ import annotations

from types import TracebackType
from typing import Protocol

__all__ = ["Transaction"]


class _Transactional(Protocol):
    def _begin(self) -> None: ...

    def _end(self, failed: bool) -> None: ...


class Transaction:
    """The reusable context of a store's ``transaction()``: nested uses join the outer one."""

    __slots__ = ("_store",)

    def __init__(self, store: _Transactional) -> None:
        self._store = store

    def __enter__(self) -> None:
        self._store._begin()

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._store._end(kind is not None)
