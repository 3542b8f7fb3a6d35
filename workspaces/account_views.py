"""A person's own account: accepting an invitation, changing and resetting the password."""

from __future__ import annotations

import hashlib

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from . import throttle
from .forms import ForgotPasswordForm, InvitationSignupForm
from .models import User
from .services import InvitationError, invitation_accept, password_changed, signup_link_allowed
from .services.invitations import check_open, invitation_by_token

# The page an invitation error shows, and its status: unknown links are 404, spent ones 410 (Gone).
_ERROR_STATUS = {"unknown": 404, "used": 410, "revoked": 410, "expired": 410}


def _error_page(request: HttpRequest, error: InvitationError) -> HttpResponse:
    status = _ERROR_STATUS.get(error.code, 400)
    return render(request, "workspaces/invitation.html", {"error": str(error), "code": error.code}, status=status)


@never_cache
@csrf_protect
@sensitive_post_parameters("new_password1", "new_password2")
def invitation(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows what the link offers; POST accepts it (join, or create the account and join)."""
    try:
        invite = check_open(invitation_by_token(token))
    except InvitationError as exc:
        return _error_page(request, exc)
    workspace = invite.workspace
    context = {"invitation": invite, "workspace": workspace, "role": invite.get_role_display()}
    user = request.user if request.user.is_authenticated else None
    if user is not None:
        context["state"] = "join" if user.email.lower() == invite.email else "other_account"
        if request.method == "POST" and context["state"] == "join":
            try:
                membership = invitation_accept(token=token, user=user)
            except InvitationError as exc:
                return _error_page(request, exc)
            messages.success(request, _("Welcome to %(workspace)s.") % {"workspace": workspace.name})
            return redirect("workspace_home", slug=membership.workspace.slug)
        return render(request, "workspaces/invitation.html", context,
                      status=400 if request.method == "POST" else 200)
    existing = User.objects.filter(email=invite.email).first()
    if not signup_link_allowed(user=existing, workspace=workspace):
        context["state"] = "sign_in"
        context["login_url"] = f"{reverse('login')}?next={request.path}"
        return render(request, "workspaces/invitation.html", context)
    context["state"] = "signup"
    form = InvitationSignupForm(request.POST or None, email=invite.email,
                                initial={"display_name": invite.display_name})
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "workspaces/invitation.html", {**context, "form": form}, status=400)
        try:
            membership = invitation_accept(token=token, user=None, password=form.cleaned_data["new_password1"],
                                           display_name=form.cleaned_data["display_name"])
        except InvitationError as exc:
            return _error_page(request, exc)
        login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
        return redirect("workspace_home", slug=membership.workspace.slug)
    return render(request, "workspaces/invitation.html", {**context, "form": form})


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change your password: this session stays signed in; every other session and socket ends."""

    template_name = "workspaces/password_change.html"
    success_url = reverse_lazy("password_change_done")

    def form_valid(self, form):
        old_key = self.request.session.session_key  # update_session_auth_hash cycles it: keep this tab's socket
        response = super().form_valid(form)
        password_changed(user=form.user, keep_session_key=old_key, new_session_key=self.request.session.session_key)
        return response


class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "workspaces/password_change_done.html"


# Forgot-password throttling: per client address and per email, so neither a flood from one place nor
# a slow spray at one person's inbox gets through.
RESET_PER_IP = (10, 3600)
RESET_PER_EMAIL = (3, 3600)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


class ForgotPasswordView(auth_views.PasswordResetView):
    """Ask for a reset link by email. The answer never says whether the email has an account."""

    form_class = ForgotPasswordForm
    template_name = "workspaces/password_reset.html"
    email_template_name = "workspaces/email/password_reset.txt"
    html_email_template_name = "workspaces/email/password_reset.html"
    subject_template_name = "workspaces/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    def form_valid(self, form):
        ip = self.request.META.get("REMOTE_ADDR", "")
        waits = [throttle.hit(f"reset-ip:{_digest(ip)}", limit=RESET_PER_IP[0], window=RESET_PER_IP[1]),
                 throttle.hit(f"reset-email:{_digest(form.cleaned_data['email'])}", limit=RESET_PER_EMAIL[0],
                              window=RESET_PER_EMAIL[1])]
        wait = max((w for w in waits if w), default=None)
        if wait:
            minutes = max(1, round(wait / 60))
            form.add_error(None, _("Too many reset requests. Try again in %(minutes)d minutes.")
                           % {"minutes": minutes})
            response = self.render_to_response(self.get_context_data(form=form), status=429)
            response["Retry-After"] = str(wait)
            return response
        return super().form_valid(form)


class ForgotPasswordSentView(auth_views.PasswordResetDoneView):
    template_name = "workspaces/password_reset_sent.html"
