"""GET /w/<slug>/emoji.json: the picker's searchable emoji list, built once per language and cached."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils import translation
from django.views.decorators.http import require_safe

from workspaces.access import workspace_member_required

from .data import payload


def _language(request: HttpRequest) -> str:
    """The `lang` asked for when the UI offers it (so the URL alone decides the body), else the active one."""
    offered = {code for code, _name in settings.LANGUAGES}
    asked = request.GET.get("lang", "")
    if asked in offered:
        return asked
    active = (translation.get_language() or "en").split("-")[0]
    return active if active in offered else "en"


@workspace_member_required
@require_safe
def emoji_list(request: HttpRequest, slug: str) -> HttpResponse:
    data = payload(_language(request))
    if data.etag in {tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")}:
        response = HttpResponseNotModified()
    else:
        gzipped = "gzip" in request.headers.get("Accept-Encoding", "")
        response = HttpResponse(data.gzipped if gzipped else data.body, content_type="application/json; charset=utf-8")
        if gzipped:
            response["Content-Encoding"] = "gzip"
    response["ETag"] = data.etag
    response["Vary"] = "Accept-Encoding"
    # The URL carries the data version and the language, so the browser may keep it for a day.
    response["Cache-Control"] = "private, max-age=86400"
    return response
