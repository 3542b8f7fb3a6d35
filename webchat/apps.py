from django.apps import AppConfig


class WebchatConfig(AppConfig):
    """The embeddable web chat: widget views, the visitors' socket, tokens, allowed origins."""

    name = "webchat"

    def ready(self) -> None:
        from .connector import register  # noqa: PLC0415 - models are importable only once apps are ready

        register()
