from django.apps import AppConfig


class WebchatConfig(AppConfig):
    """The embeddable web chat: widget views, the visitors' socket, tokens, allowed origins."""

    name = "webchat"

    def ready(self) -> None:
        from .connector import register

        register()
