"""Small server-rendered forms of the customer pages: saving a list filter, and editing a customer's tags,
owner and consent from the profile."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.http import QueryDict

from customers.filters import saved_query
from customers.models import Customer, SavedFilter

MAX_SAVED_FILTERS = 50


class SavedFilterForm(forms.Form):
    """A name for the list's current query. The query itself is taken from the list's own filters."""

    name = forms.CharField(max_length=SavedFilter._meta.get_field("name").max_length, label="Name this filter")
    query = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self) -> str:
        """Trimmed, with inner runs of spaces folded, and not one the user already has."""
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the filter a name.")
        if SavedFilter.objects.filter(user=self.user, name=name).exists():
            raise forms.ValidationError(f"You already have a saved filter named “{name}”; choose another name.")
        return name

    def clean_query(self) -> str:
        """Only the list's own filters and sort are kept (customers/filters.py `saved_query`)."""
        query = saved_query(QueryDict(self.cleaned_data.get("query") or ""))
        limit = SavedFilter._meta.get_field("query").max_length
        if len(query) > limit:
            raise forms.ValidationError(f"This filter is too long to save (over {limit} characters).")
        return query

    def clean(self):
        """Refuse a save beyond the per-user limit, so a script cannot fill the table."""
        cleaned = super().clean()
        if SavedFilter.objects.filter(user=self.user).count() >= MAX_SAVED_FILTERS:
            raise forms.ValidationError(f"You have {MAX_SAVED_FILTERS} saved filters; delete one first.")
        return cleaned


class TagForm(forms.Form):
    """The name of a tag to put on a customer: an existing tag (any case) or a new one."""

    name = forms.CharField(max_length=64, label="Add a tag")

    def clean_name(self) -> str:
        """Trimmed, with inner runs of spaces folded."""
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Write the tag's name.")
        return name


def owner_candidates():
    """Active users who may work on customers (anyone with the change permission, superusers included);
    distinct, as a user may hold the permission through two groups."""
    return (
        get_user_model()
        .objects.with_perm("customers.change_customer", is_active=True)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )


class OwnerChoiceField(forms.ModelChoiceField):
    """Users shown by their full name, or their username when they have none."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class OwnerForm(forms.Form):
    """Who owns the customer; empty means unassigned."""

    owner = OwnerChoiceField(queryset=None, required=False, empty_label="Unassigned", label="Owner")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = owner_candidates()


class ConsentForm(forms.ModelForm):
    """The customer's consent flags; an unticked box withdraws the consent."""

    class Meta:
        model = Customer
        fields = ["marketing_consent", "profiling_consent"]
        labels = {
            "marketing_consent": "Agreed to receive marketing",
            "profiling_consent": "May be scored by the models",
        }
        help_texts = {"marketing_consent": "", "profiling_consent": ""}  # the profile writes its own help
