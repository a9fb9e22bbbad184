"""The next best action: one suggestion, with its reason and a message to start from, for each customer on the
worklist (insights/worklist.py), decided from what the worklist and the published runs already say, in the first
of these that applies (a customer is on one list only, so the list and the action never disagree):

- *Win back*: gone (the win-back list: no order for over a year, insights/worklist.py), with what they used to buy.
- *Call now*: on the revenue-at-risk list and a complaint in the last CALL_NOW_DAYS days.
- *Send an offer*: due to reorder (their usual gap between orders has passed, or they are on the overdue
  list), naming the products the active recommendations run recommends them (reorders first).
- *Thank*: recent praise (a positive interaction in the last PRAISE_DAYS days).
- *Check in*: at risk, with none of the above to say.

A customer in the "Recent complaints" section and on none of the lists gets *Call now* there, to put it right
(`suggest_for_complaints`).

Set-based: a fixed number of queries for the whole worklist (recent interactions with their readings, topic names,
recommended products, what the gone used to buy, the message templates). A reason says why this action, with the
figures it rests on (an offer is due: their usual gap and the days since their last order, counted as the row
counts them), so it reads on its own; product names may hold commas ("Smoked Chutney, 1 kg"), so a list of them is
set apart by semicolons, and a message lists them one a line. The recommendations app supplies the products through
`register_offer_source` (imports point one way).

Showing the worklist writes nothing. What was suggested is recorded (insights.models.SuggestedAction, once per open
suggestion) by the nightly `record` over every owner's worklist, and when a rep acts on a suggestion: Done marks it
taken, Snooze records it as shown and not taken (insights/services.py `act_on_worklist`). The managers' share taken
and 30-day outcome are counted from these records (insights/dashboards/next_actions.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils import timezone
from django.utils.dateformat import format as date_format

from crm.templatetags.lodestar import chance, money
from customers.models import Customer, Interaction, Order, OrderItem, Product, Sentiment
from insights import communication
from insights.message_templates import fill
from insights.models import MessageTemplate, NextAction, SuggestedAction
from insights.worklist import UNASSIGNED, Worklist, build, scope
from insights.worklist_rows import Entry

CALL_NOW_DAYS = 7  # "a complaint last week"
PRAISE_DAYS = 14
DUE_SHARE = 1.0  # due once the time since the last order reaches their usual gap
OFFER_PRODUCTS = 3
USED_TO_BUY = 3
MAX_READINGS = 2_000  # recent interactions read for the whole worklist, newest first
PRAISE_TOPIC = "praise"
DATE_FORMAT = "j M Y"  # the pages' date format (7 Dec 2026), in messages too

# A function of (customer ids, how many) giving each customer's recommended product names, best first.
OfferSource = Callable[[list[int], int], dict[int, list[str]]]
_offer_sources: list[OfferSource] = []


def register_offer_source(source: OfferSource) -> None:
    """Let an app name the products an offer should carry (the recommendations app, from its ready())."""
    if source not in _offer_sources:
        _offer_sources.append(source)


@dataclass
class Suggestion:
    """The next best action for one customer, with why, the products it names, and the filled message."""

    action: str
    reason: str
    products: list[str] = field(default_factory=list)
    subject: str = ""
    message: str = ""
    # The reason as a worklist row gives it, leaving out the figures the row's cells already show (its rhythm, risk
    # and revenue at risk): the whole reason is what is recorded, and what the profile lists.
    on_row: str = ""

    def __post_init__(self) -> None:
        self.on_row = self.on_row or self.reason

    @property
    def label(self) -> str:
        return NextAction(self.action).label


@dataclass
class _Mood:
    complaint: communication.Reading | None = None
    praise: communication.Reading | None = None


def name_list(names: list[str]) -> str:
    """Product names set apart so that none can be misread, though a name may hold a comma: 'A; B; C'."""
    return "; ".join(names)


def _sure(reading: communication.Reading) -> bool:
    return reading.labelled or (reading.probability or 0) >= communication.SURE_ENOUGH


def moods(customer_ids: list[int], today: dt.date) -> dict[int, _Mood]:
    """Each customer's latest complaint in the last CALL_NOW_DAYS days and latest praise in the last PRAISE_DAYS
    days (a staff label, else the active sentiment run's reading when it is sure enough). Two queries."""
    start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=PRAISE_DAYS), dt.time.min))
    complaint_since = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=CALL_NOW_DAYS), dt.time.min))
    recent = communication.annotated(
        Interaction.objects.filter(customer_id__in=customer_ids, occurred_at__gte=start).order_by("-occurred_at", "-pk")
    )
    found: dict[int, _Mood] = {}
    for reading in communication.readings(recent[:MAX_READINGS], communication.topic_names()):
        mood = found.setdefault(reading.interaction.customer_id, _Mood())
        if not _sure(reading):
            continue
        if reading.sentiment == Sentiment.NEGATIVE:
            if mood.complaint is None and reading.interaction.occurred_at >= complaint_since:
                mood.complaint = reading
        elif reading.sentiment == Sentiment.POSITIVE or reading.topic == PRAISE_TOPIC:
            mood.praise = mood.praise or reading
    return found


def offer_products(customer_ids: list[int]) -> dict[int, list[str]]:
    """The products to offer each customer, from the registered sources (the first that names any wins)."""
    found: dict[int, list[str]] = {}
    for source in _offer_sources:
        for customer_id, names in source(customer_ids, OFFER_PRODUCTS).items():
            found.setdefault(customer_id, names[:OFFER_PRODUCTS])
    return found


def used_to_buy(customer_ids: list[int]) -> dict[int, list[str]]:
    """What each customer bought in most orders (up to USED_TO_BUY products, most often first). One query."""
    rows = (
        OrderItem.objects.filter(
            order__customer_id__in=customer_ids,
            order__status=Order.Status.COMPLETED,
            order__is_outlier=False,
            product__kind=Product.Kind.PRODUCT,
        )
        .values_list("order__customer_id", "product__name")
        .annotate(orders=Count("order", distinct=True))
        .order_by("order__customer_id", "-orders", "product__name")
    )
    found: dict[int, list[str]] = {}
    for customer_id, name, _orders in rows:
        names = found.setdefault(customer_id, [])
        if len(names) < USED_TO_BUY:
            names.append(name)
    return found


def _due(entry: Entry | None) -> bool:
    """Their usual gap has passed, in whole days as the reason words it ("about every 40 days, last 40 days ago")."""
    if entry is None or not entry.usual_gap_days or entry.days_since is None:
        return False
    return entry.days_since >= round(entry.usual_gap_days * DUE_SHARE)


def _day(moment: dt.datetime) -> str:
    """A moment's day in the site's time zone, as the pages write dates (7 Dec 2026), through Django's formatting."""
    return date_format(timezone.localtime(moment), DATE_FORMAT)


def _topic(reading) -> str:
    """What a reading or complaint was about, in lower case for a sentence ("" for the general topic or none)."""
    if reading is None:
        return ""
    if isinstance(reading, communication.Reading):
        return communication.named_topic(reading.topic, reading.topic_name).lower()
    return reading.topic_name.lower()  # a Complaint names no general topic already


def _when(reading: communication.Reading) -> str:
    about = f" about {_topic(reading)}" if _topic(reading) and reading.topic != PRAISE_TOPIC else ""
    return f"{about} on {_day(reading.interaction.occurred_at)}"


def decide(work: Worklist, mood: dict[int, _Mood]) -> dict[int, tuple[str, Entry, communication.Reading | None]]:
    """Each worklist customer's action, the worklist entry it rests on, and the reading behind it (if any)."""
    at_risk = {e.customer.pk: e for e in work.at_risk}
    gone = {e.customer.pk: e for e in work.win_back}
    late = {e.customer.pk: e for e in work.overdue}
    chosen = {}
    for customer_id in dict.fromkeys([*at_risk, *gone, *late]):
        feeling = mood.get(customer_id, _Mood())
        risk = at_risk.get(customer_id)
        if customer_id in gone:
            chosen[customer_id] = (NextAction.WIN_BACK, gone[customer_id], None)
        elif risk and feeling.complaint:
            chosen[customer_id] = (NextAction.CALL_NOW, risk, feeling.complaint)
        elif customer_id in late or _due(risk):
            chosen[customer_id] = (NextAction.SEND_OFFER, late.get(customer_id) or risk, None)
        elif feeling.praise:
            chosen[customer_id] = (NextAction.THANK, risk, feeling.praise)
        else:
            chosen[customer_id] = (NextAction.CHECK_IN, risk, None)
    return chosen


def _consent(entry: Entry) -> str:
    """An offer is marketing: without the customer's consent to it, it is made in a conversation, not sent."""
    if entry.customer.marketing_consent:
        return ""
    return " No marketing consent: make the offer in a call, do not send it."


def _due_words(entry: Entry) -> str:
    """Why an offer is due, with the two figures a rep checks it by (the days counted as the worklist counts them)."""
    if not entry.usual_gap_days or entry.days_since is None:
        return "Due for a reorder."
    # Rounded half up, as the row's "Usually every" cell (floatformat) rounds it: 38.5 days reads 39 in both.
    gap = max(1, int(entry.usual_gap_days + 0.5))
    every = "every day" if gap == 1 else f"every {gap:,} days"
    return f"Due for a reorder: usually orders {every}, last ordered {entry.days_since:,} days ago."


def _on_row(action: str, reading, products: list[str], entry: Entry) -> str:
    """The reason on a worklist row, whose cells give the rhythm (orders, usual gap, days since the last), the risk
    and the revenue at risk: an offer says it is due and what to offer, a complaint when it was made."""
    if action == NextAction.CALL_NOW:
        return f"Complained{_when(reading)}: call to put it right."
    if action == NextAction.SEND_OFFER:
        offer = f" Offer: {name_list(products)}." if products else " No product recommended for them yet."
        return f"Due for a reorder.{offer}{_consent(entry)}"
    return ""


def _reason(action: str, entry: Entry, reading, products: list[str], currency: str) -> str:
    if action == NextAction.CALL_NOW:
        value = f"{money(entry.at_risk, currency)} of revenue at risk" if entry.at_risk is not None else "at high risk"
        return f"Complained{_when(reading)}, and {value} ({chance(entry.probability)} chance of losing them)."
    if action == NextAction.WIN_BACK:
        bought = f" They used to buy: {name_list(products)}." if products else ""
        return f"No order for over a year.{bought}{_consent(entry)}"
    if action == NextAction.SEND_OFFER:
        offer = f" Offer: {name_list(products)}." if products else " No product recommended for them yet."
        return f"{_due_words(entry)}{offer}{_consent(entry)}"
    if action == NextAction.THANK:
        return f"Praised us{_when(reading)}."
    return "At risk, with no complaint, praise or order due."


def _message_data(customer, user, products: list[str], reading, entry: Entry | None = None) -> dict:
    """What a message template may read: the customer, the rep, the products, the topic and, for a worklist row
    (`entry`), the customer's last order and rhythm."""
    last_order = entry.last_order if entry else None
    return {
        "customer": {
            "name": customer.name,
            "first_name": (customer.name.split() or [""])[0],
            "company": customer.company,
            "city": customer.city,
        },
        "rep": {"name": user.get_full_name() or user.get_username()},
        "products": products,
        "products_text": name_list(products),
        "topic": _topic(reading),
        "last_order": _day(last_order) if last_order else "",
        "days_since": entry.days_since if entry else None,
        "usual_gap_days": round(entry.usual_gap_days) if entry and entry.usual_gap_days else None,
    }


def _record(found: dict[int, Suggestion]) -> None:
    """Record what was suggested (one insert): one open suggestion of a kind per customer, so one suggested again is
    not counted again."""
    SuggestedAction.objects.bulk_create(
        [SuggestedAction(customer_id=c, action=s.action, reason=s.reason[:500]) for c, s in found.items()],
        ignore_conflicts=True,
    )


def record(today: dt.date) -> int:
    """Record the suggestions every owner's worklist gives today (and the unassigned customers'), as each rep sees
    theirs: the lists, then the complaints section. The nightly schedule calls this, so that the managers' share
    taken counts what was suggested, not only what was acted on; a fixed number of queries per owner. Returns how
    many suggestions the worklists give (an open one recorded before is not recorded again)."""
    owners = Customer.objects.order_by().values_list("owner_id", flat=True).distinct()
    recorded = 0
    for owner in [str(pk) if pk else UNASSIGNED for pk in owners]:
        work = build(None, today, owner)
        found = suggest(work, None, today)
        complaints = communication.complaints(scope(None, today, owner), today)
        suggest_for_complaints(complaints, work, None)
        found.update({c.customer.pk: c.suggestion for c in complaints if c.suggestion})
        _record(found)
        recorded += len(found)
    return recorded


def suggest_for_complaints(complaints: list, work: Worklist | None, user) -> None:
    """The "Recent complaints" section's actions: a complaining customer on none of the lists above gets *Call now*
    (put it right), with its message (none for `user` None); one on a list keeps the action their row there gives
    (`complaint.suggestion` None, `complaint.listed` True), so a customer never gets two. Two queries at most, none
    without complaints."""
    listed = {e.customer.pk for e in ([*work.at_risk, *work.win_back, *work.overdue] if work else [])}
    template = None
    for complaint in complaints:
        customer = complaint.customer
        complaint.listed, complaint.suggestion = customer.pk in listed, None
        if complaint.listed:
            continue
        about = f" about {_topic(complaint)}" if _topic(complaint) else ""
        when = _day(complaint.interaction.occurred_at)
        suggestion = Suggestion(NextAction.CALL_NOW, f"Complained{about} on {when}: call to put it right.")
        if user is not None:
            if template is None:
                template = MessageTemplate.objects.filter(action=NextAction.CALL_NOW).first() or MessageTemplate()
            data = _message_data(customer, user, [], complaint)
            if template.body:
                suggestion.subject, suggestion.message = fill(template.subject, data), fill(template.body, data)
        complaint.suggestion = suggestion


def suggest(work: Worklist, user, today: dt.date) -> dict[int, Suggestion]:
    """Decide, explain and fill in the next best action of every customer on `work` (each entry gets it as
    `entry.suggestion`; the messages are signed by `user`, and left out for `user` None). Writes nothing. A fixed
    number of queries, none when the list is empty."""
    entries = [*work.at_risk, *work.win_back, *work.overdue]
    if not entries:
        return {}
    ids = sorted({entry.customer.pk for entry in entries})
    chosen = decide(work, moods(ids, today))
    wants = {action: [c for c, (a, _e, _r) in chosen.items() if a == action] for action in NextAction.values}
    products = {}
    if wants[NextAction.SEND_OFFER]:
        products.update(offer_products(wants[NextAction.SEND_OFFER]))
    if wants[NextAction.WIN_BACK]:
        products.update(used_to_buy(wants[NextAction.WIN_BACK]))
    templates = {t.action: t for t in MessageTemplate.objects.all()} if user is not None else {}
    found = {}
    for customer_id, (action, entry, reading) in chosen.items():
        names = products.get(customer_id, [])
        suggestion = Suggestion(
            action,
            _reason(action, entry, reading, names, work.currency),
            names,
            on_row=_on_row(action, reading, names, entry),
        )
        template = templates.get(action)
        if template is not None:
            data = _message_data(entry.customer, user, names, reading, entry)
            suggestion.subject, suggestion.message = fill(template.subject, data), fill(template.body, data)
        found[customer_id] = suggestion
    for entry in entries:
        entry.suggestion = found[entry.customer.pk]
    return found
