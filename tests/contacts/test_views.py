import pytest
from django.urls import reverse

from inbox.services.closing import conversation_close
from tests import factories as f


@pytest.fixture
def agent_client(client_for, demo):
    return client_for(demo.agent)


def list_url(demo, q=""):
    return reverse("contacts:list", args=[demo.slug]) + (f"?q={q}" if q else "")


@pytest.fixture
def people(demo):
    channel = f.make_channel(demo.workspace, "api")
    return {
        "ana": f.make_contact(demo.workspace, channel, name="Ana García", phone="+34600111222",
                              email="ana@example.com", external_id="crm-42"),
        "bruno": f.make_contact(demo.workspace, channel, name="Bruno Díaz", phone="+34699888777",
                                email="bruno@example.org", external_id="crm-77"),
    }


@pytest.mark.parametrize(("q", "expected"), [("garcí", "ana"), ("600111", "ana"), ("example.org", "bruno"),
                                             ("crm-77", "bruno")])
def test_search_matches_name_phone_email_and_external_id(agent_client, demo, people, q, expected):
    html = agent_client.get(list_url(demo, q)).content.decode()
    other = "bruno" if expected == "ana" else "ana"
    assert people[expected].name in html and people[other].name not in html


def test_search_box_is_labelled(agent_client, demo, people):
    html = agent_client.get(list_url(demo)).content.decode()
    assert 'aria-label="Search contacts"' in html


def test_no_match_says_so(agent_client, demo, people):
    html = agent_client.get(list_url(demo, "zzz")).content.decode()
    assert "No contact matches" in html


def test_contact_page_lists_every_conversation_with_its_closing_note(agent_client, demo, people):
    contact = people["ana"]
    first = f.make_conversation(demo.workspace, contact=contact)
    conversation_close(workspace=demo.workspace, conversation_id=first.pk,
                       category=f.make_category(demo.workspace, "Sale"), summary="Bought the yearly plan",
                       actor=demo.agent)
    second = f.make_conversation(demo.workspace, contact=contact)
    html = agent_client.get(reverse("contacts:detail", args=[demo.slug, contact.pk])).content.decode()
    assert "Bought the yearly plan" in html and "Sale" in html
    assert reverse("inbox:conversation", args=[demo.slug, first.pk]) in html
    assert reverse("inbox:conversation", args=[demo.slug, second.pk]) in html
    assert "Read transcript" in html


@pytest.mark.parametrize("n", [2, 30])
def test_contact_list_query_count_is_constant(agent_client, demo, django_assert_max_num_queries, n):
    channel = f.make_channel(demo.workspace, "api")
    for _ in range(n):
        f.make_contact(demo.workspace, channel)
    with django_assert_max_num_queries(8):
        assert agent_client.get(list_url(demo)).status_code == 200


def test_contact_page_query_count_is_bounded(agent_client, demo, people, django_assert_max_num_queries):
    for _ in range(5):
        conversation = f.make_conversation(demo.workspace, contact=people["ana"], status="closed")
        f.make_category(demo.workspace)
        assert conversation
    with django_assert_max_num_queries(8):
        agent_client.get(reverse("contacts:detail", args=[demo.slug, people["ana"].pk]))


def test_contact_names_are_escaped(agent_client, demo):
    f.make_contact(demo.workspace, f.make_channel(demo.workspace), name="<script>alert(1)</script>")
    html = agent_client.get(list_url(demo)).content.decode()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html


def test_another_workspaces_contact_is_404(agent_client, demo, other):
    contact = f.make_contact(other.workspace, f.make_channel(other.workspace))
    assert agent_client.get(reverse("contacts:detail", args=[demo.slug, contact.pk])).status_code == 404


def test_search_never_shows_another_workspaces_contacts(agent_client, demo, other):
    f.make_contact(other.workspace, f.make_channel(other.workspace), name="Secret Person")
    html = agent_client.get(list_url(demo, "Secret")).content.decode()
    assert "Secret Person" not in html
