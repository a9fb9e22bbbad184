"""Templates for the demo interactions: what customers and staff write in calls, emails, meetings and tickets.

A text is assembled from an opener (by kind), a core sentence (by topic and sentiment), an optional detail
sentence (by topic) and a closer (by sentiment), with the customer's first name, a product they bought, a number
of days and an amount filled in. That gives thousands of distinct texts from a few hundred lines, while the
wording still carries the topic and the sentiment, so the sentiment and topic models have something to learn; a
share is written as staff and customers really write (customers/demo/voices.py), so they have something to get
wrong too.
"""

from __future__ import annotations

import numpy as np

from customers.demo import voices
from customers.demo.voices import pick

TOPICS = (
    "complaint", "price_question", "delivery_problem", "praise", "product_question", "follow_up", "billing",
    "churn_threat",
)  # fmt: skip
# The CRM's topic (customers.Topic, seeded by a migration) each demo topic is labelled with.
CRM_TOPIC = {
    "complaint": "product_quality",
    "price_question": "price",
    "delivery_problem": "delivery",
    "praise": "praise",
    "product_question": "product_quality",
    "follow_up": "general",
    "billing": "billing",
    "churn_threat": "churn_threat",
}
SENTIMENTS = ("negative", "neutral", "positive")
KINDS = ("call", "email", "meeting", "note", "feedback", "ticket")

SUBJECTS = {
    "complaint": (
        "Complaint about {product}", "Unhappy with recent order", "Quality issue: {product}",
        "{product} not as described", "Formal complaint", "Faulty {product}", "Disappointed customer",
    ),
    "price_question": (
        "Price query on {product}", "Question about discounts", "Trade pricing request", "Quote for {product}",
        "Price increase on {product}?", "Bulk order pricing", "Invoice amount query",
    ),
    "delivery_problem": (
        "Late delivery", "Order not arrived", "Damaged in transit: {product}", "Wrong item delivered",
        "Delivery delay", "Missing parcel", "Courier problem",
    ),
    "praise": (
        "Thank you!", "Great service", "Love the {product}", "Happy customer", "Compliments to the team",
        "Excellent quality", "Five stars",
    ),
    "product_question": (
        "Question about {product}", "Is {product} back in stock?", "{product}: sizes and colours",
        "Care instructions for {product}", "Product information request", "Alternatives to {product}",
    ),
    "follow_up": (
        "Follow-up call", "Checking in", "Account review", "Quarterly catch-up", "Re: your last order",
        "Introducing the new range", "Renewal of standing order",
    ),
    "billing": (
        "Invoice query", "Payment problem", "Refund request", "Charged twice?", "Billing address", "Statement request",
    ),
    "churn_threat": (
        "Closing the account", "Cancel standing order", "Moving supplier", "Last order", "Considering leaving",
    ),
}  # fmt: skip

OPENERS = {
    "call": (
        "Called {first}.", "{first} rang the office.", "Phone call with {first}.", "Spoke to {first} on the phone.",
        "Returned {first}'s call.",
    ),
    "email": (
        "Email from {first}:", "{first} wrote in.", "Received an email from {first}.", "Replying to {first}'s email.",
        "Hi team, {first} emailed us.",
    ),
    "meeting": (
        "Met {first} at their premises.", "Video meeting with {first}.", "Coffee with {first} in town.",
        "Account meeting with {first}.",
    ),
    "note": ("Note:", "Internal note.", "For the file:", "Reminder for the team:", "Note after reviewing the account."),
    "feedback": (
        "Feedback form from {first}:", "Review left by {first}:", "Survey answer:", "Customer feedback:",
        "Comment from the website review form:",
    ),
    "ticket": (
        "Support ticket opened by {first}.", "New ticket:", "Ticket raised via the help centre.",
        "{first} opened a support request.",
    ),
}  # fmt: skip

CORES = {
    ("complaint", "negative"): (
        "The {product} broke after {days} days and nobody has answered the last two emails.",
        "Really unhappy: the {product} is poor quality and not worth the money.",
        "This is the third problem in a row, and the {product} arrived faulty again.",
        "Very disappointed with the {product}; it stopped working within {days} days.",
        "The {product} looks nothing like the photos and feels cheap.",
        "Terrible experience with support, they were rude and unhelpful about the {product}.",
    ),
    ("complaint", "neutral"): (
        "Reported a minor defect on the {product}; happy with a replacement.",
        "The {product} had a small scratch, asked whether we can swap it.",
    ),
    ("price_question", "negative"): (
        "Complained that the {product} now costs {amount}, far more than last year.",
        "Feels our prices are too high compared with other shops; the {product} is cheaper elsewhere.",
        "Unhappy about the price increase and asked why the {product} went up again.",
        "Says the delivery charge is too expensive for small orders.",
    ),
    ("price_question", "neutral"): (
        "Asked whether there is a discount on the {product} for orders over {amount}.",
        "Wanted a quote for fifty units of {product}.",
        "Asked about trade pricing and payment terms of {days} days.",
        "Asked when the next sale starts and whether the {product} will be included.",
        "Queried an invoice of {amount}; explained the line items.",
        "Asked if we price-match on the {product}.",
    ),
    ("price_question", "positive"): (
        "Pleased with the loyalty discount on the {product}, asked if it applies to the whole range.",
        "Said the new bulk price of {amount} works well for them.",
    ),
    ("delivery_problem", "negative"): (
        "Order arrived {days} days late and the {product} was damaged in the box.",
        "Parcel never arrived; the tracking has not updated for {days} days.",
        "We sent the wrong item instead of the {product}, second time this happened.",
        "The courier left the parcel in the rain and the {product} was ruined.",
        "Still waiting for the {product} after {days} days, very frustrated.",
        "Half the order was missing, including the {product}.",
    ),
    ("delivery_problem", "neutral"): (
        "Asked to change the delivery address for the order with the {product}.",
        "Delivery was a day late, customer understood the courier delay.",
    ),
    ("praise", "positive"): (
        "Loves the {product}, says it is the best they have bought.",
        "Thanked the team for the quick delivery and lovely packaging.",
        "Very happy with the {product}; will recommend us to friends.",
        "Great quality as always, the {product} exceeded expectations.",
        "Said our customer service is excellent and the replacement arrived next day.",
        "Delighted with the order, the {product} was a perfect gift.",
        "Fantastic experience, plans to order the {product} again soon.",
    ),
    ("praise", "neutral"): (
        "Said the {product} was fine, does what it should.",
        "Order arrived as expected, no issues with the {product}.",
    ),
    ("product_question", "neutral"): (
        "Asked whether the {product} comes in other sizes.",
        "Wanted to know if the {product} is dishwasher safe.",
        "Asked when the {product} will be back in stock.",
        "Asked for the dimensions and weight of the {product}.",
        "Wanted care instructions for the {product}.",
        "Asked which product we recommend instead of the {product}.",
    ),
    ("product_question", "positive"): (
        "Interested in the new range, asked for the catalogue after enjoying the {product}.",
        "Keen to try more products like the {product}; sent some suggestions.",
    ),
    ("follow_up", "positive"): (
        "Good conversation, they plan to increase their regular order of {product}.",
        "Customer is happy with the account and wants to hear about new products.",
        "Agreed a standing order for the {product} every {days} days.",
        "Discussed the seasonal range; they are excited about the new {product}.",
    ),
    ("follow_up", "neutral"): (
        "Checked in after the last order, nothing needed at the moment.",
        "Reviewed the account; next order expected in about {days} days.",
        "Left a voicemail about the new catalogue.",
        "Sent the updated price list and product sheet for the {product}.",
        "Confirmed contact details and delivery preferences.",
    ),
    ("follow_up", "negative"): (
        "Customer said they are ordering less because budgets are tight.",
        "Not interested in new products right now, still unhappy about the last delivery.",
    ),
    ("billing", "negative"): (
        "Customer is angry that the refund of {amount} still has not been processed after {days} days.",
        "We charged the card twice for the {product} order, {amount} each time.",
        "The invoice shows {amount} but the quote was lower; nobody has explained why.",
        "Was billed for the {product} that never arrived.",
    ),
    ("billing", "neutral"): (
        "Asked for a copy of the invoice for the {product} order.",
        "Wants to pay by bank transfer with {days}-day terms.",
        "Asked us to update the billing address on the account.",
    ),
    ("billing", "positive"): ("Thanked us for sorting the refund of {amount} so quickly.",),
    ("churn_threat", "negative"): (
        "Says they are thinking of taking their business elsewhere after the problems with {product}.",
        "Wants to close the account; a competitor offered the {product} for less.",
        "Cancelled the standing order and says this is the last order.",
        "Told us they will move to another supplier unless the {product} issue is fixed within {days} days.",
    ),
}  # fmt: skip

DETAILS = {
    "complaint": ("Wants a refund.", "Asked for a manager to call back.", "Sent photos of the problem.", ""),
    "price_question": ("Sent the price list.", "Will confirm by email.", "Offered 5% on the next order.", ""),
    "delivery_problem": ("Raised with the courier.", "Sending a replacement today.", "Refunded the postage.", ""),
    "praise": ("Shared the review with the team.", "Offered early access to the new range.", ""),
    "product_question": ("Sent the product sheet.", "Checked with the supplier.", "Linked the care guide.", ""),
    "follow_up": ("Next check-in in a month.", "Added to the newsletter.", "Logged in the account plan.", ""),
    "billing": ("Passed to accounts.", "Sent a corrected invoice.", "Refund requested.", ""),
    "churn_threat": ("Account manager to call back today.", "Offered a goodwill discount.", ""),
}

CLOSERS = {
    "negative": (
        "Needs urgent attention.", "Customer at risk.", "Escalated.", "Please resolve quickly.",
        "Customer is not satisfied.", "",
    ),
    "neutral": ("No further action.", "Will follow up next week.", "Answered.", "Closed.", ""),
    "positive": ("Happy customer!", "Great relationship.", "Keep up the good work.", "Thanks all.", ""),
}  # fmt: skip

# Which kinds of contact each topic tends to arrive by (same order as KINDS).
KIND_WEIGHTS_BY_TOPIC = {
    "complaint": (3, 3, 0, 1, 2, 4),
    "price_question": (4, 5, 1, 1, 0, 1),
    "delivery_problem": (3, 3, 0, 1, 1, 5),
    "praise": (2, 3, 1, 1, 5, 0),
    "product_question": (3, 5, 0, 1, 0, 2),
    "follow_up": (5, 3, 3, 3, 0, 0),
    "billing": (2, 5, 0, 1, 0, 3),
    "churn_threat": (4, 4, 1, 1, 1, 2),
}
# Sentiment shares for each topic (same order as SENTIMENTS); cells without templates have weight 0.
SENTIMENT_WEIGHTS_BY_TOPIC = {
    "complaint": (0.9, 0.1, 0.0),
    "price_question": (0.25, 0.65, 0.1),
    "delivery_problem": (0.85, 0.15, 0.0),
    "praise": (0.0, 0.12, 0.88),
    "product_question": (0.0, 0.75, 0.25),
    "follow_up": (0.1, 0.5, 0.4),
    "billing": (0.6, 0.35, 0.05),
    "churn_threat": (1.0, 0.0, 0.0),
}


def compose_texts(
    rng: np.random.Generator,
    topic: np.ndarray,
    sentiment: np.ndarray,
    kind: np.ndarray,
    first_names: np.ndarray,
    product_names: np.ndarray,
) -> tuple[list[str], list[str]]:
    """Subjects and bodies for interactions given as arrays of topic, sentiment and kind codes (indexes into
    TOPICS, SENTIMENTS, KINDS), the customer's first name and a product name for each: the templates above, and a
    share in the styles of customers/demo/voices.py (terse, mixed, sarcastic, with typos or in lower case).

    One Python loop per interaction, not per order line: at about three interactions per customer this is a
    fraction of a second for 100k customers, and str.format keeps the templates readable.
    """
    n = len(topic)
    u = rng.random((n, 5))
    days = rng.integers(2, 45, n)
    amount = np.round(rng.gamma(2.0, 40.0, n), 2)
    style, aside, loose, closing, lower, typo = rng.random((6, n))
    slips_at = rng.random((n, 4))
    subjects: list[str] = []
    bodies: list[str] = []
    for i in range(n):
        t = TOPICS[topic[i]]
        s = SENTIMENTS[sentiment[i]]
        fields = {"first": first_names[i], "product": product_names[i], "days": days[i], "amount": f"£{amount[i]:.2f}"}
        subject = pick(SUBJECTS[t], u[i, 4])
        core = pick(CORES[t, s], u[i, 1])
        closer = pick(CLOSERS[s if closing[i] < voices.SENTIMENT_CLOSER_SHARE else "neutral"], u[i, 3])
        parts = [pick(OPENERS[KINDS[kind[i]]], u[i, 0]), core, pick(DETAILS[t], u[i, 2]), closer]
        cut = style[i] - (voices.SARCASTIC_SHARE if s == "negative" else 0.0)
        if cut < 0:
            parts = [parts[0], pick(voices.SARCASTIC, style[i] / voices.SARCASTIC_SHARE)]
        elif cut < voices.TERSE_SHARE:
            parts = [pick(voices.TERSE[s], cut / voices.TERSE_SHARE)]
        elif (cut := cut - voices.TERSE_SHARE) < voices.UNCLEAR_SHARE:
            parts = [pick(voices.UNCLEAR, cut / voices.UNCLEAR_SHARE)]
        elif (cut := cut - voices.UNCLEAR_SHARE) < voices.MIXED_SHARE[s]:
            parts[1] = voices.mixed(s, core, cut / voices.MIXED_SHARE[s], aside[i])
        vague = voices.LOOSE_SUBJECT_SHARE_TERSE if len(parts) == 1 else voices.LOOSE_SUBJECT_SHARE
        if loose[i] < vague:
            subject = pick(voices.LOOSE_SUBJECTS, loose[i] / vague)
        body = " ".join(p for p in parts if p).format(**fields)
        if lower[i] < voices.LOWER_SHARE:
            body = body.lower()
        if typo[i] < voices.TYPO_SHARE:
            body = voices.slips(body, slips_at[i])
        bodies.append(body)
        subjects.append(subject.format(**fields)[:200])
    return subjects, bodies
