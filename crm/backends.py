"""The authentication backend: Django's ModelBackend (username and password, active users only), with a user's
permissions, their own and their roles' (crm/roles.py), read in one query instead of ModelBackend's two.

Every signed-in page asks at least one permission, so each request paid for both queries. The answer is kept on
the user object for the request, as ModelBackend keeps its own: a permission granted or taken away applies from
the next request.
"""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.db.models import Q

# Where the answer is kept on the user object (ModelBackend's own attributes are its business).
PERMISSIONS_ATTRIBUTE = "_lodestar_permissions"


def permissions_of(user) -> set[str]:
    """Every permission `user` has, as "app_label.codename": all of them for a superuser, else those granted to
    the user and to the groups they belong to (one query)."""
    permissions = Permission.objects.all()
    if not user.is_superuser:
        # Joins rather than two EXISTS: the ORM builds and compiles this in about half the time (the tables are
        # small, and DISTINCT folds a permission granted twice).
        permissions = permissions.filter(Q(user=user) | Q(group__user=user)).distinct()
    rows = permissions.order_by().values_list("content_type__app_label", "codename")
    return {f"{app_label}.{codename}" for app_label, codename in rows}


class RoleBackend(ModelBackend):
    """ModelBackend whose `get_all_permissions` (behind `has_perm`, `has_module_perms` and the templates' `perms`)
    reads the user's own and their groups' permissions in one query, once per user object."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        """The permissions of an active, signed-in user (none for an object: this backend has no per-object
        permissions, as ModelBackend has none)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        permissions = getattr(user_obj, PERMISSIONS_ATTRIBUTE, None)
        if permissions is None:
            permissions = permissions_of(user_obj)
            setattr(user_obj, PERMISSIONS_ATTRIBUTE, permissions)
        return permissions

    async def aget_all_permissions(self, user_obj, obj=None) -> set[str]:
        """`get_all_permissions` for async code."""
        return await sync_to_async(self.get_all_permissions)(user_obj, obj)
