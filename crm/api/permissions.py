"""Who may call an endpoint: the role's model permissions, view included (crm/roles.py declares them).

Reading needs the model's `view_` permission, writing its `add_`, `change_` or `delete_`, checked before the view
runs, so a refused write touches nothing. Which rows a permitted user sees is the queryset's business
(`visible_to`): a record they may not see answers 404.
"""

from __future__ import annotations

from rest_framework.permissions import DjangoModelPermissions


class ModelPermissions(DjangoModelPermissions):
    """Django model permissions for every method, reads included. A view may name another model whose
    permissions govern it (`permission_model`): the scores of a customer follow the customer, as on the profile."""

    perms_map = {
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
        "POST": ["%(app_label)s.add_%(model_name)s"],
        "PUT": ["%(app_label)s.change_%(model_name)s"],
        "PATCH": ["%(app_label)s.change_%(model_name)s"],
        "DELETE": ["%(app_label)s.delete_%(model_name)s"],
    }

    def has_permission(self, request, view) -> bool:
        """Signed in, active, and holding the permissions the method needs on the view's model."""
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        model = getattr(view, "permission_model", None) or view.queryset.model
        return user.has_perms(self.get_required_permissions(request.method, model))
