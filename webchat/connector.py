"""The web chat widget: visitors post through /widget/… and agents' replies are pushed to their socket."""

from __future__ import annotations

from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from connectors.base import (
    Capabilities,
    Connector,
    NotAuthentic,
    OutboundMessage,
    SentPart,
    TransientSendError,
    registry,
)
from realtime import events

from .services import survey_actions

WHOLE = "message"  # one push carries the whole message


def visitor_payload(message: OutboundMessage) -> dict:
    """What the visitor's widget gets: the same shape as its history (services.visitor_message_payload)."""
    return {
        "id": message.id,
        "direction": "out",
        "kind": message.kind,
        "text": message.text,
        "author": message.author,
        "attachments": [{"url": p.url, "name": p.name, "content_type": p.content_type, "size": p.size}
                        for p in message.files],
        "actions": survey_actions(message.text, message.kind),
        "created_at": message.created_at.isoformat() if message.created_at else None,
    }


class WebchatConnector(Connector):
    kind = "webchat"
    # The widget plays voice notes in an <audio controls> player: a browser recording plays as it is.
    capabilities = Capabilities(
        text=True, voice_note=True, audio=True, file=True, image=True, max_file_bytes=10 * 1024 * 1024,
        voice_note_formats=("webm/opus", "ogg/opus", "mp4/aac"),
    )

    def verify(self, request, channel, body) -> None:
        # Visitors never post to /hooks/webchat/…: their messages come through the widget endpoints.
        raise NotAuthentic(str(_("Web chat messages arrive through the widget, not through a webhook.")))

    def parse(self, request, channel, body) -> list:
        return []

    def send(self, message: OutboundMessage) -> Iterator[SentPart]:
        """Push the message to the visitor's live group; a visitor who is away resyncs from the history later."""
        if not message.pending(WHOLE):
            return
        try:
            events.publish_to_visitor(message.channel.id, message.contact_id, visitor_payload(message))
        except Exception as exc:  # the channel layer (Redis) is down: try again later
            raise TransientSendError(f"Could not reach the live channel layer: {type(exc).__name__}.") from exc
        yield SentPart(WHOLE)


def register() -> None:
    """Called by the app's ready(): the web chat is a channel kind like any other."""
    registry.register(WebchatConnector())
