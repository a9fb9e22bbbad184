"""How real interaction texts differ from the demo's templates (customers/demo/texts.py): some are mixed (praise and a
gripe in one breath, labelled by the side that wins), sarcastic ("Oh brilliant, the parcel arrived broken. Again."),
terse or off-template ("lvm", "cust unhappy re invoice, call back pls"), and typed in a hurry (typos, lower case).
And how staff label them (`staff_labels`): mostly as the customer meant, but not always (two people reading one
note disagree on about one in ten, mostly over whether it was neutral).

Without them every demo text carried its sentiment in a template sentence and a closer written for that sentiment,
so the text model scored a macro-F1 of 1.00 on the demo's held-out labels: a figure that says nothing about the texts
a shop's staff write. With them it is a test (see the commit that added this module for the figures).

Each style is a list of sentences with the same fields as the templates ({first}, {product}, {days}, {amount}).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

MISLABELLED_SHARE = 0.1  # of the staff labels: another sentiment than the planted one
MISTOPIC_SHARE = 0.08  # of the staff labels: another topic (half of them "general")
# The share of texts written in each style, by sentiment (the rest are the plain templates).
TERSE_SHARE = 0.18
MIXED_SHARE = {"negative": 0.14, "neutral": 0.08, "positive": 0.16}
SARCASTIC_SHARE = 0.08  # of the negative texts: praise words meant the other way
UNCLEAR_SHARE = 0.07  # words that could be said in any mood: only who said them knew
TYPO_SHARE = 0.15  # one to three slips of the keyboard
LOWER_SHARE = 0.12  # typed all in lower case
LOOSE_SUBJECT_SHARE = 0.3  # a subject that says nothing of the topic ("Call", "Re: order", none)
LOOSE_SUBJECT_SHARE_TERSE = 0.6  # of the terse texts
SENTIMENT_CLOSER_SHARE = 0.4  # a closer that says the sentiment ("Needs urgent attention."); else a neutral one

TERSE = {
    "negative": (
        "cust unhappy re {product}, wants refund", "not good enough tbh", "{product} faulty again. call back pls",
        "rang to moan abt the delivery", "Won't be reordering the {product}.",
        "Not quite what we expected, to be honest.",
        "afraid the {product} didn't work out for us", "still waiting... {days} days now", "disappointing",
        "no reply to my last 2 emails!!", "{first} says the {product} is not up to scratch", "pls chase, cust cross",
        "Expected better for {amount}.", "the {product} went back in the box, not for us",
    ),
    "neutral": (
        "lvm", "no answer, try again thurs", "spoke to {first}, nothing needed", "sent catalogue",
        "order query - sorted", "asked abt stock of {product}", "ok", "cust called re invoice, confirmed amount",
        "updated address", "{first} on holiday for {days} days", "pls send spec sheet for {product}",
        "Called back as promised.", "{first} will confirm the order next week", "see email thread",
    ),
    "positive": (
        "v happy w/ the {product} :)", "all good, loving the new range", "{first} says thanks!!",
        "no complaints at all", "can't fault the {product}", "not bad at all, will reorder", "spot on as usual",
        "cheers, arrived early", "brill service ta", "the {product} went down a storm",
        "{first} is a fan of the {product}",
        "more of the same please", "Top marks.", "could not ask for more",
    ),
}  # fmt: skip

SARCASTIC = (
    "Oh brilliant, the {product} arrived broken. Again.",
    "Great job losing my parcel for the second time this month.",
    "Fantastic, {days} days and still no sign of the {product}. Really impressive.",
    "Thanks so much for charging me twice, really appreciate it.",
    "Love how nobody has answered my emails in {days} days.",
    "Wonderful. Another invoice for {amount} I never agreed to.",
    "Five stars for creativity: the {product} looks nothing like the photo.",
    "So glad I waited {days} days for a refund that still has not come.",
    "Perfect, the {product} fell apart on the first day. Well done.",
    "What a lovely surprise, the price of the {product} went up again.",
)

# Mixed: a clause of the other side, "but", then the side that wins (its template core, lower-cased).
GOOD_ASIDES = (
    "your staff are always polite", "I used to love the {product}", "the packaging was nice", "{first} was friendly",
    "the website is easy to use", "we have been happy customers for years", "the first order was great",
    "the {product} itself looks fine",
)  # fmt: skip
BAD_ASIDES = (
    "the parcel took a while", "the box was a bit battered", "it is a bit pricey", "the first one was faulty",
    "the invoice had a typo", "it was out of stock for a week", "the courier was late", "I had to chase once",
)  # fmt: skip
NEUTRAL_MIXED = (
    "Mentioned the {product} was lovely but the last box came a day late; nothing to action.",
    "Said the {product} is great, the price less so; no change to the order.",
    "Happy with the quality, unhappy with the courier; asked us to note it.",
    "Some good, some bad with the last order of {product}; will see how the next one goes.",
)

# Mixed the hard way: the other side said loudly, the side that wins said mildly (the label goes with the winner).
LOUD_MIXED = {
    "negative": (
        "Absolutely love the {product} and the team are brilliant, but we cannot justify the price any more.",
        "Fantastic product, great people, shame we are closing the account.",
        "Best {product} we have had, but after three late deliveries we are moving on.",
        "Always been delighted with you, which is why it is a pity the {product} has gone downhill.",
        "{first} loves the range, but the budget has been cut and the standing order goes.",
        "Wonderful service for years; sadly the last order of {product} was not right.",
    ),
    "positive": (
        "Terrible week with the courier and the box was soaked, but you sorted it and {first} is pleased.",
        "Awful start, the wrong {product} arrived, yet the replacement came next day and all is well now.",
        "Was furious about the invoice, but the refund came quickly, so no hard feelings.",
        "The {product} broke and I was ready to complain, but the new one is even better.",
        "Hated the old packaging, the new one is fine by me.",
        "Late, damaged and lost once, but honestly the {product} is worth the wait.",
    ),
}  # fmt: skip
UNCLEAR = (
    "Spoke to {first} about the {product}.", "Fine.", "ok i guess", "{first} called about the last order.",
    "as expected", "Noted.", "hmm, the {product} again", "Interesting week with the {product}.",
    "well, that was the {product}", "will see", "{first} had a few things to say about the {product}.",
    "Same as last time.",
)  # fmt: skip

LOOSE_SUBJECTS = ("", "", "Call", "Note", "Re: order", "Quick note", "FYI", "Update", "Re: {product}")


def pick(options: tuple[str, ...], u: float) -> str:
    """The option a uniform draw `u` in [0, 1) falls on."""
    return options[int(u * len(options))]


def lower_first(text: str) -> str:
    """A sentence to follow "but": its first letter lower-cased."""
    return text[:1].lower() + text[1:]


def mixed(sentiment: str, core: str, u: float, v: float) -> str:
    """A mixed text for `sentiment` around its template `core`: the other side first, then the side that wins
    (in a third of them the other side loudly, the winner mildly, in sentences of their own)."""
    if sentiment == "neutral":
        return pick(NEUTRAL_MIXED, u)
    if u < 1 / 3:
        return pick(LOUD_MIXED[sentiment], 3 * u)
    aside = pick(GOOD_ASIDES if sentiment == "negative" else BAD_ASIDES, v)
    return f"{aside[:1].upper()}{aside[1:]}, but {lower_first(core)}"


def slips(text: str, draws: np.ndarray) -> str:
    """`text` with one to three typing slips (a letter dropped, doubled or swapped with the next), at places chosen
    by `draws` (uniform, at least four)."""
    chars = list(text)
    for k in range(1 + int(draws[0] * 3)):
        at = int(draws[1 + k % (len(draws) - 1)] * max(len(chars) - 1, 1))
        if not chars[at].isalpha():
            continue
        kind = (at + k) % 3
        if kind == 0:
            del chars[at]
        elif kind == 1:
            chars.insert(at, chars[at])
        elif at + 1 < len(chars):
            chars[at], chars[at + 1] = chars[at + 1], chars[at]
    return "".join(chars)


def staff_labels(truth: pd.DataFrame, chosen: np.ndarray, rng: np.random.Generator, topics: tuple[str, ...]):
    """The labels staff give the `chosen` interactions of `truth` (interaction_id, topic, sentiment: the planted
    ones): MISLABELLED_SHARE with another sentiment (a neutral one read as positive or negative, a positive or
    negative one mostly as neutral, now and then as the opposite) and MISTOPIC_SHARE with another of `topics`
    (half of them "general", the catch-all a hurried labeller reaches for)."""
    rows = truth[chosen].reset_index(drop=True)
    n = len(rows)
    wrong, how, which, other = rng.random((4, n))
    sentiment = rows["sentiment"].to_numpy(dtype=object).copy()
    polar = sentiment != "neutral"
    flip = wrong < MISLABELLED_SHARE
    opposite = np.where(sentiment == "negative", "positive", "negative")
    sentiment[flip & ~polar] = np.where(how < 0.5, "negative", "positive")[flip & ~polar]
    sentiment[flip & polar] = np.where(how < 0.75, "neutral", opposite)[flip & polar]
    topic = rows["topic"].to_numpy(dtype=object).copy()
    moved = which < MISTOPIC_SHARE
    guessed = np.array(topics, dtype=object)[(other * len(topics)).astype(int)]
    topic[moved] = np.where(other < 0.5, "general", guessed)[moved]
    return rows.assign(sentiment=sentiment, topic=topic)
