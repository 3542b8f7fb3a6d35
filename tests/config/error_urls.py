"""A URLconf for tests/config/test_error_logging.py: views that answer 403, 404 and 500 the usual ways."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path


def forbidden(request):
    raise PermissionDenied


def not_found(request):
    raise Http404("No such thing.")


def broken(request):
    raise RuntimeError("a real bug")


urlpatterns = [
    path("forbidden/", forbidden),
    path("missing/", not_found),
    path("broken/", broken),
]
