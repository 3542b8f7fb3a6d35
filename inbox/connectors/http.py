"""Outbound HTTP for connectors: timeouts, an SSRF guard, and errors sorted into transient or final."""

from __future__ import annotations

import ipaddress
import socket
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.utils import timezone

from .base import SendError, TransientSendError

TIMEOUT = (3.05, 10)  # connect, read


def _private_allowed() -> bool:
    return settings.DEBUG or settings.ALLOW_PRIVATE_WEBHOOKS


def check_public_url(url: str) -> None:
    """Refuse URLs that resolve to loopback, private, link-local or reserved addresses (SSRF guard)."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SendError(f"Not an http(s) URL: {url[:100]}")
    if _private_allowed():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError as exc:
        raise TransientSendError(f"Cannot resolve {parts.hostname}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise SendError(f"Refused to call {parts.hostname}: it is a private or local address.")


def retry_after_seconds(value: str | None) -> float | None:
    """Parse Retry-After (seconds or an HTTP date) into seconds, capped at an hour."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - timezone.now()).total_seconds()
        except (TypeError, ValueError):
            return None
    return max(0.0, min(seconds, 3600.0))


def post(url: str, *, data: bytes | None = None, json: dict | None = None, headers: dict | None = None,
         files: dict | None = None, guard: bool = True) -> requests.Response:
    """POST and return a 2xx response; raise TransientSendError (retry) or SendError (final)."""
    if guard:
        check_public_url(url)
    try:
        response = requests.post(url, data=data, json=json, headers=headers, files=files, timeout=TIMEOUT,
                                 allow_redirects=False)
    except requests.Timeout as exc:
        raise TransientSendError(f"Timed out calling {urlsplit(url).hostname}.") from exc
    except requests.RequestException as exc:
        raise TransientSendError(f"Network error calling {urlsplit(url).hostname}: {type(exc).__name__}.") from exc
    return check_response(response)


def check_response(response: requests.Response) -> requests.Response:
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientSendError(
            f"The receiver answered {response.status_code}.",
            retry_after=retry_after_seconds(response.headers.get("Retry-After")),
        )
    if response.status_code >= 300:
        raise SendError(f"The receiver answered {response.status_code}: {response.text[:200]}")
    return response
