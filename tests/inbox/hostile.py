"""Hostile input for webhooks and the widget: Hypothesis strategies, and the checks every answer must pass.

The checks are the contract: never a 5xx; a 4xx is JSON naming a field and stores nothing; whatever is
stored holds no control character (but tab, newline, CR) and no lone surrogate.

Fuzz runs are derandomized (the same examples every run, so CI never flakes); PARLEY_FUZZ_RANDOM=1 explores
new ones and PARLEY_FUZZ_EXAMPLES=<n> runs more. A failure prints the falsifying example and a blob for
@reproduce_failure.
"""

from __future__ import annotations

import copy
import json
import os
import re
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, example, settings
from hypothesis import strategies as st

from contacts.models import Contact, ContactIdentity
from inbox.models import Attachment, Conversation, Message

FUZZ = settings(
    max_examples=int(os.environ.get("PARLEY_FUZZ_EXAMPLES", "120")),
    deadline=None,
    database=None,
    derandomize=os.environ.get("PARLEY_FUZZ_RANDOM") != "1",
    print_blob=True,
    # The Django client and the demo workspace are shared by every example on purpose: the checks compare
    # row counts before and after each request, so nothing needs resetting between examples.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.large_base_example],
)

UNCLEAN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
NASTY_CHARS = ("\x00", "\x01", "\x08", "\x0b", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\ud800", "\udbff",
               "\udc00", "\udfff", "\ufeff", "\u202e", "\u2028", "\ufffe", " ", "\t", "\n", "\r", "a", "é", "😀")
NASTY_STRINGS = ("", " ", "\x00", "\x00\x01\x1f", "\ud800", "x\ud800y", "\udfff\ud800", " \t\n ", "\u202e",
                 "null", "0", "-1", "1e400", "NaN", "../../etc/passwd", "javascript:alert(1)", "http://",
                 "https://example.com/a b", "https://\x00.example/", "x" * 300, "é" * 5000)
HUGE_INTS = (10**12, 10**20, 2**53 + 1, 2**63, -(2**63) - 1, 10**300, -1, 0, 1)

nasty_text = st.one_of(
    st.text(st.sampled_from(NASTY_CHARS), max_size=40),
    st.sampled_from(NASTY_STRINGS),
    st.text(max_size=30),
)
scalars = st.one_of(
    st.none(), st.booleans(), nasty_text, st.sampled_from(HUGE_INTS), st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
)
# Keys that the schemas know, so random objects often land on a real field with the wrong shape.
KNOWN_KEYS = ("id", "text", "name", "contact", "message", "attachments", "url", "from", "chat", "date",
              "message_id", "update_id", "photo", "file_id", "file_size", "entry", "changes", "value", "messages",
              "statuses", "messaging", "sender", "timestamp", "read", "watermark", "delivery", "mids", "object",
              "type", "payload", "token", "client_id", "email", "mid", "is_echo", "voice", "audio", "caption")
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=8))
json_values = st.recursive(
    scalars, lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=16,
)
# Mostly fresh ids (so examples store new rows instead of deduping), sometimes odd or hostile ones.
fresh_ids = st.uuids().map(str)
ids = st.one_of(fresh_ids, fresh_ids, fresh_ids, st.text(min_size=1, max_size=24),
                st.integers(min_value=0, max_value=10**15), nasty_text)
RAW_BODIES = (b"", b"{", b"[" * 50_000, b'{"a":' * 30_000, b"\xff\xfe\x00", b"\xed\xa0\x80", b"NaN",
              b'{"x": Infinity}', b"1" * 5000, b"\xef\xbb\xbf{}", b"null", b"[]", b'"\\ud800"')


def with_raw_bodies(**other_arguments: Any):
    """Run every RAW_BODIES entry as an explicit example too, so the known attacks are hit on every run."""

    def decorate(test):
        for raw in RAW_BODIES:
            test = example(body=raw, **other_arguments)(test)
        return test

    return decorate


def _slots(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key) in a JSON value, so a mutation can hit any depth."""
    found: list[tuple[Any, Any]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.append((value, key))
        found.extend(_slots(child))
    return found


@st.composite
def mutated(draw, valid: st.SearchStrategy[dict]) -> Any:
    """A valid payload with one to four of its values replaced, deleted or wrapped: fuzz that reaches deep code."""
    payload = copy.deepcopy(draw(valid))
    # Uniform picks: sampled_from leans to its first items, which would mutate the first field almost every time.
    rnd = draw(st.randoms(use_true_random=False))
    for _ in range(rnd.randint(1, 4)):
        slots = _slots(payload)
        if not slots:
            break
        parent, key = rnd.choice(slots)
        current = parent[key]
        action = rnd.choice(("same type", "same type", "other value", "other value", "delete", "wrap"))
        if action == "delete":
            del parent[key]
        elif action == "wrap":
            parent[key] = draw(st.sampled_from(([current], {"x": current})))
        elif action == "same type" and isinstance(current, str):
            parent[key] = draw(nasty_text)  # mostly still valid: reaches cleaning and storage
        elif action == "same type" and isinstance(current, int) and not isinstance(current, bool):
            parent[key] = draw(st.sampled_from(HUGE_INTS))
        else:
            parent[key] = draw(json_values)
    return payload


def bodies(valid: st.SearchStrategy[dict]) -> st.SearchStrategy[bytes]:
    """Raw request bodies: mostly mutations of a valid payload, some valid ones, random JSON, broken bytes."""
    as_json = st.one_of(mutated(valid), mutated(valid), mutated(valid), valid, valid, json_values)
    ascii_json = as_json.map(lambda v: json.dumps(v).encode())  # ASCII escapes: lone surrogates travel as \ud800
    return st.one_of(
        ascii_json, ascii_json, ascii_json, ascii_json,
        as_json.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
        st.sampled_from(RAW_BODIES),
        st.binary(max_size=40),
    )


@dataclass(frozen=True)
class Snapshot:
    counts: tuple[int, ...]
    last_message: int
    last_contact: int


def snapshot() -> Snapshot:
    models = (Message, Contact, ContactIdentity, Conversation, Attachment)
    return Snapshot(
        counts=tuple(m.objects.count() for m in models),
        last_message=Message.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
        last_contact=Contact.objects.order_by("-pk").values_list("pk", flat=True).first() or 0,
    )


def check_answer(response, before: Snapshot) -> None:
    """The contract for any hostile request: see the module docstring."""
    status = response.status_code
    assert status < 500, response.content[:500]
    if 400 <= status < 500:
        assert response["Content-Type"].startswith("application/json"), response.content[:200]
        answer = response.json()
        assert answer.get("error") and answer.get("field"), answer
        assert snapshot().counts == before.counts, f"{status} {answer} but something was stored"
        return
    for body, external_id in Message.objects.filter(pk__gt=before.last_message).values_list("body", "external_id"):
        assert not UNCLEAN.search(body or ""), repr(body)
        assert not UNCLEAN.search(external_id or ""), repr(external_id)
    for name, phone, email in Contact.objects.filter(pk__gt=before.last_contact).values_list("name", "phone",
                                                                                              "email"):
        assert not UNCLEAN.search(name + phone + email), repr((name, phone, email))
    for external_id in ContactIdentity.objects.filter(contact_id__gt=before.last_contact).values_list(
            "external_id", flat=True):
        assert external_id.strip() and not UNCLEAN.search(external_id), repr(external_id)
