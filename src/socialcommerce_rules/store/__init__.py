"""Where a book keeps its events and entries: in memory, or in an embedded SQLite file.

Both stores implement the :class:`~socialcommerce_rules.book.Store` protocol
(``load``, ``append``, ``transaction``) and the same reading methods
(``events``, ``entries``, ``len()``, ``read_meta``/``write_meta``), so a backend can
start on :class:`MemoryStore` and move to :class:`SQLiteStore`, or implement the
protocol over its own database.

A :class:`~socialcommerce_rules.book.Book` opened on a store replays what it holds
and checks that the entries the events give are those stored; a
:class:`SQLiteStore` checks the ledger's invariants itself when it opens the file,
so that reading a ledger without its plan (balances, an export) never reads a
corrupted one.

>>> from socialcommerce_rules.store import MemoryStore, SQLiteStore
>>> len(MemoryStore())
0
"""

from __future__ import annotations

from .memory import MemoryStore
from .sqlite import SCHEMA_VERSION, SQLiteStore

__all__ = ["SCHEMA_VERSION", "MemoryStore", "SQLiteStore"]
