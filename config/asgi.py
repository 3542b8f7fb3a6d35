"""ASGI entry point: HTTP (Django, with static files) and websockets (Channels)."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from config.startup import check_services_or_exit  # noqa: E402

check_services_or_exit()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

from realtime.auth import SessionAuthStack  # noqa: E402
from realtime.routing import websocket_urlpatterns  # noqa: E402

# Static files are served by the app itself (small deployments need no extra web server).
http_application = ASGIStaticFilesHandler(get_asgi_application())

application = ProtocolTypeRouter(
    {
        "http": http_application,
        "websocket": AllowedHostsOriginValidator(SessionAuthStack(URLRouter(websocket_urlpatterns))),
    }
)
