"""The association rules page (managers): the rules of the active rules run, searched, sorted and paged. It reads
the active run only, in a fixed number of queries, and says what to do when no run exists yet.

The page lists the rules mined with the run's thresholds, whatever the backtest's verdict: a user who set
thresholds asked for those rules. When the verdict gave the suggestions (the product pages' and profiles' "bought
together") to the baseline instead, the page says so and why, and offers the baseline's popular companions too."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode

from crm.access import requires
from crm.templatetags.lodestar import percent
from customers.models import Product
from insights.models import ModelRun
from insights.publishing import active_run
from recommendations.filters import RuleFilterSet
from recommendations.models import AssociationRule

PAGE_SIZE = 50
RULE_SORTS = {"lift": ("-lift", "-confidence"), "confidence": ("-confidence", "-lift"), "count": ("-count", "-lift")}
MINED, POPULAR = AssociationRule.Kind.MINED.value, AssociationRule.Kind.POPULAR.value


def summaries(run: ModelRun) -> dict[str, dict]:
    """The model card's summary of each kind of rows the run wrote ({"mined": ..., "popular": ...}). A run
    recorded before runs wrote their mined rules beside the baseline's holds the winner's rows only."""
    card = run.model_card or {}
    if "popular" in card or run.winner != ModelRun.Winner.BASELINE:
        written = {MINED: card.get("rules") or {}, POPULAR: card.get("popular")}
    else:
        written = {POPULAR: card.get("rules") or {}}
    return {kind: summary for kind, summary in written.items() if summary is not None}


def why_not_suggested(run: ModelRun) -> str:
    """Why the product pages and profiles do not suggest the run's mined rules, in words with the backtest's
    figures; "" when they do."""
    if run.winner != ModelRun.Winner.BASELINE:
        return ""
    metric = run.deciding_metric or "hit_rate_at_10"
    model, base = run.metrics.get(metric), (run.baseline or {}).get("metrics", {}).get(metric)
    found = run.metrics.get("rule_count")
    days = (run.model_card or {}).get("holdout_days", 90)
    before = f"in the baskets before the last {days} days"
    suggest = "product pages and profiles suggest each product's most popular companions"
    if not found:
        return f"In the backtest these thresholds found no rule {before}, so the {suggest}."
    if model is None or base is None:
        return f"The rules these thresholds found {before} could not be tested on later baskets, so the {suggest}."
    rules = f"{found:,} rule{'s' if found != 1 else ''}"
    tested = (
        f"In the backtest, the {rules} these thresholds found {before} suggested the hidden product of "
        f"{percent(model, 1)} of the later baskets"
    )
    if model == base:
        return f"{tested}, as often as each product's most popular companions: the {suggest}, since a tie is not a win."
    companions = f"each product's most popular companions ({percent(base, 1)})"
    return f"{tested}, less often than {companions}: the {suggest}."


@requires(
    "recommendations.view_associationrule",
    "Bought together lists which products sell together across every customer's orders; it is for managers. "
    "Each customer's profile shows what goes with their own last order.",
)
def rule_list(request: HttpRequest) -> HttpResponse:
    """The active rules run's rules of one kind (`kind`: mined, the default, or popular, the baseline's companions
    when the run wrote them), strongest first, filtered as the API's rules are (recommendations/filters.py
    RuleFilterSet: `q` finds a product on either side, `size` 2 or 3 keeps rules of one or two products on the left,
    4 those of three or more, `antecedent` one product on the left); `sort` is lift, confidence or count (by default
    lift for mined rules, count for popular companions). The names of the left-hand products beyond the second come
    in one more query for the page."""
    run = active_run("rules")
    written = summaries(run) if run is not None else {}
    kind = request.GET.get("kind") or (MINED if MINED in written or not written else POPULAR)
    if written and kind not in written:
        fallback = next(iter(written))
        known = " or ".join(AssociationRule.Kind(k).label.lower() + "s" for k in written)
        messages.warning(request, f"“{kind}” is not a kind of rule this run wrote ({known}): {fallback} shown.")
        kind = fallback
    # The baseline's pairs are each product's most popular companions: ranked by lift, pairs seen in one basket
    # would lead; by the baskets that hold them, the popular ones do.
    default = "count" if kind == POPULAR else "lift"
    sort = request.GET.get("sort") or default
    if sort not in RULE_SORTS:
        messages.warning(request, f"Sort by “{sort}” is not known (lift, confidence or count): sorted by {default}.")
        sort = default
    rules = AssociationRule.objects.none()
    if run is not None:
        rules = AssociationRule.objects.filter(run=run, kind=kind).select_related(
            "antecedent", "antecedent_2", "consequent"
        )
    given = request.GET.copy()
    given.pop("kind", None)  # chosen above, from what the run wrote
    filterset = RuleFilterSet(given, queryset=rules)
    rules = filterset.qs.order_by(*RULE_SORTS[sort], "pk")  # an unreadable filter is left out...
    for name, errors in filterset.form.errors.items():  # ...and the page says which
        if name == "size":
            size = request.GET.get("size", "")
            messages.warning(request, f"Rule size “{size}” is not known (2, 3 or 4): rules of every size are shown.")
        else:
            messages.warning(request, f"{filterset.form.fields[name].label} was left out: {' '.join(errors)}")
    chosen = filterset.form.cleaned_data
    query, size = (chosen.get("q") or "").strip(), chosen.get("size") or ""
    page_obj = Paginator(rules, PAGE_SIZE).get_page(request.GET.get("page"))
    more = {i for rule in page_obj for i in rule.antecedent_more}
    names = dict(Product.objects.filter(pk__in=more).values_list("pk", "name")) if more else {}
    for rule in page_obj:
        rule.more_products = [{"id": i, "name": names.get(i, "")} for i in rule.antecedent_more]
    default_kind = MINED if MINED in written else POPULAR
    kinds = [
        {
            "kind": k,
            "label": "Mined rules" if k == MINED else "Popular companions",
            "count": summary.get("rule_count"),
            "url": "?" + urlencode({"kind": k}) if k != default_kind else request.path,
            "current": k == kind,
        }
        for k, summary in written.items()
    ]
    context = {
        "run": run,
        "kind": kind,
        "kinds": kinds if len(kinds) > 1 else [],
        "suggested": run is not None and AssociationRule.Kind.suggested(run.winner) == kind,
        "why_not_suggested": why_not_suggested(run) if run is not None else "",
        "page_obj": page_obj,
        "query": query,
        "size": size,
        "sort": sort,
        "default_sort": default,
        "summary": written.get(kind, {}),
        "verdicts": [run.publish_note] if run else [],
    }
    return render(request, "recommendations/rule_list.html", context)
