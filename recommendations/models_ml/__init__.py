"""Machine-learning code of the recommendations app: pure functions over arrays, no database.

Recommenders: interactions.py (the matrices), buy_again.py, neighbours.py (item-item, content), als.py,
popularity.py, hybrid.py (blend, lists, rules), tuning.py (weights on validation), reasons.py, ranking_metrics.py,
backtest.py, topk.py, simulate_baskets.py. Input contract, produced by the app's service layer from the database:

lines     one row per purchase line of a completed order of goods (no cancellations, no shipping/fee lines,
          no anonymous sales; outlier orders left out), columns
              customer   int, the customer id
              product    int, the product id
              placed_at  datetime, UTC (tz-aware, or naive UTC)
              quantity   number (optional: the recommenders count distinct purchase days, not units)
              amount     number (optional, likewise)
products  one row per product, columns
              product      int id
              name         str
              description  str (optional)
              category     str (optional)
              is_active    bool
              kind         str (optional; only "product" may be recommended, as Product.Kind.PRODUCT)

Pipeline: `tuning.fit_recommender(lines, products, as_of)` builds the customer x item matrices
(`interactions.build_dataset`), chooses the blend weights on the last 30 days before as_of, refits on everything and
returns a `hybrid.Recommender`; `Recommender.recommend(customer_ids)` gives both lists for a chunk of customers as
a DataFrame (customer, list, rank, product, score, component, reason_code, reason_params), and
`reasons.reason_text(code, params, product_names)` the sentence. `backtest.evaluate(lines, products, cutoff, end)`
is the backtest.
"""
