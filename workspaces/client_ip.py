"""The client's IP address, for login throttling (django-axes) and the widget's rate limits.

It is the socket peer (REMOTE_ADDR) unless that peer is a proxy listed in FORWARDED_ALLOW_IPS: then it
is the nearest address in X-Forwarded-For that is not a trusted proxy itself. This is the rule uvicorn
applies with `--forwarded-allow-ips` (the Makefile, Dockerfile and docker-compose.yml pass it the same
setting), so both layers agree; with no proxy trusted (the default) the header is ignored, and nobody
can pick a fresh address per request to dodge a lockout.
"""

from __future__ import annotations

import functools
import ipaddress

from django.conf import settings
from django.http import HttpRequest

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _trusted(entries: tuple[str, ...]) -> tuple[bool, tuple[Network, ...]]:
    """(trust everyone, trusted networks) from the setting's entries (validated at start-up)."""
    if "*" in entries:
        return True, ()
    return False, tuple(ipaddress.ip_network(entry) for entry in entries)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """An address from "1.2.3.4", "1.2.3.4:5678", "[2001:db8::1]:443" or "2001:db8::1"; None if not one."""
    value = value.strip()
    if value.startswith("["):
        value = value[1:].partition("]")[0]
    elif value.count(":") == 1:
        value = value.partition(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def _is_trusted(address, trust_all: bool, networks: tuple[Network, ...]) -> bool:
    return address is not None and (trust_all or any(address in network for network in networks))


def client_ip(request: HttpRequest) -> str:
    """The address a request comes from, believing X-Forwarded-For only from a trusted proxy."""
    peer = request.META.get("REMOTE_ADDR", "") or ""
    trust_all, networks = _trusted(tuple(getattr(settings, "FORWARDED_ALLOW_IPS", ())))
    if not _is_trusted(_address(peer), trust_all, networks):
        return peer
    hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
    if not hops:
        return peer
    chosen = _address(hops[0])  # every hop trusted: the first one is the client
    if not trust_all:
        for hop in reversed(hops):  # each proxy appends the address it saw: read from the nearest
            address = _address(hop)
            if not _is_trusted(address, trust_all, networks):
                chosen = address
                break
    return str(chosen) if chosen is not None else peer
