"""The three roles and what each may do, declared once.

A role is a Django group. `PERMISSIONS` maps each role to its permissions as "app_label.codename" strings (the
form `user.has_perm()` takes); after every `migrate`, `sync_roles()` (connected in `CrmConfig.ready`) makes the
groups and gives each exactly these permissions, so a permission granted or taken away by hand in admin is put
back on the next migrate. Code asks for permissions, never for group names; the names are here for the demo data
and the tests. The README's role table is `markdown_table()`, and a test keeps the two in step.
"""

from __future__ import annotations

SALES_REP = "Sales rep"
MANAGER = "Manager"
ADMIN = "Admin"
ROLES = (SALES_REP, MANAGER, ADMIN)

# Django's four default permissions of a model, in the order the README's table lists them.
ACTIONS = ("view", "add", "change", "delete")


def every(app_label: str, *models: str) -> set[str]:
    """All four default permissions (view, add, change, delete) of each named model of an app."""
    return {f"{app_label}.{action}_{model}" for model in models for action in ACTIONS}


# A rep works on the customers they own: reads their orders and the catalogue, keeps their records and puts the
# existing tags on them (managers and admins decide which tags exist, so the list's tag filter stays meaningful).
_SALES_REP = {
    "customers.view_customer",
    "customers.add_customer",
    "customers.change_customer",
    "customers.view_interaction",
    "customers.add_interaction",
    "customers.change_interaction",
    "customers.view_order",
    "customers.view_orderitem",
    "customers.view_product",
    "customers.view_tag",
    "customers.view_topic",
    "customers.view_interactionlabel",
    "customers.add_interactionlabel",
}

# A manager also sees every customer, exports, tidies interactions, creates and renames tags, and reads what the
# models publish.
_MANAGER = _SALES_REP | {
    "customers.view_all_customers",
    "customers.export_customers",
    "customers.delete_interaction",
    "customers.add_tag",
    "customers.change_tag",
    "insights.view_modelrun",
    "insights.view_customersegment",
    "insights.view_customervalue",
    "insights.view_churnscore",
    "insights.view_interactionsentiment",
    "insights.view_suggestedaction",
    "insights.view_messagetemplate",
    "recommendations.view_recommendation",
    "recommendations.view_associationrule",
    "recommendations.view_productforecast",
}

# An admin runs the shop's data in Django admin: every customer record, imports and the export audit trail,
# model runs and their results (retrain, roll back), the retraining schedule (django-celery-beat keeps it in the
# database) and the worker probe. It adds and changes the accounts of sales reps and managers; crm/user_admin.py
# keeps that below itself (only superusers grant superuser or staff status, groups beyond Sales rep and Manager or
# single permissions, or change a superuser). Groups are read-only: a group's change reaches every member. The
# audit trail is read-only for everyone (auditlog's admin allows no change).
_ADMIN = (
    _MANAGER
    | every(
        "customers",
        "customer",
        "interaction",
        "order",
        "orderitem",
        "product",
        "tag",
        "exchangerate",
        "topic",
        "interactionlabel",
    )
    | {
        "customers.add_importrun",
        "customers.view_importrun",
        "customers.view_exportrecord",
        "customers.view_productname",
        "customers.change_productname",
        "customers.view_savedfilter",
        "customers.delete_savedfilter",
    }
    | every("insights", "modelrun", "customersegment", "customervalue", "churnscore", "interactionsentiment")
    | every("insights", "messagetemplate")
    | every("recommendations", "recommendation", "associationrule", "productforecast")
    | every(
        "django_celery_beat",
        "periodictask",
        "periodictasks",
        "crontabschedule",
        "intervalschedule",
        "clockedschedule",
        "solarschedule",
    )
    | {"crm.view_workerping", "crm.add_workerping", "auth.view_user", "auth.add_user", "auth.change_user"}
    | {"auth.view_group", "auditlog.view_logentry"}
)

PERMISSIONS: dict[str, frozenset[str]] = {
    SALES_REP: frozenset(_SALES_REP),
    MANAGER: frozenset(_MANAGER),
    ADMIN: frozenset(_ADMIN),
}

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


class UnknownPermission(LookupError):
    """A role declares a permission no installed model has (a typo, or a model renamed or removed)."""


def sync_roles(using: str = "default") -> None:
    """Make the role groups and give each exactly its declared permissions (idempotent).

    Raises UnknownPermission, naming each one, when a declared permission does not exist.
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission
    from django.db import transaction

    # Each app's permissions are made by auth's own post_migrate receiver when that app's signal is sent, and
    # some apps' come after ours: make them all now (it only adds the missing ones).
    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)

    wanted = set().union(*PERMISSIONS.values())
    found = {
        f"{app_label}.{codename}": pk
        for pk, app_label, codename in Permission.objects.using(using).values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    missing = sorted(wanted - found.keys())
    if missing:
        raise UnknownPermission(f"crm/roles.py declares permissions that do not exist: {', '.join(missing)}")
    with transaction.atomic(using=using):
        for role, permissions in PERMISSIONS.items():
            group, _ = Group.objects.using(using).get_or_create(name=role)
            group.permissions.set([found[name] for name in permissions])


def sync_roles_after_migrate(sender, using: str = "default", **kwargs) -> None:
    """post_migrate receiver: `sync_roles()` on the database just migrated."""
    sync_roles(using)


def markdown_table() -> str:
    """The README's table of what each role may do: one row per model (or custom permission), one column per role."""
    rows: dict[str, dict[str, list[str]]] = {}
    for role, permissions in PERMISSIONS.items():
        for permission in permissions:
            app_label, codename = permission.split(".", 1)
            action, _, model = codename.partition("_")
            if action not in ACTIONS:  # a custom permission, e.g. customers.export_customers
                action, model = "yes", codename
            rows.setdefault(f"{app_label}.{model}", {}).setdefault(role, []).append(action)

    def cell(actions: list[str]) -> str:
        if set(actions) == set(ACTIONS):
            return "all"
        return ", ".join(sorted(actions, key=lambda a: ACTIONS.index(a) if a in ACTIONS else -1)) or "—"

    lines = [f"| permission | {' | '.join(ROLES)} |", "| --- |" + " --- |" * len(ROLES)]
    for thing in sorted(rows):
        lines.append(f"| `{thing}` | " + " | ".join(cell(rows[thing].get(role, [])) for role in ROLES) + " |")
    return "\n".join(lines) + "\n"
