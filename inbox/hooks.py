"""Inbound webhooks: verify on the raw bytes, parse, store through the service, answer fast."""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .connectors import registry
from .connectors.base import BadPayload, InboundMessage, NotAuthentic, ReadUpTo, SendError, StatusReceipt
from .errors import InboxError
from .models import Channel
from .services.receiving import receive_message, receive_read_up_to, receive_status

log = logging.getLogger(__name__)
MAX_BODY = 1024 * 1024


@csrf_exempt
def inbound(request: HttpRequest, kind: str, channel_uuid) -> HttpResponse:
    """POST /hooks/<kind>/<channel uuid>/. GET is offered to connectors that verify subscriptions."""
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
    if len(request.body) > MAX_BODY:
        return JsonResponse({"error": "The body is too large.", "field": "body"}, status=413)
    try:
        connector.verify(request, channel)
    except NotAuthentic as exc:
        status = 401 if kind == "api" else 403
        return JsonResponse({"error": str(exc), "field": "authorization"}, status=status)
    try:
        items = connector.parse(request, channel)
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
