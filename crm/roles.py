"""The three roles, as Django groups made by data migrations (customers/migrations/0002_roles.py).

Code asks for permissions, never for group names; the names are here for the migrations, the demo data
and the tests.
"""

SALES_REP = "Sales rep"
MANAGER = "Manager"
ADMIN = "Admin"
ROLES = (SALES_REP, MANAGER, ADMIN)
