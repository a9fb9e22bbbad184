"""The authentication backend: Django's ModelBackend, reading a user's permissions in one query.

ModelBackend reads a user's own permissions and their groups' in two queries the first time a request asks
`has_perm`, and every signed-in page asks (who sees which customers is a permission). Here both come in one
UNION, kept on the user object for the rest of the request as ModelBackend keeps its own: nothing is kept
between requests, so a permission granted or taken away shows on the next one.
"""

from __future__ import annotations

from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission

# The user object's attribute that keeps its permissions for the request.
PERMISSIONS_ATTRIBUTE = "lodestar_permissions"


class RolePermissionBackend(ModelBackend):
    """ModelBackend with a user's own and group permissions read together: one query, not two."""

    def get_all_permissions(self, user_obj, obj=None) -> set[str]:
        """Every permission of an active user as "app_label.codename" (all of them for a superuser); none for an
        inactive or anonymous user, or for an object (permissions here are per model, as ModelBackend's)."""
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        permissions = getattr(user_obj, PERMISSIONS_ATTRIBUTE, None)
        if permissions is None:
            permissions = read_permissions(user_obj)
            setattr(user_obj, PERMISSIONS_ATTRIBUTE, permissions)
        return permissions


def read_permissions(user) -> set[str]:
    """A user's permissions, their own and their groups' (every permission for a superuser), in one query."""
    names = Permission.objects.order_by().values_list("content_type__app_label", "codename")
    if not user.is_superuser:
        names = names.filter(user=user).union(names.filter(group__user=user))
    return {f"{app_label}.{codename}" for app_label, codename in names}
