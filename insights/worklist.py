"""The worklist: who to contact today and why, from the active churn and value runs.

- *Revenue at risk* ranks the customers who can still be saved: the chance of losing them (churn probability)
  times what they would take with them (their expected value over the next 12 months), in the base currency.
- *Win back* lists, apart and shorter, the customers who are already gone: the value model gives them almost no
  chance of still buying (P(alive) below GONE_P_ALIVE), or their one and only order is over a year old (the value
  model cannot tell for them: one order says nothing of a rhythm). They are ranked by what they used to spend.
- *Overdue* lists customers with a buying rhythm (3+ purchases) whose next order is late.

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

from crm.templatetags.lodestar import percent
from customers import figures
from customers.models import Customer, Order, sees_all_customers
from insights.models import ChurnScore, CustomerValue, WorklistAction
from insights.publishing import active_runs
from insights.scores import factor_text, raising_factors, run_facts

WORKLIST_SIZE = 20  # customers in the revenue-at-risk and overdue lists
WIN_BACK_SIZE = 10  # the win-back list is a smaller, separate effort
SAVABLE_BANDS = ("high", "medium")
GONE_P_ALIVE = 0.05  # below a 5 % chance of still buying (BG/NBD's P(alive)) a customer is gone, not at risk
GONE_AFTER_ONE_ORDER_DAYS = 365  # one order over a year ago and nothing since: gone
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
class Entry:
    """One customer on a list: the score row (with the customer and owner), the figures behind it, and why."""

    customer: Customer
    probability: float | None = None
    band: str = ""
    value: float | None = None
    p_alive: float | None = None
    at_risk: float | None = None
    spent: float | None = None
    orders: int = 0
    last_order: dt.datetime | None = None
    usual_gap_days: float | None = None
    days_since: int | None = None
    why: str = ""
    suggestion: object = None  # the next best action (insights/next_actions.py), set by the worklist page

    @property
    def times_usual(self) -> float | None:
        """How many of their usual gaps have passed since the last order."""
        if not self.usual_gap_days or self.days_since is None:
            return None
        return self.days_since / self.usual_gap_days


@dataclass
class Worklist:
    """What the worklist page shows."""

    team: bool  # the viewer sees every customer: the team's worklist, with owners
    owner: str  # the owner filter ("" for all, UNASSIGNED, or a user id)
    currency: str
    churn_run: dict | None  # {"as_of", "horizon_days"} of the active runs (insights/scores.py run_facts)
    value_run: dict | None
    at_risk: list[Entry] = field(default_factory=list)
    win_back: list[Entry] = field(default_factory=list)
    overdue: list[Entry] = field(default_factory=list)
    by_owner: list[dict] = field(default_factory=list)
    owners: list = field(default_factory=list)

    @property
    def horizon_days(self) -> int | None:
        """The length of the churn model's window: "no order in the next N days"."""
        return self.churn_run["horizon_days"] if self.churn_run else None


def scope(user, today: dt.date, owner: str = "") -> QuerySet:
    """The customers on the user's worklist today: those they see (a rep's own, everyone's for a manager),
    narrowed to one owner if asked, less those someone marked done or snoozed until after today."""
    customers = Customer.objects.visible_to(user)
    if owner == UNASSIGNED:
        customers = customers.filter(owner__isnull=True)
    elif owner:
        customers = customers.filter(owner_id=owner)
    hidden = WorklistAction.objects.filter(hidden_until__gt=today).values("customer_id")
    return customers.exclude(pk__in=hidden)


def _purchases(customer_ref: str):
    return Order.objects.filter(figures.PURCHASE, customer=OuterRef(customer_ref)).order_by().values("customer")


def _scored(user, today: dt.date, owner: str, churn: int, value: int | None) -> QuerySet:
    """The active churn run's scores of the customers in scope, with their value, P(alive), purchases, first and
    last purchase, and whether they are gone, as correlated subqueries (the (customer, run) and (customer,
    placed_at) indexes serve them)."""
    now = timezone.now()
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
    gone = Q(p_alive__lt=GONE_P_ALIVE) | Q(
        orders__lte=1, last_order__lt=now - dt.timedelta(days=GONE_AFTER_ONE_ORDER_DAYS)
    )
    return scores.annotate(
        gone=Case(When(gone, then=Value(True)), default=Value(False), output_field=BooleanField()),
        at_risk=ExpressionWrapper(F("probability") * F("value"), output_field=FloatField()),
    )


def _rhythm(entry: Entry, first: dt.datetime | None, now: dt.datetime) -> None:
    if entry.last_order is None:
        return
    entry.days_since = (now - entry.last_order).days
    if entry.orders >= 2 and first is not None:
        entry.usual_gap_days = (entry.last_order - first).total_seconds() / 86400 / (entry.orders - 1)


def rhythm_words(entry: Entry) -> str:
    """The customer's buying rhythm in words: '13 orders, about every 30 days, last 34 days ago'."""
    if entry.days_since is None:
        return "no purchase on record"
    if entry.orders <= 1:
        return f"one order, {entry.days_since} days ago"
    gap = max(1, round(entry.usual_gap_days or 0))
    return f"{entry.orders} orders, about every {gap} days, last {entry.days_since} days ago"


def _entry(score: ChurnScore, now: dt.datetime, currency: str) -> Entry:
    entry = Entry(
        customer=score.customer,
        probability=score.probability,
        band=score.band,
        value=score.value,
        p_alive=score.p_alive,
        at_risk=score.at_risk,
        spent=getattr(score, "spent", None),
        orders=score.orders,
        last_order=score.last_order,
    )
    _rhythm(entry, score.first_order, now)
    entry.factors = [factor_text(f, currency) for f in raising_factors(score.factors)][:1]
    return entry


def build(user, today: dt.date, owner: str = "") -> Worklist:
    """The worklist of `user` for `today` (see the module doc)."""
    team = sees_all_customers(user)
    owner = owner if team else ""
    runs = active_runs(["churn", "value"])
    facts = run_facts(runs.values())
    worklist = Worklist(
        team=team,
        owner=owner,
        currency=figures.base_currency(),
        churn_run=facts.get(runs["churn"]),
        value_run=facts.get(runs["value"]),
    )
    now = timezone.now()
    if team:
        worklist.owners = list(
            get_user_model().objects.filter(pk__in=Customer.objects.values("owner_id")).order_by("username")
        )
    if worklist.churn_run is not None:
        scored = _scored(user, today, owner, runs["churn"], runs["value"])
        savable = scored.filter(band__in=SAVABLE_BANDS, gone=False)
        ranked = savable.order_by(F("at_risk").desc(nulls_last=True), "-probability", "customer_id")
        horizon = worklist.horizon_days
        for score in ranked[:WORKLIST_SIZE]:
            entry = _entry(score, now, worklist.currency)
            risk = f"{percent(score.probability)} chance of no order in the next {horizon} days" if horizon else ""
            entry.why = "; ".join(part for part in [rhythm_words(entry), *entry.factors, risk] if part)
            worklist.at_risk.append(entry)
        gone = scored.filter(gone=True).annotate(spent=figures.spend_subquery("customer_id"))
        for score in gone.order_by(F("spent").desc(nulls_last=True), "customer_id")[:WIN_BACK_SIZE]:
            entry = _entry(score, now, worklist.currency)
            still = (
                f"{percent(score.p_alive)} chance they still buy"
                if score.p_alive is not None and score.p_alive < GONE_P_ALIVE
                else "nothing since"
            )
            entry.why = f"{rhythm_words(entry)}; {still}"
            worklist.win_back.append(entry)
        if team:
            worklist.by_owner = list(
                savable.values("customer__owner", "customer__owner__username")
                .annotate(customers=Count("pk"), at_risk=Sum("at_risk"))
                .order_by(F("at_risk").desc(nulls_last=True), "customer__owner__username")
            )
    worklist.overdue = overdue(user, today, owner)
    return worklist


def overdue(user, today: dt.date, owner: str = "") -> list[Entry]:
    """Customers with a buying rhythm (3+ purchases) whose next order is late, the latest against their rhythm
    first; the rhythm is (last - first) / (purchases - 1). Computed and ranked in SQL, one query."""
    now = timezone.now()
    bought = Q(orders__status=Order.Status.COMPLETED, orders__is_outlier=False)
    customers = (
        scope(user, today, owner)
        .select_related("owner")
        .annotate(
            n=Count("orders", filter=bought),
            first=Min("orders__placed_at", filter=bought),
            last=Max("orders__placed_at", filter=bought),
        )
        .filter(n__gte=MIN_ORDERS_FOR_RHYTHM)
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
        .order_by("-late", "pk")[:WORKLIST_SIZE]
    )
    late = []
    for customer in customers:
        entry = Entry(customer=customer, orders=customer.n, last_order=customer.last)
        _rhythm(entry, customer.first, now)
        entry.why = rhythm_words(entry)
        late.append(entry)
    return late
