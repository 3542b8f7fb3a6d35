"""The web chat widget's own request bodies (JSON or form fields) for /widget/<uuid>/session/ and messages/."""

from .common import Payload, line, text

Name = line(200, cut=False)
Email = line(1000, cut=False)
Token = line(1000)
ClientId = line(200)
Body = text(None)  # its limit is the message limit, checked (with the limit named) where it is stored


class SessionForm(Payload):
    name: Name = ""
    email: Email = ""
    token: Token = ""


class MessageForm(Payload):
    text: Body = ""
    client_id: ClientId = ""
