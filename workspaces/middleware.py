"""Activate the language a signed-in user chose; without a choice, the browser's language stands."""

from django.conf import settings
from django.utils import translation
from django.utils.translation.trans_real import parse_accept_lang_header


def chosen_language(user) -> str | None:
    """The user's own choice when it is one Parley still speaks, else None (never chosen, or dropped)."""
    code = getattr(user, "language", "") or ""
    if not code:
        return None
    try:
        return translation.get_supported_language_variant(code)
    except LookupError:
        return None


def browser_language(accept_language: str) -> str:
    """The first language of an Accept-Language header that Parley speaks, else LANGUAGE_CODE."""
    for code, _quality in parse_accept_lang_header(accept_language or ""):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def language_for(user, accept_language: str) -> str:
    """What a person reads outside a request (the live socket's notices): their choice, else their browser's."""
    return chosen_language(user) or browser_language(accept_language)


class UserLanguageMiddleware:
    """Runs after LocaleMiddleware (which picked a language from the cookie or Accept-Language) and after
    authentication. A member who chose a language in the sidebar gets it on every page and in every
    session; one who never chose keeps what LocaleMiddleware picked, so a Spanish browser sees Spanish."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            code = chosen_language(user)
            if code:
                translation.activate(code)
                request.LANGUAGE_CODE = code
        return self.get_response(request)
