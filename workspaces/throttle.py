"""A fixed-window hit counter in the cache (Redis in the services mode, shared by every process)."""

from __future__ import annotations

import time

from django.core.cache import cache


def hit(key: str, *, limit: int, window: int = 60) -> int | None:
    """Count one hit for `key`; None while at most `limit` hits fell in this window, else the seconds
    until the window ends (for Retry-After)."""
    now = time.time()
    slot = int(now // window)
    cache_key = f"throttle:{key}:{window}:{slot}"
    if cache.add(cache_key, 1, timeout=window + 5):
        count = 1
    else:
        try:
            count = cache.incr(cache_key)
        except ValueError:  # expired between add and incr
            cache.add(cache_key, 1, timeout=window + 5)
            count = 1
    if count <= limit:
        return None
    return max(1, int((slot + 1) * window - now) + 1)
