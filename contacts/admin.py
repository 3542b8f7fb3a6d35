"""Admin for contacts and their channel identities, scoped to the admin's workspaces."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.utils.translation import gettext_lazy as _

from workspaces.admin_scoping import WorkspaceConsistentForm, WorkspaceScopedAdmin, WorkspaceScopedInline
from workspaces.models import Membership

from .models import Contact, ContactIdentity, Tag
from .services.tags import contact_tags_set


class ContactIdentityInline(WorkspaceScopedInline):
    """(channel, external id) rows: always in the contact's workspace, channels of that workspace only."""

    model = ContactIdentity
    fields = ["channel", "external_id", "created_at"]
    readonly_fields = ["created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("channel")


class ContactForm(WorkspaceConsistentForm):
    """The contact with its tags; tags are saved through contacts.services.tags (workflows react to them)."""

    tag_choices = forms.ModelMultipleChoiceField(
        label=_("Tags"), queryset=Tag.objects.none(), required=False,
        widget=FilteredSelectMultiple(_("tags"), is_stacked=False))

    class Meta:
        model = Contact
        fields = ["workspace", "name", "phone", "email"]

    def __init__(self, *args, tag_queryset=None, **kwargs):
        super().__init__(*args, **kwargs)
        queryset = tag_queryset if tag_queryset is not None else Tag.objects.none()
        if self.instance.pk:
            queryset = queryset.filter(workspace_id=self.instance.workspace_id)
            self.initial.setdefault("tag_choices", list(self.instance.tags.values_list("pk", flat=True)))
        self.fields["tag_choices"].queryset = queryset

    def clean(self):
        cleaned = super().clean()
        workspace_id = self._row_workspace_id()
        if workspace_id and any(tag.workspace_id != workspace_id for tag in cleaned.get("tag_choices") or []):
            self.add_error("tag_choices", _("Choose an item of the same workspace."))
        return cleaned


@admin.register(Contact)
class ContactAdmin(WorkspaceScopedAdmin):
    form = ContactForm
    list_display = ["__str__", "phone", "email", "created_at"]
    list_select_related: list[str] = []
    search_fields = ["name", "phone", "email", "identities__external_id"]
    list_filter = ["tags"]
    ordering = ["name", "id"]
    show_full_result_count = False
    fields = ["workspace", "name", "phone", "email", "tag_choices"]
    inlines = [ContactIdentityInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        tags = self._limit(request, Tag, Tag.objects.all())

        class ScopedContactForm(form):
            def __init__(self, *args, **inner):
                super().__init__(*args, tag_queryset=tags, **inner)

        return ScopedContactForm

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        contact = form.instance
        actor = Membership.objects.filter(workspace_id=contact.workspace_id, user=request.user).first()
        contact_tags_set(workspace=contact.workspace, contact_id=contact.pk,
                         tags=list(form.cleaned_data.get("tag_choices") or []), actor=actor)


@admin.register(Tag)
class TagAdmin(WorkspaceScopedAdmin):
    """Contact tags of the workspace ("vip", "wholesale"); put them on contacts from the contact's page."""

    list_display = ["name", "created_at"]
    search_fields = ["name"]
    fields = ["workspace", "name"]
