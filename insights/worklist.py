"""The worklist: who to contact today and why, from the active churn and value runs.

Each customer is on one list at most, the first of these that applies, so that a row has one action and one
message (insights/next_actions.py decides the action from the list):

1. *Win back*: gone, meaning no purchase for over GONE_DAYS days (a year). This one rule, the same for a customer of
   one order and of fifty, decides both this list and the action: nobody gone is offered "your next order", nobody
   under a year is written off. Ranked by what they used to spend.
2. *Revenue at risk*: not gone, and at medium or high churn risk. Ranked by revenue at risk: the chance of losing
   them (churn probability) times what they would take with them (their expected value over the next 12 months),
   in the base currency. `revenue_at_risk` sums the same figure per owner, for this page and the dashboards.
   The page shows WORKLIST_SIZE at a time, the next ones on the following pages (`page`): a customer far past
   their rhythm who would take little with them ranks low, but stays on this list, where the rep can find them.
3. *Overdue*: neither of those, with a buying rhythm (3+ purchases) and the next order over OVERDUE_FACTOR times
   their usual gap late.
4. *Cross-sell* (the recommendations app's section, from `unlisted`): on none of the lists above.

Each row (an `Entry`: the figures behind it and why, in words) is built in insights/worklist_rows.py, which also
counts *days since the last order* (`days_since`), the one count the rhythm, the reasons, the messages and the gone
rule use.

A rep sees their own customers; a manager (anyone who sees every customer) sees the team's, with each row's owner,
a summary per owner, and may narrow to one owner. A customer someone marked done or snoozed stays off every
worklist until the day they come back (insights/services.py `act_on_worklist`). Each list is one query, whatever
the size of the book.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, NullIf
from django.utils import timezone

from crm.templatetags.lodestar import chance
from customers import figures
from customers.models import Customer, Order, sees_all_customers
from insights.models import ChurnScore, CustomerValue, WorklistAction
from insights.publishing import active_runs
from insights.scores import run_facts
from insights.worklist_rows import Entry, from_score, rhythm_words, set_rhythm

WORKLIST_SIZE = 20  # customers in the revenue-at-risk and overdue lists
WIN_BACK_SIZE = 10  # the win-back list is a smaller, separate effort
SAVABLE_BANDS = ("high", "medium")
GONE_DAYS = 365  # no purchase for over a year: gone (a rule a rep can check on the profile, whatever the rhythm)
OVERDUE_FACTOR = 1.5  # overdue once the time since the last order passes 1.5 x their usual gap
MIN_ORDERS_FOR_RHYTHM = 3
UNASSIGNED = "none"  # the owner filter's value for customers nobody owns


class EpochDays(Func):
    """A moment as days since 1970-01-01 (a float), so that gaps between orders can be compared in SQL."""

    output_field = FloatField()

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(EXTRACT(EPOCH FROM %(expressions)s) / 86400.0)", **extra)

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="(julianday(%(expressions)s) - 2440587.5)", **extra)


@dataclass
class Worklist:
    """What the worklist page shows."""

    team: bool  # the viewer sees every customer: the team's worklist, with owners
    owner: str  # the owner filter ("" for all, UNASSIGNED, or a user id)
    today: dt.date  # the day days since the last order are counted to
    currency: str
    churn_run: dict | None  # {"as_of", "horizon_days"} of the active runs (insights/scores.py run_facts)
    value_run: dict | None
    at_risk: list[Entry] = field(default_factory=list)
    win_back: list[Entry] = field(default_factory=list)
    overdue: list[Entry] = field(default_factory=list)
    by_owner: list[dict] = field(default_factory=list)  # revenue at risk per owner (`revenue_at_risk`)
    page: int = 1  # the page of the revenue-at-risk list shown (WORKLIST_SIZE a page)
    owners: list = field(default_factory=list)

    @property
    def at_risk_customers(self) -> int:
        """How many customers are on the revenue-at-risk list, shown or not (the list shows WORKLIST_SIZE)."""
        return sum(row["customers"] for row in self.by_owner)

    @property
    def at_risk_hidden(self) -> int:
        """How many of those are off the list for now, marked done or snoozed."""
        return sum(row["hidden"] for row in self.by_owner)

    @property
    def at_risk_total(self) -> float | None:
        """Their revenue at risk in total (None when none of them has a value score)."""
        amounts = [row["at_risk"] for row in self.by_owner if row["at_risk"] is not None]
        return sum(amounts) if amounts else None

    @property
    def at_risk_first(self) -> int:
        """The rank of the first customer the revenue-at-risk list shows (1 on the first page)."""
        return (self.page - 1) * WORKLIST_SIZE + 1

    @property
    def at_risk_last(self) -> int:
        """The rank of the last customer the revenue-at-risk list shows."""
        return self.at_risk_first + len(self.at_risk) - 1

    @property
    def at_risk_pages(self) -> int:
        """How many pages the revenue-at-risk list takes, done or snoozed customers left out (they are not shown)."""
        return max(1, -(-(self.at_risk_customers - self.at_risk_hidden) // WORKLIST_SIZE))

    @property
    def horizon_days(self) -> int | None:
        """The length of the churn model's window: "no order in the next N days"."""
        return self.churn_run["horizon_days"] if self.churn_run else None


def gone_before(today: dt.date) -> dt.datetime:
    """The start of the day GONE_DAYS before `today`: a customer whose last purchase came before it is gone (more
    than GONE_DAYS days since it, by `days_since`)."""
    return timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=GONE_DAYS), dt.time.min))


def gone(today: dt.date, customer_ref: str = "customer_id") -> Q:
    """Gone (see the module doc): some purchase, none since `gone_before(today)`. `customer_ref` names the
    customer's id in the outer query."""
    purchases = _purchases(customer_ref)
    return Q(Exists(purchases)) & ~Q(Exists(purchases.filter(placed_at__gte=gone_before(today))))


def scope(user, today: dt.date, owner: str = "") -> QuerySet:
    """The customers on the user's worklist today: those they see (a rep's own, everyone's for a manager; every
    customer for `user` None, the nightly record of suggestions), narrowed to one owner if asked, less those
    someone marked done or snoozed until after today."""
    return _owned(user, owner).exclude(pk__in=_hidden(today))


def _owned(user, owner: str = "") -> QuerySet:
    customers = Customer.objects.all() if user is None else Customer.objects.visible_to(user)
    if owner == UNASSIGNED:
        customers = customers.filter(owner__isnull=True)
    elif owner:
        customers = customers.filter(owner_id=owner)
    return customers


def _hidden(today: dt.date) -> QuerySet:
    return WorklistAction.objects.filter(hidden_until__gt=today).values("customer_id")


def _purchases(customer_ref: str):
    return Order.objects.filter(figures.PURCHASE, customer=OuterRef(customer_ref)).order_by().values("customer")


def _value(value: int | None) -> Subquery:
    values = CustomerValue.objects.filter(run_id=value, customer=OuterRef("customer_id"))
    return Subquery(values.values("clv_12m")[:1], output_field=FloatField())


def savable(customers: QuerySet, churn: int, value: int | None, today: dt.date) -> QuerySet:
    """The active churn run's scores of `customers` that are on the revenue-at-risk list by the module doc's rule
    (medium or high risk, not gone), each with its revenue at risk (`at_risk`: churn probability x expected
    12-month value; NULL without a value score)."""
    return (
        ChurnScore.objects.filter(run_id=churn, band__in=SAVABLE_BANDS, customer__in=customers)
        .exclude(gone(today))
        .annotate(at_risk=ExpressionWrapper(F("probability") * _value(value), output_field=FloatField()))
    )


def revenue_at_risk(user, today: dt.date, owner: str = "", runs: dict | None = None) -> list[dict]:
    """Revenue at risk per owner of the customers the user sees (narrowed to one owner if asked), highest first:
    the customers on the revenue-at-risk list by its rule, done or snoozed ones included (their risk is still
    there), with how many of them are off the list for now. Rows: {"owner" (id or None), "owner_name" (full name,
    else login name), "customers", "at_risk" (None when no value is scored), "hidden"}. One query; [] without an
    active churn run. The worklist and the dashboards both show this figure."""
    runs = runs if runs is not None else active_runs(["churn", "value"])
    if not runs.get("churn"):
        return []
    rows = (
        savable(_owned(user, owner), runs["churn"], runs.get("value"), today)
        .values(
            "customer__owner", "customer__owner__username", "customer__owner__first_name", "customer__owner__last_name"
        )
        .annotate(
            customers=Count("pk"),
            total=Sum("at_risk"),
            hidden=Count("pk", filter=Q(customer__in=_hidden(today))),
        )
        .order_by(F("total").desc(nulls_last=True), "customer__owner__username")
    )
    return [
        {
            "owner": row["customer__owner"],
            "owner_name": full_name(
                row["customer__owner__first_name"], row["customer__owner__last_name"], row["customer__owner__username"]
            ),
            "customers": row["customers"],
            "at_risk": row["total"],
            "hidden": row["hidden"],
        }
        for row in rows
    ]


def full_name(first: str | None, last: str | None, username: str | None) -> str:
    """A user's name as the pages write it: the full name, else the login name ("" for nobody), as
    `User.get_full_name() or get_username()` gives it, from values read in a query."""
    return f"{first or ''} {last or ''}".strip() or username or ""


def _scored(user, today: dt.date, owner: str, churn: int, value: int | None) -> QuerySet:
    """The active churn run's scores of the customers in scope, with their value, P(alive), purchases, first and
    last purchase, and whether they are gone, as correlated subqueries (the (customer, run) and (customer,
    placed_at) indexes serve them)."""
    values = CustomerValue.objects.filter(run_id=value, customer=OuterRef("customer_id"))
    purchases = _purchases("customer_id")
    scores = (
        ChurnScore.objects.filter(run_id=churn, customer__in=scope(user, today, owner))
        .select_related("customer", "customer__owner")
        .annotate(
            value=Subquery(values.values("clv_12m")[:1], output_field=FloatField()),
            p_alive=Subquery(values.values("p_alive")[:1], output_field=FloatField()),
            orders=Coalesce(Subquery(purchases.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0),
            first_order=Subquery(purchases.annotate(at=Min("placed_at")).values("at")),
            last_order=Subquery(purchases.annotate(at=Max("placed_at")).values("at")),
        )
    )
    return scores.annotate(
        gone=Case(When(gone(today), then=Value(True)), default=Value(False), output_field=BooleanField()),
        at_risk=ExpressionWrapper(F("probability") * F("value"), output_field=FloatField()),
    )


def purchase_facts(customer: Customer, recorded_after: dt.datetime | None = None) -> dict:
    """The customer's purchases, in one query: how many (`n`), the first and the last placed; with
    `recorded_after`, also the latest placed of those recorded after that moment (`since`, None when none was)."""
    since = {"since": Max("placed_at", filter=Q(created_at__gt=recorded_after))} if recorded_after else {}
    return Order.objects.filter(figures.PURCHASE, customer=customer).aggregate(
        n=Count("pk"), first=Min("placed_at"), last=Max("placed_at"), **since
    )


def past_rhythm(customer: Customer, today: dt.date, found: dict | None = None) -> Entry | None:
    """The customer's rhythm (an Entry with orders, last order, usual gap and days since) when they are late by the
    overdue list's rule (MIN_ORDERS_FOR_RHYTHM purchases or more, the last over OVERDUE_FACTOR usual gaps ago),
    else None. One query, none when given their `purchase_facts`. The profile says it beside the segment, which
    describes how they bought until the segments run (a named RFM segment ranks recency against the whole base,
    where a third may not have bought for a year, so "Loyal" can hold a regular who stopped months ago)."""
    found = found if found is not None else purchase_facts(customer)
    entry = Entry(customer=customer, orders=found["n"], last_order=found["last"])
    set_rhythm(entry, found["first"], today)
    if entry.orders < MIN_ORDERS_FOR_RHYTHM or not entry.usual_gap_days or entry.usual_gap_days < 1:
        return None
    return entry if entry.times_usual > OVERDUE_FACTOR else None


def build(user, today: dt.date, owner: str = "", page: int = 1) -> Worklist:
    """The worklist of `user` for `today` (see the module doc); with `user` None, of the whole book, as a manager
    sees it (the nightly record of suggestions, insights/next_actions.py `record`). `page` is the page of the
    revenue-at-risk list (WORKLIST_SIZE a page, in its ranking); the other lists are the same on every page."""
    team = user is None or sees_all_customers(user)
    owner = owner if team else ""
    runs = active_runs(["churn", "value"])
    facts = run_facts(runs.values())
    worklist = Worklist(
        team=team,
        owner=owner,
        today=today,
        currency=figures.base_currency(),
        churn_run=facts.get(runs["churn"]),
        value_run=facts.get(runs["value"]),
        page=max(1, page),
    )
    if team:
        worklist.owners = list(
            get_user_model().objects.filter(pk__in=Customer.objects.values("owner_id")).order_by("username")
        )
    if worklist.churn_run is not None:
        worklist.by_owner = revenue_at_risk(user, today, owner, runs)
        worklist.page = min(worklist.page, worklist.at_risk_pages)  # past the last page: the last
        scored = _scored(user, today, owner, runs["churn"], runs["value"])
        savable_ = scored.filter(band__in=SAVABLE_BANDS, gone=False)
        ranked = savable_.order_by(F("at_risk").desc(nulls_last=True), "-probability", "customer_id")
        horizon = worklist.horizon_days
        start = worklist.at_risk_first - 1
        for score in ranked[start : start + WORKLIST_SIZE]:
            entry = from_score(score, today, worklist.currency)
            risk = f"{chance(score.probability)} chance of no order in the next {horizon} days" if horizon else ""
            entry.why = "; ".join(part for part in [rhythm_words(entry), *entry.factors, risk] if part)
            worklist.at_risk.append(entry)
        lost = scored.filter(gone=True).annotate(spent=figures.spend_subquery("customer_id"))
        for score in lost.order_by(F("spent").desc(nulls_last=True), "customer_id")[:WIN_BACK_SIZE]:
            entry = from_score(score, today, worklist.currency)
            entry.why = rhythm_words(entry)
            worklist.win_back.append(entry)
    worklist.overdue = overdue(user, today, owner, runs["churn"])
    return worklist


def _late(customers: QuerySet, today: dt.date, churn: int | None) -> QuerySet:
    """`customers` on the overdue list by the module doc's rule, annotated with their purchases (`n`), first and
    last purchase, usual gap (`gap`, days) and how many gaps late they are (`late`)."""
    now = timezone.now()
    bought = Q(orders__status=Order.Status.COMPLETED, orders__is_outlier=False)
    if churn:
        at_risk = ChurnScore.objects.filter(run_id=churn, band__in=SAVABLE_BANDS).values("customer_id")
        customers = customers.exclude(pk__in=at_risk)  # on the revenue-at-risk list, or gone: filtered below
    return (
        customers.annotate(
            n=Count("orders", filter=bought),
            first=Min("orders__placed_at", filter=bought),
            last=Max("orders__placed_at", filter=bought),
        )
        .filter(n__gte=MIN_ORDERS_FOR_RHYTHM, last__gte=gone_before(today))
        # NULLIF: the database may weigh these before the filter above, and must never divide by zero.
        .annotate(
            gap=ExpressionWrapper(
                (EpochDays(F("last")) - EpochDays(F("first"))) / NullIf(Cast(F("n") - 1, FloatField()), 0.0),
                output_field=FloatField(),
            )
        )
        .annotate(
            late=ExpressionWrapper(
                (Value(now.timestamp() / 86400) - EpochDays(F("last"))) / NullIf(F("gap"), 0.0),
                output_field=FloatField(),
            )
        )
        .filter(gap__gte=1, late__gt=OVERDUE_FACTOR)
    )


def overdue(user, today: dt.date, owner: str = "", churn: int | None = None) -> list[Entry]:
    """Customers with a buying rhythm (3+ purchases) whose next order is late, neither gone nor on the
    revenue-at-risk list of the active churn run `churn`, the latest against their rhythm first; the rhythm is
    (last - first) / (purchases - 1). Computed and ranked in SQL, one query."""
    customers = _late(scope(user, today, owner).select_related("owner"), today, churn)
    late = []
    for customer in customers.order_by("-late", "pk")[:WORKLIST_SIZE]:
        entry = Entry(customer=customer, orders=customer.n, last_order=customer.last)
        set_rhythm(entry, customer.first, today)
        entry.why = rhythm_words(entry)
        late.append(entry)
    return late


def unlisted(user, today: dt.date, owner: str = "") -> QuerySet:
    """The customers in the user's scope today on none of the worklist's lists (the cross-sell section's): not
    gone, not at medium or high risk in the active churn run, not overdue."""
    churn = active_runs(["churn"])["churn"]
    customers = scope(user, today, owner).exclude(gone(today, "pk"))
    if churn:
        at_risk = ChurnScore.objects.filter(run_id=churn, band__in=SAVABLE_BANDS).values("customer_id")
        customers = customers.exclude(pk__in=at_risk)
    return customers.exclude(pk__in=_late(Customer.objects.all(), today, churn).values("pk"))
