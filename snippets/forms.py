"""Forms for snippets: the members' page (personal snippets) and the admin (workspace snippets, files)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.text import clean_text
from workspaces.admin_scoping import WorkspaceConsistentForm

from .errors import SnippetError
from .models import BODY_MAX_CHARS, Snippet, SnippetAttachment
from .rendering import VARIABLES, unknown_variables
from .services import check_upload


def variables_help() -> str:
    return str(_("Variables: %(list)s. A value that is empty (e.g. no phone) is flagged before sending.")) % {
        "list": ", ".join("{{" + name + "}}" for name in VARIABLES)}


class SnippetFieldsMixin:
    """Shortcut normalised ("/Hello " → "hello"), text cleaned, unknown variables refused."""

    def clean_shortcut(self) -> str:
        return (self.cleaned_data.get("shortcut") or "").strip().lstrip("/").lower()

    def clean_name(self) -> str:
        return " ".join((self.cleaned_data.get("name") or "").split())

    def clean_body(self) -> str:
        body = clean_text(self.cleaned_data.get("body") or "")
        unknown = unknown_variables(body)
        if unknown:
            raise forms.ValidationError(
                _("Unknown variable %(names)s. Use one of: %(known)s."),
                params={"names": ", ".join("{{" + n + "}}" for n in unknown),
                        "known": ", ".join("{{" + n + "}}" for n in VARIABLES)},
                code="unknown_variable",
            )
        return body

    def _get_validation_exclusions(self):
        # The workspace and the owner are set on the instance, not posted; the unique shortcut
        # constraints that include them must still be checked here rather than end as IntegrityError.
        exclude = super()._get_validation_exclusions()
        exclude.discard("workspace")
        exclude.discard("owner")
        return exclude


def _file_error(upload) -> forms.ValidationError | None:
    try:
        check_upload(upload=upload)
    except SnippetError as exc:
        return forms.ValidationError(str(exc), code="file")
    return None


class PersonalSnippetForm(SnippetFieldsMixin, forms.ModelForm):
    """A member's own snippet: the instance comes with its workspace and owner set by the view."""

    file = forms.FileField(label=_("Add a file"), required=False,
                           help_text=_("Optional: sent with the text whenever you use this snippet."))
    remove = forms.TypedMultipleChoiceField(label=_("Remove files"), required=False, coerce=int,
                                            widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = Snippet
        fields = ["name", "shortcut", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 5, "maxlength": BODY_MAX_CHARS})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["body"].help_text = variables_help()
        attachments = list(self.instance.attachments.all()) if self.instance.pk else []
        self.fields["remove"].choices = [(a.pk, a.name) for a in attachments]
        if not attachments:
            del self.fields["remove"]

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if upload:
            error = _file_error(upload)
            if error:
                raise error
        return upload


class SnippetAdminForm(SnippetFieldsMixin, WorkspaceConsistentForm):
    """A workspace snippet in the admin (no owner)."""

    class Meta:
        model = Snippet
        fields = ["workspace", "name", "shortcut", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "body" in self.fields:
            self.fields["body"].help_text = variables_help()


class SnippetAttachmentAdminForm(WorkspaceConsistentForm):
    """Upload a file for a snippet: the type is sniffed from its bytes, stored under a random name."""

    upload = forms.FileField(label=_("File"), required=False, widget=forms.FileInput)

    class Meta:
        model = SnippetAttachment
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False
        self.fields["name"].help_text = _("Shown to the contact; defaults to the uploaded file's name.")
        if self.instance.pk:
            self.fields["upload"].help_text = _("Leave empty to keep the current file.")

    def clean(self):
        cleaned = super().clean()
        upload = cleaned.get("upload")
        if upload:
            try:
                name, content_type, size = check_upload(upload=upload)
            except SnippetError as exc:
                self.add_error("upload", str(exc))
                return cleaned
            self.instance.content_type, self.instance.size = content_type, size
            if not cleaned.get("name"):
                cleaned["name"] = name
        elif not self.instance.pk:
            self.add_error("upload", _("Choose a file."))
        elif not cleaned.get("name"):
            cleaned["name"] = self.instance.name
        return cleaned

    def save(self, commit: bool = True):
        upload = self.cleaned_data.get("upload")
        instance = super().save(commit=False)
        if upload:
            instance.file.save(instance.name, upload, save=False)
        if commit:
            instance.save()
        return instance
