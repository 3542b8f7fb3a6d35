"""Emails Parley sends to people: plain text with an HTML alternative, in the recipient's language."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation

from .models import Invitation, User


def _language_for(email: str) -> str:
    """The invitee's own language when they have an account, else the sender's active language."""
    user = User.objects.filter(email=email).only("language").first()
    return user.language if user is not None and user.language else (translation.get_language() or "en")


def send_invitation(*, invitation: Invitation, link: str) -> None:
    """Email an invitation link. Raises on an SMTP failure (the admin sees it and can resend)."""
    with translation.override(_language_for(invitation.email)):
        context = {
            "invitation": invitation,
            "workspace": invitation.workspace,
            "inviter": invitation.invited_by.name if invitation.invited_by else "",
            "role": invitation.get_role_display(),
            "link": link,
            "expires_at": invitation.expires_at,
        }
        subject = render_to_string("workspaces/email/invitation_subject.txt", context).strip()
        text = render_to_string("workspaces/email/invitation.txt", context)
        html = render_to_string("workspaces/email/invitation.html", context)
    message = EmailMultiAlternatives(" ".join(subject.split()), text, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    message.attach_alternative(html, "text/html")
    message.send()
