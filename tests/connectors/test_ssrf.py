"""The SSRF guard on outbound calls: IPv6 forms of private IPv4 addresses, DNS rebinding, redirects, TLS.

Production settings (DEBUG and ALLOW_PRIVATE_WEBHOOKS off) unless a test says otherwise. The resolver is
replaced (socket.getaddrinfo) only to script what a hostile DNS server would answer; the connections are
real, to real servers on 127.0.0.1.
"""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from connectors import http
from connectors.base import SendError, TransientSendError
from connectors.http import fetch_url
from tests.fakes.server import FakeServer, Reply

PUBLIC_IP = "93.184.215.14"  # a public address; nothing there answers on the fake server's port


@pytest.fixture(autouse=True)
def production(settings):
    settings.DEBUG = False
    settings.ALLOW_PRIVATE_WEBHOOKS = False


@pytest.fixture
def server() -> Iterator[FakeServer]:
    fake = FakeServer().start()
    try:
        yield fake
    finally:
        fake.stop()


@pytest.fixture
def resolver(monkeypatch):
    """Script DNS answers: resolver["host"] = ["first answer", "second", …] (the last one sticks); an answer
    may hold several addresses, comma-separated."""
    real = socket.getaddrinfo
    answers: dict[str, list[str]] = {}
    asked: list[str] = []

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host not in answers:
            return real(host, port, family, type, proto, flags)
        asked.append(host)
        queue = answers[host]
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        return [(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (ip, port, 0, 0)) if ":" in ip
                else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answer.split(",")]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answers["asked"] = asked  # type: ignore[assignment]
    return answers


@pytest.fixture
def connections(monkeypatch) -> list[tuple[str, int]]:
    """Every address a guarded connection opens a socket to (the real connect still happens)."""
    opened: list[tuple[str, int]] = []
    real = http.create_connection

    def create_connection(address, *args, **kwargs):
        opened.append(address)
        return real(address, *args, **kwargs)

    monkeypatch.setattr(http, "create_connection", create_connection)
    monkeypatch.setattr(http, "TIMEOUT", (0.5, 1))  # the public address does not answer: fail fast
    return opened


# ---- addresses ----------------------------------------------------------------------------------------

EMBEDDED_PRIVATE = [
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a00:5]/hook",  # NAT64 of 10.0.0.5
    "http://[64:ff9b:1::a9fe:a9fe]/",  # local-use NAT64 prefix
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/latest",  # 6to4 of 169.254.169.254 (cloud metadata)
    "http://[::ffff:127.0.0.1]/",  # IPv4-mapped
    "http://[::ffff:c0a8:101]/",  # IPv4-mapped 192.168.1.1
    "http://[::127.0.0.1]/",  # IPv4-compatible (deprecated)
    "http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/",  # Teredo, client 127.0.0.1 (stored inverted)
    "http://[::]/",
    "http://[fe80::1]/",
    "http://[fc00::1]/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",  # carrier-grade NAT
    "http://224.0.0.1/",  # multicast
]


@pytest.mark.parametrize("url", EMBEDDED_PRIVATE)
def test_ipv6_forms_of_private_addresses_are_refused(url):
    with pytest.raises(SendError, match="Refused to call"):
        http.check_public_url(url)
    with pytest.raises(SendError, match="Refused to call"):
        http.post(url, json={"x": 1})
    with pytest.raises(SendError, match="Refused to call"):
        fetch_url(url)


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::1", "2606:4700:4700::1111", "8.8.8.8"])
def test_public_addresses_including_nat64_and_6to4_of_public_ipv4_pass(address):
    assert http.address_refusal(ipaddress.ip_address(address)) is None


def test_a_name_with_one_private_address_among_public_ones_is_refused(resolver):
    resolver["mixed.example"] = [f"{PUBLIC_IP},127.0.0.1"]
    with pytest.raises(SendError):
        http.check_public_url("https://mixed.example/hook")


# ---- DNS rebinding: the address checked is the address connected to --------------------------------


def test_dns_rebinding_cannot_move_a_webhook_to_loopback(server, resolver, connections):
    port = server.server.server_address[1]
    resolver["rebind.example"] = [PUBLIC_IP, "127.0.0.1"]  # public when checked, loopback afterwards

    with pytest.raises(TransientSendError):  # the public address does not answer
        http.post(f"http://rebind.example:{port}/hook", json={"secret": "data"})

    assert server.requests == []  # the loopback server never heard of it
    assert connections == [(PUBLIC_IP, port)]  # the connection went to the address that was checked
    assert resolver["asked"] == ["rebind.example"]  # resolved once


def test_dns_rebinding_cannot_move_a_media_download_to_loopback(server, resolver, connections):
    port = server.server.server_address[1]
    resolver["cdn.example"] = [PUBLIC_IP, "127.0.0.1"]

    with pytest.raises(TransientSendError):
        fetch_url(f"http://cdn.example:{port}/photo.jpg")

    assert server.requests == []
    assert connections == [(PUBLIC_IP, port)]


def test_a_name_that_resolves_to_loopback_at_connect_time_is_refused(server, resolver, connections):
    port = server.server.server_address[1]
    resolver["later.example"] = ["127.0.0.1"]
    with pytest.raises(SendError, match="Refused"):
        http.post(f"http://later.example:{port}/hook", json={})
    assert server.requests == [] and connections == []


def test_media_redirects_are_never_followed(settings, server):
    settings.ALLOW_PRIVATE_WEBHOOKS = True  # both fake servers live on 127.0.0.1
    target = FakeServer().start()
    try:
        server.script("/photo.jpg", Reply(302, b"", headers={"Location": f"{target.url}/internal"}))
        with pytest.raises(SendError, match="302"):
            fetch_url(f"{server.url}/photo.jpg")
        assert target.requests == []
    finally:
        target.stop()


def test_pinned_calls_still_reach_local_fake_servers_when_private_addresses_are_allowed(settings, server, resolver):
    settings.ALLOW_PRIVATE_WEBHOOKS = True
    resolver["hooks.internal"] = ["127.0.0.1"]
    port = server.server.server_address[1]
    server.script("/hook", Reply(200, {"ok": True}))
    http.post(f"http://hooks.internal:{port}/hook", json={"n": 1})
    (request,) = server.requests
    assert request.headers["Host"] == f"hooks.internal:{port}"  # the name, not the address
    assert request.json == {"n": 1}


# ---- TLS: pinned to the address, verified for the name ----------------------------------------------


def _certificates(tmp_path, name: str) -> tuple[str, str, str]:
    """(CA file, certificate file, key file): a throwaway CA and a certificate for `name` signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Parley test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
          .not_valid_after(now + datetime.timedelta(hours=1))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False, data_encipherment=False,
                                       key_agreement=False, encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    leaf = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_name).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1)).not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256()))
    files = {"ca.pem": ca.public_bytes(serialization.Encoding.PEM),
             "cert.pem": leaf.public_bytes(serialization.Encoding.PEM),
             "key.pem": key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption())}
    for filename, data in files.items():
        (tmp_path / filename).write_bytes(data)
    return str(tmp_path / "ca.pem"), str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")


@pytest.fixture
def tls_server(tmp_path) -> Iterator[dict]:
    """An HTTPS server on 127.0.0.1 with a certificate for secure.example; records SNI names and Host headers."""
    ca, cert, key = _certificates(tmp_path, "secure.example")
    seen: dict = {"sni": [], "host": [], "ca": ca}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's naming
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            seen["host"].append(self.headers["Host"])
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args):
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: seen["sni"].append(name)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    seen["port"] = httpd.server_address[1]
    try:
        yield seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_https_keeps_sni_host_and_certificate_checks_for_the_name(settings, tls_server, resolver):
    settings.ALLOW_PRIVATE_WEBHOOKS = True  # the TLS server lives on 127.0.0.1
    resolver["secure.example"] = ["127.0.0.1"]
    resolver["other.example"] = ["127.0.0.1"]
    port = tls_server["port"]
    with http.guarded_session() as session:
        response = session.post(f"https://secure.example:{port}/hook", json={}, verify=tls_server["ca"], timeout=5)
    assert response.status_code == 200
    assert tls_server["sni"] == ["secure.example"] and tls_server["host"] == [f"secure.example:{port}"]

    import requests

    with http.guarded_session() as session, pytest.raises(requests.exceptions.SSLError):
        session.post(f"https://other.example:{port}/hook", json={}, verify=tls_server["ca"], timeout=5)
    assert tls_server["host"] == [f"secure.example:{port}"]  # a certificate for another name: nothing sent


def test_guarded_calls_ignore_proxies_from_the_environment(monkeypatch, server, resolver, connections):
    monkeypatch.setenv("HTTP_PROXY", server.url)  # a proxy would resolve the name itself
    port = server.server.server_address[1]
    resolver["rebind.example"] = [PUBLIC_IP, "127.0.0.1"]
    with pytest.raises(TransientSendError):
        http.post(f"http://rebind.example:{port}/hook", json={})
    assert server.requests == [] and connections == [(PUBLIC_IP, port)]
