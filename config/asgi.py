"""ASGI entry point: HTTP (Django; static files by WhiteNoise, see settings.MIDDLEWARE) and websockets."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from config.startup import check_services_or_exit  # noqa: E402

check_services_or_exit()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from inbox.hooks_asgi import HookRouter  # noqa: E402
from kernel import embedded  # noqa: E402
from realtime.auth import SessionAuthStack  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402
from webchat.routing import visitor_websocket_urlpatterns  # noqa: E402

# Static files are served by the app itself (small deployments need no extra web server): WhiteNoise's
# middleware answers them, hashed and compressed, before any view runs. Inbound webhooks (/hooks/) take a
# light path without the pages' middleware (inbox.hooks_asgi).
http_application = HookRouter(get_asgi_application())

agents_websocket = AllowedHostsOriginValidator(SessionAuthStack(URLRouter(websocket_urlpatterns)))
# Web chat visitors connect from other sites: no host/origin validator and no session here; the
# visitor consumer checks the Origin against the channel's allowed origins and the visitor token.
visitors_websocket = URLRouter(visitor_websocket_urlpatterns)


async def websocket_application(scope, receive, send):
    """Route /ws/widget/… to the visitors' stack and everything else to the agents' one."""
    if scope.get("path", "").startswith("/ws/widget/"):
        return await visitors_websocket(scope, receive, send)
    return await agents_websocket(scope, receive, send)


application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": websocket_application,
        # The embedded mode's Celery worker and beat start and stop with the server (uvicorn --lifespan on).
        "lifespan": embedded.lifespan,
    }
)
