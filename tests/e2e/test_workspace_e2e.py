"""The agent's workspace on a phone (390×844) and a desktop (1440×900): no sideways scrolling, the menu
button, one pane at a time with "Back to conversations", the keyboard shortcuts and their dialog, focus in
the composer after a keyboard open, the tab kept, the language of the browser until one is chosen; axe on
every new state in English and Spanish."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import requests
from django.contrib.auth.tokens import default_token_generator
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from inbox.models import Conversation
from inbox.services.closing import conversation_close
from tests import factories as f
from tests.factories import PASSWORD
from workspaces.models import User
from workspaces.services.invitations import invitation_create

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
BROWSER_LOCALE = {"en": "en-US", "es": "es-ES"}


EN_CLOCK = r"(1[0-2]|[1-9]):[0-5]\d [AP]M"  # "9:18 PM": 12-hour, no leading zero
ES_CLOCK = r"([01]\d|2[0-3]):[0-5]\d"  # "21:18", "09:05"


def _(language: str, text: str) -> str:
    """The name a control has in that language (the catalogue's, so the test holds before and after
    the lead translates a new string)."""
    with translation.override(language):
        return gettext(text)


def _seed(demo) -> dict[str, Conversation]:
    channel = f.make_channel(demo.workspace, "api", name="Shop API")
    now = timezone.now()
    made = {}
    people = ((3, "Ana García", demo.agent), (2, "Bruno Díaz", demo.agent), (1, "Carla Rossi", None))
    for minutes, name, assignee in people:
        contact = f.make_contact(demo.workspace, channel, name=name, email=f"{name.split()[0].lower()}@example.com",
                                 phone="+34600000001")
        conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact, assignee=assignee,
                                           text=f"Hola, soy {name} y tengo una pregunta larga sobre mi pedido")
        Conversation.objects.filter(pk=conversation.pk).update(last_activity_at=now - timedelta(minutes=minutes))
        made[name] = conversation
    closed = f.make_conversation(demo.workspace, channel=channel,
                                 contact=f.make_contact(demo.workspace, channel, name="Diego López"))
    conversation_close(workspace=demo.workspace, conversation_id=closed.pk, category=f.make_category(demo.workspace),
                       summary="Answered the question; nothing else pending.", actor=demo.agent)
    made["closed"] = closed
    return made


def sign_in(page: Page, email: str) -> Page:
    """The real login form in whatever language the browser asks for."""
    page.goto("/login/")
    page.locator("#id_username").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").click()
    assert "/login" not in page.url, page.url
    return page


def no_sideways_scroll(page: Page) -> None:
    scroll, inner = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner, f"{page.url} scrolls sideways: {scroll}px of content in a {inner}px viewport"


def tab_until(page: Page, selector: str, limit: int = 80) -> None:
    """Press Tab, as a keyboard-only person does, until the focused element matches selector."""
    for _i in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} was never reached with Tab")


# ---- no page scrolls sideways ------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390x844", "1440x900"])
def test_no_page_scrolls_sideways(demo, new_page, axe_check, viewport):
    made = _seed(demo)
    contact = made["Ana García"].contact
    page = sign_in(new_page(viewport=viewport), demo.supervisor.user.email)
    for path in ("/w/demo/messages/", f"/w/demo/messages/{made['Ana García'].pk}/", "/w/demo/contacts/",
                 f"/w/demo/contacts/{contact.pk}/", "/w/demo/review/", "/w/demo/snippets/",
                 f"/w/demo/messages/{made['closed'].pk}/"):
        page.goto(path)
        page.wait_for_load_state("networkidle")
        no_sideways_scroll(page)
        axe_check(page)

    invited = invitation_create(workspace=demo.workspace, email="new.person@example.com", role="agent", invited_by=None)
    user = demo.agent2.user
    uid, token = urlsafe_base64_encode(force_bytes(user.pk)), default_token_generator.make_token(user)
    reset = f"/account/password/{uid}/{token}/"
    anonymous = new_page(viewport=viewport)
    for path in ("/login/", "/login/forgot/", reset, f"/invite/{invited.token}/"):
        anonymous.goto(path)
        expect(anonymous.locator("form button[type=submit]").first).to_be_visible()
        no_sideways_scroll(anonymous)
        axe_check(anonymous)


# ---- the navigation behind "Menu" on a phone ------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_menu_button_opens_and_closes_the_navigation_on_a_phone(demo, new_page, axe_check, language):
    _seed(demo)
    page = sign_in(new_page(viewport=PHONE, locale=BROWSER_LOCALE[language]), demo.agent.user.email)
    menu = page.get_by_role("button", name=_(language, "Menu"))
    messages = page.get_by_role("link", name=_(language, "Messages"), exact=True)
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(messages).to_be_hidden()

    menu.click()
    expect(menu).to_have_attribute("aria-expanded", "true")
    expect(messages).to_be_visible()
    expect(page.get_by_role("link", name=_(language, "Contacts"), exact=True)).to_be_visible()
    no_sideways_scroll(page)
    axe_check(page)

    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(messages).to_be_hidden()

    # By keyboard: Enter opens it, Tab walks into it, Escape closes it and focus goes back to the button.
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(messages).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_be_focused()
    expect(menu).to_have_attribute("aria-expanded", "false")


def test_on_a_desktop_the_navigation_shows_without_a_menu_button(demo, new_page):
    page = sign_in(new_page(viewport=DESKTOP), demo.agent.user.email)
    expect(page.get_by_role("link", name="Messages", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Menu")).to_be_hidden()


# ---- one pane at a time on a phone -------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_phone_shows_the_queue_or_the_conversation_with_back_to_conversations(demo, new_page, axe_check, language):
    made = _seed(demo)
    page = sign_in(new_page(viewport=PHONE, locale=BROWSER_LOCALE[language]), demo.agent.user.email)
    page.goto("/w/demo/messages/?tab=mine")
    queue = page.locator("#queue-list")
    expect(queue.get_by_role("link", name=re.compile("^Bruno Díaz"))).to_be_visible()
    expect(page.locator("section.conversation")).to_be_hidden()
    axe_check(page)

    queue.get_by_role("link", name=re.compile("^Bruno Díaz")).click()
    expect(page).to_have_url(re.compile(rf"/messages/{made['Bruno Díaz'].pk}/\?tab=mine$"))
    expect(page.get_by_role("log", name=_(language, "Conversation history"))).to_be_visible()
    expect(page.locator("#queue-panel")).to_be_hidden()
    composer = page.get_by_role("textbox", name=_(language, "Message"))
    box = composer.bounding_box()
    assert box and box["width"] >= 0.6 * PHONE["width"], box
    no_sideways_scroll(page)
    axe_check(page)

    page.get_by_role("link", name=_(language, "Back to conversations")).click()
    expect(page).to_have_url(re.compile(r"/w/demo/messages/\?tab=mine$"))
    expect(page.locator('.tabs a[data-tab="mine"]')).to_have_attribute("aria-current", "page")
    expect(queue).to_be_visible()


def test_a_desktop_shows_both_panes_and_no_back_link(demo, new_page):
    made = _seed(demo)
    page = sign_in(new_page(viewport=DESKTOP), demo.agent.user.email)
    page.goto(f"/w/demo/messages/{made['Ana García'].pk}/")
    expect(page.locator("#queue-list")).to_be_visible()
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()
    expect(page.get_by_role("link", name="Back to conversations")).to_be_hidden()


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_empty_pane_shows_counts_and_shortcuts(demo, new_page, axe_check, language):
    _seed(demo)
    page = sign_in(new_page(viewport=DESKTOP, locale=BROWSER_LOCALE[language]), demo.agent.user.email)
    page.goto("/w/demo/messages/?tab=all")
    pane = page.locator(".conversation-empty")
    expect(pane.get_by_role("heading", name=_(language, "No conversation open"))).to_be_visible()
    expect(pane.locator('[data-count-copy="mine"]')).to_have_text("2")
    expect(pane.locator('[data-count-copy="unassigned"]')).to_have_text("1")
    expect(pane.get_by_role("link", name=re.compile("^2 "))).to_have_attribute("href", "/w/demo/messages/?tab=mine")
    expect(pane.locator("kbd", has_text="?")).to_be_visible()
    axe_check(page)


# ---- keyboard --------------------------------------------------------------------------------------------


def test_keyboard_only_open_puts_focus_in_the_composer_and_keeps_the_tab(demo, new_page):
    made = _seed(demo)
    page = sign_in(new_page(viewport=DESKTOP), demo.agent.user.email)
    page.goto("/w/demo/messages/?tab=mine")
    tab_until(page, "#queue-list .queue-row a")
    first = page.evaluate("() => document.activeElement.closest('.queue-row').dataset.conversationId")
    assert first == str(made["Bruno Díaz"].pk)  # the newest of Mine comes first
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(rf"/messages/{first}/\?tab=mine$"))
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    expect(page.locator('.tabs a[data-tab="mine"]')).to_have_attribute("aria-current", "page")
    expect(page.locator('.tabs a[data-tab="all"]')).not_to_have_attribute("aria-current", "page")
    expect(page.locator(f"#conv-row-{first} a")).to_have_attribute("aria-current", "page")
    expect(page.locator(f"#conv-row-{made['Ana García'].pk} a")).to_have_attribute("href", re.compile(r"\?tab=mine$"))

    # j opens the next conversation of the tab, in the composer again; typing there never triggers one.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("j")
    expect(page).to_have_url(re.compile(rf"/messages/{made['Ana García'].pk}/\?tab=mine$"))
    composer = page.get_by_role("textbox", name="Message")
    expect(composer).to_be_focused()
    composer.press_sequentially("jk?1")
    expect(composer).to_have_value("jk?1")
    expect(page).to_have_url(re.compile(rf"/messages/{made['Ana García'].pk}/\?tab=mine$"))
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_hidden()

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("k")
    expect(page).to_have_url(re.compile(rf"/messages/{made['Bruno Díaz'].pk}/\?tab=mine$"))


def test_shortcuts_assign_to_me_close_focus_the_composer_and_switch_tabs(demo, new_page):
    made = _seed(demo)
    page = sign_in(new_page(viewport=DESKTOP), demo.agent.user.email)
    page.goto(f"/w/demo/messages/{made['Carla Rossi'].pk}/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    page.locator("#conversation-title").click()  # focus on the page, not in a field

    page.keyboard.press("a")
    expect(page.locator("#assignee-name")).to_have_text(demo.agent.display_name)
    expect(page.locator("#live-announcer")).to_have_text(demo.agent.display_name)
    made["Carla Rossi"].refresh_from_db()
    assert made["Carla Rossi"].assignee_id == demo.agent.pk
    page.keyboard.press("a")
    expect(page.locator("#live-announcer")).to_have_text("This conversation is already assigned to you.")

    page.keyboard.press("r")
    expect(page.get_by_role("textbox", name="Message")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Control+c")  # a modifier: the browser's copy, never the shortcut
    expect(page.locator("#close-form")).to_be_hidden()
    page.keyboard.press("c")
    expect(page.locator("#close-form")).to_be_visible()
    expect(page.get_by_label("Category")).to_be_focused()

    page.get_by_role("button", name="Cancel").click()
    page.keyboard.press("2")
    expect(page).to_have_url(re.compile(r"/w/demo/messages/\?tab=unassigned$"))
    page.keyboard.press("1")
    expect(page).to_have_url(re.compile(r"/w/demo/messages/\?tab=mine$"))


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_shortcuts_dialog_opens_with_question_mark_and_escape_returns_focus(demo, new_page, axe_check, language):
    made = _seed(demo)
    page = sign_in(new_page(viewport=DESKTOP, locale=BROWSER_LOCALE[language]), demo.agent.user.email)
    page.goto(f"/w/demo/messages/{made['Ana García'].pk}/")
    dialog = page.get_by_role("dialog", name=_(language, "Keyboard shortcuts"))
    row = page.locator(f"#conv-row-{made['Bruno Díaz'].pk} a")
    row.focus()

    page.keyboard.press("?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(_(language, "Next conversation"))
    axe_check(page)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(row).to_be_focused()

    # Not while typing, nor with a modifier held.
    composer = page.get_by_role("textbox", name=_(language, "Message"))
    composer.click()
    page.keyboard.press("?")
    expect(composer).to_have_value("?")
    expect(dialog).to_be_hidden()
    composer.fill("")
    row.focus()
    page.keyboard.press("Alt+Shift+Slash")
    page.keyboard.press("Control+k")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/messages/{made['Ana García'].pk}/$"))

    # The sidebar's button opens it too; "Close" closes it and focus goes back to the button.
    opener = page.get_by_role("button", name=_(language, "Keyboard shortcuts"))
    opener.click()
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name=_(language, "Close")).click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()

    # Single-key shortcuts can be turned off (WCAG 2.1.4), and stay off on the next page.
    opener.click()
    dialog.get_by_label(_(language, "Use single-key shortcuts")).uncheck()
    page.keyboard.press("Escape")
    page.reload()
    page.locator(f"#conv-row-{made['Bruno Díaz'].pk} a").focus()
    page.keyboard.press("?")
    page.keyboard.press("j")
    expect(dialog).to_be_hidden()
    expect(page).to_have_url(re.compile(rf"/messages/{made['Ana García'].pk}/$"))


def test_the_queue_rows_focus_ring_is_drawn_inside_the_list(demo, new_page):
    _seed(demo)
    page = sign_in(new_page(viewport=DESKTOP), demo.agent.user.email)
    page.goto("/w/demo/messages/?tab=all")
    tab_until(page, "#queue-list .queue-row a")
    ring = page.evaluate("""() => {
      const a = document.activeElement, s = getComputedStyle(a), r = a.getBoundingClientRect();
      const list = a.closest('ul'), l = list.getBoundingClientRect();
      return {visible: a.matches(':focus-visible'), style: s.outlineStyle, width: parseFloat(s.outlineWidth),
              offset: parseFloat(s.outlineOffset), left: r.left - l.left, right: l.right - r.right,
              top: r.top - l.top, clips: getComputedStyle(list).overflowY !== 'visible'};
    }""")
    assert ring["visible"] and ring["style"] == "solid" and ring["width"] >= 2, ring
    assert ring["clips"], ring  # the list scrolls, so anything drawn outside the row would be cut off
    assert ring["offset"] + ring["width"] <= 0, ring  # drawn inside the row's own box
    assert ring["left"] >= 0 and ring["right"] >= 0 and ring["top"] >= 0, ring


# ---- language: the browser's until one is chosen ------------------------------------------------------------


def test_a_member_follows_accept_language_until_choosing_one(demo, new_page, axe_check):
    user = demo.agent.user
    assert user.language == ""
    page = sign_in(new_page(viewport=DESKTOP, locale="es-ES"), user.email)
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("link", name="Mensajes", exact=True)).to_be_visible()
    spanish = page.locator('.language-choice[value="es"]')
    expect(spanish).to_have_attribute("aria-current", "true")
    axe_check(page)

    with page.expect_navigation():
        page.locator('.language-choice[value="en"]').click()  # applies at once: no "Change" button
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page).to_have_url(re.compile(r"/w/demo/messages/$"))
    expect(page.get_by_role("link", name="Messages", exact=True)).to_be_visible()
    expect(page.locator('.language-choice[value="en"]')).to_have_attribute("aria-current", "true")
    axe_check(page)
    assert User.objects.get(pk=user.pk).language == "en"

    # The choice wins over the Spanish browser in a new session too.
    again = sign_in(new_page(viewport=PHONE, locale="es-ES"), user.email)
    expect(again.locator("html")).to_have_attribute("lang", "en")
    again.get_by_role("button", name="Menu").click()
    with again.expect_navigation():
        again.get_by_role("button", name="Spanish").click()
    expect(again.locator("html")).to_have_attribute("lang", "es")
    assert User.objects.get(pk=user.pk).language == "es"


@pytest.mark.parametrize(("language", "pattern"), [("en", EN_CLOCK), ("es", ES_CLOCK)])
def test_the_web_chat_widget_writes_times_as_the_inbox_does(demo, settings, new_page, language, pattern):
    settings.DEBUG = True  # the demo page exists in DEBUG or the embedded mode
    page = new_page(locale=BROWSER_LOCALE[language])
    page.goto("/widget/demo/")
    page.get_by_role("button", name=_(language, "Open chat")).click()
    page.get_by_label(_(language, "Your name")).fill("Dana Demo")
    page.keyboard.press("Enter")
    page.get_by_role("textbox", name=_(language, "Message")).fill("Hola")
    page.get_by_role("button", name=_(language, "Send")).click()
    meta = page.locator("time.meta").last
    expect(meta).to_have_text(re.compile(rf"^{pattern}$"))


def test_a_row_pushed_live_keeps_the_tab_and_reads_the_time_in_the_pages_language(demo, asgi_server, new_page):
    channel = f.make_channel(demo.workspace, "api")
    page = sign_in(new_page(viewport=DESKTOP, locale="es-ES"), demo.agent.user.email)
    page.goto("/w/demo/messages/?tab=unassigned")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

    # The webhook has no Accept-Language: the row is rendered in English ("1:05 AM") and pushed to everyone.
    body = {"contact": {"id": "c-77", "name": "Eva Push"}, "message": {"id": "m-77", "text": "¿Hay alguien?"}}
    response = requests.post(f"{asgi_server}/hooks/api/{channel.uuid}/", json=body, timeout=10,
                             headers={"Authorization": f"Bearer {channel.token}"})
    assert response.status_code == 200, response.text
    row = page.locator("#queue-list").get_by_role("link", name=re.compile("^Eva Push"))
    expect(row).to_be_visible()
    expect(row).to_have_attribute("href", re.compile(r"/messages/\d+/\?tab=unassigned$"))
    expect(row.locator("time")).to_have_text(re.compile(rf"^{ES_CLOCK}$"))
