"""Signals the customers app sends, so that other apps react without `customers` importing them."""

from django.dispatch import Signal

# Sent after a customer's profiling consent is changed from a page or the admin (bulk imports write with SQL
# and are picked up by the next retrain), with `customer_id` and `profiling_consent` (the new value). The
# insights app listens to remove or recompute the customer's scores.
profiling_consent_changed = Signal()

# Sent by an import (customers/importing/service.py) inside its merge transaction, with `merged_at`: the created_at
# of every order and interaction it wrote. The insights app listens to re-score the customers it touched, after
# commit and in chunks.
records_imported = Signal()

# Sent by a rates import (customers/rates.py) inside its transaction, with `currencies`: the codes whose rates it
# added or replaced. Orders in them change their base-currency amounts; the insights app listens to re-score the
# customers who have such orders, after commit and in chunks, as after an import of orders.
rates_imported = Signal()

# Sent by `seed_demo --replace` inside its transaction, once every customer, order, product and interaction is
# deleted and before the new ones are written. The insights app listens to discard the model runs learned from the
# old data: their results would describe customers who no longer exist (new ones take the same ids) and their
# history would mix two shops on the model-quality charts.
data_replaced = Signal()
