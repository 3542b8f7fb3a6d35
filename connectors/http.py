"""Outbound HTTP for connectors: timeouts, an SSRF guard, and errors sorted into transient or final.

The guard sits where the socket is opened: a guarded request resolves the host once, refuses it if any
address is not public (including IPv6 forms that carry a private IPv4 address inside: NAT64, 6to4,
Teredo, IPv4-mapped and -compatible), and connects to exactly the address it checked. The URL keeps its
host name, so the Host header, TLS SNI and certificate verification are for the name, as usual; a DNS
answer that changes between a check and a connect (rebinding) has nothing to change. Proxies from the
environment are ignored for guarded calls: a proxy would resolve the name itself, behind the guard's back.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from urllib.parse import SplitResult, urlsplit

import requests
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError
from urllib3.util.connection import allowed_gai_family, create_connection

from kernel.text import clean_line

from .base import SendError, TransientSendError

TIMEOUT = (3.05, 10)  # connect, read

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # well-known prefix: the IPv4 address is the last 32 bits
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")  # local-use translation (RFC 8215): never public
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d (and ::, ::1)


def _private_allowed() -> bool:
    return settings.DEBUG or settings.ALLOW_PRIVATE_WEBHOOKS


def _embedded_ipv4(address: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries, for the forms a gateway or stack may translate."""
    embedded = []
    if address.ipv4_mapped:
        embedded.append(address.ipv4_mapped)
    if address.sixtofour:
        embedded.append(address.sixtofour)
    if address.teredo:
        embedded.extend(address.teredo)  # (server, client)
    if address in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return embedded


def address_refusal(address: IPAddress) -> str | None:
    """Why this address may not be called (a short phrase), or None when it is a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id:
            return "a link-local address"
        if address in _NAT64_LOCAL or address in _IPV4_COMPATIBLE:
            return "a translated or deprecated IPv6 form"
        for inner in _embedded_ipv4(address):
            if address_refusal(inner):
                return "an IPv6 form of a private or local IPv4 address"
        if address.is_reserved and address not in _NAT64:  # ::/8 holds the NAT64 prefix, checked above
            return "a reserved address"
    if not address.is_global or address.is_multicast:
        return "a private or local address"
    return None


def resolve_checked(host: str, port: int) -> list[str]:
    """Resolve once and return the addresses to connect to, all of them checked.

    SendError when any address is not public (unless DEBUG or ALLOW_PRIVATE_WEBHOOKS); TransientSendError
    when the name does not resolve now.
    """
    host = host.strip("[]")
    try:
        infos = socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise TransientSendError(f"Cannot resolve {host}: {exc}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise TransientSendError(f"Cannot resolve {host}: no address.")
    if not _private_allowed():
        for raw in addresses:
            reason = address_refusal(ipaddress.ip_address(raw))
            if reason:
                raise SendError(f"Refused to call {host}: it is {reason}.")
    return addresses


def check_public_url(url: str) -> None:
    """Refuse URLs that resolve to loopback, private, link-local or reserved addresses (SSRF guard).

    For checking a setting when it is saved; calls made with post()/guarded_session() check again at
    connect time, on the address they actually connect to.
    """
    parts = http_url_parts(url)
    if _private_allowed():
        return
    resolve_checked(parts.hostname, parts.port or (443 if parts.scheme == "https" else 80))


def http_url_parts(url: str) -> SplitResult:
    """The parts of an http(s) URL with a host; SendError for anything else."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - validates the port
    except ValueError:
        raise SendError(f"Not an http(s) URL: {url[:100]}") from None
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SendError(f"Not an http(s) URL: {url[:100]}")
    return parts


# ---- connections pinned to the checked address ----------------------------------------------------


class _PinnedConnectionMixin:
    """urllib3 connection whose socket goes to an address resolve_checked() returned, tried in order."""

    def _new_conn(self) -> socket.socket:
        error: Exception | None = None
        for address in resolve_checked(self._dns_host, self.port):
            try:
                sock = create_connection((address, self.port), self.timeout, source_address=self.source_address,
                                         socket_options=self.socket_options)
            except TimeoutError as exc:
                error = ConnectTimeoutError(self, f"Connection to {self.host} timed out.")
                error.__cause__ = exc
            except OSError as exc:
                error = NewConnectionError(self, f"Failed to establish a new connection: {exc}")
                error.__cause__ = exc
            else:
                sys.audit("http.client.connect", self, self.host, self.port)
                return sock
        raise error


class _PinnedHTTPConnection(_PinnedConnectionMixin, HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, HTTPSConnection):
    pass


class _PinnedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class PinnedAdapter(HTTPAdapter):
    """A requests adapter whose connections pass the SSRF guard at connect time (see the module doc)."""

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PinnedHTTPConnectionPool,
                                                   "https": _PinnedHTTPSConnectionPool}

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        raise SendError("Guarded calls do not go through a proxy.")


def guarded_session() -> requests.Session:
    """A session for calls to addresses someone else chose (webhook URLs, media links). Close it after use."""
    session = requests.Session()
    session.trust_env = False  # no proxy from the environment
    adapter = PinnedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


# ---- calls: the one helper every provider goes through ----------------------------------------------


@dataclass(frozen=True, slots=True)
class Refusal:
    """A provider's own reading of an answer it did not accept: its reason in plain words, and whether to retry."""

    reason: str
    transient: bool = False
    retry_after: float | None = None


# (HTTP status, the answer's JSON object or {}) → None when the provider accepted the call.
Reader = Callable[[int, dict], Refusal | None]


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


def call(method: str, url: str, *, who: str = "", guard: bool = True, json: dict | None = None,
         data: bytes | dict | None = None, files: dict | None = None, headers: dict | None = None,
         params: dict | None = None, read: Reader | None = None) -> dict:
    """Call a provider; the JSON object it answered ({} when the answer is not one).

    Timeouts, network errors, 429 and 5xx raise TransientSendError (retry_after from the provider's reading
    or Retry-After); any other refusal raises SendError with the provider's own words, taken from its JSON
    error when there is one. `read` is the provider's reading of its answers (Telegram's `ok`, Graph's
    `error`); without it every 2xx is accepted. `who` names the provider in reasons (default: the host).
    With guard (the default, for addresses someone else chose) the connection goes only to a checked public
    address; without it (the operator's own provider base URL) it is a plain call. Redirects never followed.
    """
    host = http_url_parts(url).hostname
    who = who or host
    session = guarded_session() if guard else requests.Session()
    try:
        with _network_errors(who):
            response = session.request(method, url, json=json, data=data, files=files, headers=headers,
                                       params=params, timeout=TIMEOUT, allow_redirects=False)
    finally:
        session.close()
    return check_response(response, who=who, read=read)


def post(url: str, **kwargs) -> dict:
    """POST through call(); see there."""
    return call("POST", url, **kwargs)


def check_response(response: requests.Response, *, who: str, read: Reader | None = None) -> dict:
    """The answer's JSON object when the provider accepted the call; else TransientSendError or SendError."""
    status = response.status_code
    body = _json_object(response)
    refusal = read(status, body) if read is not None else None
    if refusal is None and 200 <= status < 300:
        return body
    waited = retry_after_seconds(response.headers.get("Retry-After"))
    if status == 429 or status >= 500 or (refusal is not None and refusal.transient):
        reason = refusal.reason if refusal is not None else _(
            "%(product)s answered %(status)s; it will be retried.") % {"product": who, "status": status}
        retry_after = refusal.retry_after if refusal is not None and refusal.retry_after is not None else waited
        raise TransientSendError(reason, retry_after=retry_after)
    if refusal is not None:
        raise SendError(refusal.reason)
    words = error_text(body) or _plain_text(response)
    if words:
        raise SendError(_("%(product)s answered %(status)s: %(error)s") % {
            "product": who, "status": status, "error": words})
    raise SendError(_("%(product)s answered %(status)s.") % {"product": who, "status": status})


def error_text(body: dict) -> str:
    """The error message in a JSON error answer ({"error": "…"}, {"error": {"message": "…"}}, {"detail": …})."""
    for key in ("error", "message", "detail", "description", "title"):
        value = body.get(key)
        if isinstance(value, dict):
            value = value.get("message") or value.get("detail") or value.get("title")
        if isinstance(value, str) and value.strip():
            return clean_line(value, limit=200)
    return ""


def _json_object(response: requests.Response) -> dict:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _plain_text(response: requests.Response) -> str:
    """A short plain-text error answer, as the receiver wrote it (HTML pages say nothing an agent can use)."""
    if response.headers.get("Content-Type", "").split(";")[0].strip().lower() != "text/plain":
        return ""
    return clean_line(response.text, limit=200)


@contextmanager
def _network_errors(who: str) -> Iterator[None]:
    """Timeouts and network failures as TransientSendError; the SSRF guard's own errors pass through."""
    try:
        yield
    except requests.Timeout as exc:
        raise TransientSendError(_("%(product)s did not answer in time.") % {"product": who}) from exc
    except requests.RequestException as exc:
        raise TransientSendError(
            _("Could not reach %(product)s (%(error)s).") % {"product": who, "error": type(exc).__name__}) from exc


MAX_DOWNLOAD_BYTES = 25 * 1024 * 1024  # inbound media: more than any channel delivers


def fetch_url(url: str, *, headers: dict | None = None, max_bytes: int = MAX_DOWNLOAD_BYTES,
              guard: bool = True) -> tuple[bytes, str]:
    """GET a file, streamed and capped at max_bytes: (bytes, content type). Errors as in call().

    With guard (links a provider or a contact gave) the connection goes only to the public address that
    was checked; redirects are never followed (a 3xx is a SendError). Without it (the operator's own
    provider base URL) it is a plain GET.
    """
    who = http_url_parts(url).hostname
    session = guarded_session() if guard else requests.Session()
    with session, _network_errors(who), session.get(url, headers=headers, timeout=TIMEOUT, stream=True,
                                                    allow_redirects=False) as response:
        status = response.status_code
        if status == 429 or status >= 500:  # the body is not read: an error page could be any size
            raise TransientSendError(
                _("%(product)s answered %(status)s; it will be retried.") % {"product": who, "status": status},
                retry_after=retry_after_seconds(response.headers.get("Retry-After")))
        if status != 200:
            raise SendError(_("%(product)s answered %(status)s.") % {"product": who, "status": status})
        chunks, total = [], 0
        for chunk in response.iter_content(64 * 1024):
            total += len(chunk)
            if total > max_bytes:
                raise SendError(_("The file is larger than the download limit."))
            chunks.append(chunk)
        return b"".join(chunks), response.headers.get("Content-Type", "").split(";")[0].strip()
