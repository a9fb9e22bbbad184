"""Saved filters: a user's named queries on the customer list, such as "My lapsed VIPs"."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SavedFilter(models.Model):
    """A named query string of the customer list, private to the user who saved it. Opening it still goes
    through the list's visibility rule, so a saved filter never shows more than its user may see."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_customer_filters", db_index=False
    )
    name = models.CharField(max_length=80)
    query = models.CharField(max_length=2000, blank=True, help_text="The list's query string, without the page.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "name"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="savedfilter_user_name_unique")]

    def __str__(self) -> str:
        return self.name
