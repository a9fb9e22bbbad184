"""User accounts in Django admin, where the Admin role manages sales reps and managers without being able to rise.

Only superusers grant superuser or staff status, groups beyond what they hold, or single permissions, and only
superusers change a superuser (password included). Anyone else with the user permissions (the Admin role):
- sees and changes only accounts below them: not superusers, not staff, holding no single permissions and no
  group outside the ones they may hand out (other than their own account);
- may hand out only the groups whose permissions are a strict part of their own (for the Admin role: Sales rep
  and Manager), and never changes their own groups;
- sees staff and superuser status read-only, and no single permissions at all.
The form, the queryset and `save_model` each refuse what the others already hide, so a crafted POST changes
nothing: a field left out of the form is ignored, a group outside the offered ones is a form error naming the
field, and an account outside the queryset answers 404.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q

User = get_user_model()


def grantable_groups(user):
    """The groups `user` may give to others: all for a superuser; otherwise those whose permissions are a strict
    part of the user's own (a group with as much as the user, or more, could be used to rise)."""
    if user.is_superuser:
        return Group.objects.all()
    held = user.get_all_permissions()
    grantable = []
    for group in Group.objects.prefetch_related("permissions__content_type"):
        permissions = {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()}
        if permissions < held:
            grantable.append(group.pk)
    return Group.objects.filter(pk__in=grantable)


def manageable_users(user, queryset=None):
    """The accounts `user` may see and change in admin (see the module docstring)."""
    queryset = User.objects.all() if queryset is None else queryset
    if user.is_superuser:
        return queryset
    beyond = User.groups.through.objects.filter(user=OuterRef("pk")).exclude(group__in=grantable_groups(user))
    own_permissions = User.user_permissions.through.objects.filter(user=OuterRef("pk"))
    below = Q(is_superuser=False, is_staff=False) & ~Exists(beyond) & ~Exists(own_permissions)
    return queryset.filter(Q(pk=user.pk) | below)


class LodestarUserAdmin(UserAdmin):
    """Django's user admin, with what a non-superuser may see and change limited as the module docstring says."""

    LIMITED_FIELDSETS = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("is_active", "groups", "is_staff", "is_superuser")}),
        ("Important dates", {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        return manageable_users(request.user, super().get_queryset(request))

    def get_fieldsets(self, request, obj=None):
        if obj is None or request.user.is_superuser:
            return super().get_fieldsets(request, obj)
        return self.LIMITED_FIELDSETS

    def get_readonly_fields(self, request, obj=None):
        if request.user.is_superuser:
            return super().get_readonly_fields(request, obj)
        readonly = ["is_staff", "is_superuser", "last_login", "date_joined"]
        if obj is not None and obj.pk == request.user.pk:
            readonly += ["groups", "is_active"]  # nobody changes their own role or locks themselves out
        return readonly

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "groups" and not request.user.is_superuser:
            kwargs["queryset"] = grantable_groups(request.user)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        """Save, refusing (whatever the form let through) a superuser or a new staff member made by a non-superuser."""
        if not request.user.is_superuser:
            was = User.objects.filter(pk=obj.pk).values("is_staff", "is_superuser").first() if change else None
            was = was or {"is_staff": False, "is_superuser": False}
            if obj.is_superuser != was["is_superuser"] or obj.is_staff != was["is_staff"]:
                raise PermissionDenied("Only superusers grant superuser or staff status.")
        super().save_model(request, obj, form, change)


admin.site.unregister(User)
admin.site.register(User, LodestarUserAdmin)
