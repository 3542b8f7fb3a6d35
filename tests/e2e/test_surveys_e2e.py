"""Surveys, Review and Reports in a real browser: an agent sends a survey from the composer, the contact
fills it in on the public page in another browser, and the answers appear live in the conversation; a
supervisor filters the review list, reads a closed conversation and reopens it; axe on every new page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inbox.models import Conversation, Message
from tests import factories as f
from tests.e2e.test_inbox_e2e import wait_for
from tests.reports.helpers import closed_conversation
from tests.surveys.helpers import make_survey

pytestmark = pytest.mark.e2e


def test_a_survey_sent_from_the_composer_is_answered_and_shows_up_live(demo, asgi_server, login_page, new_page,
                                                                       axe_check):
    channel = f.make_channel(demo.workspace, "api", name="Shop API")
    contact = f.make_contact(demo.workspace, channel, name="Ana García")
    conversation = f.make_conversation(demo.workspace, channel=channel, contact=contact, assignee=demo.agent)
    make_survey(demo.workspace, "How did we do?", intro="Two quick questions.", thank_you="Gracias, Ana.")
    page = login_page(demo.agent)
    page.goto(f"/w/demo/messages/{conversation.pk}/")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")

    page.get_by_role("button", name="Send survey").click()
    dialog = page.get_by_role("dialog", name="Send survey")
    expect(dialog).to_be_visible()
    choice = dialog.get_by_role("button", name=re.compile("How did we do"))
    expect(choice).to_be_focused()
    axe_check(page)
    choice.click()
    expect(dialog).to_be_hidden()
    history = page.get_by_role("log", name="Conversation history")
    expect(history).to_contain_text("/s/")
    expect(history).to_contain_text("Survey sent by Demo Agent")
    message = Message.objects.get(conversation=conversation, kind="survey")
    token = re.search(r"/s/([A-Za-z0-9_-]+)/", message.body).group(1)

    # The contact, in another browser (a phone), answers; the first try forgets the required rating.
    phone = new_page(viewport={"width": 390, "height": 844}, locale="es-ES")
    phone.goto(f"/s/{token}/")
    expect(phone.get_by_role("heading", name="How did we do?")).to_be_visible()
    comment = phone.get_by_role("textbox", name="Anything we could do better?")
    comment.fill("Más horarios, por favor")
    axe_check(phone)
    phone.get_by_role("button", name=re.compile("Send answers|Enviar respuestas")).click()
    expect(phone.get_by_role("alert")).to_be_visible()
    expect(comment).to_have_value("Más horarios, por favor")  # nothing typed is lost
    axe_check(phone)
    phone.get_by_role("radiogroup", name=re.compile("How satisfied")).get_by_role("radio", name="4").check()
    phone.get_by_role("button", name=re.compile("Send answers|Enviar respuestas")).click()
    expect(phone.get_by_text("Gracias, Ana.")).to_be_visible()
    axe_check(phone)

    # The agent sees it arrive without reloading, and follows the line to the answers.
    expect(history).to_contain_text("Survey answered")
    link = history.get_by_role("link", name="See the answers")
    expect(link).to_be_visible()
    link.click()
    expect(page.get_by_role("heading", name=re.compile("Survey answers from Ana García"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("Más horarios, por favor")
    axe_check(page)

    phone.goto(f"/s/{token}/")  # the link again: answered, nothing more to fill in
    answered = re.compile("already been answered|ya se ha respondido|respondida")
    expect(phone.get_by_role("heading", level=1)).to_contain_text(answered)


def test_a_supervisor_reviews_filters_reads_and_reopens(demo, asgi_server, login_page, axe_check):
    now = timezone.now()
    billing = f.make_category(demo.workspace, "Billing")
    delivery = f.make_category(demo.workspace, "Delivery")
    ana = closed_conversation(demo, name="Ana García", closed_at=now, category=billing, closer=demo.agent,
                              assignee=demo.agent, summary="Refunded the October invoice")
    closed_conversation(demo, name="Bruno Díaz", closed_at=now, category=delivery, closer=demo.agent2,
                        assignee=demo.agent2, summary="Parcel found")
    page = login_page(demo.supervisor)
    page.goto("/w/demo/review/")
    table = page.get_by_role("table", name=re.compile("Closed conversations"))
    expect(table).to_contain_text("Bruno Díaz")
    axe_check(page)
    page.get_by_label("Category").select_option(label="Billing")
    page.get_by_role("button", name="Apply filters").click()
    expect(table).to_contain_text("Ana García")
    expect(table).not_to_contain_text("Bruno Díaz")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert "Refunded the October invoice" in text and "Parcel found" not in text

    page.get_by_role("link", name="Ana García").click()
    expect(page.get_by_role("log", name="Conversation history")).to_contain_text("Hola")
    expect(page.get_by_role("table", name=re.compile("Who had the conversation"))).to_contain_text("Demo Agent")
    axe_check(page)
    page.get_by_role("button", name="Reopen conversation").click()
    expect(page).to_have_url(re.compile(rf"/w/demo/messages/{ana.pk}/"))
    expect(page.get_by_role("textbox", name="Message")).to_be_visible()
    wait_for(lambda: Conversation.objects.get(pk=ana.pk).status == "open")


def test_reports_page_is_accessible(demo, asgi_server, login_page, axe_check):
    now = timezone.now()
    closed_conversation(demo, name="Ana", closed_at=now, category=f.make_category(demo.workspace, "Billing"),
                        closer=demo.agent)
    page = login_page(demo.supervisor)
    page.goto("/w/demo/reports/")
    expect(page.get_by_role("img", name="Conversations opened and closed per day")).to_be_visible()
    expect(page.get_by_role("img", name="Closed by category")).to_be_visible()
    axe_check(page, min_impact="moderate")
