"""Why an item is recommended: a reason code with parameters (stored with the recommendation), and its sentence.

Each recommendation takes the reason of the component that contributed most to its blended score:
    code          component          params                                 sentence
    buy_again     buy_again          every (days or None), last, times      bought 13 times, about every 30 days,
                                                                            last 34 days ago
    bought_with   item_item          items: [product ids], best first       often bought with X and Y
    similar_baskets  als             -                                      customers with similar baskets buy it
    similar_to    content            items: [product id]                    similar to X
    popular_now   recent_popularity  buyers, days                           popular this month
    popular       popularity         buyers                                 a best seller (120 customers)

Every item of the reorder list is one the customer bought: its reason is always their own rhythm (buy_again), even
when another component added more to its score, since "customers with similar baskets buy it" said of a product the
customer bought 13 times does not match what the rep sees on the timeline.

Parameters hold product ids, never names, so that a renamed product reads right and the sentence can be built in
any language later; `reason_text` takes the names as a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping

REASON_CODES = {
    "buy_again": "buy_again",
    "item_item": "bought_with",
    "als": "similar_baskets",
    "content": "similar_to",
    "recent_popularity": "popular_now",
    "popularity": "popular",
}


def reason_params(component: str, raw: dict, item_ids: list) -> dict:
    """The stored parameters of a component's raw reason: item indices become product ids. `item_ids` is a
    plain list (ndarray.tolist()), so the ids come out as the Python values JSON takes."""
    params = dict(raw)
    if "items" in params:
        params["items"] = [item_ids[i] for i in params["items"]]
    return params


def _names(ids, product_names: Mapping) -> list[str]:
    """Product names for ids, 'product <id>' where a name is missing."""
    return [str(product_names.get(i, f"product {i}")) for i in ids]


def _join(names: list[str]) -> str:
    """Names joined as 'A', 'A and B', 'A, B and C'; as 'A; B and C' when a name holds a comma ("Smoked Chutney,
    1 kg"), so that no name can be misread as two (the worklist's lists set names apart so too)."""
    if len(names) <= 1:
        return "".join(names)
    between = "; " if any("," in name for name in names) else ", "
    return between.join(names[:-1]) + " and " + names[-1]


def _days(n: int) -> str:
    """'1 day' or 'n days', a count grouped as the pages group counts ('1,026 days')."""
    return "1 day" if n == 1 else f"{n:,} days"


def _ago(n: int) -> str:
    """'today' or 'n days ago'."""
    return "today" if n == 0 else f"{_days(n)} ago"


def reason_text(code: str, params: Mapping | None, product_names: Mapping | None = None) -> str:
    """The sentence a rep reads for a reason code and its parameters; product ids are named by `product_names`."""
    params = params or {}
    product_names = product_names or {}
    if code == "buy_again":
        last = int(params.get("last", 0))
        every = params.get("every")
        times = int(params.get("times") or 0)
        if every and times > 1:
            return f"bought {times} times, about every {_days(int(every))}, last {_ago(last)}"
        if every:
            return f"bought about every {_days(int(every))}, last {_ago(last)}"
        return f"bought once, {_ago(last)}" if times == 1 else f"bought before, last {_ago(last)}"
    if code == "bought_with":
        names = _names(params.get("items", []), product_names)
        return f"often bought with {_join(names)}" if names else "often bought with what this customer buys"
    if code == "similar_baskets":
        return "customers with similar baskets buy it"
    if code == "similar_to":
        names = _names(params.get("items", [])[:1], product_names)
        return f"similar to {names[0]}" if names else "similar to what this customer buys"
    if code == "popular_now":
        days = int(params.get("days", 30))
        return "popular this month" if 28 <= days <= 31 else f"popular in the last {_days(days)}"
    if code == "popular":
        buyers = params.get("buyers")
        return f"a best seller ({int(buyers):,} customers)" if buyers else "a best seller"
    raise ValueError(f"unknown reason code: {code}")
