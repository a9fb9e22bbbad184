"""The roles are what crm/roles.py declares: made and synced after every migrate, the same in the README, and the
Admin role cannot make itself more than it is."""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission

from crm import roles

README = Path(__file__).resolve().parents[2] / "README.md"


def held(role: str) -> set[str]:
    group = Group.objects.get(name=role)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


@pytest.mark.django_db
@pytest.mark.parametrize("role", roles.ROLES)
def test_after_migrate_each_role_holds_exactly_its_declared_permissions(role):
    assert held(role) == roles.PERMISSIONS[role]


@pytest.mark.django_db
def test_a_sync_puts_back_what_was_changed_by_hand():
    rep = Group.objects.get(name=roles.SALES_REP)
    rep.permissions.add(Permission.objects.get(codename="view_all_customers"))
    rep.permissions.remove(Permission.objects.get(codename="view_customer"))
    roles.sync_roles()
    assert held(roles.SALES_REP) == roles.PERMISSIONS[roles.SALES_REP]


@pytest.mark.django_db
def test_a_missing_group_is_made_again_and_a_second_sync_changes_nothing():
    Group.objects.filter(name=roles.MANAGER).delete()
    roles.sync_roles()
    roles.sync_roles()
    assert Group.objects.filter(name__in=roles.ROLES).count() == len(roles.ROLES)
    assert held(roles.MANAGER) == roles.PERMISSIONS[roles.MANAGER]


@pytest.mark.django_db
def test_a_declared_permission_that_does_not_exist_is_named(monkeypatch):
    declared = {**roles.PERMISSIONS, roles.MANAGER: roles.PERMISSIONS[roles.MANAGER] | {"customers.fly_customer"}}
    monkeypatch.setattr(roles, "PERMISSIONS", declared)
    with pytest.raises(roles.UnknownPermission, match=r"customers\.fly_customer"):
        roles.sync_roles()


def test_each_role_holds_what_the_one_before_it_holds():
    assert roles.PERMISSIONS[roles.SALES_REP] < roles.PERMISSIONS[roles.MANAGER] < roles.PERMISSIONS[roles.ADMIN]


def test_the_admin_role_manages_accounts_but_not_groups_or_permissions():
    # A group's or a permission's change reaches every member: only superusers do these. Accounts the Admin role
    # adds and changes are kept below it by crm/user_admin.py (tests/crm/test_user_admin.py).
    granting = {f"auth.{action}_{model}" for model in ("user", "group", "permission") for action in roles.ACTIONS}
    assert roles.PERMISSIONS[roles.ADMIN] & granting == {
        "auth.view_user",
        "auth.add_user",
        "auth.change_user",
        "auth.view_group",
    }


def test_the_readmes_role_table_is_the_declared_one():
    found = re.search(r"<!-- roles table: start -->\n(.*?)<!-- roles table: end -->", README.read_text(), re.DOTALL)
    assert found, "README.md has lost its roles table markers"
    assert found[1] == roles.markdown_table(), (
        "README.md's roles table differs from crm/roles.py; paste in the output of\n"
        '  .venv/bin/python -c "import crm.roles as r; print(r.markdown_table())"'
    )
