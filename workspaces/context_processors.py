"""Template context every page needs: the mode, the workspace and the membership (no queries)."""

from django.conf import settings


def parley(request):
    membership = getattr(request, "membership", None)
    context = {"parley_mode": settings.PARLEY_MODE, "membership": membership}
    if membership is not None:
        context["workspace"] = membership.workspace
    return context
