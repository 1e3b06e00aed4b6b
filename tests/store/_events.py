"""A deterministic stream of shop events on the bundled article scheme, as JSON lines.

Joins (guides first, then members and makers invited by someone who joined
before), paid orders (now and then a gift pack, a coupon), completions, partial
refunds by amount or by units, cancellations and settlement runs, in time order
and in causal order: no event arrives before its prerequisite.  Mixed in, on
purpose: redeliveries of earlier lines (duplicates), refunds above what was paid
(refused for good) and lines that are not events at all (bad JSON, a float
amount).  The same ``seed`` gives the same lines.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

PLAN = Path(__file__).resolve().parents[2] / "examples" / "article_scheme.toml"
START = datetime(2026, 1, 2, tzinfo=UTC)
PRICES_CENTS = (990, 1990, 5990, 16800, 29900)
GUIDES = 5


@dataclass
class _Order:
    items: list[tuple[str, int, int]]  # item id, quantity, unit price in cents
    goods_cents: int
    refunded_cents: int = 0
    refunded_units: dict[str, int] = field(default_factory=dict)
    by_units: bool = False
    completed: bool = False
    closed: bool = False


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class _Stream:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.lines: list[str] = []
        self.participants: list[str] = []
        self.promoters: list[str] = []
        self.orders: dict[str, _Order] = {}
        self.open_orders: list[str] = []
        self.number = 0

    def emit(self, data: dict[str, object]) -> None:
        self.lines.append(json.dumps(data, separators=(",", ":")))

    def next_event(self) -> tuple[str, str]:
        self.number += 1
        at = START + timedelta(minutes=17 * self.number)
        return f"e{self.number}", at.strftime("%Y-%m-%dT%H:%M:%SZ")

    def open_order(self) -> str | None:
        """An order paid and not closed, drawn at random (closed ones are dropped)."""
        while self.open_orders:
            position = self.rng.randrange(len(self.open_orders))
            order_id = self.open_orders[position]
            if not self.orders[order_id].closed:
                return order_id
            self.open_orders[position] = self.open_orders[-1]
            self.open_orders.pop()
        return None

    def join(self) -> None:
        event_id, at = self.next_event()
        participant = f"p{len(self.participants)}"
        data: dict[str, object] = {"type": "participant_joined", "event_id": event_id, "at": at}
        if len(self.participants) < GUIDES:
            data |= {"participant": participant, "role": "guide", "store": f"store-{participant}"}
            self.promoters.append(participant)
        else:
            rng = self.rng
            pool = self.promoters if rng.random() < 0.7 else self.participants
            role = "maker" if rng.random() < 0.15 else "member"
            data |= {"participant": participant, "role": role, "inviter": rng.choice(pool)}
            if role == "maker":
                self.promoters.append(participant)
        self.participants.append(participant)
        self.emit(data)

    def pay(self) -> None:
        rng = self.rng
        event_id, at = self.next_event()
        order_id = f"o{len(self.orders) + 1}"
        items = []
        for position in range(1, 1 + rng.choice((1, 1, 2))):
            gift = rng.random() < 0.04
            price = 39900 if gift else rng.choice(PRICES_CENTS)
            sku = "GIFT-399" if gift else f"SKU-{rng.randrange(20)}"
            items.append((str(position), sku, rng.randint(1, 3), price))
        goods = sum(quantity * price for _, _, quantity, price in items)
        coupons = 500 if goods > 2000 and rng.random() < 0.2 else 0
        order: dict[str, object] = {
            "order_id": order_id,
            "buyer": rng.choice(self.participants),
            "paid_at": at,
            "currency": "CNY",
            "items": [
                {"item_id": i, "sku": sku, "quantity": q, "unit_price": _money(p)}
                for i, sku, q, p in items
            ],
        }
        if coupons:
            order["coupons"] = _money(coupons)
        self.emit({"type": "order_paid", "event_id": event_id, "at": at, "order": order})
        self.orders[order_id] = _Order(
            [(i, q, p) for i, _, q, p in items], goods - coupons, by_units=rng.random() < 0.4
        )
        self.open_orders.append(order_id)

    def complete(self, order_id: str) -> None:
        event_id, at = self.next_event()
        self.orders[order_id].completed = True
        self.emit({"type": "order_completed", "event_id": event_id, "at": at, "order_id": order_id})

    def refund(self, order_id: str) -> None:
        order = self.orders[order_id]
        event_id, at = self.next_event()
        data: dict[str, object] = {
            "type": "order_refunded",
            "event_id": event_id,
            "at": at,
            "order_id": order_id,
        }
        if order.by_units:
            units_left = [(i, q - order.refunded_units.get(i, 0)) for i, q, _ in order.items]
            item_id = self.rng.choice([i for i, n in units_left if n > 0])
            order.refunded_units[item_id] = order.refunded_units.get(item_id, 0) + 1
            data["items"] = [{"item_id": item_id, "quantity": 1}]
            closed = all(order.refunded_units.get(i, 0) == q for i, q, _ in order.items)
        else:
            cents_left = order.goods_cents - order.refunded_cents
            cents = (
                cents_left
                if self.rng.random() < 0.2
                else self.rng.randint(1, max(1, cents_left // 3))
            )
            order.refunded_cents += cents
            data["amount"] = _money(cents)
            closed = order.refunded_cents == order.goods_cents
        order.closed = closed
        self.emit(data)

    def cancel(self, order_id: str) -> None:
        event_id, at = self.next_event()
        self.orders[order_id].closed = True
        self.emit({"type": "order_cancelled", "event_id": event_id, "at": at, "order_id": order_id})

    def settle(self) -> None:
        event_id, at = self.next_event()
        self.emit({"type": "settlement_run", "event_id": event_id, "at": at})

    def refused_for_good(self, order_id: str) -> None:
        """A refund of more than was paid: refused now and on every redelivery."""
        event_id, at = self.next_event()
        goods = self.orders[order_id].goods_cents
        self.emit(
            {
                "type": "order_refunded",
                "event_id": event_id,
                "at": at,
                "order_id": order_id,
                "amount": _money(goods + 100),
            }
        )


def generate(count: int, *, seed: int) -> list[str]:
    """``count`` JSON lines (events, duplicates and a few bad lines), the same for a seed."""
    stream = _Stream(seed)
    rng = stream.rng
    while len(stream.lines) < count:
        draw = rng.random()
        order_id = stream.open_order()
        if len(stream.participants) < GUIDES or draw < 0.15:
            stream.join()
        elif draw < 0.50 or order_id is None:
            stream.pay()
        elif draw < 0.98:
            order = stream.orders[order_id]
            if draw < 0.68 and not order.completed:
                stream.complete(order_id)
            elif draw < 0.86:
                stream.refund(order_id)
            elif draw < 0.89:
                stream.cancel(order_id)
            elif draw < 0.90:
                stream.refused_for_good(order_id)
            else:
                stream.settle()
        elif draw < 0.995:
            stream.lines.append(rng.choice(stream.lines))
        else:
            stream.lines.append(rng.choice(('{"type": "order_paid", ', '{"amount": 1.5}')))
    return stream.lines[:count]


def write(path: Path, count: int, *, seed: int) -> Path:
    """Write :func:`generate`'s lines to ``path``; return it."""
    path.write_text("\n".join(generate(count, seed=seed)) + "\n", encoding="utf-8")
    return path
