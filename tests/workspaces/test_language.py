"""A member who never chose a language follows the browser (Accept-Language); choosing one overrides it."""

from __future__ import annotations

import importlib
import re
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.tokens import default_token_generator
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from tests import factories as f
from workspaces.middleware import browser_language, chosen_language, language_for
from workspaces.models import User

SPANISH_BROWSER = "es-ES,es;q=0.9,en;q=0.5"
ENGLISH_BROWSER = "en-GB,en;q=0.8"


def _lang(response) -> str:
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


def test_a_new_user_has_not_chosen_a_language(db):
    assert User._meta.get_field("language").default == ""
    assert f.make_user().language == ""


@pytest.mark.parametrize(("browser", "expected"), [(SPANISH_BROWSER, "es"), (ENGLISH_BROWSER, "en"), ("fr-FR", "en")])
def test_a_member_who_never_chose_follows_the_browser(client_for, demo, browser, expected):
    client = client_for(demo.agent)
    response = client.get(f"/w/{demo.slug}/messages/", HTTP_ACCEPT_LANGUAGE=browser)
    assert _lang(response) == expected
    assert response["Content-Language"] == expected
    assert "Accept-Language" in response["Vary"]  # a cache must not hand one person's language to another


@pytest.mark.parametrize(("chosen", "browser"), [("en", SPANISH_BROWSER), ("es", ENGLISH_BROWSER)])
def test_a_chosen_language_overrides_the_browser(client_for, demo, chosen, browser):
    demo.agent.user.language = chosen
    demo.agent.user.save(update_fields=["language"])
    assert _lang(client_for(demo.agent).get(f"/w/{demo.slug}/messages/", HTTP_ACCEPT_LANGUAGE=browser)) == chosen


def test_choosing_in_a_spanish_browser_then_signing_in_again_keeps_the_choice(demo):
    browser = Client(HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER)
    browser.force_login(demo.agent.user)
    assert _lang(browser.get(f"/w/{demo.slug}/messages/")) == "es"

    browser.post("/account/language/", {"language": "en", "next": f"/w/{demo.slug}/messages/"})
    assert _lang(browser.get(f"/w/{demo.slug}/messages/")) == "en"

    browser.logout()
    browser.force_login(User.objects.get(pk=demo.agent.user.pk))
    assert _lang(browser.get(f"/w/{demo.slug}/messages/")) == "en"


def test_a_stored_language_parley_no_longer_speaks_falls_back_to_the_browser(client_for, demo):
    User.objects.filter(pk=demo.agent.user.pk).update(language="fr")
    assert chosen_language(User.objects.get(pk=demo.agent.user.pk)) is None
    assert _lang(client_for(demo.agent).get(f"/w/{demo.slug}/messages/", HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER)) == "es"


def test_anonymous_pages_follow_the_browser(client, db):
    assert _lang(client.get("/login/", HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER)) == "es"


def test_the_language_helpers_outside_a_request():
    assert browser_language(SPANISH_BROWSER) == "es"
    assert browser_language("de-DE, fr;q=0.8") == "en"  # nothing Parley speaks: the default
    assert browser_language("") == "en"
    assert browser_language("*") == "en"
    assert language_for(SimpleNamespace(language=""), "es") == "es"
    assert language_for(SimpleNamespace(language="en"), "es") == "en"


def test_the_switch_is_one_button_per_language_that_applies_at_once(client_for, demo):
    page = client_for(demo.agent).get(f"/w/{demo.slug}/messages/", HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER)
    html = page.content.decode()
    form = html.split('class="language-form"', 1)[1].split("</form>", 1)[0]
    buttons = re.findall(r'<button type="submit" name="language" value="(\w+)"[^>]*?( aria-current="true")?>', form)
    assert buttons == [("en", ""), ("es", ' aria-current="true"')]  # the browser's language is the current one
    assert "Cambiar</button>" not in form and ">Change<" not in form  # no separate "Change" step
    assert "<select" not in form  # an arrow key on a select would reload the page at each step


# ---- the migration that makes "not chosen" representable --------------------------------------------


def test_the_migration_forgets_only_the_former_default(db):
    migration = importlib.import_module("workspaces.migrations.0003_language_not_chosen")
    defaulted, chose_spanish = f.make_user(), f.make_user()
    User.objects.filter(pk=defaulted.pk).update(language="en")
    User.objects.filter(pk=chose_spanish.pk).update(language="es")
    editor = SimpleNamespace(connection=connection)

    migration.forget_the_default(apps, editor)
    assert User.objects.get(pk=defaulted.pk).language == ""
    assert User.objects.get(pk=chose_spanish.pk).language == "es"

    migration.restore_the_default(apps, editor)
    assert User.objects.get(pk=defaulted.pk).language == "en"
    assert User.objects.get(pk=chose_spanish.pk).language == "es"


# ---- the login form's aria-describedby -------------------------------------------------------------


def _described_ids_exist(html: str) -> list[str]:
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    referenced = [i for value in re.findall(r'aria-describedby="([^"]*)"', html) for i in value.split()]
    return [i for i in referenced if i not in ids]


@pytest.mark.parametrize("data", [{"username": "", "password": ""}, {"username": "not-an-email", "password": "x"},
                                  {"username": "nobody@example.test", "password": "wrong-password"}])
def test_login_errors_are_described_only_by_elements_that_exist(client, db, data):
    response = client.post("/login/", data)
    html = response.content.decode()
    assert response.status_code == 200
    assert _described_ids_exist(html) == []
    if not data["username"]:
        assert 'aria-describedby="id_username_error"' in html and 'id="id_username_error"' in html


def test_set_password_page_describes_its_fields_with_elements_that_exist(demo, client):
    user = demo.agent.user
    uid, token = urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
    link = f"/account/password/{uid}/{token}/"
    page = client.get(link, follow=True)
    assert page.status_code == 200 and 'name="new_password1"' in page.content.decode()
    assert _described_ids_exist(page.content.decode()) == []
    errors = client.post(page.redirect_chain[-1][0], {"new_password1": "short", "new_password2": "other"})
    assert 'class="field-error"' in errors.content.decode()
    assert _described_ids_exist(errors.content.decode()) == []


def test_a_reset_email_for_someone_who_never_chose_reads_like_the_page_they_asked_from(demo, client):
    cache.clear()  # the forgot-password throttle
    client.post("/login/forgot/", {"email": demo.agent.user.email}, HTTP_ACCEPT_LANGUAGE=SPANISH_BROWSER)
    assert "contraseña" in mail.outbox[-1].subject.lower()
    client.post("/login/forgot/", {"email": demo.agent2.user.email}, HTTP_ACCEPT_LANGUAGE=ENGLISH_BROWSER)
    assert "password" in mail.outbox[-1].subject.lower()
    cache.clear()
