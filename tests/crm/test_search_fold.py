"""The database folds text as crm.search.fold does, whatever its characters: PostgreSQL lower-cases plain text
and translates only text with an accented letter or a quote mark, SQLite calls fold itself."""

import pytest
from django.db.models import Value

from crm.search import Fold, fold
from customers.models import Customer
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NAMES = [
    "Plain Name Ltd",
    "ACME & Sons (UK) #2 @home [x] {y} ~z_",
    "O'Brien",
    'The "Best" Bakery',
    "`Backtick` Ltd",
    "Zoë Ørsted-Müller",
    "ÉCOLE ÅNGSTRÖM",
    "O’Brien «Lyon»",
    "Tab\tand accents é",
    "Ǆemal Ȑ",
    "Ελληνικά 東京",
]


def test_the_database_folds_every_name_as_fold_does():
    for name in NAMES:
        CustomerFactory(name=name)
    folded = dict(Customer.objects.annotate(folded=Fold("name")).values_list("name", "folded"))
    assert folded == {name: fold(name) for name in NAMES}


def test_a_folded_value_is_folded_too():
    CustomerFactory(name="x")
    assert (
        Customer.objects.annotate(folded=Fold(Value("Zoë O'Brien"))).values_list("folded", flat=True)[0] == "zoe obrien"
    )
