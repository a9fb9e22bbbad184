"""Exchange rates an admin imports (customers/rates.py, `manage.py import_rates`): all or nothing, the error
naming the line and column, a second import of the same file changing nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from customers.models import ExchangeRate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _gbp(settings):
    settings.DEFAULT_CURRENCY = "GBP"


def _file(tmp_path, text: str):
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_rates_file_is_imported_and_a_second_import_replaces_not_repeats(tmp_path, capsys):
    path = _file(tmp_path, "currency,day,rate\neur,2026-01-01,0.85\nUSD,2026-01-01,0.79\n")
    call_command("import_rates", path)
    assert "2 rates added, 0 replaced (into GBP)." in capsys.readouterr().out
    call_command("import_rates", _file(tmp_path, "currency,day,rate\nEUR,2026-01-01,0.86\n"))
    assert ExchangeRate.objects.count() == 2
    assert ExchangeRate.objects.get(currency="EUR").rate == Decimal("0.86")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("EURO,2026-01-01,0.85", "Line 3, currency: “EURO” is not a three-letter code"),
        ("EUR,31/01/2026,0.85", "Line 3, day: “31/01/2026” is not a date such as 2026-03-31."),
        ("EUR,2026-01-01,abc", "Line 3, rate: “abc” is not a number."),
        ("EUR,2026-01-01,0", "Line 3, rate: 0 must be a number above 0."),
        ("GBP,2026-01-01,1.2", "Line 3, currency: GBP is the base currency"),
        ("EUR,2026-01-01,0.123456789", "Line 3, rate: 0.123456789 has more than 10 digits before the point or 8"),
    ],
)
def test_a_bad_line_is_named_and_nothing_is_imported(tmp_path, line, message):
    path = _file(tmp_path, f"currency,day,rate\nUSD,2026-01-01,0.79\n{line}\n")
    with pytest.raises(CommandError, match="nothing was imported") as error:
        call_command("import_rates", path)
    assert message in str(error.value)
    assert not ExchangeRate.objects.exists()


def test_a_file_without_the_columns_says_which_are_missing(tmp_path):
    with pytest.raises(CommandError, match="missing day, rate"):
        call_command("import_rates", _file(tmp_path, "currency\nEUR\n"))


def test_an_admin_sees_and_edits_rates_in_admin(dana_client):
    ExchangeRate.objects.create(currency="EUR", day=dt.date(2026, 1, 1), rate=Decimal("0.85"))
    page = dana_client.get(reverse("admin:customers_exchangerate_changelist"))
    assert page.status_code == 200
    assert "EUR" in page.content.decode()


UPLOAD = reverse("admin:customers_exchangerate_upload")


def _upload(client, text: str, name: str = "rates.csv", encoding: str = "utf-8"):
    return client.post(UPLOAD, {"upload": SimpleUploadedFile(name, text.encode(encoding), "text/csv")}, follow=True)


def test_an_admin_uploads_the_same_file_as_the_command_from_the_rates_list(dana_client):
    listing = dana_client.get(reverse("admin:customers_exchangerate_changelist")).content.decode()
    assert UPLOAD in listing and "Import a rates file" in listing
    page = _upload(dana_client, "\ufeffcurrency,day,rate\neur,2026-01-01,0.85\nUSD,2026-01-01,0.79\n")
    assert page.redirect_chain[-1][0] == reverse("admin:customers_exchangerate_changelist")
    assert "2 rates added, 0 replaced (into GBP)." in page.content.decode()
    page = _upload(dana_client, "currency,day,rate\nEUR,2026-01-01,0.86\n")
    assert "0 rates added, 1 replaced (into GBP)." in page.content.decode()
    page = _upload(dana_client, "currency,day,rate\nEUR,2026-02-01,0.87\n")
    assert "1 rate added, 0 replaced (into GBP)." in page.content.decode()  # seen: "1 rates added"
    assert "the churn risk and value of the customers with orders in EUR are being re-scored" in page.content.decode()
    rates = dict(ExchangeRate.objects.values_list("currency", "rate"))
    assert rates == {"EUR": Decimal("0.86"), "USD": Decimal("0.79")}


def test_an_uploaded_file_with_a_bad_line_names_it_and_changes_nothing(dana_client):
    ExchangeRate.objects.create(currency="EUR", day=dt.date(2026, 1, 1), rate=Decimal("0.85"))
    page = _upload(dana_client, "currency,day,rate\nEUR,2026-01-01,0.90\nUSD,2026-02-30,0.79\n")
    assert page.status_code == 200 and not page.redirect_chain
    assert "Nothing was imported. Line 3, day: “2026-02-30” is not a date such as 2026-03-31." in page.content.decode()
    assert list(ExchangeRate.objects.values_list("currency", "rate")) == [("EUR", Decimal("0.85"))]


def test_an_uploaded_file_that_is_not_utf8_is_refused_in_words(dana_client):
    page = _upload(dana_client, "currency,day,rate\nEUR,2026-01-01,0.85 \u20ac\n", encoding="utf-16")
    assert "The file is not UTF-8 text" in page.content.decode()
    assert not ExchangeRate.objects.exists()


def test_a_rep_cannot_reach_the_upload(alice_client):
    page = alice_client.post(UPLOAD, {"upload": SimpleUploadedFile("rates.csv", b"currency,day,rate\n")})
    assert page.status_code == 302 and "/admin/login/" in page["Location"]
    assert not ExchangeRate.objects.exists()
