"""The validating layer itself: capped body reads, strict JSON, cleaned value types, errors with a dotted field."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import pytest
from django.core.handlers.asgi import ASGIRequest
from django.test import RequestFactory

from connectors.base import BadPayload
from connectors.payloads import common
from connectors.payloads.common import ExternalId, Link, OptionalId, Payload, line, text
from kernel.text import clean_line, clean_text, scrub


class Sample(Payload):
    id: ExternalId
    ref: OptionalId = ""
    body: text(10, cut=False) = ""
    caption: text(3) = ""
    name: line(5, cut=False) = ""
    link: Link = ""
    size: common.HintInt = None


def fails(data) -> BadPayload:
    with pytest.raises(BadPayload) as caught:
        common.validate(Sample, data)
    return caught.value


# ---- body -----------------------------------------------------------------------------------------


def test_a_declared_length_over_the_limit_is_refused_without_reading():
    request = RequestFactory().post("/", data=b"x" * 11, content_type="application/json")
    with pytest.raises(common.BodyTooLarge):
        common.read_body(request, limit=10)


def test_a_body_without_content_length_is_read_up_to_the_limit_only():
    def request(size: int) -> ASGIRequest:
        scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": []}
        return ASGIRequest(scope, io.BytesIO(b"y" * size))

    assert common.read_body(request(200_000), limit=200_000) == b"y" * 200_000
    with pytest.raises(common.BodyTooLarge):
        common.read_body(request(200_001), limit=200_000)


def test_a_client_gone_mid_body_is_a_400_on_the_body_not_a_500():
    stream = io.BytesIO(b"{\"a\": 1")
    stream.close()  # what the ASGI handler's spooled body looks like once the client disconnected
    scope = {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": []}
    with pytest.raises(BadPayload) as refused:
        common.read_body(ASGIRequest(scope, stream), limit=1000)
    assert refused.value.field == "body"


# ---- JSON -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [b"[" * 50_000, b"{", b"NaN", b'{"a": Infinity}', b"\xff", b"\xef\xbb\xbf{}",
                                  b"1" * 5000, b""])
def test_what_is_not_strict_json_is_a_400_on_the_body(body):
    with pytest.raises(BadPayload) as caught:
        common.decode_json(body)
    assert caught.value.field == "body"


def test_json_escapes_for_lone_surrogates_are_kept_for_the_cleaning_step():
    assert common.decode_json(b'{"t": "x\\ud800y"}') == {"t": "x\ud800y"}


# ---- errors ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("loc", "path"), [
    ((), "body"), (("message", "id"), "message.id"), (("entry", 0, "messaging", 12, "sender", "id"),
                                                       "entry[0].messaging[12].sender.id"),
])
def test_error_locations_become_dotted_fields(loc, path):
    assert common.field_path(loc) == path


def test_the_first_wrong_field_is_named_in_plain_words():
    error = fails({"id": "a", "body": 5})
    assert (error.field, str(error)) == ("body", "body must be a string.")
    assert str(fails({"id": "a", "body": "x" * 11})) == "body is too long (at most 10 characters)."
    assert str(fails([])) == "The body must be a JSON object."


# ---- values ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "kept"), [("ext-1", "ext-1"), (123, "123"), ("  a\x00b\n c ", "ab c")])
def test_ids_are_cleaned_like_stored_lines(value, kept):
    assert common.validate(Sample, {"id": value}).id == kept


@pytest.mark.parametrize(("value", "needle"), [
    (None, "is required"), ("", "is required"), ("\x00\x1f\x7f", "empty once control characters"),
    (" \t\n", "empty once control characters"), ("x\ud800", "not valid Unicode"), ("x" * 256, "at most 255"),
    (True, "must be a string"), (1.5, "must be a string"), ({}, "must be a string"),
])
def test_ids_that_cannot_be_stored_faithfully_are_refused(value, needle):
    error = fails({"id": value})
    assert error.field == "id" and needle in str(error)


def test_lookup_ids_are_cleaned_but_never_refused_for_their_content():
    assert common.validate(Sample, {"id": "a", "ref": "\x00\ud800 x"}).ref == "\ufffd x"


def test_text_drops_control_characters_and_replaces_lone_surrogates():
    sample = common.validate(Sample, {"id": "a", "body": " a\x00\tb\r\nc\ud800 ", "caption": "abcdef"})
    assert sample.body == "a\tb\nc\ufffd"
    assert sample.caption == "abc"  # a provider text past its limit is cut, not refused


@pytest.mark.parametrize("link", ["ftp://x.example/a", "https://x.example/a b", "https://x\x00.example/",
                                  "https://x.example/\ud800", "javascript:alert(1)", "https://", 5])
def test_links_must_be_clean_http_urls(link):
    assert fails({"id": "a", "link": link}).field == "link"


def test_hints_that_are_not_numbers_are_dropped():
    assert common.validate(Sample, {"id": "a", "size": "x"}).size is None
    assert common.validate(Sample, {"id": "a", "size": "12"}).size == 12


@pytest.mark.parametrize(("value", "per_second", "expected"), [
    (1735689600, 1, datetime(2025, 1, 1, tzinfo=UTC)),
    (1735689600000, 1000, datetime(2025, 1, 1, tzinfo=UTC)),
    (10**12, 1, None), (10**20, 1000, None), (10**400, 1000, None), (-1, 1, None), (0, 1, None),
    (float("inf"), 1, None), (True, 1, None), (None, 1, None),
])
def test_provider_times_outside_a_plausible_range_are_dropped(value, per_second, expected):
    assert common.moment(value, per_second=per_second) == expected


def test_the_text_helpers_never_return_what_postgresql_refuses():
    nasty = "a\x00\x01\x1b\x7f\x85\x9f\ud800\udfffb\tc\nd"
    assert scrub(nasty) == "a\ufffd\ufffdb\tc\nd"
    assert clean_text(nasty) == "a\ufffd\ufffdb\tc\nd"
    assert clean_line(nasty, limit=100) == "a\ufffd\ufffdb c d"
