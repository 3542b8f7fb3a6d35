"""Template context every page needs: the workspace, the membership and the switcher list."""

from django.conf import settings

from .selectors import memberships_of


def parley(request):
    membership = getattr(request, "membership", None)
    context = {"parley_mode": settings.PARLEY_MODE, "membership": membership}
    if membership is not None:
        context["workspace"] = membership.workspace
        context["user_memberships"] = memberships_of(user=request.user)
    return context
