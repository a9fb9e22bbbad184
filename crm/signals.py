"""Signal receivers of the project-wide pieces: a change to who holds which permission makes every kept page stale
(crm/page_cache.py), so a revoked right or a new role takes effect on the next request."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from crm.page_cache import forget_all_pages


def _permissions_changed(**kwargs) -> None:
    # Now, and again after the commit, so a page rendered in between with the old rights is not kept.
    forget_all_pages()
    transaction.on_commit(forget_all_pages)


def _user_changed(instance, created=False, update_fields=None, **kwargs) -> None:
    if created or (update_fields is not None and set(update_fields) <= {"last_login", "password"}):
        return  # a new account has no pages kept; signing in or a new password changes no permission
    _permissions_changed()


def _holdings_changed(action: str, **kwargs) -> None:
    """A user's groups or own permissions, or a group's permissions, changed (from either side)."""
    if action in ("post_add", "post_remove", "post_clear"):
        _permissions_changed()


def connect() -> None:
    """Connect the receivers (from CrmConfig.ready)."""
    user_model = get_user_model()
    post_save.connect(_user_changed, sender=user_model, dispatch_uid="crm.permissions.user_saved")
    post_delete.connect(_user_changed, sender=user_model, dispatch_uid="crm.permissions.user_deleted")
    for model in (Group, Permission):
        post_save.connect(_permissions_changed, sender=model, dispatch_uid=f"crm.permissions.saved.{model.__name__}")
        post_delete.connect(
            _permissions_changed, sender=model, dispatch_uid=f"crm.permissions.deleted.{model.__name__}"
        )
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(_holdings_changed, sender=through, dispatch_uid=f"crm.permissions.{through.__name__}")
