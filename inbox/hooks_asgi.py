"""The light path for inbound webhooks: /hooks/… served by Django without the pages' middleware, in one hop to a
long-lived thread.

Django's ASGI handler starts a new thread for every request (its thread-sensitive context) and hops between
the event loop and that thread at each sync/async boundary of the middleware chain. A webhook needs none of
the pages' middleware — sessions, authentication, CSRF (the view is exempt), messages, htmx, axes, the
member's language, static files — so here a request is read on the loop, then handled synchronously behind
HOOK_MIDDLEWARE (the security headers and redirects, Accept-Language for the error texts, the host check)
on one of HOOK_THREADS threads, and its response sent back from the loop. Everything else a Django request
has is kept: request_started / request_finished (database connections are closed and handed back to the
pool as usual), the URL resolver, the view's own checks, Django's 404/500 handling.

config.asgi routes /hooks/ here (`HookRouter`); every other path goes to Django's usual handler.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from io import BytesIO

from django.core import signals
from django.core.handlers.asgi import ASGIHandler, ASGIRequest, get_script_prefix
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpResponse
from django.urls import set_script_prefix
from django.utils.module_loading import import_string

from .hooks import MAX_BODY

log = logging.getLogger(__name__)

PREFIX = "/hooks/"
HOOK_MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
]
# The webhook's work is mostly Python (parse, verify, render the push) between two short waits (the statement,
# the Redis script): a few threads overlap those waits without fighting over the GIL.
HOOK_THREADS = 4


class HookHandler(ASGIHandler):
    """Django's ASGI handler with a short, synchronous middleware chain run on a fixed pool of threads."""

    def __init__(self, threads: int = HOOK_THREADS):
        super().__init__()
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="parley-hooks")

    def load_middleware(self, is_async: bool = False) -> None:
        """As BaseHandler.load_middleware, synchronous, with HOOK_MIDDLEWARE instead of settings.MIDDLEWARE."""
        self._view_middleware, self._template_response_middleware, self._exception_middleware = [], [], []
        handler = convert_exception_to_response(self._get_response)
        for path in reversed(HOOK_MIDDLEWARE):
            middleware = import_string(path)(handler)
            if hasattr(middleware, "process_view"):
                self._view_middleware.insert(0, middleware.process_view)
            if hasattr(middleware, "process_template_response"):
                self._template_response_middleware.append(middleware.process_template_response)
            if hasattr(middleware, "process_exception"):
                self._exception_middleware.append(middleware.process_exception)
            handler = convert_exception_to_response(middleware)
        self._middleware_chain = handler

    async def __call__(self, scope, receive, send) -> None:
        body = await _read_body(receive, limit=MAX_BODY)
        if body is None:  # the client went away before its body ended: nobody to answer
            return
        loop = asyncio.get_running_loop()
        response = await loop.run_in_executor(self._pool, self._respond, scope, body)
        await self.send_response(response, send)
        if response.streaming:  # never from the hook view; closed after it was sent, as Django does
            await loop.run_in_executor(self._pool, response.close)

    def _respond(self, scope, body: bytes) -> HttpResponse:
        """In a pool thread: the request's whole synchronous life, as Django's handlers live it."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        try:
            request = ASGIRequest(scope, BytesIO(body))
        except UnicodeDecodeError:
            response = HttpResponse("Bad Request", status=400)
        else:
            response = self.get_response(request)
        if not response.streaming:
            response.close()  # request_finished: this thread's connections are closed (back to the pool)
        return response


async def _read_body(receive, *, limit: int) -> bytes | None:
    """The body, cut one byte past `limit` (the view answers 413 for it without reading the rest), or None
    when the client disconnected first."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunk = message.get("body", b"")
        if chunk and size <= limit:
            chunks.append(chunk[: limit + 1 - size])
            size += len(chunks[-1])
        if not message.get("more_body", False) or size > limit:
            return b"".join(chunks)


class HookRouter:
    """The HTTP application: /hooks/… to the light path, everything else to `fallback` (Django's handler)."""

    def __init__(self, fallback, hooks: HookHandler | None = None):
        self.fallback = fallback
        self.hooks = hooks or HookHandler()

    async def __call__(self, scope, receive, send) -> None:
        path = scope.get("path", "")
        root = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root):]
        if scope["type"] == "http" and path.startswith(PREFIX):
            await self.hooks(scope, receive, send)
        else:
            await self.fallback(scope, receive, send)
