"""`manage.py seed_demo` on the database: it writes what the generator made (test_seed_demo.py tests the
generator's data), refuses or replaces existing data, leaves nothing behind when it fails, and makes the demo logins
in their roles."""

from __future__ import annotations

import datetime as dt
import io

import pandas as pd
import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection

from crm import roles
from customers.demo import loader
from customers.demo.fingerprint import content_hash
from customers.demo.generator import generate
from customers.demo.logins import DEMO_PASSWORD
from customers.demo.profiles import GROUP_NAMES
from customers.models import Customer, Interaction, Order, OrderItem, Product, Tag
from tests.factories import CustomerFactory, InteractionFactory, OrderFactory, OrderItemFactory, ProductFactory

END = dt.date(2025, 6, 30)  # as in test_seed_demo.py


def _seed(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("seed_demo", "--end", END.isoformat(), *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.django_db
def test_seeding_writes_what_the_generator_made():
    _seed("--customers", "300", "--seed", "5", "--no-logins")
    expected = generate(5, 300, END).counts()
    assert Customer.objects.count() == expected["customers"]
    assert Order.objects.count() == expected["orders"] + expected["guest orders"]
    assert Order.objects.filter(customer__isnull=True).count() == expected["guest orders"]
    assert OrderItem.objects.count() == expected["order lines"] + expected["guest order lines"]
    assert Interaction.objects.count() == expected["interactions"]
    assert Product.objects.count() == expected["products"]
    assert not Tag.objects.filter(name__in=GROUP_NAMES).exists()


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_content_and_another_seed_other_content():
    _seed("--customers", "200", "--seed", "5", "--no-logins")
    first = content_hash()
    _seed("--customers", "200", "--seed", "5", "--no-logins", "--replace")
    assert content_hash() == first
    _seed("--customers", "200", "--seed", "6", "--no-logins", "--replace")
    assert content_hash() != first


@pytest.mark.django_db
def test_it_refuses_a_database_that_already_has_customers():
    CustomerFactory()
    with pytest.raises(CommandError, match="already holds customer data.*--replace"):
        _seed("--customers", "200", "--no-logins")
    assert Customer.objects.count() == 1


@pytest.mark.django_db
def test_replace_deletes_the_existing_data_first():
    OrderItemFactory(order__customer__name="Old customer")
    _seed("--customers", "200", "--no-logins", "--replace")
    assert not Customer.objects.filter(name="Old customer").exists()
    assert Customer.objects.count() == 200


@pytest.mark.django_db
def test_replace_falls_back_to_the_orm_when_truncate_would_break_on_delete_rules(monkeypatch):
    monkeypatch.setattr(loader, "_truncate_is_faithful", lambda: False)
    OrderItemFactory(order__customer__name="Old customer")
    _seed("--customers", "200", "--no-logins", "--replace")
    assert not Customer.objects.filter(name="Old customer").exists()
    assert Customer.objects.count() == 200


@pytest.mark.django_db
def test_replacing_through_the_orm_writes_no_audit_entry_per_deleted_row(monkeypatch):
    """As the TRUNCATE does not: one entry per deleted row made replacing a 2,000-customer demo on SQLite take
    minutes. Changes made afterwards are audited again."""
    from auditlog.models import LogEntry

    monkeypatch.setattr(loader, "_truncate_is_faithful", lambda: False)
    OrderItemFactory(order__customer__name="Old customer")
    before = LogEntry.objects.filter(action=LogEntry.Action.DELETE).count()
    _seed("--customers", "200", "--no-logins", "--replace")
    assert LogEntry.objects.filter(action=LogEntry.Action.DELETE).count() == before
    customer = Customer.objects.first()
    customer.delete()
    assert LogEntry.objects.filter(action=LogEntry.Action.DELETE, object_repr=str(customer)).exists()


@pytest.mark.django_db
def test_new_rows_get_fresh_ids_after_seeding():
    _seed("--customers", "200", "--no-logins")
    top = Customer.objects.order_by("-id").values_list("id", flat=True).first()
    item = OrderItemFactory(order=OrderFactory(customer=CustomerFactory()), product=ProductFactory())
    interaction = InteractionFactory(customer=item.order.customer)
    assert item.order.customer.id > top
    assert item.order.id > Order.objects.exclude(pk=item.order.pk).order_by("-id").first().id
    assert interaction.pk > 0


def _schema() -> list[str]:
    """The customers app's index and constraint definitions (PostgreSQL)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename LIKE 'customers_%%' UNION ALL "
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid::regclass::text LIKE 'customers_%%'"
        )
        return sorted(row[0] for row in cursor.fetchall())


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="indexes are rebuilt only on PostgreSQL")
def test_indexes_and_foreign_keys_are_back_after_the_load():
    before = _schema()
    _seed("--customers", "200", "--no-logins")
    assert _schema() == before


@pytest.mark.django_db
def test_a_failed_load_leaves_nothing_behind(monkeypatch):
    def fail():
        raise RuntimeError("disk full")

    monkeypatch.setattr(loader, "reset_sequences", fail)
    before = _schema() if connection.vendor == "postgresql" else []
    with pytest.raises(RuntimeError):
        _seed("--customers", "200", "--no-logins")
    assert not Customer.objects.exists() and not Product.objects.exists()
    assert (_schema() if connection.vendor == "postgresql" else []) == before


@pytest.mark.django_db
def test_demo_logins_are_made_in_their_roles_when_debug_is_on(settings):
    settings.DEBUG = True
    out, _ = _seed("--customers", "200")
    users = {u.username: u for u in get_user_model().objects.prefetch_related("groups")}
    role = {name: {g.name for g in user.groups.all()} for name, user in users.items()}
    assert role["alice"] == role["bob"] == {roles.SALES_REP}
    assert role["charlie"] == {roles.MANAGER}
    assert role["dana"] == {roles.ADMIN} and users["dana"].is_staff
    assert users["admin"].is_superuser
    assert all(user.check_password(DEMO_PASSWORD) for user in users.values())
    assert f"alice      Sales rep  {DEMO_PASSWORD}" in out
    assert users["alice"].get_full_name() == "Alice Archer"  # what her worklist messages are signed with
    owners = Customer.objects.values_list("owner__username", flat=True)
    assert pd.Series(list(owners)).value_counts().to_dict() == {"alice": 100, "bob": 100}


@pytest.mark.django_db
def test_without_debug_no_known_password_logins_are_made_and_existing_reps_own_the_customers(alice):
    _, err = _seed("--customers", "200")
    assert "--with-logins" in err
    assert not get_user_model().objects.filter(username__in=["admin", "bob", "dana"]).exists()
    assert set(Customer.objects.values_list("owner__username", flat=True)) == {"alice"}


@pytest.mark.django_db
def test_with_logins_makes_them_without_debug_and_leaves_existing_users_alone(alice):
    out, _ = _seed("--customers", "200", "--with-logins")
    alice.refresh_from_db()
    assert alice.check_password("correct-horse-battery")
    assert "(existing user, unchanged)" in out
    assert get_user_model().objects.get(username="admin").check_password(DEMO_PASSWORD)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("truncate", [True, False], ids=["truncate", "orm"])
def test_replace_discards_the_model_runs_learned_from_the_old_data_and_every_result_row(truncate, monkeypatch):
    # Recommendation rows have no foreign-key constraint in the database (they are written by the million), so
    # TRUNCATE ... CASCADE did not reach them: they stayed, and new customers with the same ids inherited them.
    from insights.models import ChurnScore, InteractionSentiment, ModelRun
    from recommendations.models import Recommendation

    if not truncate:
        monkeypatch.setattr(loader, "_truncate_is_faithful", lambda: False)
    _seed("--customers", "50", "--seed", "5", "--no-logins")
    customer, product = Customer.objects.order_by("pk").first(), Product.objects.order_by("pk").first()
    churn = ModelRun.objects.create(family="churn", status="succeeded", is_active=True, as_of=END)
    recs = ModelRun.objects.create(family="recommendations", status="succeeded", is_active=True, as_of=END)
    ChurnScore.objects.create(run=churn, customer=customer, probability=0.9, band="high", factors=[])
    sentiment = ModelRun.objects.create(family="sentiment", status="succeeded", is_active=True, as_of=END)
    interaction = Interaction.objects.order_by("pk").first()
    InteractionSentiment.objects.create(
        run=sentiment, interaction=interaction, customer=interaction.customer, occurred_at=interaction.occurred_at,
        sentiment="neutral", sentiment_probability=0.5, topic="other", topic_probability=0.5,
    )  # fmt: skip
    Recommendation.objects.create(
        run=recs, customer=customer, list="reorder", rank=1, product=product, score=1.0, component="popular",
        reason_code="popular",
    )  # fmt: skip
    _seed("--customers", "50", "--seed", "6", "--no-logins", "--replace")
    assert not ModelRun.objects.exists()
    assert not ChurnScore.objects.exists() and not Recommendation.objects.exists()
    assert not InteractionSentiment.objects.exists()
    assert Customer.objects.count() == 50
