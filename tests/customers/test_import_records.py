"""The Lodestar formats for customers, products and interactions."""

import pytest

from customers.models import Customer, ImportRun, Interaction, Product
from tests.customers.importing_helpers import import_file, write_csv
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

CUSTOMERS = "external_id,name,email,company,country,acquisition_channel,owner,marketing_consent,profiling_consent,tags"


def test_customers_import_with_owner_consent_and_tags(tmp_path, alice):
    path = write_csv(
        tmp_path,
        [
            CUSTOMERS,
            "C-1,Ann Archer,ANN@example.com,Archer Ltd,France,web,alice,yes,no,VIP; trade fair",
            "C-2,Ben Bell,,,Spain,,,,,",
            "C-1,Ann again,,,,,,,,",
        ],
    )
    run = import_file(path, fmt="lodestar-customers")
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    ann = Customer.objects.get(external_id="C-1")
    assert (ann.name, ann.email, ann.owner, ann.marketing_consent, ann.profiling_consent) == (
        "Ann Archer",
        "ann@example.com",
        alice,
        True,
        False,
    )
    assert sorted(ann.tags.values_list("name", flat=True)) == ["VIP", "trade fair"]
    ben = Customer.objects.get(external_id="C-2")
    assert (ben.owner, ben.acquisition_channel, ben.marketing_consent, ben.profiling_consent) == (
        None,
        "other",
        False,
        True,
    )
    assert run.counts["duplicate_ids"] == 1
    assert run.counts["customers_created"] == 2


def test_a_customer_import_skips_customers_already_there_and_changes_nothing_on_repeat(tmp_path):
    CustomerFactory(external_id="C-1", name="Kept as it is")
    path = write_csv(tmp_path, [CUSTOMERS, "C-1,New name,,,,,,,,", "C-2,Ben,,,,,,,,VIP"])
    first = import_file(path, fmt="lodestar-customers")
    second = import_file(path, fmt="lodestar-customers")
    assert Customer.objects.get(external_id="C-1").name == "Kept as it is"
    assert (first.counts["customers_created"], first.counts["customers_already_present"]) == (1, 1)
    assert (second.counts["customers_created"], second.counts["customers_already_present"]) == (0, 2)
    assert Customer.objects.get(external_id="C-2").tags.count() == 1


def test_bad_customer_rows_name_the_column(tmp_path):
    path = write_csv(
        tmp_path,
        [CUSTOMERS, "C-1,Ann,not-an-email,,,,,,,", "C-2,Ben,,,,,nobody,,,", "C-3,Cy,,,,,,,maybe,", ",Dee,,,,,,,,"],
    )
    run = import_file(path, fmt="lodestar-customers")
    assert [(e["line"], e["column"]) for e in run.errors] == [
        (2, "email"),
        (3, "owner"),
        (4, "profiling_consent"),
        (5, "external_id"),
    ]
    assert "is not a user of Lodestar" in run.errors[1]["reason"]
    assert not Customer.objects.exists()


def test_products_import_with_kinds_and_prices(tmp_path):
    path = write_csv(
        tmp_path,
        [
            "sku,name,description,category,price,kind,is_active",
            "MUG-1,Blue mug,Stoneware,Kitchen,7.50,,",
            "SHIP,Delivery,,,4.95,shipping,yes",
            "OLD-1,Old mug,,,,product,no",
            "BAD-1,Bad,,,-1,,",
        ],
    )
    run = import_file(path, fmt="lodestar-products")
    assert run.status == ImportRun.Status.SUCCEEDED
    assert sorted(Product.objects.values_list("sku", "kind", "is_active")) == [
        ("MUG-1", "product", True),
        ("OLD-1", "product", False),
        ("SHIP", "shipping", True),
    ]
    assert str(Product.objects.get(sku="MUG-1").price) == "7.50"
    assert Product.objects.get(sku="OLD-1").price is None
    assert run.errors[0]["column"] == "price"


def test_interactions_import_skips_repeats_and_unknown_customers(tmp_path, bob):
    CustomerFactory(external_id="C-1")
    header = "external_id,customer_id,occurred_at,kind,direction,subject,body,user"
    path = write_csv(
        tmp_path,
        [
            header,
            ",C-1,2026-03-01 10:00,call,outbound,Follow-up,Asked about the spring range.,bob",
            "T-9,C-1,2026-03-02 11:00,ticket,inbound,Late delivery,The parcel is a week late.,",
            ",C-404,2026-03-02 11:00,note,,Who?,,",
            "T-10,C-1,2026-03-02,fax,,,,",
        ],
    )
    first = import_file(path, fmt="lodestar-interactions")
    second = import_file(path, fmt="lodestar-interactions")
    assert first.status == ImportRun.Status.SUCCEEDED, first.error
    assert Interaction.objects.count() == 2
    call = Interaction.objects.get(kind="call")
    assert (call.user, call.subject, call.external_id[:5]) == (bob, "Follow-up", "sha1:")
    assert first.counts["unknown_customer_lines"] == 1
    assert first.errors[0]["column"] == "kind"
    assert (second.counts["interactions_created"], second.counts["interactions_already_present"]) == (0, 2)


def test_the_import_commands_exist_for_each_format(tmp_path, capsys):
    from django.core.management import call_command

    path = write_csv(tmp_path, ["sku,name", "MUG-1,Blue mug"])
    call_command("import_products", str(path), "--no-progress")
    assert "products created" in capsys.readouterr().out
    assert Product.objects.filter(sku="MUG-1").exists()


def test_an_interaction_in_the_future_or_without_content_is_refused_as_the_form_and_api_refuse_it(tmp_path):
    CustomerFactory(external_id="C-1")
    path = write_csv(
        tmp_path,
        [
            "customer_id,occurred_at,kind,subject,body",
            "C-1,2026-03-01 10:00,call,Follow-up,",
            "C-1,2999-01-01 10:00,meeting,Next year's review,",
            "C-1,2026-03-02 10:00,note,  ,  ",
            "C-1,2026-03-03 10:00,email,,Sent the samples.",
        ],
    )
    run = import_file(path, fmt="lodestar-interactions")
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    assert sorted(Interaction.objects.values_list("kind", flat=True)) == ["call", "email"]
    assert [(error["line"], error["column"]) for error in run.errors] == [(3, "occurred_at"), (4, "subject")]
