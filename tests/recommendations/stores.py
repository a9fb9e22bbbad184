"""Simulated purchases written into the database as customers, products, orders and lines, so the families train
on data with a known structure through the same queries as production."""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pandas as pd

from customers.models import Customer, Order, OrderItem, Product


def load_catalogue(products: pd.DataFrame) -> dict[int, int]:
    """Create the simulated products; returns simulated id -> database id."""
    made = Product.objects.bulk_create(
        Product(sku=f"SIM{p}", name=name, category=category, price=Decimal("2.50"))
        for p, name, category in products[["product", "name", "category"]].itertuples(index=False)
    )
    return dict(zip(products["product"].tolist(), [p.pk for p in made], strict=True))


def load_purchases(lines: pd.DataFrame, product_ids: dict[int, int], owner=None) -> dict[int, int]:
    """Create a customer per simulated customer and an order per (customer, moment) with its lines; returns
    simulated customer id -> database id."""
    simulated = sorted(lines["customer"].unique().tolist())
    made = Customer.objects.bulk_create(Customer(external_id=f"S{c}", name=f"Sim {c}", owner=owner) for c in simulated)
    customer_ids = dict(zip(simulated, [c.pk for c in made], strict=True))
    _orders(lines, lambda c: customer_ids[c], product_ids)
    return customer_ids


def load_anonymous_sales(demand, product_ids: dict[int, int]) -> None:
    """One anonymous order a week per product that sold, for the units and price of a simulated WeeklyDemand."""
    units = demand.units.stack()
    units = units[units > 0]
    price = demand.price.stack().reindex(units.index)
    lines = pd.DataFrame(
        {
            "customer": None,
            "product": units.index.get_level_values(1),
            "placed_at": units.index.get_level_values(0).tz_localize("UTC") + pd.Timedelta(days=2, hours=11),
            "quantity": units.to_numpy().astype(int),
            "unit_price": price.fillna(5.0).round(2).to_numpy(),
        }
    )
    lines["order_key"] = np.arange(len(lines))
    _orders(lines, lambda c: None, product_ids, key="order_key")


def _orders(lines: pd.DataFrame, customer_id, product_ids: dict[int, int], key: str | None = None) -> None:
    keys = [key] if key else ["customer", "placed_at"]
    grouped = list(lines.groupby(keys, sort=True, dropna=False))
    start = Order.objects.count()
    orders = Order.objects.bulk_create(
        Order(
            external_number=f"SIM{start + n}",
            customer_id=customer_id(group["customer"].iloc[0]),
            placed_at=group["placed_at"].iloc[0].to_pydatetime(),
        )
        for n, (_, group) in enumerate(grouped)
    )
    items = []
    for order, (_, group) in zip(orders, grouped, strict=True):
        prices = group["unit_price"] if "unit_price" in group else pd.Series(2.5, index=group.index)
        for line, (product, quantity, price) in enumerate(
            zip(group["product"], group["quantity"], prices, strict=True), start=1
        ):
            items.append(
                OrderItem(
                    order=order,
                    line_number=line,
                    product_id=product_ids[int(product)],
                    quantity=int(quantity),
                    unit_price=Decimal(str(price)),
                )
            )
    OrderItem.objects.bulk_create(items, batch_size=5000)
