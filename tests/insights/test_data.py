"""insights/data.py reads what the models learn from; these are the small readers beside the order stream."""

import numpy as np
import pytest

from insights import data
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


def test_customer_attributes_are_those_of_the_customers_asked_for_only():
    chosen = [CustomerFactory(country="France", acquisition_channel="web"), CustomerFactory(country="Spain")]
    CustomerFactory(country="Italy")  # not asked for
    frame = data.customer_attributes(np.array([c.pk for c in chosen] + [10**9]))  # and an id that is not there
    assert sorted(frame.index) == sorted(c.pk for c in chosen)
    assert (frame.loc[chosen[0].pk, "country"], frame.loc[chosen[0].pk, "acquisition_channel"]) == ("France", "web")
    assert frame.loc[chosen[1].pk, "country"] == "Spain"
