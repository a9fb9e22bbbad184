"""Product pages: the catalogue (search, category, paging) and a product's page with its sales figures and the
panels other apps register (customers/panels.py PRODUCT_PANELS: "bought together", the demand forecast).

Products are not personal data: every signed-in member of staff sees the whole catalogue. The sales figures
(`customers.queries.sales_figures`) count completed orders of every customer, anonymous sales included, in a
fixed number of queries whatever the data size.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from customers.filters import ProductFilterSet
from customers.models import Product
from customers.panels import PRODUCT_PANELS
from customers.queries import sales_figures
from customers.views.list import report_unreadable_filters

PAGE_SIZE = 50


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    """The catalogue, 50 to a page, filtered as the API's products are (customers/filters.py ProductFilterSet:
    search by name, ignoring case, accents and quote marks, or by the start of the SKU; category; goods only
    unless asked). A filter that cannot be read is left out, and the page says so."""
    filterset = ProductFilterSet(request.GET, queryset=Product.objects.order_by("name", "pk"))
    products = filterset.qs
    report_unreadable_filters(request, filterset.form)
    chosen = filterset.form.cleaned_data
    categories = Product.objects.exclude(category="").order_by("category").values_list("category", flat=True).distinct()
    context = {
        "page_obj": Paginator(products, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": (chosen.get("q") or "").strip(),
        "category": (chosen.get("category") or "").strip(),
        "categories": list(categories),
        "show_all": chosen.get("all") == "1",
        "currency": settings.DEFAULT_CURRENCY,
    }
    return render(request, "customers/product_list.html", context)


@login_required
def product_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A product: its details, sales figures, and the registered panels."""
    product = get_object_or_404(Product, pk=pk)
    context = {
        "product": product,
        "figures": sales_figures(product),
        "panels": PRODUCT_PANELS.render(request, product),
        "currency": settings.DEFAULT_CURRENCY,
    }
    return render(request, "customers/product_detail.html", context)
