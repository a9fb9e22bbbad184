"""The customers app's pages, one module per area: the list (list.py), a customer's profile and the changes made
from it (profile.py), their whole history (timeline.py), logging an interaction (interactions.py), saved list
filters (saved_filters.py), the CSV exports (export.py), a customer's personal data export and erasure
(privacy.py), the product pages (products.py) and the home page
(home.py). What several of them read lives in customers/queries.py, their forms in customers/forms.py."""

from customers.views.export import export_customers, export_orders
from customers.views.home import home
from customers.views.interactions import log_interaction
from customers.views.list import customer_list
from customers.views.privacy import erase, export_data
from customers.views.products import product_detail, product_list
from customers.views.profile import add_tag, change_consent, change_owner, customer_detail, remove_tag
from customers.views.saved_filters import delete_filter, open_filter, save_filter
from customers.views.timeline import customer_timeline

__all__ = [
    "add_tag",
    "change_consent",
    "change_owner",
    "customer_detail",
    "customer_list",
    "customer_timeline",
    "delete_filter",
    "erase",
    "export_data",
    "export_customers",
    "export_orders",
    "home",
    "log_interaction",
    "open_filter",
    "product_detail",
    "product_list",
    "remove_tag",
    "save_filter",
]
