"""What the recommenders, the rules and the demand forecast learn from, besides the order lines.

All three read order lines of goods (`insights.data.order_lines`, re-exported here): the recommenders only those of
customers who allow profiling, the rules and the demand forecast every sale, anonymous ones included (a basket says
what goes together and a unit sold is a unit sold, whoever bought it).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customers.models import Product
from insights.data import order_lines

__all__ = ["order_lines", "products"]


def products() -> pd.DataFrame:
    """Every product with what the recommenders and the business rules read: product (id), name, description,
    category, is_active, kind."""
    rows = Product.objects.order_by("pk").values_list("pk", "name", "description", "category", "is_active", "kind")
    frame = pd.DataFrame.from_records(
        list(rows), columns=["product", "name", "description", "category", "is_active", "kind"]
    )
    return frame.astype({"product": np.int64, "is_active": bool})
