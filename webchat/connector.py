"""The web chat widget: visitors post through /widget/… and agents' replies are pushed to their socket."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from connectors.base import Capabilities, Connector, NotAuthentic, SendResult, TransientSendError, registry
from realtime import events

from .services import load_message, visitor_message_payload


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

    def send(self, channel, message) -> SendResult:
        """Push the rendered message to the visitor's live group; a visitor who is away resyncs later."""
        payload = visitor_message_payload(load_message(channel, message.pk))
        try:
            events.publish_to_visitor(channel.pk, message.conversation.contact_id, payload)
        except Exception as exc:  # the channel layer (Redis) is down: try again later
            raise TransientSendError(f"Could not reach the live channel layer: {type(exc).__name__}.") from exc
        return SendResult(external_id=None)


def register() -> None:
    """Called by the app's ready(): the web chat is a channel kind like any other."""
    registry.register(WebchatConnector())
