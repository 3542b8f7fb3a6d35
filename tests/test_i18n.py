"""i18n: the Spanish catalogue is complete, compiled, and covers every string the templates and code mark.

What fails here, and what to do about it:
- a template or Python string marked for translation has no Spanish in locale/es/LC_MESSAGES/django.mo:
  run `DEBUG=1 .venv/bin/python manage.py makemessages -l es --ignore=.venv --ignore=data --ignore=tests
  --ignore=bench --ignore=scripts --no-obsolete`, translate the new entries (scripts/i18n_check.py lists
  them), then `manage.py compilemessages --ignore=.venv` and commit both the .po and the .mo;
- visible English in a template that is not inside {% translate %} / {% blocktranslate %}: wrap it;
- a JS file that shows hard-coded English: render the text into a data-*-text attribute with
  {% translate %} and read it from there (the pattern every file in static/js follows).
"""

from __future__ import annotations

import ast
import gettext as gnu_gettext
import importlib.util
import re
import sys
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.utils import translation
from django.utils.translation.template import templatize

from tests import factories as f

ROOT = Path(settings.BASE_DIR)
LOCALE_DIR = ROOT / "locale" / "es" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"
# The folders makemessages is told to ignore (see the module docstring), plus non-code ones.
SKIP_DIRS = {".venv", "venv", "data", "tests", "bench", "scripts", "migrations", "node_modules", "locale",
             "static", ".git", "__pycache__", "parley.egg-info", "media"}


def _load_checker():
    """scripts/i18n_check.py: the one .po reader, shared with the command-line tool."""
    spec = importlib.util.spec_from_file_location("parley_i18n_check", ROOT / "scripts" / "i18n_check.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


checker = _load_checker()


def _po_entries():
    return [e for e in checker.parse_po(PO_PATH) if not e.is_header and not e.obsolete]


def _mo_catalog() -> dict:
    """Our compiled catalogue only (Django's own Spanish strings are not mixed in)."""
    with MO_PATH.open("rb") as fh:
        return gnu_gettext.GNUTranslations(fh)._catalog


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# ---- the catalogue itself -------------------------------------------------------------------------


def test_catalogue_files_exist():
    assert PO_PATH.is_file(), "locale/es/LC_MESSAGES/django.po is missing"
    assert MO_PATH.is_file(), "locale/es/LC_MESSAGES/django.mo is missing: run compilemessages and commit it"


def test_every_entry_is_translated_and_none_is_fuzzy():
    entries = checker.parse_po(PO_PATH)
    header = next(e for e in entries if e.is_header)
    assert not header.fuzzy, "the .po header is marked fuzzy: msgfmt would ignore its charset"
    assert "Language: es" in header.msgstr[0]
    todo = checker.problems(entries)
    assert not todo, "untranslated or fuzzy entries in django.po:\n" + "\n".join(
        ("fuzzy: " if e.fuzzy else "empty: ") + repr(e.key) for e in todo)
    assert len(_po_entries()) > 100


def test_plural_entries_fill_every_form():
    entries = checker.parse_po(PO_PATH)
    n = checker.plural_count(entries)
    for e in entries:
        if e.msgid_plural is not None and not e.obsolete:
            assert sorted(e.msgstr) == list(range(n)), f"{e.msgid!r} needs {n} plural forms"


_PLACEHOLDER = re.compile(r"%%|%\(\w+\)[-#0 +]*\d*(?:\.\d+)?[sdrfix]|%[sdr]|\{\{.*?\}\}|\{\w*\}|</?\w+[^>]*>")


@pytest.mark.parametrize("entry", _po_entries(), ids=lambda e: e.msgid[:60])
def test_translation_keeps_every_placeholder_and_tag(entry):
    expected = sorted(_PLACEHOLDER.findall(entry.msgid))
    for form in entry.msgstr.values():
        assert sorted(_PLACEHOLDER.findall(form)) == expected, (
            f"{entry.msgid!r} -> {form!r}: placeholders, {{braces}} and tags must be kept exactly")


def test_compiled_catalogue_matches_the_po():
    """The committed .mo is what runs on a machine without gettext: it must not lag behind the .po."""
    catalog = _mo_catalog()
    stale = []
    for e in _po_entries():
        if e.msgid_plural is not None:
            ok = all(catalog.get((e.key, i)) == text for i, text in e.msgstr.items())
        else:
            ok = catalog.get(e.key) == e.msgstr.get(0)
        if not ok:
            stale.append(e.key)
    assert not stale, "django.mo is older than django.po (run compilemessages): " + ", ".join(map(repr, stale[:20]))


# ---- every marked string has Spanish --------------------------------------------------------------


def template_dirs() -> list[Path]:
    dirs = [Path(d) for conf in settings.TEMPLATES for d in conf.get("DIRS", [])]
    for app in apps.get_app_configs():
        path = Path(app.path) / "templates"
        if path.is_dir() and ROOT in path.parents and ".venv" not in path.parts:
            dirs.append(path)
    return dirs


def template_files() -> list[Path]:
    return sorted({p for d in template_dirs() for p in d.rglob("*") if p.suffix in {".html", ".txt", ".xml"}})


def python_files() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*.py") if not SKIP_DIRS.intersection(p.relative_to(ROOT).parts[:-1]))


_CALL = re.compile(r"\b(n?p?gettext)\(((?:\s*u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")\s*,?)+)")
_LITERAL = re.compile(r"u?(?:'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")")


def template_msgids(path: Path) -> list[tuple[str | None, str, str | None]]:
    """(context, msgid, plural) for each string the template marks, exactly as makemessages sees it."""
    code = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    found = []
    for func, args in _CALL.findall(code):
        values = [ast.literal_eval(lit) for lit in _LITERAL.findall(args)]
        context = values.pop(0) if func.startswith(("pgettext", "npgettext")) else None
        found.append((context, values[0], values[1] if func.startswith(("ngettext", "npgettext")) else None))
    return found


_PY_FUNCS = {
    "_": (None, 0, None), "gettext": (None, 0, None), "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None), "_lazy": (None, 0, None),
    "ngettext": (None, 0, 1), "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None), "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2), "npgettext_lazy": (0, 1, 2),
}


def _func_name(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute) and node.func.attr in _PY_FUNCS and node.func.attr != "_":
        return node.func.attr
    return None


def _string(node: ast.AST | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def python_msgids(path: Path) -> tuple[list[tuple[str | None, str, str | None, int]], list[int]]:
    """Marked strings in a Python file, and the lines of translation calls xgettext cannot read."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found, unreadable = [], []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or _func_name(node) not in _PY_FUNCS:
            continue
        ctx_i, id_i, plural_i = _PY_FUNCS[_func_name(node)]
        args = node.args
        if len(args) <= id_i:
            continue
        if isinstance(args[id_i], (ast.JoinedStr, ast.BinOp)):  # _(f"...") or _("..." % x): never extracted
            unreadable.append(node.lineno)
            continue
        msgid = _string(args[id_i])
        if msgid is None:  # _(variable): translated at run time from a string marked elsewhere
            continue
        context = _string(args[ctx_i]) if ctx_i is not None else None
        plural = _string(args[plural_i]) if plural_i is not None and len(args) > plural_i else None
        found.append((context, msgid, plural, node.lineno))
    return found, unreadable


def _missing(catalog: dict, context: str | None, msgid: str, plural: str | None) -> bool:
    if msgid == "":
        return False
    key = f"{context}\x04{msgid}" if context is not None else msgid
    if plural is not None:
        return not catalog.get((key, 0)) or not catalog.get((key, 1))
    return not catalog.get(key)


def test_finds_templates_and_python_files():
    names = {_rel(p) for p in template_files()}
    assert "templates/base.html" in names and "templates/inbox/_conversation.html" in names
    assert any(_rel(p) == "inbox/views.py" for p in python_files())
    assert not any("tests" in p.relative_to(ROOT).parts for p in python_files())


def test_every_template_string_has_a_spanish_translation():
    catalog = _mo_catalog()
    missing = defaultdict(list)
    total = 0
    for path in template_files():
        for context, msgid, plural in template_msgids(path):
            total += 1
            if _missing(catalog, context, msgid, plural):
                missing[msgid].append(_rel(path))
    assert total > 100, "the template scan found almost nothing: is templatize still producing gettext calls?"
    assert not missing, "template strings without Spanish (makemessages, translate, compilemessages):\n" + "\n".join(
        f"  {msgid!r}  ({', '.join(sorted(set(where)))})" for msgid, where in missing.items())


def test_every_python_string_has_a_spanish_translation():
    catalog = _mo_catalog()
    missing, unreadable = [], []
    for path in python_files():
        found, bad = python_msgids(path)
        unreadable += [f"{_rel(path)}:{line}" for line in bad]
        missing += [f"{_rel(path)}:{line}: {msgid!r}" for context, msgid, plural, line in found
                    if _missing(catalog, context, msgid, plural)]
    assert not unreadable, ("translation calls with an f-string or a %-expression inside (makemessages cannot "
                            "extract them; translate the literal, then format): " + ", ".join(unreadable))
    assert not missing, "Python strings without Spanish (makemessages, translate, compilemessages):\n" + "\n".join(
        missing)


def test_the_extractor_sees_a_new_untranslated_template_string(tmp_path):
    """Guard for the guard: a freshly added {% translate %} string is reported missing."""
    page = tmp_path / "new.html"
    page.write_text('{% load i18n %}<button>{% translate "Snooze until tomorrow (untranslated)" %}</button>'
                    '{% blocktranslate with n=3 %}{{ n }} things{% endblocktranslate %}'
                    '{% translate "Mine" context "queue tab" %}', encoding="utf-8")
    catalog = _mo_catalog()
    found = template_msgids(page)
    assert (None, "Snooze until tomorrow (untranslated)", None) in found
    assert (None, "%(n)s things", None) in found
    assert ("queue tab", "Mine", None) in found
    assert all(_missing(catalog, *item) for item in found)
    assert not _missing(catalog, None, "Messages", None)


# ---- nothing visible is left unmarked -------------------------------------------------------------

ALLOWED_WORDS = {"Parley", "API", "Telegram", "WhatsApp", "Messenger", "Dialogflow", "Emoji"}
CHECKED_ATTRS = {"aria-label", "aria-description", "aria-placeholder", "aria-roledescription", "aria-valuetext",
                 "placeholder", "title", "alt", "label", "data-label", "data-unassigned"}
SKIPPED_ELEMENTS = {"script", "style", "code", "pre", "kbd", "samp", "svg", "math"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
_WORD = re.compile(r"[A-Za-z]{2,}")
_TEMPLATE_SYNTAX = [
    re.compile(r"\{#.*?#\}", re.S),
    re.compile(r"\{%\s*comment\b.*?%\}.*?\{%\s*endcomment\s*%\}", re.S),
    re.compile(r"\{%\s*blocktrans(?:late)?\b.*?\{%\s*endblocktrans(?:late)?\s*%\}", re.S),
    re.compile(r"\{%.*?%\}", re.S),
    re.compile(r"\{\{.*?\}\}", re.S),
]


def strip_template_syntax(source: str) -> str:
    """Remove tags, variables and whole translation blocks; keep newlines so line numbers still match."""
    for pattern in _TEMPLATE_SYNTAX:
        source = pattern.sub(lambda m: "\n" * m.group(0).count("\n"), source)
    return source


def _is_text_attribute(name: str) -> bool:
    if name in CHECKED_ATTRS:
        return True
    return name.startswith("data-") and (name.endswith("-text") or name.startswith("data-text"))


def _english_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if w not in ALLOWED_WORDS]


class _UnmarkedText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.skipping: list[str] = []
        self.found: list[tuple[int, str]] = []

    def handle_starttag(self, tag, attrs):
        if self.skipping or tag in SKIPPED_ELEMENTS:
            if tag not in VOID:
                self.skipping.append(tag)
            return
        attributes = dict(attrs)
        for name, value in attrs:
            if value and _is_text_attribute(name) and _english_words(value):
                self.found.append((self.getpos()[0], f'{name}="{value.strip()}"'))
        if tag == "input" and attributes.get("type") in {"submit", "button", "reset"}:
            value = attributes.get("value") or ""
            if _english_words(value):
                self.found.append((self.getpos()[0], f'value="{value}"'))

    def handle_startendtag(self, tag, attrs):
        if not self.skipping:
            self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag):
        if self.skipping and self.skipping[-1] == tag:
            self.skipping.pop()

    def handle_data(self, data):
        if not self.skipping and _english_words(data):
            self.found.append((self.getpos()[0], " ".join(data.split())))


def unmarked_text(source: str) -> list[tuple[int, str]]:
    parser = _UnmarkedText()
    parser.feed(strip_template_syntax(source))
    parser.close()
    return parser.found


def test_no_visible_english_outside_translation_tags():
    problems = [f"{_rel(path)}:{line}: {text}" for path in template_files()
                for line, text in unmarked_text(path.read_text(encoding="utf-8"))]
    assert not problems, ("visible text not marked for translation (wrap it in {% translate %} or "
                          "{% blocktranslate %}):\n" + "\n".join(problems))


def test_the_unmarked_text_scan_catches_hard_coded_english():
    source = ('{% load i18n %}<button aria-label="Close">x</button><p>Snooze</p>'
              '<input placeholder="{% translate \'Search\' %}"><h1>Parley</h1><code>admin@demo.test</code>'
              '<div data-empty-text="Nothing here"></div>'
              "<p>{% blocktranslate %}Hi {{ name }}{% endblocktranslate %}</p>")
    found = [text for _line, text in unmarked_text(source)]
    assert found == ['aria-label="Close"', "Snooze", 'data-empty-text="Nothing here"']


# ---- JavaScript reads its words from translated data attributes -----------------------------------

JS_DIR = ROOT / "static" / "js"
# Literals that look like words but are DOM or key names, not text a person reads.
JS_TOKENS = {"use strict", "Files", "Escape", "Enter", "Home", "End", "Tab", "Accept", "ArrowUp", "ArrowDown",
             "ArrowLeft", "ArrowRight", "PageUp", "PageDown", "Backspace", "Delete", "Space", "Spacebar"}
_JS_LITERAL = re.compile(r"""(?<![\w$])("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)""")
_JS_TEXT_KEY = re.compile(r"\b(?:dataset|text)\.((?:text[A-Z]\w*)|(?:\w+Text))\b")


def _js_code_lines(path: Path):
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip().startswith(("//", "*", "/*")):
            yield number, line


def test_javascript_has_no_hard_coded_english_except_fallbacks():
    problems = []
    for path in sorted(JS_DIR.glob("*.js")):
        for number, line in _js_code_lines(path):
            end = 0
            for match in _JS_LITERAL.finditer(line):
                if "//" in line[end:match.start()]:
                    break  # the rest of the line is a comment
                end = match.end()
                text = match.group(1)[1:-1]
                if text in JS_TOKENS or text.lstrip().startswith("<") or "${" in text:
                    continue
                prose = re.search(r"[A-Za-z]{2,}\S* [A-Za-z]{2,}", text) or re.fullmatch(r"[A-Z][a-z]+\W*", text)
                if prose and not line[:match.start()].rstrip().endswith("||"):
                    problems.append(f"{_rel(path)}:{number}: {match.group(1)}")
    assert not problems, ("user-facing English in JS: render it into a data-*-text attribute with {% translate %} "
                          "and read it from the element (a `dataset.x || \"English\"` fallback is fine):\n"
                          + "\n".join(problems))


def test_every_text_the_javascript_reads_is_a_translated_attribute():
    templates = "\n".join(p.read_text(encoding="utf-8") for p in template_files())
    missing = []
    for path in sorted(JS_DIR.glob("*.js")):
        for key in sorted(set(_JS_TEXT_KEY.findall(path.read_text(encoding="utf-8")))):
            if key == "textContent":
                continue
            attr = "data-" + re.sub(r"([A-Z])", lambda m: "-" + m.group(1).lower(), key)
            if not re.search(re.escape(attr) + r"""=["']\{%\s*(?:block)?trans""", templates):
                missing.append(f"{_rel(path)} reads {key} but no template renders {attr}=\"{{% translate … %}}\"")
    assert not missing, "\n".join(missing)


# ---- what people see ------------------------------------------------------------------------------


class _Node:
    def __init__(self, tag: str, attrs: dict, parent: _Node | None):
        self.tag, self.attrs, self.parent, self.children = tag, attrs, parent, []

    def text(self) -> str:
        parts = [c if isinstance(c, str) else c.text() for c in self.children]
        return " ".join(" ".join(parts).split())

    def walk(self):
        for child in self.children:
            if isinstance(child, _Node):
                yield child
                yield from child.walk()


class _Tree(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = self.current = _Node("#document", {}, None)

    def handle_starttag(self, tag, attrs):
        node = _Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if tag not in VOID:
            self.current = node

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)


class Page:
    """Accessible names as a screen reader computes them, for the parts Parley uses."""

    def __init__(self, html: str):
        tree = _Tree()
        tree.feed(html)
        self.nodes = list(tree.root.walk())
        self.by_id = {n.attrs["id"]: n for n in self.nodes if n.attrs.get("id")}
        self.html_lang = next((n.attrs.get("lang") for n in self.nodes if n.tag == "html"), None)

    def name(self, node: _Node) -> str:
        if node.attrs.get("aria-labelledby"):
            return " ".join(self.by_id[i].text() for i in node.attrs["aria-labelledby"].split() if i in self.by_id)
        if node.attrs.get("aria-label"):
            return node.attrs["aria-label"].strip()
        if node.attrs.get("id"):
            label = next((n for n in self.nodes if n.tag == "label" and n.attrs.get("for") == node.attrs["id"]), None)
            if label is not None:
                return label.text()
        return node.text()

    def names(self, tag: str, **attrs) -> list[str]:
        return [self.name(n) for n in self.nodes
                if n.tag == tag and all(n.attrs.get(k.rstrip("_").replace("_", "-")) == v for k, v in attrs.items())]

    def named(self, element_id: str) -> str:
        return self.name(self.by_id[element_id])

    def links(self) -> list[str]:
        return [n.text() for n in self.nodes if n.tag == "a"]

    def visible_strings(self) -> set[str]:
        """Text nodes and text attributes (what can be read or heard), each trimmed."""
        found = set()
        skip_parents = {"script", "style"}
        for n in self.nodes:
            if n.tag in skip_parents:
                continue
            found.update(" ".join(c.split()) for c in n.children if isinstance(c, str) and c.strip())
            found.update(v.strip() for k, v in n.attrs.items() if v and _is_text_attribute(k))
        return found


@pytest.fixture
def pages(demo, client_for):
    """pages(language) -> (queue page, conversation page) for an agent who chose that language."""
    conversation = f.make_conversation(demo.workspace, text="Hola, ¿me ayudan?")

    def get(language: str) -> tuple[Page, Page]:
        demo.agent.user.language = language
        demo.agent.user.save(update_fields=["language"])
        client = client_for(demo.agent)
        found = []
        for url in (f"/w/{demo.slug}/messages/?tab=all", f"/w/{demo.slug}/messages/{conversation.pk}/"):
            response = client.get(url)
            assert response.status_code == 200
            found.append(Page(response.content.decode()))
        return found[0], found[1]

    return get


NAMES = {  # DESIGN.md's interface contract, English → Spanish
    "nav": (["Messages", "Contacts"], ["Mensajes", "Contactos"]),
    "tabs": (["Mine", "Unassigned", "All"], ["Mías", "Sin asignar", "Todas"]),
    "textbox": ("Message", "Mensaje"),
    "send": ("Send", "Enviar"),
    "history": ("Conversation history", "Historial de la conversación"),
    "assign": ("Assign", "Asignar"),
    "close": ("Close conversation", "Cerrar la conversación"),
    "attach": ("Attach files", "Adjuntar archivos"),
    "emoji": ("Emoji", "Emoji"),
    "record": ("Record voice note", "Grabar nota de voz"),
}


@pytest.mark.parametrize("language", ["es", "en"])
def test_pages_speak_the_members_language(pages, language):
    pick = 1 if language == "es" else 0
    queue, page = pages(language)

    for p in (queue, page):
        assert p.html_lang == language
        assert p.names("nav", class_="sidebar") == ["Principal" if language == "es" else "Main"]
        for name in NAMES["nav"][pick]:
            assert name in p.links()
    tabs = [n.children[0].strip() for n in queue.nodes if n.tag == "a" and n.attrs.get("data-tab")]
    assert tabs == NAMES["tabs"][pick]
    assert queue.names("h2", id="queue-heading") == [NAMES["nav"][pick][0]]
    assert queue.names("ul", id="queue-list") == ["Conversaciones" if language == "es" else "Conversations"]

    assert page.by_id["composer-body"].tag == "textarea"
    assert page.named("composer-body") == NAMES["textbox"][pick]
    assert page.named("composer-send") == NAMES["send"][pick]
    assert page.by_id["history"].attrs["role"] == "log"
    assert page.named("history") == NAMES["history"][pick]
    assert page.named("assign-select") == NAMES["assign"][pick]
    assert page.named("close-opener") == NAMES["close"][pick]
    assert page.named("attach-button") == NAMES["attach"][pick]
    assert page.named("emoji-button") == NAMES["emoji"][pick]
    if "voice-record" in page.by_id:
        assert page.named("voice-record") == NAMES["record"][pick]


def test_spanish_pages_have_no_english_left(pages):
    """Every string of the rendered pages that our catalogue knows in English shows up in Spanish."""
    english = {e.msgid.replace("%%", "%") for e in _po_entries()
               if e.msgid_plural is None and e.msgstr.get(0) != e.msgid}
    for page in pages("es"):
        leftovers = sorted(s for s in page.visible_strings() if s in english)
        assert not leftovers, f"English strings on a Spanish page: {leftovers}"


def test_contacts_page_is_spanish(demo, client_for):
    f.make_conversation(demo.workspace)
    demo.agent.user.language = "es"
    demo.agent.user.save(update_fields=["language"])

    contacts = Page(client_for(demo.agent).get(f"/w/{demo.slug}/contacts/").content.decode())
    assert contacts.html_lang == "es"
    assert contacts.names("input", id="contact-search") == ["Buscar contactos"]
    assert "Ana García" in contacts.links()


def test_anonymous_login_page_follows_the_browser_language(client):
    page = Page(client.get("/login/", HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9").content.decode())
    assert page.html_lang == "es"
    assert "Iniciar sesión" in page.names("button", type="submit")
    assert Page(client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()).html_lang == "en"


def test_python_strings_are_translated_at_run_time():
    from inbox.models import Conversation

    with translation.override("es"):
        assert str(Conversation.Status.OPEN.label) == "Abierta"
        assert translation.gettext("Close conversation") == "Cerrar la conversación"
    with translation.override("en"):
        assert translation.gettext("Close conversation") == "Close conversation"
