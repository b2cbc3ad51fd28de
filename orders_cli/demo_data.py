"""Seeded, realistic demo data as plain values: customers, orders and each order's path."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum

_FIRST = (
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Niklaus",
    "Radia",
    "Tim",
    "Hedy",
    "John",
    "Katherine",
    "Linus",
    "Sophie",
    "Yukihiro",
)
_LAST = (
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Wirth",
    "Perlman",
    "Berners-Lee",
    "Lamarr",
    "Backus",
    "Johnson",
    "Torvalds",
)
# SKU and unit price in euro cents; a currency's rate turns that into its minor units
# (JPY has none: 1.6 yen per euro cent).
_CATALOGUE = (
    ("BOOK-SICP", 4500),
    ("BOOK-TAOCP", 18900),
    ("MUG-LAMBDA", 1290),
    ("PEN-FOUNTAIN", 3450),
    ("NOTEBOOK-A5", 799),
    ("KEYBOARD-60", 12900),
    ("CABLE-USBC", 999),
    ("STICKER-PACK", 350),
    ("HOODIE-L", 4999),
    ("LAMP-DESK", 3900),
)
_CURRENCIES = (("EUR", 1.0, 60), ("USD", 1.1, 25), ("GBP", 0.86, 10), ("JPY", 1.6, 5))
_CARRIERS = ("DHL", "UPS", "FedEx", "PostNL", "La Poste")
_REASONS = (
    "changed my mind",
    "found it cheaper elsewhere",
    "ordered by mistake",
    "delivery date too late",
    "payment problem",
)


class Path(Enum):
    """How far an order goes through its lifecycle."""

    PLACED = "placed"
    PAID = "paid"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED_UNPAID = "cancelled before payment"
    CANCELLED_PAID = "cancelled after payment"


_PATH_WEIGHTS = {
    Path.PLACED: 12,
    Path.PAID: 13,
    Path.SHIPPED: 15,
    Path.DELIVERED: 40,
    Path.CANCELLED_UNPAID: 10,
    Path.CANCELLED_PAID: 10,
}
# RPCs after PlaceOrder for each path.
STEPS = {
    Path.PLACED: 0,
    Path.PAID: 1,
    Path.SHIPPED: 2,
    Path.DELIVERED: 3,
    Path.CANCELLED_UNPAID: 1,
    Path.CANCELLED_PAID: 2,
}


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    customer_id: str
    name: str
    email: str


@dataclass(frozen=True, slots=True)
class DemoLine:
    sku: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True, slots=True)
class DemoOrder:
    order_id: str
    customer_id: str
    currency: str
    lines: tuple[DemoLine, ...]
    path: Path
    carrier: str
    reason: str

    @property
    def total_minor(self) -> int:
        return sum(line.quantity * line.unit_price_minor for line in self.lines)


@dataclass(frozen=True, slots=True)
class DemoPlan:
    seed: int
    customers: tuple[DemoCustomer, ...]
    orders: tuple[DemoOrder, ...]

    @property
    def rpc_count(self) -> int:
        return len(self.customers) + sum(1 + STEPS[order.path] for order in self.orders)


def plan_demo(seed: int, customers: int, orders: int) -> DemoPlan:
    """The same seed gives the same ids and data, so a second run is a retry, not a copy."""
    rng = random.Random(seed)
    people = tuple(_customer(rng, seed, index) for index in range(customers))
    # A few loyal customers place most orders, as in real shops.
    weights = [1.0 / (rank + 1) for rank in range(len(people))]
    chosen = rng.choices(people, weights=weights, k=orders) if people else []
    return DemoPlan(
        seed=seed,
        customers=people,
        orders=tuple(_order(rng, seed, index, person) for index, person in enumerate(chosen)),
    )


def _customer(rng: random.Random, seed: int, index: int) -> DemoCustomer:
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    handle = f"{first}.{last}".lower().replace(" ", "")
    return DemoCustomer(
        customer_id=f"demo-{seed}-c{index:03d}",
        name=f"{first} {last}",
        email=f"{handle}+{index}@example.com",
    )


def _order(rng: random.Random, seed: int, index: int, person: DemoCustomer) -> DemoOrder:
    currency, rate, _ = rng.choices(_CURRENCIES, weights=[c[2] for c in _CURRENCIES])[0]
    picked = rng.sample(_CATALOGUE, k=rng.randint(1, 4))
    lines = tuple(
        DemoLine(sku, rng.choice((1, 1, 1, 2, 3)), round(price * rate)) for sku, price in picked
    )
    path = rng.choices(list(_PATH_WEIGHTS), weights=list(_PATH_WEIGHTS.values()))[0]
    return DemoOrder(
        order_id=f"demo-{seed}-o{index:04d}",
        customer_id=person.customer_id,
        currency=currency,
        lines=lines,
        path=path,
        carrier=rng.choice(_CARRIERS),
        reason=rng.choice(_REASONS),
    )
