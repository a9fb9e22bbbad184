"""A customer's profile and the changes made from it: tags (put on an existing one, or create one by name for those
who may create tags; remove), owner (a sales rep) and consent.

The profile shows key figures, contact details, owner, tags, consent, the latest orders and interactions, and the
panels other apps register (customers/panels.py). Each change is a small POST form that redirects back to the
profile at the part of the page the form was in (post/redirect/get to an anchor), with a message saying what
changed or why nothing did. Every view starts from
`Customer.objects.visible_to(request.user)`, so another rep's customer answers 404, and writes only the fields
its form owns, so two people editing different parts of one customer never undo each other's change.
"""

from __future__ import annotations

from auditlog.signals import accessed
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import formats, timezone
from django.views.decorators.http import require_POST

from crm.reversing import path_for
from crm.templatetags.lodestar import money
from customers.forms import ConsentForm, InteractionForm, OwnerForm, TagForm
from customers.models import Customer, Tag, sees_all_customers
from customers.panels import render_profile_panels
from customers.queries import TIMELINE_LIMIT, key_figures, recent_interactions, recent_orders
from customers.services import find_or_create_tag
from customers.signals import profiling_consent_changed
from customers.views.list import select_of


def may_edit_tags(user) -> bool:
    """Tags: anyone who may change customers (every role), on the customers they may see; only those who may
    add tags (managers, admins) create new ones, reps choose among them."""
    return user.has_perm("customers.change_customer")


def back_to(customer: Customer, part: str) -> HttpResponseRedirect:
    """Back to the customer's profile, at the part of the page a form was posted from (its anchor)."""
    return HttpResponseRedirect(profile_at(customer.pk, part))


def profile_at(pk: int, part: str) -> str:
    """The profile's address, scrolled to `part` (an element id: "account", "interactions", ...)."""
    return f"{reverse('customers:detail', args=[pk])}#{part}"


def tags_of(customer: Customer) -> tuple[list[Tag], list[Tag]]:
    """(the customer's tags, the other tags), in one query: every tag, marked whether the customer has it."""
    through = Customer.tags.through
    marked = Tag.objects.annotate(on=Exists(through.objects.filter(customer=customer, tag=OuterRef("pk"))))
    rows = list(marked.order_by("name"))
    return [tag for tag in rows if tag.on], [tag for tag in rows if not tag.on]


def may_change_owner(user) -> bool:
    """The owner: only those who see every customer (managers, admins) and may change them. A rep who
    could hand a customer to someone else would lose sight of it, or push work onto a colleague."""
    return sees_all_customers(user) and user.has_perm("customers.change_customer")


def may_change_consent(user) -> bool:
    """Consent flags: anyone who may change customers, on the customers they may see (the rep is often the
    one a customer tells that they withdraw their consent)."""
    return user.has_perm("customers.change_customer")


@login_required
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's profile: key figures, contact details, owner, tags, consent, the latest orders and
    interactions, and the panels other apps register (customers/panels.py). Not visible means 404. The forms
    that edit tags, owner and consent post to the views below and come back here."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user).select_related("owner"), pk=pk)
    # Who opened which profile, in the audit trail (one INSERT).
    accessed.send(sender=Customer, instance=customer)
    tags, other_tags = tags_of(customer)
    context = {
        "customer": customer,
        "tags": tags,
        "other_tags": other_tags,
        "may_create_tags": request.user.has_perm("customers.add_tag"),
        "figures": key_figures(customer),
        "orders": present_orders(recent_orders(customer)),
        "interactions": present_interactions(recent_interactions(customer)),
        "timeline_limit": TIMELINE_LIMIT,
        "panels": render_profile_panels(request, customer),
        "currency": settings.DEFAULT_CURRENCY,
        "interaction_fields": interaction_fields(),
        "consent_labels": {name: field.label for name, field in ConsentForm.base_fields.items()},
        "may_edit_tags": may_edit_tags(request.user),
        "may_change_owner": may_change_owner(request.user),
        "may_change_consent": may_change_consent(request.user),
    }
    return render(request, "customers/customer_detail.html", context)


def interaction_fields() -> dict:
    """What the "log an interaction" form writes of its fields: the kind and direction options with the one chosen
    (customers/views/list.py `select_of`) and the subject's maximum length. Django's widgets,
    a template for each field and one per option, cost the profile a few milliseconds for four fields."""
    form = InteractionForm()
    return {
        "kind": select_of(form["kind"]),
        "direction": select_of(form["direction"]),
        "subject_max_length": form.fields["subject"].max_length,
    }


def present_orders(orders: list) -> list:
    """Give each of `orders` what its row writes: its lines (`lines`, the prefetched items), the day it was placed
    as the `<time>` element writes it (`placed_iso` in the site's time zone, as `date:"c"` gives it, `placed_day`
    as `date:"j M Y"`) and its total with its currency (`total_text`, as `money` writes it); and each line its
    product page's URL, from one `reverse()` for all of them (crm/reversing.py), its quantity as `floatformat:"0g"`
    writes it and its unit price as `money` does. The latest orders may hold dozens of lines, each a `reverse()`
    and a couple of filters in the template's loop."""
    product_url = path_for("products:detail")
    for order in orders:
        placed = timezone.localtime(order.placed_at)
        order.placed_iso = placed.isoformat()
        order.placed_day = formats.date_format(placed, "j M Y")
        order.total_text = money(order.total or 0, order.currency)
        order.lines = list(order.items.all())
        for item in order.lines:
            item.product_url = product_url(item.product_id)
            item.quantity_text = formats.number_format(item.quantity, force_grouping=True)
            item.price_text = money(item.unit_price, order.currency)
    return orders


def present_interactions(interactions: list) -> list:
    """Give each of `interactions` its moment as the `<time>` element writes it (`occurred_iso` in the site's time
    zone, as `date:"c"` gives it, `occurred_day` as `date:"j M Y"`), once here rather than by two filters a row."""
    for interaction in interactions:
        moment = timezone.localtime(interaction.occurred_at)
        interaction.occurred_iso = moment.isoformat()
        interaction.occurred_day = formats.date_format(moment, "j M Y")
    return interactions


def _visible_customer(request: HttpRequest, pk: int, allowed: bool) -> Customer:
    """The customer, if the user may see it (404 otherwise, before any permission is revealed) and may make
    this change (403 otherwise)."""
    customer = get_object_or_404(Customer.objects.visible_to(request.user).select_related("owner"), pk=pk)
    if not allowed:
        raise PermissionDenied
    return customer


def _problems(form) -> str:
    return " ".join(error for errors in form.errors.values() for error in errors)


def _touch(customer: Customer) -> None:
    Customer.objects.filter(pk=customer.pk).update(updated_at=timezone.now())


@login_required
@require_POST
def add_tag(request: HttpRequest, pk: int) -> HttpResponse:
    """Put a tag on the customer by name: an existing one whatever its case, or a new one for those who may
    create tags (managers, admins)."""
    customer = _visible_customer(request, pk, may_edit_tags(request.user))
    form = TagForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"No tag was added: {_problems(form)}")
        return back_to(customer, "account")
    name = form.cleaned_data["name"]
    tag = Tag.objects.filter(name__iexact=name).first()
    created = False
    if tag is None:
        if not request.user.has_perm("customers.add_tag"):
            messages.error(
                request, f"There is no tag “{name}”. Choose one of the existing tags; a manager can create new ones."
            )
            return back_to(customer, "account")
        tag, created = find_or_create_tag(name)
    if customer.tags.filter(pk=tag.pk).exists():
        messages.info(request, f"{customer.name} already has the tag “{tag.name}”.")
    else:
        customer.tags.add(tag)
        _touch(customer)
        made = " (a new tag)" if created else ""
        messages.success(request, f"Tagged {customer.name} “{tag.name}”{made}.")
    return back_to(customer, "account")


@login_required
@require_POST
def remove_tag(request: HttpRequest, pk: int, tag_pk: int) -> HttpResponse:
    """Take a tag off the customer (the tag itself stays, for the other customers who carry it)."""
    customer = _visible_customer(request, pk, may_edit_tags(request.user))
    tag = get_object_or_404(Tag, pk=tag_pk)
    if customer.tags.filter(pk=tag.pk).exists():
        customer.tags.remove(tag)
        _touch(customer)
        messages.success(request, f"Removed the tag “{tag.name}” from {customer.name}.")
    else:
        messages.info(request, f"{customer.name} did not have the tag “{tag.name}”.")
    return back_to(customer, "account")


@login_required
def change_owner(request: HttpRequest, pk: int) -> HttpResponse:
    """Choose who owns the customer (managers and admins). GET shows the form; a valid POST saves and goes back
    to the profile; an invalid one shows the form again with its errors."""
    customer = _visible_customer(request, pk, may_change_owner(request.user))
    if request.method == "POST":
        form = OwnerForm(request.POST)
        if form.is_valid():
            owner = form.cleaned_data["owner"]
            customer.owner = owner
            customer.save(update_fields=["owner", "updated_at"])  # saved, not updated: the audit trail records it
            who = (owner.get_full_name() or owner.get_username()) if owner else "nobody (unassigned)"
            messages.success(request, f"{customer.name} is now owned by {who}.")
            return back_to(customer, "account")
    else:
        form = OwnerForm(initial={"owner": customer.owner_id})
    return render(request, "customers/customer_owner.html", {"customer": customer, "form": form})


@login_required
@require_POST
def change_consent(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the customer's marketing and profiling consent. Withdrawn (or given again) profiling consent is
    announced with `profiling_consent_changed`, which the insights app answers by re-scoring the customer
    after commit: withdrawn, their scores are removed."""
    customer = _visible_customer(request, pk, may_change_consent(request.user))
    before = customer.profiling_consent
    form = ConsentForm(request.POST, instance=customer)
    if not form.is_valid():  # two checkboxes rarely fail, but say so rather than save half of it
        messages.error(request, f"Consent was not changed: {_problems(form)}")
        return back_to(customer, "account")
    if not form.has_changed():
        messages.info(request, "Consent was already recorded like that.")
        return back_to(customer, "account")
    with transaction.atomic():
        form.save(commit=False).save(update_fields=["marketing_consent", "profiling_consent", "updated_at"])
        if customer.profiling_consent != before:
            profiling_consent_changed.send(
                sender=Customer, customer_id=customer.pk, profiling_consent=customer.profiling_consent
            )
    messages.success(request, f"Consent recorded for {customer.name}.")
    return back_to(customer, "account")
