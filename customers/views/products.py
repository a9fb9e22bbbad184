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
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from crm.search import Fold, fold
from customers.filters import QUOTE_MARKS
from customers.models import Product
from customers.panels import PRODUCT_PANELS
from customers.queries import sales_figures

PAGE_SIZE = 50


@login_required
def product_list(request: HttpRequest) -> HttpResponse:
    """The catalogue, 50 to a page: search by name (ignoring case, accents and quote marks) or by the start of
    the SKU, filter by category, goods only unless asked."""
    products = Product.objects.order_by("name", "pk")
    query = request.GET.get("q", "").strip()
    if fold(query).strip():
        products = products.alias(search_name=Fold("name")).filter(
            Q(search_name__contains=fold(query).strip()) | Q(sku__istartswith=query.strip(QUOTE_MARKS))
        )
    category = request.GET.get("category", "").strip()
    if category:
        products = products.filter(category=category)
    if request.GET.get("all") != "1":
        products = products.filter(kind=Product.Kind.PRODUCT)
    categories = Product.objects.exclude(category="").order_by("category").values_list("category", flat=True).distinct()
    context = {
        "page_obj": Paginator(products, PAGE_SIZE).get_page(request.GET.get("page")),
        "query": query,
        "category": category,
        "categories": list(categories),
        "show_all": request.GET.get("all") == "1",
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
