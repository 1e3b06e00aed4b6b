"""``python -m socialcommerce_rules``: the ``socialcommerce-rules`` command (see ``cli``)."""

from __future__ import annotations

from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
