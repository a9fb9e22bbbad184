"""Filters of the customers app, one FilterSet per listed model, each shared by its page, its CSV export and the
API (customers/api/), NetBox style: explicit and allow-listed. The queryset a FilterSet filters must already be
restricted by `visible_to`.

Other apps add filters and sort orders through customers/list_extensions.py (segment, churn band and value band
come from insights that way), so this module never imports them."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import formats, timezone

from crm.dates import validate_in_range
from crm.search import Fold, fold
from customers import list_extensions
from customers.models import Customer, ImportRun, Interaction, Order, Product, Tag, visibility_scope

# The only orderings the list accepts: public name -> model fields. Anything else is ignored.
SORT_FIELDS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "country": ("country", "name"),
    "created": ("created_at",),
}
SORT_CHOICES = [
    ("name", "Name, A to Z"),
    ("-name", "Name, Z to A"),
    ("country", "Country, A to Z"),
    ("-country", "Country, Z to A"),
    ("-created", "Newest first"),
    ("created", "Oldest first"),
]
QUOTE_MARKS = "'\"‘’“”"
# Query parameters that filter (as opposed to sorting or paging); a saved filter keeps these and `sort`.
BASE_FILTER_NAMES = ("q", "country", "owner", "tags", "last_order_from", "last_order_to")


def owner_choices(request) -> QuerySet:
    """Users who own at least one customer the requesting user may see (the owner filter's choices)."""
    user_model = get_user_model()
    if request is None:
        return user_model.objects.none()
    visible = Customer.objects.visible_to(request.user)
    return user_model.objects.filter(Exists(visible.filter(owner=OuterRef("pk")))).order_by("username")


COUNTRIES_CACHE_SECONDS = 600


def country_choices(queryset: QuerySet) -> list[str]:
    """The distinct non-empty countries among `queryset`'s customers, sorted (one query)."""
    countries = queryset.exclude(country="").order_by("country").values_list("country", flat=True).distinct()
    return list(countries)


def visible_countries(user) -> list[str]:
    """The countries of the customers `user` may see, cached for ten minutes per visibility scope (everyone, or
    one owner's book): the DISTINCT scans every customer, and was the list page's dearest query at 100k customers
    (36 ms of 42). A country new in an import shows in the filter within ten minutes."""
    return cache.get_or_set(
        f"customers:countries:{visibility_scope(user)}",
        lambda: country_choices(Customer.objects.visible_to(user)),
        COUNTRIES_CACHE_SECONDS,
    )


def tag_choices() -> list[tuple[str, str]]:
    """Every tag as (id, name), by name (one query; tags are few, a label set rather than data)."""
    return [(str(pk), name) for pk, name in Tag.objects.order_by("name").values_list("pk", "name")]


def saved_query(data) -> str:
    """The part of a list query (a QueryDict) worth saving: the filters, this app's and registered ones, and
    the sort, in a fixed order, without the page, empty values or anything unknown."""
    names = [*BASE_FILTER_NAMES, *(extension.name for extension in list_extensions.list_filters()), "sort"]
    pairs = [(name, value) for name in names for value in data.getlist(name) if value.strip()]
    return urlencode(pairs)


def start_of_day(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` in the current time zone."""
    return dt.datetime.combine(day, dt.time.min, timezone.get_current_timezone())


class SortFilter(django_filters.ChoiceFilter):
    """Order by one allow-listed key (`name`, `-created`...), with the primary key as a tie-breaker so pages
    are stable. A value outside the allow-list fails validation, so the list keeps its default order.
    Sort orders registered by other apps (customers/list_extensions.py) join the allow-list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", SORT_CHOICES)
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: str) -> QuerySet:
        """Apply the ordering named by `value`, or leave `qs` alone when there is none."""
        if not value:
            return qs
        extension = getattr(self, "extensions", {}).get(value)
        if extension is not None:
            return extension.apply(qs, getattr(self.parent, "request", None))
        prefix = "-" if value.startswith("-") else ""
        fields = SORT_FIELDS[value.removeprefix("-")]
        return qs.order_by(*(prefix + field for field in fields), prefix + "pk")


def date_input_formats() -> list[str]:
    """What a date filter accepts: the app's own way of writing a date ("7 Dec 2026", DATE_FORMAT "j M Y"), the
    language's short forms (07/12/2026) and ISO 8601 (2026-12-07, what saved filters and links may hold)."""
    return ["%d %b %Y", "%d %B %Y", *formats.get_format("DATE_INPUT_FORMATS"), "%Y-%m-%d"]


class CustomerFilterForm(forms.Form):
    """The filter form: a last-order range whose end is before its start is refused as a whole (neither date
    applies) with an error on the end date, rather than half-applied or a silently empty list."""

    def clean(self):
        """Check the last-order range."""
        cleaned = super().clean()
        start, end = cleaned.get("last_order_from"), cleaned.get("last_order_to")
        if start and end and start > end:
            when = formats.date_format
            self.add_error(
                "last_order_to",
                f"The last-order range ends ({when(end)}) before it starts ({when(start)}), so it was not applied: "
                "swap the two dates.",
            )
            cleaned.pop("last_order_from", None)
        return cleaned


class CustomerFilterSet(django_filters.FilterSet):
    """Search (`q`), country, owner, tags, last-order range and sort for customers, plus the filters and
    sort orders other apps register."""

    q = django_filters.CharFilter(method="search", label="Search")
    country = django_filters.CharFilter(field_name="country", lookup_expr="exact", label="Country")
    owner = django_filters.ModelChoiceFilter(
        queryset=owner_choices, null_label="Unassigned", null_value="none", label="Owner"
    )
    tags = django_filters.MultipleChoiceFilter(method="with_tags", label="Tags", choices=[])
    last_order_from = django_filters.DateFilter(
        method="last_order_on_or_after",
        label="Last order from",
        input_formats=date_input_formats(),
        validators=[validate_in_range],
    )
    last_order_to = django_filters.DateFilter(
        method="last_order_on_or_before",
        label="Last order to",
        input_formats=date_input_formats(),
        validators=[validate_in_range],
    )
    sort = SortFilter(label="Sort by")

    class Meta:
        model = Customer
        fields = ["q", "country", "owner", "tags", "last_order_from", "last_order_to", "sort"]
        form = CustomerFilterForm

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        # The tags and the sort orders of this request, in filters made afresh: the class's own are copied with
        # whatever form field they built once (the API schema's generator builds them), with stale choices.
        tags = django_filters.MultipleChoiceFilter(method="with_tags", label="Tags", choices=tag_choices())
        sorts = list_extensions.available_sorts(request)
        sort = SortFilter(label="Sort by", choices=SORT_CHOICES + [(order.key, order.label) for order in sorts])
        sort.extensions = {order.key: order for order in sorts}
        for name, filter_ in (("tags", tags), ("sort", sort)):
            filter_.field_name, filter_.model, filter_.parent = name, Customer, self
        self.filters["tags"] = tags
        self.filters.pop("sort")
        # Registered filters go before the sort, so the form lists them with the other filters.
        self.extension_names = []
        for name, filter_ in list_extensions.build_filters(request).items():
            filter_.model, filter_.parent = Customer, self
            self.filters[name] = filter_
            self.extension_names.append(name)
        self.filters["sort"] = sort

    def unsorted(self) -> QuerySet:
        """The customers the filters match, whatever the sort: a sort by a score (registered by another app)
        leaves out those without one, and this counts them back in."""
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name != "sort":
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    @property
    def refused(self) -> str:
        """Why the filters were not applied as asked (a reversed last-order range), or "" when they were."""
        return " ".join(self.form.errors.get("last_order_to", [])) if self.is_bound else ""

    @property
    def filter_names(self) -> list[str]:
        """The query parameters that filter the list (not sort or page it), this app's and registered ones."""
        return [*BASE_FILTER_NAMES, *self.extension_names]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Match `value` inside the name, email or company, ignoring case, accents and quote marks
        (crm/search.py), or as the start of the customer id ("C10" finds C1001)."""
        folded = fold(value).strip()
        if not folded:
            return queryset
        bare = value.strip().strip(QUOTE_MARKS)
        return queryset.alias(search_name=Fold("name"), search_company=Fold("company")).filter(
            Q(search_name__contains=folded)
            | Q(search_company__contains=folded)
            | Q(email__icontains=bare)
            | Q(external_id__istartswith=bare)
        )

    def with_tags(self, queryset: QuerySet, name: str, value: list[str]) -> QuerySet:
        """Customers carrying every chosen tag: one EXISTS per tag on the (customer, tag) unique index, so
        no JOIN multiplies rows and no DISTINCT is needed."""
        through = Customer.tags.through
        for tag_id in value:
            queryset = queryset.filter(Exists(through.objects.filter(customer=OuterRef("pk"), tag_id=int(tag_id))))
        return queryset

    def last_order_on_or_after(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        """Customers whose last order is on or after `value`: those with any order since then."""
        since = Order.objects.filter(customer=OuterRef("pk"), placed_at__gte=start_of_day(value))
        return queryset.filter(Exists(since))

    def last_order_on_or_before(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        """Customers whose last order is on or before `value`: they have ordered, and not after that day.
        Customers who never ordered have no last order, so they do not match."""
        orders = Order.objects.filter(customer=OuterRef("pk"))
        after = orders.filter(placed_at__gte=start_of_day(value + dt.timedelta(days=1)))
        return queryset.filter(Exists(orders), ~Exists(after))


class DateRangeForm(forms.Form):
    """A form whose `<prefix>_from` and `<prefix>_to` dates must not cross: the end is the field in error."""

    range_prefix = "placed"

    def clean(self):
        """Check the range."""
        cleaned = super().clean()
        start, end = cleaned.get(f"{self.range_prefix}_from"), cleaned.get(f"{self.range_prefix}_to")
        if start and end and start > end:
            self.add_error(f"{self.range_prefix}_to", f"{self.range_prefix}_from is after {self.range_prefix}_to.")
        return cleaned


class OrderFilterForm(DateRangeForm):
    range_prefix = "placed"


class OrderFilterSet(django_filters.FilterSet):
    """Orders placed from/to a day (inclusive, in the current time zone; 1900-2100), of one status, of one
    customer: the orders export's filters and the API's."""

    placed_from = django_filters.DateFilter(
        method="placed_on_or_after", label="Placed from", input_formats=date_input_formats(),
        validators=[validate_in_range],
    )  # fmt: skip
    placed_to = django_filters.DateFilter(
        method="placed_on_or_before", label="Placed to", input_formats=date_input_formats(),
        validators=[validate_in_range],
    )  # fmt: skip
    status = django_filters.ChoiceFilter(choices=Order.Status.choices, label="Status")
    customer = django_filters.NumberFilter(field_name="customer_id", label="Customer id")

    class Meta:
        model = Order
        fields = ["placed_from", "placed_to", "status", "customer"]
        form = OrderFilterForm

    def placed_on_or_after(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        """Orders placed on or after the start of `value`."""
        return queryset.filter(placed_at__gte=start_of_day(value))

    def placed_on_or_before(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        """Orders placed before the day after `value`."""
        return queryset.filter(placed_at__lt=start_of_day(value + dt.timedelta(days=1)))


class InteractionFilterForm(DateRangeForm):
    range_prefix = "occurred"


class InteractionFilterSet(django_filters.FilterSet):
    """Interactions of one customer, of one kind or direction, from/to a day."""

    customer = django_filters.NumberFilter(field_name="customer_id", label="Customer id")
    kind = django_filters.ChoiceFilter(choices=Interaction.Kind.choices, label="Kind")
    direction = django_filters.ChoiceFilter(choices=Interaction.Direction.choices, label="Direction")
    occurred_from = django_filters.DateFilter(
        method="occurred_on_or_after", label="Occurred from", input_formats=date_input_formats(),
        validators=[validate_in_range],
    )  # fmt: skip
    occurred_to = django_filters.DateFilter(
        method="occurred_on_or_before", label="Occurred to", input_formats=date_input_formats(),
        validators=[validate_in_range],
    )  # fmt: skip

    class Meta:
        model = Interaction
        fields = ["customer", "kind", "direction", "occurred_from", "occurred_to"]
        form = InteractionFilterForm

    def occurred_on_or_after(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        """Interactions on or after the start of `value`."""
        return queryset.filter(occurred_at__gte=start_of_day(value))

    def occurred_on_or_before(self, queryset: QuerySet, name: str, value: dt.date) -> QuerySet:
        """Interactions before the day after `value`."""
        return queryset.filter(occurred_at__lt=start_of_day(value + dt.timedelta(days=1)))


class ProductFilterSet(django_filters.FilterSet):
    """The catalogue's search (`q`: inside the name, ignoring case, accents and quote marks, or the start of the
    SKU), category, and goods only unless `all=1` (shipping, fees and adjustments are products of other kinds):
    the product list's filters and the API's."""

    q = django_filters.CharFilter(method="search", label="Search")
    category = django_filters.CharFilter(field_name="category", label="Category")
    all = django_filters.ChoiceFilter(
        choices=[("1", "Every kind")], method="every_kind", label="Shipping, fees and adjustments too"
    )

    class Meta:
        model = Product
        fields = ["q", "category", "all"]

    @property
    def qs(self):
        """Goods only unless `all=1` (a filter method runs only when its value is given)."""
        queryset = super().qs
        if not (self.is_bound and self.form.is_valid() and self.form.cleaned_data.get("all") == "1"):
            queryset = queryset.filter(kind=Product.Kind.PRODUCT)
        return queryset

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Match `value` inside the name, ignoring case, accents and quote marks (crm/search.py), or as the start
        of the SKU."""
        folded = fold(value).strip()
        if not folded:
            return queryset
        return queryset.alias(search_name=Fold("name")).filter(
            Q(search_name__contains=folded) | Q(sku__istartswith=value.strip().strip(QUOTE_MARKS))
        )

    def every_kind(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Nothing to do here: `qs` keeps goods only unless this is given."""
        return queryset


class ImportRunFilterSet(django_filters.FilterSet):
    """Import runs by status and format."""

    status = django_filters.ChoiceFilter(choices=ImportRun.Status.choices, label="Status")
    format = django_filters.ChoiceFilter(choices=ImportRun.Format.choices, label="Format")

    class Meta:
        model = ImportRun
        fields = ["status", "format"]
