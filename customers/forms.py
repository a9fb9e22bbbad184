"""The customers app's forms: saving a list filter; editing a customer's tags, owner and consent and logging an
interaction from the profile; choosing which orders to export; and uploading a file to import (admin)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import QueryDict
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from crm import roles
from crm.dates import validate_in_range
from customers.filters import saved_query
from customers.importing.source import ENCODINGS
from customers.models import Customer, ImportRun, Interaction, SavedFilter
from customers.validation import validate_content, validate_not_in_the_future

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
    """Who may own customers: the active sales reps (a manager or an admin sees every customer already, so owning
    one would put it in nobody's book)."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.SALES_REP)
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


class InteractionForm(forms.ModelForm):
    """What a rep writes down after talking to a customer; when defaults to now."""

    occurred_at = forms.DateTimeField(required=False, validators=[validate_in_range], help_text="Leave empty for now.")
    kind = forms.ChoiceField(choices=Interaction.Kind.choices, initial=Interaction.Kind.CALL)  # no blank choice

    class Meta:
        model = Interaction
        fields = ["kind", "direction", "subject", "body", "occurred_at"]

    def clean_occurred_at(self):
        when = self.cleaned_data.get("occurred_at") or timezone.now()
        validate_not_in_the_future(when)
        return when

    def clean(self):
        cleaned = super().clean()
        validate_content(cleaned.get("subject"), cleaned.get("body"))
        return cleaned


class ImportUploadForm(forms.ModelForm):
    """The import admin's upload form (customers/admin/transfers.py): a file, its format and how strict to be."""

    class Meta:
        model = ImportRun
        fields = ["upload", "format", "strict", "encoding"]
        help_texts = {
            "encoding": "Leave empty to detect it (UTF-8, UTF-16 or UTF-32 by their byte-order mark, else UTF-8 or "
            "Windows-1252), or name it: utf-8, cp1252, latin-1, utf-16, utf-32..."
        }

    def clean_upload(self):
        upload = self.cleaned_data["upload"]
        if not upload:
            raise forms.ValidationError("Choose a CSV file (plain or .gz) to import.")
        limit = settings.IMPORT_MAX_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                f"{upload.name} is {filesizeformat(upload.size)}; the limit is {filesizeformat(limit)} "
                "(IMPORT_MAX_UPLOAD_MB). Import larger files with manage.py import_orders."
            )
        return upload

    def clean_encoding(self):
        encoding = (self.cleaned_data.get("encoding") or "").strip().lower()
        if encoding and encoding not in ENCODINGS:
            known = ", ".join(sorted(set(ENCODINGS.values())))
            raise forms.ValidationError(f"Use one of {known}, or leave it empty to detect it.")
        return ENCODINGS.get(encoding, "")
