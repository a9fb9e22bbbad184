"""The three roles, as Django groups made by data migrations (customers/migrations/0002_roles.py).

Code asks for permissions, never for group names; the names are here for the migrations, the demo data
and the tests.
"""

SALES_REP = "Sales rep"
MANAGER = "Manager"
ADMIN = "Admin"
ROLES = (SALES_REP, MANAGER, ADMIN)

# Demo logins (seed_demo makes them, only with DEBUG on or when asked): username, role group (None for the
# superuser), is_staff, is_superuser. Known passwords are for demos only.
DEMO_PASSWORD = "lodestar-demo"
DEMO_USERS = (
    ("alice", SALES_REP, False, False),
    ("bob", SALES_REP, False, False),
    ("charlie", MANAGER, False, False),
    ("dana", ADMIN, True, False),
    ("admin", None, True, True),
)
