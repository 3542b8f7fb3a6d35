"""Sign-in, sign-out, the workspace picker and the language choice."""

from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView, PasswordResetConfirmView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from .access import workspace_member_required
from .forms import LanguageForm, LoginForm
from .selectors import memberships_of
from .services import password_changed, session_ended, user_set_language


class ParleyLoginView(LoginView):
    form_class = LoginForm
    template_name = "workspaces/login.html"
    redirect_authenticated_user = True


class SetPasswordView(PasswordResetConfirmView):
    """The link of a "Forgot password?" email (or an admin's set-password link for an account that never
    had one): choose a password, then sign in. Every other session and live socket of the account ends."""

    template_name = "workspaces/set_password.html"
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = "/"

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(user=form.user, keep_session_key=None, reset=True)
        return response


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    session_key, user_id = request.session.session_key, request.user.pk  # read first: logout() flushes them
    logout(request)
    # After the session is gone, so a socket connecting meanwhile is refused by its own check.
    session_ended(user_id=user_id, session_key=session_key)
    return redirect("login")


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """One workspace: go straight to its inbox. Several: pick one. None: say so."""
    memberships = memberships_of(user=request.user)
    if len(memberships) == 1 and "pick" not in request.GET:
        return redirect("workspace_home", slug=memberships[0].workspace.slug)
    return render(request, "workspaces/pick.html", {"memberships": memberships})


@workspace_member_required
def workspace_home(request: HttpRequest, slug: str) -> HttpResponse:
    return redirect("inbox:queue", slug=slug)


@login_required
@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    form = LanguageForm(request.POST)
    if form.is_valid():
        user_set_language(user=request.user, language=form.cleaned_data["language"])
    nxt = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        nxt = reverse("home")
    return redirect(nxt)
