"""The association rules page (managers): the rules of the active rules run, searched, sorted and paged. It reads
the active run only, in a fixed number of queries, and says what to do when no run exists yet."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm.access import requires
from customers.models import Product
from insights.models import ModelRun
from insights.publishing import active_run
from recommendations.filters import RuleFilterSet
from recommendations.models import AssociationRule

PAGE_SIZE = 50
RULE_SORTS = {"lift": ("-lift", "-confidence"), "confidence": ("-confidence", "-lift"), "count": ("-count", "-lift")}


@requires(
    "recommendations.view_associationrule",
    "Bought together lists which products sell together across every customer's orders; it is for managers. "
    "Each customer's profile shows what goes with their own last order.",
)
def rule_list(request: HttpRequest) -> HttpResponse:
    """The active rules run's rules, strongest first, filtered as the API's rules are (recommendations/filters.py
        RuleFilterSet: `q` finds a product on either side, `size` 2 or 3 keeps rules of one or two products on the left,
        4 those of three or more, `antecedent` one product on the left); `sort` is lift, confidence or count (by default
    lift, or count when the run published the baseline). The names
        of the left-hand products beyond the second come in one more query for the page."""
    run = active_run("rules")
    # The baseline's pairs are each product's most popular companions: ranked by lift, pairs seen in one basket
    # would lead; by the baskets that hold them, the popular ones do.
    default = "count" if run is not None and run.winner == ModelRun.Winner.BASELINE else "lift"
    sort = request.GET.get("sort") or default
    if sort not in RULE_SORTS:
        messages.warning(request, f"Sort by “{sort}” is not known (lift, confidence or count): sorted by {default}.")
        sort = default
    rules = AssociationRule.objects.none()
    if run is not None:
        rules = AssociationRule.objects.filter(run=run).select_related("antecedent", "antecedent_2", "consequent")
    filterset = RuleFilterSet(request.GET, queryset=rules)
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
    context = {
        "run": run,
        "page_obj": page_obj,
        "query": query,
        "size": size,
        "sort": sort,
        "default_sort": default,
        "summary": (run.model_card.get("rules", {}) if run else {}),
        "verdicts": [run.publish_note] if run else [],
    }
    return render(request, "recommendations/rule_list.html", context)
