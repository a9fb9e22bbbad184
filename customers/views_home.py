"""The home page's old address, kept only because crm/urls.py imports it (and the layers contract in pyproject.toml
names that import): the view lives in customers/views/home.py. Delete this module once crm/urls.py imports
`customers.views.home` and the contract's ignore_imports says "crm.urls -> customers.views.home"."""

from customers.views.home import home

__all__ = ["home"]
