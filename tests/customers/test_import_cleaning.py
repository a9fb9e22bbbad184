"""One test per cleaning rule of the order import, on small crafted Online Retail files."""

from decimal import Decimal

import pytest

from customers.models import Customer, ImportRun, Order, OrderItem, Product, ProductName
from tests.customers.importing_helpers import retail

pytestmark = pytest.mark.django_db

SALE = "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom"


def test_a_clean_file_becomes_customers_products_orders_and_lines(tmp_path):
    run = retail(tmp_path, SALE, "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26,3.39,17850,United Kingdom")
    assert run.status == ImportRun.Status.SUCCEEDED, run.error
    order = Order.objects.get(external_number="536365")
    assert order.customer.external_id == "17850"
    assert order.customer.country == "United Kingdom"
    assert order.status == Order.Status.COMPLETED
    assert order.placed_at.isoformat() == "2010-12-01T08:26:00+00:00"  # London is on UTC in December
    assert [(i.line_number, i.product.sku, i.quantity, i.unit_price) for i in order.items.order_by("line_number")] == [
        (1, "85123A", 6, Decimal("2.5500")),
        (2, "71053", 6, Decimal("3.3900")),
    ]
    assert run.counts["orders_created"] == 1
    assert run.counts["order_items_created"] == 2


def test_summer_times_are_read_as_london_time(tmp_path):
    retail(tmp_path, "540001,85123A,HEART,1,2011-06-01 10:00,2.55,17850,United Kingdom")
    assert Order.objects.get().placed_at.isoformat() == "2011-06-01T09:00:00+00:00"


def test_exact_duplicate_lines_are_kept_once(tmp_path):
    run = retail(tmp_path, SALE, SALE)
    assert OrderItem.objects.count() == 1
    assert run.counts["duplicate_lines"] == 1


def test_a_line_without_customer_is_an_anonymous_sale_and_invents_no_customer(tmp_path):
    run = retail(tmp_path, "536370,22728,ALARM CLOCK BAKELIKE PINK,24,2010-12-01 08:45,3.75,,United Kingdom")
    order = Order.objects.get()
    assert order.customer is None
    assert order.items.get().product.sku == "22728"
    assert not Customer.objects.exists()
    assert run.counts["missing_customer_lines"] == 1
    assert run.counts["anonymous_invoices"] == 1


def test_a_cancellation_is_a_cancelled_order_linked_to_what_it_cancels(tmp_path):
    run = retail(
        tmp_path,
        SALE,
        "C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-6,2010-12-03 09:41,2.55,17850,United Kingdom",
    )
    cancellation = Order.objects.get(external_number="C536379")
    assert cancellation.status == Order.Status.CANCELLED
    assert cancellation.items.get().quantity == 6
    assert cancellation.cancels.external_number == "536365"
    assert run.counts["cancellation_lines"] == 1
    assert run.counts["cancellation_invoices"] == 1
    assert run.counts["cancellations_linked"] == 1


def test_a_cancellation_is_not_linked_to_another_customers_order(tmp_path):
    retail(
        tmp_path,
        SALE,
        "C536379,85123A,WHITE HANGING HEART T-LIGHT HOLDER,-6,2010-12-03 09:41,2.55,13047,United Kingdom",
    )
    assert Order.objects.get(external_number="C536379").cancels is None


def test_a_huge_order_cancelled_minutes_later_is_flagged_as_an_outlier(tmp_path):
    run = retail(
        tmp_path,
        "581483,23843,PAPER CRAFT LITTLE BIRDIE,80995,2011-12-09 09:15,2.08,16446,United Kingdom",
        "C581484,23843,PAPER CRAFT LITTLE BIRDIE,-80995,2011-12-09 09:27,2.08,16446,United Kingdom",
        "581490,22728,ALARM CLOCK BAKELIKE PINK,4,2011-12-09 09:30,3.75,16446,United Kingdom",
    )
    assert set(Order.objects.filter(is_outlier=True).values_list("external_number", flat=True)) == {
        "581483",
        "C581484",
    }
    assert run.counts["outlier_orders_flagged"] == 2


def test_stock_codes_that_are_not_goods_are_kept_apart(tmp_path):
    run = retail(
        tmp_path,
        SALE,
        "536365,POST,POSTAGE,1,2010-12-01 08:26,18.00,17850,United Kingdom",
        "536365,BANK CHARGES,Bank Charges,1,2010-12-01 08:26,15.00,17850,United Kingdom",
        "536365,M,Manual,1,2010-12-01 08:26,0.85,17850,United Kingdom",
    )
    kinds = dict(Product.objects.values_list("sku", "kind"))
    assert kinds == {"85123A": "product", "POST": "shipping", "BANK CHARGES": "fee", "M": "adjustment"}
    assert OrderItem.objects.count() == 4  # kept, so order totals stay true
    assert run.counts["non_product_lines"] == 3


def test_zero_and_negative_prices_are_not_sales(tmp_path):
    run = retail(
        tmp_path,
        SALE,
        "536414,22139,RETROSPOT TEA SET,56,2010-12-01 11:52,0,,United Kingdom",
        "A563186,B,Adjust bad debt,1,2011-08-12 14:51,-11062.06,,United Kingdom",
    )
    assert list(Order.objects.values_list("external_number", flat=True)) == ["536365"]
    assert run.counts["zero_price_lines"] == 1
    assert run.counts["negative_price_lines"] == 1


def test_a_negative_quantity_outside_a_cancellation_is_a_stock_write_off(tmp_path):
    run = retail(tmp_path, SALE, "536589,21777,damaged,-10,2010-12-01 16:50,0,,United Kingdom")
    assert Order.objects.count() == 1
    assert run.counts["stock_adjustment_lines"] == 1


def test_a_stock_code_with_several_descriptions_gets_the_commonest_and_keeps_the_others(tmp_path):
    run = retail(
        tmp_path,
        "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26,2.55,17850,United Kingdom",
        "536366,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:28,2.55,17850,United Kingdom",
        "536367,85123A,CREAM HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:34,2.95,13047,United Kingdom",
    )
    product = Product.objects.get(sku="85123A")
    assert product.name == "WHITE HANGING HEART T-LIGHT HOLDER"
    assert product.price == Decimal("2.95")  # the latest sale price
    assert dict(ProductName.objects.values_list("name", "line_count")) == {
        "WHITE HANGING HEART T-LIGHT HOLDER": 2,
        "CREAM HANGING HEART T-LIGHT HOLDER": 1,
    }
    assert run.counts["skus_with_several_names"] == 1


def test_a_customer_seen_in_two_countries_gets_the_commoner_one(tmp_path):
    run = retail(
        tmp_path,
        "536365,85123A,HEART,1,2010-12-01 08:26,2.55,12370,Cyprus",
        "536366,85123A,HEART,1,2010-12-02 08:26,2.55,12370,Austria",
        "536367,85123A,HEART,1,2010-12-03 08:26,2.55,12370,Austria",
    )
    assert Customer.objects.get().country == "Austria"
    assert run.counts["customers_with_several_countries"] == 1


def test_an_invoice_over_two_minutes_takes_its_first_time(tmp_path):
    run = retail(
        tmp_path,
        "536365,85123A,HEART,1,2010-12-01 08:26,2.55,17850,United Kingdom",
        "536365,71053,LANTERN,1,2010-12-01 08:27,3.39,17850,United Kingdom",
    )
    assert Order.objects.get().placed_at.minute == 26
    assert run.counts["invoices_with_several_times"] == 1


def test_a_spreadsheet_style_customer_id_is_the_same_customer(tmp_path):
    retail(
        tmp_path,
        "536365,85123A,HEART,1,2010-12-01 08:26,2.55,17850.0,United Kingdom",
        "536366,85123A,HEART,1,2010-12-02 08:26,2.55,17850,United Kingdom",
    )
    assert list(Customer.objects.values_list("external_id", flat=True)) == ["17850"]


def test_stock_codes_differing_only_in_case_are_one_product(tmp_path):
    retail(
        tmp_path,
        "536365,84997D,CHILDRENS CUTLERY POLKADOT PINK,6,2010-12-01 08:26,4.25,17850,United Kingdom",
        "536366,84997d,CHILDRENS CUTLERY POLKADOT PINK,6,2010-12-02 08:26,4.25,,United Kingdom",
        "536367,gift_0001_10,Dotcomgiftshop Gift Voucher £10.00,1,2010-12-03 08:26,8.51,,United Kingdom",
    )
    assert list(Product.objects.order_by("sku").values_list("sku", "kind")) == [
        ("84997D", "product"),
        ("GIFT_0001_10", "adjustment"),
    ]
