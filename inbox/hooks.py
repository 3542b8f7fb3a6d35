"""Inbound webhooks: read the body with a cap, verify it, parse it, store through the service, answer fast."""

from __future__ import annotations

import copy
import logging
import threading
import time
from collections import OrderedDict

from django.db.models.signals import post_delete, post_save
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

# ---- the channel of a hook URL, without a query per request --------------------------------------------
# Found active channels are kept per process for CHANNEL_TTL seconds, keyed by (kind, uuid). Saving or
# deleting a channel forgets it at once in the process that did it (the admin, connect_channel); every other
# process re-reads it within CHANNEL_TTL, so a deactivated channel (or a rotated token or secret) stops
# working everywhere within seconds. Unknown or inactive channels are never kept: a new channel answers at
# once, and random uuids cannot fill the cache.
CHANNEL_TTL = 5.0
CHANNELS_KEPT = 1024
_channels: OrderedDict[tuple[str, str], tuple[float, Channel]] = OrderedDict()
_channels_lock = threading.Lock()


def channel_for(kind: str, channel_uuid) -> Channel | None:
    """The active channel (with its workspace) a hook URL names, or None. Each caller gets its own copy."""
    key = (kind, str(channel_uuid))
    now = time.monotonic()
    with _channels_lock:
        kept = _channels.get(key)
    if kept is None or kept[0] <= now:
        channel = Channel.objects.select_related("workspace").filter(uuid=channel_uuid, kind=kind,
                                                                    is_active=True).first()
        with _channels_lock:
            if channel is None:
                _channels.pop(key, None)
                return None
            _channels[key] = (now + CHANNEL_TTL, channel)
            _channels.move_to_end(key)
            while len(_channels) > CHANNELS_KEPT:
                _channels.popitem(last=False)
        kept = (0.0, channel)
    # A shallow copy per request (the workspace too): nothing a request sets on its channel leaks to another.
    channel = copy.copy(kept[1])
    channel.workspace = copy.copy(kept[1].workspace)
    return channel


def forget_channel(sender=None, instance: Channel | None = None, **kwargs) -> None:
    """Drop a saved or deleted channel from this process's cache (connected to Channel's signals below)."""
    if instance is not None:
        with _channels_lock:
            for key in [k for k in _channels if k[1] == str(instance.uuid)]:
                del _channels[key]


post_save.connect(forget_channel, sender=Channel, dispatch_uid="inbox.hooks.forget_channel")
post_delete.connect(forget_channel, sender=Channel, dispatch_uid="inbox.hooks.forget_channel.delete")


def too_large(limit: int) -> JsonResponse:
    return JsonResponse({"error": _("The body is too large (at most %(kb)d KB).") % {"kb": limit // 1024},
                         "field": "body"}, status=413)


@csrf_exempt
def inbound(request: HttpRequest, kind: str, channel_uuid) -> HttpResponse:
    """POST /hooks/<kind>/<channel uuid>/. GET is offered to connectors that verify subscriptions.

    Every answer is JSON: 413 past MAX_BODY at any size (read with a cap, before Django would parse it),
    401/403 unauthentic, 400 naming the field when the payload does not validate (nothing stored).
    """
    channel = channel_for(kind, channel_uuid)
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
