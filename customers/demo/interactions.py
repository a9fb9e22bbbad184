"""Demo interactions: calls, emails, meetings, notes, feedback and tickets with varied, templated text.

Topics and sentiment depend on the customer's group; churners complain more in the months before they
leave, which gives the sentiment trend and the churn model a real (planted) signal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from customers.demo.profiles import GROUP_NAMES, Calendar, profile_array
from customers.demo.texts import (
    KIND_WEIGHTS_BY_TOPIC,
    KINDS,
    SENTIMENT_WEIGHTS_BY_TOPIC,
    SENTIMENTS,
    TOPICS,
    compose_texts,
)

# Topic shares (order of TOPICS) for each group's ordinary interactions.
TOPIC_WEIGHTS = {
    "champions": (0.06, 0.12, 0.08, 0.3, 0.18, 0.26, 0.05, 0.0),
    "loyal": (0.08, 0.15, 0.1, 0.22, 0.2, 0.25, 0.05, 0.01),
    "wholesale": (0.08, 0.3, 0.12, 0.1, 0.15, 0.25, 0.08, 0.01),
    "bargain": (0.12, 0.38, 0.12, 0.1, 0.18, 0.1, 0.06, 0.03),
    "new": (0.06, 0.15, 0.12, 0.22, 0.3, 0.15, 0.04, 0.01),
    "one_time": (0.2, 0.2, 0.2, 0.1, 0.2, 0.1, 0.06, 0.04),
}
# What churners raise in their last months: complaints, delivery and billing problems and threats to leave, always
# unhappy.
CHURN_TOPIC_WEIGHTS = (0.35, 0.1, 0.25, 0.0, 0.0, 0.0, 0.1, 0.2)


def _choose_rows(rng: np.random.Generator, weights: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """For each entry of `rows`, a column index drawn from that row of the weight matrix."""
    cdf = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(rows))
    return np.minimum((u[:, None] > cdf[rows]).sum(axis=1), weights.shape[1] - 1)


def make_interactions(
    rng: np.random.Generator,
    calendar: Calendar,
    customer: dict,
    product_names: np.ndarray,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The interactions table and its ground-truth labels (topic and sentiment per interaction id).

    `customer` holds per-customer arrays: group, first_day, last_day (of the last order), stop_day, churner,
    owner_index, first_name, staples. `product_names` is indexed by product id.
    """
    group, churner = customer["group"], customer["churner"]
    first_day, last_day, stop_day = customer["first_day"], customer["last_day"], customer["stop_day"]
    n = len(group)
    window_end = np.where(
        churner, np.minimum(stop_day + 30, calendar.days - 1), np.minimum(last_day + 90, calendar.days - 1)
    )
    window_start = np.maximum(first_day - 5, 0)
    years = np.maximum(window_end - window_start, 30) / 365
    count = rng.poisson(profile_array("interactions_per_year")[group] * years)
    who = np.repeat(np.arange(n), count)
    span = window_end[who] - window_start[who] + 1
    day = window_start[who] + (rng.random(len(who)) * span).astype(np.int64)
    topic_matrix = np.array([TOPIC_WEIGHTS[name] for name in GROUP_NAMES])
    topic = _choose_rows(rng, topic_matrix, group[who])
    sentiment_matrix = np.array([SENTIMENT_WEIGHTS_BY_TOPIC[t] for t in TOPICS])
    sentiment = _choose_rows(rng, sentiment_matrix, topic)

    churners = np.flatnonzero(churner)
    extra = 1 + rng.poisson(1.5, len(churners))
    c_who = np.repeat(churners, extra)
    c_day = np.maximum(stop_day[c_who] - 1 - rng.integers(0, 120, len(c_who)), first_day[c_who])
    c_topic = rng.choice(len(TOPICS), len(c_who), p=CHURN_TOPIC_WEIGHTS)

    who = np.concatenate([who, c_who])
    day = np.concatenate([day, c_day])
    topic = np.concatenate([topic, c_topic])
    sentiment = np.concatenate([sentiment, np.full(len(c_who), SENTIMENTS.index("negative"))])
    kind = _choose_rows(rng, np.array([KIND_WEIGHTS_BY_TOPIC[t] for t in TOPICS], dtype=float), topic)
    seconds = rng.integers(8 * 3600 + 1800, 18 * 3600, len(who))
    order = np.lexsort((seconds, day, who))
    who, day, topic, sentiment, kind, seconds = (a[order] for a in (who, day, topic, sentiment, kind, seconds))
    m = len(who)

    kinds = np.array(KINDS, dtype=object)[kind]
    asking = np.isin(
        topic, [TOPICS.index(t) for t in ("complaint", "price_question", "delivery_problem", "billing", "churn_threat")]
    )
    inbound = np.isin(kinds, ["ticket", "feedback"]) | (np.isin(kinds, ["call", "email"]) & asking)
    inbound |= np.isin(kinds, ["call", "email"]) & (rng.random(m) < 0.3)
    direction = np.where(kinds == "note", "internal", np.where(inbound & (kinds != "meeting"), "inbound", "outbound"))
    owner = customer["owner_index"][who]
    # Web feedback forms arrive without a member of staff; everything else is logged by the account owner.
    user_index = np.where(kinds == "feedback", -1, owner)

    product = customer["staples"][who, rng.integers(0, 3, m)]
    subjects, bodies = compose_texts(rng, topic, sentiment, kind, customer["first_name"][who], product_names[product])
    occurred_at = calendar.timestamps(day, seconds)
    ids = np.arange(1, m + 1)
    interactions = pd.DataFrame(
        {
            "id": ids,
            "customer_id": who + 1,
            "user_index": user_index,
            "kind": kinds,
            "direction": direction,
            "subject": subjects,
            "body": bodies,
            "occurred_at": occurred_at,
            "created_at": occurred_at + rng.integers(0, 1800, m).astype("timedelta64[s]"),
        }
    )
    labels = pd.DataFrame(
        {
            "interaction_id": ids,
            "topic": np.array(TOPICS, dtype=object)[topic],
            "sentiment": np.array(SENTIMENTS, dtype=object)[sentiment],
        }
    )
    return interactions, labels
