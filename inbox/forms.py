from django import forms
from django.utils.translation import gettext_lazy as _

from kernel.text import MESSAGE_MAX_CHARS, clean_text
from workspaces.models import Membership

from .closing_limits import SUMMARY_MAX_CHARS
from .models import ClosingCategory


class CleanTextField(forms.CharField):
    """Text as it will be stored: NUL and other control characters dropped (newline and tab kept), stripped.

    Cleaning happens before validation, so a stray NUL is dropped (the contract) instead of tripping Django's
    "Null characters are not allowed", and max_length counts what is stored.
    """

    def to_python(self, value):
        return super().to_python(clean_text(value) if isinstance(value, str) else value)


class ReplyForm(forms.Form):
    body = CleanTextField(label=_("Message"), max_length=MESSAGE_MAX_CHARS, required=False, strip=True,
                          widget=forms.Textarea(attrs={"rows": 2}))
    note = forms.BooleanField(label=_("Internal note"), required=False)


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(label=_("Assign"), queryset=Membership.objects.none(), required=False,
                                      empty_label=_("Unassigned"))

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = Membership.objects.for_workspace(workspace).select_related("user")


class CloseForm(forms.Form):
    category = forms.ModelChoiceField(label=_("Category"), queryset=ClosingCategory.objects.none(),
                                      empty_label=_("Choose a category…"))
    summary = CleanTextField(label=_("Summary"), max_length=SUMMARY_MAX_CHARS, strip=True,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, workspace, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = ClosingCategory.objects.for_workspace(workspace).filter(is_active=True)
