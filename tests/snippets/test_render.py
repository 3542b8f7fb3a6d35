"""Rendering a snippet for a conversation: a small, safe substitution, never the template engine."""

from __future__ import annotations

import pytest

from inbox.services.replying import send_reply
from snippets.rendering import render_text
from snippets.selectors import render_for_conversation
from tests import factories as f

from .helpers import make_file, make_snippet

pytestmark = pytest.mark.django_db

ALL_VARIABLES = ("{{contact.first_name}}|{{contact.name}}|{{contact.phone}}|{{contact.email}}|"
                 "{{agent.first_name}}|{{agent.name}}|{{workspace.name}}")


def _conversation(demo, **contact_fields):
    contact_fields.setdefault("name", "Ana García")
    channel = f.make_channel(demo.workspace, "api")
    contact = f.make_contact(demo.workspace, channel, **contact_fields)
    return f.make_conversation(demo.workspace, channel=channel, contact=contact)


def _render(demo, body, member=None, **contact_fields):
    conversation = _conversation(demo, **contact_fields)
    snippet = make_snippet(demo.workspace, body=body)
    return render_for_conversation(workspace=demo.workspace, member=member or demo.agent, snippet_id=snippet.pk,
                                   conversation_id=conversation.pk)


def test_every_variable_is_replaced(demo):
    demo.agent.user.first_name = "Agnes"
    demo.agent.user.save()
    rendered = _render(demo, ALL_VARIABLES, phone="+34 600 000 001", email="ana@example.com")
    assert rendered.text == ("Ana|Ana García|+34 600 000 001|ana@example.com|Agnes|Demo Agent|Demo")
    assert rendered.warnings == []


def test_agent_first_name_falls_back_to_the_display_names_first_word(demo):
    rendered = _render(demo, "I'm {{agent.first_name}}", phone="1")
    assert rendered.text == "I'm Demo"


def test_spaces_inside_the_braces_are_allowed(demo):
    assert _render(demo, "Hi {{ contact.first_name }}!").text == "Hi Ana!"


def test_a_missing_value_renders_blank_and_is_flagged(demo):
    rendered = _render(demo, "Call {{contact.phone}} or write to {{contact.email}}. {{contact.phone}}!")
    assert rendered.text == "Call  or write to . !"
    assert [(w.code, w.variable) for w in rendered.warnings] == [("missing", "contact.phone"),
                                                                  ("missing", "contact.email")]
    assert rendered.warnings[0].message == "This snippet needs the contact's phone, which is empty."
    assert rendered.as_dict()["warnings"][1] == {
        "code": "missing", "variable": "contact.email",
        "message": "This snippet needs the contact's email, which is empty."}


def test_a_nameless_contact_flags_its_first_name(demo):
    rendered = _render(demo, "Hi {{contact.first_name}},", name="", phone="+34 1")
    assert rendered.text == "Hi ,"
    assert rendered.warnings[0].message == "This snippet needs the contact's first name, which is empty."


def test_unknown_variables_are_left_as_they_are_and_flagged(demo):
    rendered = _render(demo, "Hi {{contact.age}} {{ shop.url }} {{contact.first_name}} {{x", phone="1")
    assert rendered.text == "Hi {{contact.age}} {{ shop.url }} Ana {{x"
    assert [(w.code, w.variable) for w in rendered.warnings] == [("unknown", "contact.age"), ("unknown", "shop.url")]
    assert "{{contact.age}}" in rendered.warnings[0].message


def test_template_syntax_is_not_evaluated():
    body = "{% load static %}{{ contact.name|upper }} {{ settings.SECRET_KEY }} {% now 'Y' %}"
    rendered = render_text(body, values={"contact.name": "Ana"})
    # Filters and tags mean nothing here: the text comes back as written (only the unknown name is flagged).
    assert rendered.text == body
    assert [w.variable for w in rendered.warnings] == ["settings.SECRET_KEY"]


def test_values_are_substituted_once_never_rescanned():
    rendered = render_text("{{contact.name}} / {{agent.name}}",
                           values={"contact.name": "{{agent.name}}", "agent.name": "Agnes"})
    assert rendered.text == "{{agent.name}} / Agnes"


def test_values_are_flattened_to_one_line_without_control_characters():
    rendered = render_text("Hi {{contact.name}}!", values={"contact.name": "Ana\n\nBCC: x\x00\x07 y"})
    assert rendered.text == "Hi Ana BCC: x y!"


def test_hostile_contact_name_is_returned_as_plain_text(demo, client_for):
    hostile = "<script>alert(1)</script> \"O'Brien\" &amp;"
    conversation = _conversation(demo, name=hostile)
    snippet = make_snippet(demo.workspace, body="Hello {{contact.name}}")
    response = client_for(demo.agent).get(f"/w/{demo.slug}/snippets/{snippet.pk}/render/",
                                          {"conversation": conversation.pk})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["text"] == f"Hello {hostile}"  # plain text: the composer sets it through .value


def test_hostile_contact_name_is_escaped_in_the_history_once_sent(demo, client_for, monkeypatch):
    from inbox import tasks

    monkeypatch.setattr(tasks.deliver_message, "delay", lambda *a: None)
    hostile = "<script>alert('x')</script><img src=x onerror=alert(2)>"
    conversation = _conversation(demo, name=hostile)
    snippet = make_snippet(demo.workspace, body="Hello {{contact.name}}")
    text = render_for_conversation(workspace=demo.workspace, member=demo.agent, snippet_id=snippet.pk,
                                   conversation_id=conversation.pk).text
    send_reply(workspace=demo.workspace, conversation_id=conversation.pk, member=demo.agent, body=text)
    html = client_for(demo.agent).get(f"/w/{demo.slug}/messages/{conversation.pk}/").content.decode()
    assert "<script>alert('x')</script>" not in html and "<img src=x" not in html
    assert "Hello &lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;" in html


def test_attachments_come_with_the_rendering(demo):
    conversation = _conversation(demo)
    snippet = make_snippet(demo.workspace, shortcut="invoice", body="Here you are")
    pdf = make_file(snippet)
    rendered = render_for_conversation(workspace=demo.workspace, member=demo.agent, snippet_id=snippet.pk,
                                       conversation_id=conversation.pk)
    assert rendered.as_dict()["attachments"] == [
        {"id": pdf.pk, "name": "invoice.pdf", "size": pdf.size, "content_type": "application/pdf"}]


def test_a_file_the_channel_refuses_is_flagged_before_sending(demo, monkeypatch):
    from connectors import registry
    from connectors.base import Capabilities

    monkeypatch.setattr(registry.get("api"), "capabilities", Capabilities(file=False))
    conversation = _conversation(demo)
    snippet = make_snippet(demo.workspace, shortcut="invoice", body="Here you are")
    make_file(snippet)
    rendered = render_for_conversation(workspace=demo.workspace, member=demo.agent, snippet_id=snippet.pk,
                                       conversation_id=conversation.pk)
    assert [(w.code, w.variable) for w in rendered.warnings] == [("attachment", "invoice.pdf")]
    assert "does not accept files like “invoice.pdf”" in rendered.warnings[0].message
