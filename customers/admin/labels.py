"""Admin of the topic list (editable by admins: the topics the sentiment and topic model chooses from) and of the
labels staff gave interactions (read-only: a label is corrected by adding another, on the profile or by import)."""

from django.contrib import admin

from customers.models import Interaction, InteractionLabel, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "is_active", "position", "description"]
    list_editable = ["is_active", "position"]
    prepopulated_fields = {"slug": ("name",)}
    search_fields = ["name", "slug"]

    def get_readonly_fields(self, request, obj=None):
        # Labels and model results refer to the slug: renaming is by name, retiring by is_active.
        return ["slug"] if obj is not None else []

    def get_prepopulated_fields(self, request, obj=None):
        # Only the add page fills the slug in from the name: on the change page it is read-only, and admin's
        # prepopulated script would look for a form field that is not there (KeyError, a 500).
        return self.prepopulated_fields if obj is None else {}


@admin.register(InteractionLabel)
class InteractionLabelAdmin(admin.ModelAdmin):
    list_display = ["created_at", "interaction", "sentiment", "topic", "user", "source"]
    list_filter = ["source", "sentiment", "topic"]
    list_select_related = ["interaction", "topic", "user"]
    readonly_fields = ["interaction", "sentiment", "topic", "user", "source", "created_at"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(interaction__in=Interaction.objects.visible_to(request.user))
