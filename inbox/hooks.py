"""Inbound webhooks: read the body with a cap, verify it, parse it, store through the service, answer fast."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from connectors import payloads, registry
from connectors.base import BadPayload, InboundMessage, NotAuthentic, ReadUpTo, SendError, StatusReceipt

from .errors import InboxError
from .models import Channel
from .services.receiving import receive_message, receive_read_up_to, receive_status

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024  # README: "413 a body over 1 MB"


def too_large(limit: int) -> JsonResponse:
    return JsonResponse({"error": _("The body is too large (at most %(kb)d KB).") % {"kb": limit // 1024},
                         "field": "body"}, status=413)


@csrf_exempt
def inbound(request: HttpRequest, kind: str, channel_uuid) -> HttpResponse:
    """POST /hooks/<kind>/<channel uuid>/. GET is offered to connectors that verify subscriptions.

    Every answer is JSON: 413 past MAX_BODY at any size (read with a cap, before Django would parse it),
    401/403 unauthentic, 400 naming the field when the payload does not validate (nothing stored).
    """
    channel = (
        Channel.objects.select_related("workspace").filter(uuid=channel_uuid, kind=kind, is_active=True).first()
    )
    if channel is None:
        return JsonResponse({"error": "Unknown channel.", "field": "channel"}, status=404)
    try:
        connector = registry.get(kind)
    except SendError:
        return JsonResponse({"error": "Unknown channel kind.", "field": "kind"}, status=404)
    if request.method == "GET" and hasattr(connector, "subscribe"):
        return connector.subscribe(request, channel)
    if request.method != "POST":
        return JsonResponse({"error": "Use POST.", "field": "method"}, status=405)
    try:
        body = payloads.read_body(request, limit=MAX_BODY)
    except payloads.BodyTooLarge as exc:
        return too_large(exc.limit)
    try:
        connector.verify(request, channel, body)
    except NotAuthentic as exc:
        status = 401 if kind == "api" else 403
        return JsonResponse({"error": str(exc), "field": "authorization"}, status=status)
    try:
        items = connector.parse(request, channel, body)
    except BadPayload as exc:
        return JsonResponse({"error": str(exc), "field": exc.field}, status=400)
    stored = duplicates = 0
    for item in items:
        try:
            if isinstance(item, InboundMessage):
                result = receive_message(workspace=channel.workspace, channel=channel, inbound=item)
                duplicates += result.duplicate
                stored += not result.duplicate
            elif isinstance(item, StatusReceipt):
                receive_status(workspace=channel.workspace, channel=channel, receipt=item)
            elif isinstance(item, ReadUpTo):
                receive_read_up_to(workspace=channel.workspace, channel=channel,
                                   external_contact_id=item.external_contact_id, until=item.until)
        except InboxError as exc:
            return JsonResponse({"error": str(exc), "field": "message"}, status=400)
    return JsonResponse({"ok": True, "stored": stored, "duplicates": duplicates})
