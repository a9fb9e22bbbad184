"""Signal receivers of the project-wide pieces: a change to who holds which permission drops the cached
permissions (crm/auth_backends.py) of the users it touches, or of everyone when a group's or a permission's
own set changes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

from crm.auth_backends import forget_all_permissions, forget_user_permissions


def _forget(**kwargs) -> None:
    # Now, and again after the commit, so a request reading in between cannot keep the old set for an hour.
    forget_all_permissions()
    transaction.on_commit(forget_all_permissions)


def _forget_users(user_pks) -> None:
    for pk in user_pks:
        forget_user_permissions(pk)
    transaction.on_commit(lambda: [forget_user_permissions(pk) for pk in user_pks])


def _user_changed(instance, created=False, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and set(update_fields) <= {"last_login", "password"}):
        return  # a new account has nothing cached; signing in or a new password changes no permission
    _forget_users([instance.pk])


def _memberships_changed(instance, action: str, reverse: bool, pk_set, **kwargs) -> None:
    """A user's groups or own permissions changed, from either side (user.groups.add(g) or g.user_set.add(u))."""
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if not reverse:
        _forget_users([instance.pk])
    elif pk_set:  # from the group's or the permission's side: these users
        _forget_users(list(pk_set))
    else:  # a group or a permission lost all its users (clear): whose is not said
        _forget()


def _group_permissions_changed(action: str, **kwargs) -> None:
    if action in ("post_add", "post_remove", "post_clear"):
        _forget()  # every member of the group, on either side


def connect() -> None:
    """Connect the receivers (from CrmConfig.ready)."""
    user_model = get_user_model()
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="crm.permissions.user_saved")
    post_delete.connect(_user_changed, sender=user_model, dispatch_uid="crm.permissions.user_deleted")
    for model in (Group, Permission):
        post_save.connect(_forget, sender=model, dispatch_uid=f"crm.permissions.saved.{model.__name__}")
        post_delete.connect(_forget, sender=model, dispatch_uid=f"crm.permissions.deleted.{model.__name__}")
    for through in (user_model.groups.through, user_model.user_permissions.through):
        m2m_changed.connect(_memberships_changed, sender=through, dispatch_uid=f"crm.permissions.{through.__name__}")
    m2m_changed.connect(
        _group_permissions_changed, sender=Group.permissions.through, dispatch_uid="crm.permissions.group_perms"
    )
    # Migrations create permissions in bulk, without post_save.
    post_migrate.connect(_forget, dispatch_uid="crm.permissions.migrated")
