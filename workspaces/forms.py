from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .models import User


class LoginForm(AuthenticationForm):
    """Email + password. Emails are matched case-insensitively (stored lower-case)."""

    username = forms.EmailField(
        label=_("Email"), widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )

    def clean_username(self) -> str:
        return self.cleaned_data["username"].strip().lower()


class LanguageForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class InvitationSignupForm(forms.Form):
    """A brand-new invitee chooses the name others see and a password."""

    display_name = forms.CharField(label=_("Your name"), max_length=120, required=False,
                                   widget=forms.TextInput(attrs={"autocomplete": "name"}))
    new_password1 = forms.CharField(label=_("Password"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    new_password2 = forms.CharField(label=_("Password again"), strip=False,
                                    widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def __init__(self, *args, email: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self):
        cleaned = super().clean()
        first, second = cleaned.get("new_password1"), cleaned.get("new_password2")
        if first and second and first != second:
            self.add_error("new_password2", _("The two passwords do not match."))
        elif first:
            probe = User(email=self.email, display_name=cleaned.get("display_name") or "")
            try:
                password_validation.validate_password(first, user=probe)
            except forms.ValidationError as exc:
                self.add_error("new_password1", exc)
        return cleaned


class ForgotPasswordForm(PasswordResetForm):
    """Django's reset form, with our label and email templates (plain text + HTML, translated)."""

    email = forms.EmailField(label=_("Email"), max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}))

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def send_mail(self, subject_template_name, email_template_name, context, from_email, to_email,
                  html_email_template_name=None):
        """In the account's chosen language, else the one the asking browser reads (the request's), with links
        on PUBLIC_BASE_URL (never the request's Host header)."""
        context = {**context, "public_base_url": settings.PUBLIC_BASE_URL}
        with translation.override(context["user"].language or translation.get_language() or settings.LANGUAGE_CODE):
            super().send_mail(subject_template_name, email_template_name, context, from_email, to_email,
                              html_email_template_name)
