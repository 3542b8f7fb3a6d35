"""Isolation sweep: every member URL answers 404 for another workspace and its rows (issue 2, item 6).

The URL patterns are collected from config.urls when this module is imported, so every pattern a
later issue adds under /w/<slug:slug>/ is swept without editing this file. Each URL keyword argument
maps to a model by convention:

- `slug` is the workspace;
- `<model_name>_id` is the primary key of the model with that `_meta.model_name`
  (a `uuid` converter takes the model's `uuid` field when it has one);
- `<model_name>_uuid` is the model's `uuid` field (e.g. channel_uuid → Channel.uuid).

Ids a view reads from the query string are declared per route in QUERY_IDS and swept the same way.
Objects are made by OBJECT_FACTORIES (model → callable). A pattern whose kwargs do not map, or map
to a model without a factory, FAILS with a message naming the kwarg and the model: extend ALIASES,
PLAIN_VALUES, QUERY_IDS or OBJECT_FACTORIES below.

What is checked (as an admin of "demo", the most privileged member, so no role check hides a leak):
- /w/demo/… with the ids of "other"'s rows answers 404 (GET and POST);
- with several ids, each one of "other" among demo's own ids answers 404;
- the same holds for a user who is a member of both workspaces (scoping follows the URL's workspace);
- every /w/other/… pattern answers 404 to a demo member.
A 405 counts as a refusal only when the view answers 405 to that method for the member's own rows
too (the method decorator ran before the view looked anything up).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.db import models
from django.urls import URLPattern, URLResolver, get_resolver, include, path, re_path, reverse
from django.urls.converters import IntConverter, UUIDConverter
from django.urls.resolvers import RegexPattern
from django.utils import timezone
from django.utils.http import urlencode

from contacts.models import Contact, ContactIdentity
from inbox.models import Attachment, Channel, ClosingCategory, ClosingNote, Conversation, Message
from tests import factories as f
from workspaces.models import Membership, Workspace

# -- walking the URL patterns ---------------------------------------------------------------------------

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class Route:
    id: str  # "namespace:name", or the route when the pattern has no name
    route: str  # the full route, e.g. "w/<slug:slug>/messages/<int:conversation_id>/"
    kwargs: tuple[str, ...]  # keyword arguments, in order of appearance
    converters: dict = field(compare=False, hash=False, repr=False)  # kwarg → converter instance
    name: str | None = None  # "namespace:name" to reverse regex patterns
    is_regex: bool = False

    def __str__(self) -> str:
        return self.id


def walk_patterns(patterns, prefix: str = "", namespace: str | None = None, converters=None,
                  kwargs: tuple[str, ...] = (), regex: bool = False):
    """Yield a Route for every URLPattern, recursing through included resolvers."""
    converters = converters or {}
    for entry in patterns:
        pattern = entry.pattern
        route = prefix + str(pattern)
        if isinstance(pattern, RegexPattern):
            names = tuple(pattern.regex.groupindex)
        else:
            names = tuple(m["name"] for m in _PARAM.finditer(str(pattern)))
        merged = {**converters, **getattr(pattern, "converters", {})}
        all_kwargs = tuple(dict.fromkeys(kwargs + names))
        is_regex = regex or isinstance(pattern, RegexPattern)
        if isinstance(entry, URLResolver):
            inner_ns = ":".join(filter(None, [namespace, entry.namespace])) or None
            yield from walk_patterns(entry.url_patterns, route, inner_ns, merged, all_kwargs, is_regex)
        elif isinstance(entry, URLPattern):
            full_name = ":".join(filter(None, [namespace, entry.name])) if entry.name else None
            yield Route(id=full_name or route, route=route, kwargs=all_kwargs, converters=merged,
                        name=full_name, is_regex=is_regex)


def workspace_routes(urlpatterns) -> list[Route]:
    return [r for r in walk_patterns(urlpatterns) if "<slug:slug>" in r.route]


ALL_ROUTES = list(walk_patterns(get_resolver().url_patterns))
ROUTES = [r for r in ALL_ROUTES if "<slug:slug>" in r.route]

# Patterns that exist today: if the walker stops finding them it is broken, not the app finished.
KNOWN_ROUTES = {"workspace_home", "inbox:queue", "reports:review", "inbox:conversation", "contacts:list",
                "contacts:detail", "reports:review_detail", "reports:reopen", "surveys:send", "surveys:answers"}


# -- mapping kwargs to objects ------------------------------------------------------------------------------

# kwarg stem → "app_label.ModelName", for a kwarg whose stem is not the model's model_name.
ALIASES: dict[str, str] = {}
# Keyword arguments that are not object ids → the value to use (e.g. {"tab": "mine"}).
PLAIN_VALUES: dict[str, object] = {}
# Ids a view reads from the query string: route id → {parameter: model}. They are swept like URL ids
# (another workspace's id there must answer 404 too).
QUERY_IDS: dict[str, dict[str, str]] = {"snippets:render": {"conversation": "inbox.Conversation"}}


class MappingError(Exception):
    pass


@dataclass(frozen=True)
class ObjectKwarg:
    model: type[models.Model]
    attr: str  # "pk" or "uuid"


def map_kwarg(route: Route, kwarg: str) -> ObjectKwarg | None:
    """The model (and attribute) a URL kwarg stands for; None for `slug` and PLAIN_VALUES."""
    if kwarg == "slug" or kwarg in PLAIN_VALUES:
        return None
    match = re.fullmatch(r"(?P<stem>\w+?)_(?P<suffix>id|uuid)", kwarg)
    if match is None:
        raise MappingError(
            f"URL pattern {route.id!r} ({route.route}): kwarg {kwarg!r} is neither <model_name>_id nor "
            f"<model_name>_uuid. Add it to PLAIN_VALUES (or ALIASES) in tests/test_isolation_sweep.py."
        )
    stem, suffix = match["stem"], match["suffix"]
    if stem in ALIASES:
        candidates = [apps.get_model(ALIASES[stem])]
    else:
        candidates = [m for m in apps.get_models() if m._meta.model_name == stem]
    if len(candidates) != 1:
        found = ", ".join(m._meta.label for m in candidates) or "no model"
        raise MappingError(
            f"URL pattern {route.id!r} ({route.route}): kwarg {kwarg!r} maps to {found} by the "
            f"<model_name>_id convention. Add {stem!r} to ALIASES in tests/test_isolation_sweep.py."
        )
    model = candidates[0]
    converter = route.converters.get(kwarg)
    attr = "pk"
    if suffix == "uuid" or isinstance(converter, UUIDConverter):
        has_uuid_field = any(fld.name == "uuid" for fld in model._meta.concrete_fields)
        if has_uuid_field:
            attr = "uuid"
        elif not isinstance(model._meta.pk, models.UUIDField):
            raise MappingError(
                f"URL pattern {route.id!r}: kwarg {kwarg!r} is a uuid but {model._meta.label} has no "
                "uuid field. Add it to ALIASES in tests/test_isolation_sweep.py."
            )
    if factory_for(model) is None:
        raise MappingError(
            f"URL pattern {route.id!r} ({route.route}): kwarg {kwarg!r} maps to {model._meta.label}, which "
            f"has no factory. Add {model.__name__} to OBJECT_FACTORIES in tests/test_isolation_sweep.py."
        )
    return ObjectKwarg(model, attr)


def object_kwargs(route: Route) -> dict[str, ObjectKwarg]:
    """Every id the route takes (URL kwargs, then QUERY_IDS) → what it stands for."""
    mapped = {k: map_kwarg(route, k) for k in route.kwargs}
    for param, label in QUERY_IDS.get(route.id, {}).items():
        model = apps.get_model(label)
        if factory_for(model) is None:
            raise MappingError(
                f"URL pattern {route.id!r}: query parameter {param!r} maps to {label}, which has no factory. "
                f"Add {model.__name__} to OBJECT_FACTORIES in tests/test_isolation_sweep.py."
            )
        mapped[param] = ObjectKwarg(model, "pk")
    return {k: v for k, v in mapped.items() if v is not None}


def params(route: Route) -> list[str]:
    """The names build_url takes values for: URL kwargs and query-string ids."""
    return [*route.kwargs, *QUERY_IDS.get(route.id, {})]


def all_from(route: Route, objects: WorkspaceObjects) -> dict[str, WorkspaceObjects]:
    return dict.fromkeys(params(route), objects)


class WorkspaceObjects:
    """One consistent set of rows of one workspace, made on demand by OBJECT_FACTORIES."""

    def __init__(self, team):
        self.team = team
        self.workspace = team.workspace
        self._made: dict[type, models.Model] = {}

    def get(self, model: type[models.Model]) -> models.Model:
        if model not in self._made:
            self._made[model] = factory_for(model)(self)
        return self._made[model]


def _message(o: WorkspaceObjects) -> Message:
    # A failed outbound message: a leaky retry view would act on it rather than refuse it for its state.
    return Message.objects.create(
        workspace=o.workspace, conversation=o.get(Conversation), channel=o.get(Channel), direction="out",
        kind="text", sender_type="member", sender=o.team.agent, body=f"{o.workspace.slug} reply",
        status="failed", failure_reason="timeout", created_at=timezone.now(),
    )


def _attachment(o: WorkspaceObjects) -> Attachment:
    return Attachment.objects.create(
        workspace=o.workspace, message=o.get(Message), name="invoice.pdf", content_type="application/pdf",
        size=14, file=ContentFile(b"%PDF-1.4 sweep", name="invoice.pdf"),
    )


def _closing_note(o: WorkspaceObjects) -> ClosingNote:
    closed = f.make_conversation(o.workspace, channel=o.get(Channel), status="closed",
                                 contact=f.make_contact(o.workspace, o.get(Channel), name="Closed Contact"))
    return ClosingNote.objects.create(workspace=o.workspace, conversation=closed, category=o.get(ClosingCategory),
                                      summary="Sweep note", author=o.team.agent)


def _snippet(o: WorkspaceObjects) -> models.Model:
    return apps.get_model("snippets", "Snippet").objects.create(
        workspace=o.workspace, name="Sweep snippet", shortcut="sweep", body="Hola {{contact.first_name}}"
    )


def _snippet_attachment(o: WorkspaceObjects) -> models.Model:
    return apps.get_model("snippets", "SnippetAttachment").objects.create(
        workspace=o.workspace, snippet=o.get(apps.get_model("snippets", "Snippet")), name="price-list.pdf",
        content_type="application/pdf", size=14, file=ContentFile(b"%PDF-1.4 sweep", name="price-list.pdf"),
    )


# model (or "app_label.ModelName", for apps whose models this module does not import) → factory.
OBJECT_FACTORIES: dict[type[models.Model] | str, Callable[[WorkspaceObjects], models.Model]] = {
    Workspace: lambda o: o.workspace,
    Membership: lambda o: o.team.agent,
    Channel: lambda o: f.make_channel(o.workspace, name=f"{o.workspace.slug} sweep channel"),
    Contact: lambda o: f.make_contact(o.workspace, o.get(Channel), name=f"{o.workspace.slug} sweep contact"),
    ContactIdentity: lambda o: o.get(Contact).identities.get(),
    Conversation: lambda o: f.make_conversation(o.workspace, channel=o.get(Channel), contact=o.get(Contact),
                                                assignee=o.team.agent),
    Message: _message,
    Attachment: _attachment,
    ClosingCategory: lambda o: f.make_category(o.workspace, "Sweep category"),
    ClosingNote: _closing_note,
    "snippets.Snippet": _snippet,
    "snippets.SnippetAttachment": _snippet_attachment,
}


def factory_for(model: type[models.Model]) -> Callable[[WorkspaceObjects], models.Model] | None:
    return OBJECT_FACTORIES.get(model) or OBJECT_FACTORIES.get(model._meta.label)


def build_url(route: Route, slug: str, values: dict[str, WorkspaceObjects]) -> str:
    """The URL of `route` for workspace `slug`, taking each object kwarg from values[kwarg]."""
    kwargs: dict[str, object] = {}
    for kwarg in route.kwargs:
        mapping = map_kwarg(route, kwarg)
        if kwarg == "slug":
            kwargs[kwarg] = slug
        elif mapping is None:
            kwargs[kwarg] = PLAIN_VALUES[kwarg]
        else:
            kwargs[kwarg] = getattr(values[kwarg].get(mapping.model), mapping.attr)
    query = {param: values[param].get(apps.get_model(label)).pk
             for param, label in QUERY_IDS.get(route.id, {}).items()}
    suffix = f"?{urlencode(query)}" if query else ""
    if route.is_regex:
        if not route.name:
            raise MappingError(f"Regex URL pattern {route.route!r} has no name: give it one so it can be swept.")
        return reverse(route.name, kwargs=kwargs) + suffix

    def substitute(match: re.Match) -> str:
        converter = route.converters.get(match["name"])
        value = kwargs[match["name"]]
        return converter.to_url(value) if converter is not None else str(value)

    return "/" + _PARAM.sub(substitute, route.route) + suffix


# -- requests -----------------------------------------------------------------------------------------------


def _status(client, method: str, url: str) -> int | str:
    try:
        response = client.get(url) if method == "GET" else client.post(url, {})
    except Exception as exc:  # a crash is a failure to refuse, reported with the others
        return f"raised {type(exc).__name__}: {exc}"
    return response.status_code


class Sweep:
    def __init__(self, route: Route, client, own: WorkspaceObjects, own_slug: str):
        self.route, self.client, self.own, self.own_slug = route, client, own, own_slug
        self.failures: list[str] = []
        self._own_status: dict[str, int | str] = {}

    def _own(self, method: str) -> int | str:
        if method not in self._own_status:
            url = build_url(self.route, self.own_slug, all_from(self.route, self.own))
            self._own_status[method] = _status(self.client, method, url)
        return self._own_status[method]

    def expect_404(self, url: str, what: str) -> None:
        for method in ("GET", "POST"):
            status = _status(self.client, method, url)
            if status == 404 or (status == 405 and self._own(method) == 405):
                continue
            self.failures.append(f"{method} {url} ({what}) answered {status}, expected 404")

    def check(self) -> None:
        if self.failures:
            pytest.fail(f"{self.route.id}: isolation leak\n" + "\n".join(self.failures), pytrace=False)


def _mapped_or_fail(route: Route) -> dict[str, ObjectKwarg]:
    try:
        return object_kwargs(route)
    except MappingError as exc:
        message = str(exc)
    pytest.fail(message, pytrace=False)


ROUTES_WITH_IDS = [r for r in ROUTES if set(params(r)) - {"slug"}]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def objects(demo, other):
    return {"demo": WorkspaceObjects(demo), "other": WorkspaceObjects(other)}


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES_WITH_IDS, ids=str)
def test_other_workspaces_ids_answer_404(route, demo, objects, client_for):
    mapped = _mapped_or_fail(route)
    client = client_for(demo.admin)
    sweep = Sweep(route, client, objects["demo"], "demo")
    # Every id of "other" at once …
    url = build_url(route, "demo", all_from(route, objects["other"]))
    sweep.expect_404(url, "all ids of workspace other")
    # … and each one alone among demo's own ids.
    if len(mapped) > 1:
        for kwarg in mapped:
            values = {**all_from(route, objects["demo"]), kwarg: objects["other"]}
            sweep.expect_404(build_url(route, "demo", values), f"only {kwarg} of workspace other")
    sweep.check()


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES_WITH_IDS, ids=str)
def test_member_of_both_workspaces_gets_404_for_other_ids_under_demo(route, demo, other, objects, client_for):
    _mapped_or_fail(route)
    Membership.objects.create(workspace=other.workspace, user=demo.admin.user, role=Membership.Role.ADMIN)
    sweep = Sweep(route, client_for(demo.admin), objects["demo"], "demo")
    url = build_url(route, "demo", all_from(route, objects["other"]))
    sweep.expect_404(url, "ids of workspace other, user in both workspaces")
    sweep.check()


@pytest.mark.django_db
@pytest.mark.parametrize("route", ROUTES, ids=str)
def test_another_workspaces_urls_answer_404(route, demo, other, objects, client_for):
    _mapped_or_fail(route)
    sweep = Sweep(route, client_for(demo.admin), objects["demo"], "demo")
    for owner in ("other", "demo"):  # other's rows, and the member's own rows under the wrong workspace
        url = build_url(route, "other", all_from(route, objects[owner]))
        sweep.expect_404(url, f"slug other, ids of workspace {owner}")
        if not set(params(route)) - {"slug"}:
            break
    url = build_url(route, "no-such-workspace", all_from(route, objects["demo"]))
    sweep.expect_404(url, "a workspace that does not exist")
    sweep.check()


# -- the sweep itself is checked, so a broken walker cannot pass silently -----------------------------------


def test_sweep_found_the_known_patterns():
    found = {r.id for r in ROUTES}
    missing = KNOWN_ROUTES - found
    assert not missing, f"the URL walker did not find {sorted(missing)} (found {sorted(found)})"
    assert len(ROUTES_WITH_IDS) >= 2, "the walker found no /w/ pattern with object ids"
    conversation = next(r for r in ROUTES if r.id == "inbox:conversation")
    assert conversation.kwargs == ("slug", "conversation_id")
    assert isinstance(conversation.converters["conversation_id"], IntConverter)


def test_every_member_url_takes_the_workspace_slug():
    stray = [r.route for r in ALL_ROUTES if r.route.startswith("w/") and "<slug:slug>" not in r.route]
    assert not stray, f"patterns under /w/ without <slug:slug> escape the sweep: {stray}"


def _view(request, **kwargs):  # pragma: no cover - never called
    raise AssertionError


FAKE_URLS = [
    path("hooks/<slug:kind>/<uuid:channel_uuid>/", _view, name="hook"),
    path("w/<slug:slug>/", include(([
        path("", _view, name="home"),
        path("c/<int:conversation_id>/m/<int:message_id>/", _view, name="message"),
        path("deeper/", include(([path("<uuid:channel_uuid>/", _view, name="channel")], "inner"))),
        re_path(r"^legacy/(?P<contact_id>[0-9]+)/$", _view, name="legacy"),
    ], "outer"))),
    path("w/<slug:slug>/files/<int:attachment_id>/", _view),
]


def test_walker_recurses_through_includes_with_namespaces_and_converters():
    routes = {r.id: r for r in workspace_routes(FAKE_URLS)}
    assert set(routes) == {"outer:home", "outer:message", "outer:inner:channel", "outer:legacy",
                           "w/<slug:slug>/files/<int:attachment_id>/"}
    message = routes["outer:message"]
    assert message.route == "w/<slug:slug>/c/<int:conversation_id>/m/<int:message_id>/"
    assert message.kwargs == ("slug", "conversation_id", "message_id")
    assert routes["outer:inner:channel"].kwargs == ("slug", "channel_uuid")
    assert isinstance(routes["outer:inner:channel"].converters["channel_uuid"], UUIDConverter)
    assert routes["outer:legacy"].is_regex and routes["outer:legacy"].kwargs == ("slug", "contact_id")


def test_kwargs_map_to_models_by_convention():
    routes = {r.id: r for r in workspace_routes(FAKE_URLS)}
    assert object_kwargs(routes["outer:message"]) == {
        "conversation_id": ObjectKwarg(Conversation, "pk"), "message_id": ObjectKwarg(Message, "pk")
    }
    assert object_kwargs(routes["outer:inner:channel"]) == {"channel_uuid": ObjectKwarg(Channel, "uuid")}
    assert object_kwargs(routes["w/<slug:slug>/files/<int:attachment_id>/"]) == {
        "attachment_id": ObjectKwarg(Attachment, "pk")
    }


def test_unmapped_kwargs_fail_with_a_message_naming_them():
    bad = Route(id="x:tab", route="w/<slug:slug>/<str:tab>/", kwargs=("slug", "tab"), converters={})
    with pytest.raises(MappingError, match=r"kwarg 'tab'.*PLAIN_VALUES"):
        object_kwargs(bad)
    unknown = Route(id="x:gizmo", route="w/<slug:slug>/<int:gizmo_id>/", kwargs=("slug", "gizmo_id"),
                    converters={})
    with pytest.raises(MappingError, match=r"kwarg 'gizmo_id' maps to no model.*ALIASES"):
        object_kwargs(unknown)
    no_factory = Route(id="x:user", route="w/<slug:slug>/<int:user_id>/", kwargs=("slug", "user_id"),
                       converters={})
    with pytest.raises(MappingError, match=r"kwarg 'user_id' maps to workspaces.User.*OBJECT_FACTORIES"):
        object_kwargs(no_factory)


@pytest.mark.django_db
def test_urls_are_built_with_the_other_workspaces_ids(demo, other, objects):
    routes = {r.id: r for r in workspace_routes(FAKE_URLS)}
    url = build_url(routes["outer:message"], "demo", dict.fromkeys(routes["outer:message"].kwargs,
                                                                    objects["other"]))
    conversation = objects["other"].get(Conversation)
    message = objects["other"].get(Message)
    assert conversation.workspace_id == message.workspace_id == other.workspace.pk
    assert url == f"/w/demo/c/{conversation.pk}/m/{message.pk}/"
    channel = objects["other"].get(Channel)
    url = build_url(routes["outer:inner:channel"], "demo", {"channel_uuid": objects["other"]})
    assert url == f"/w/demo/deeper/{channel.uuid}/"


@pytest.mark.django_db
def test_query_string_ids_are_swept_too(demo, other, objects, monkeypatch):
    monkeypatch.setitem(QUERY_IDS, "outer:message", {"conversation": "inbox.Conversation"})
    route = {r.id: r for r in workspace_routes(FAKE_URLS)}["outer:message"]
    assert object_kwargs(route)["conversation"] == ObjectKwarg(Conversation, "pk")
    values = {**all_from(route, objects["demo"]), "conversation": objects["other"]}
    url = build_url(route, "demo", values)
    mine, theirs = objects["demo"].get(Conversation), objects["other"].get(Conversation)
    assert url == f"/w/demo/c/{mine.pk}/m/{objects['demo'].get(Message).pk}/?conversation={theirs.pk}"
