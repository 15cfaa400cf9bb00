"""Proxy and certificate settings from the environment (``client/environment.py``) and how the async client
uses them on real sockets: the proxy read once per origin, ``NO_PROXY``, ``~/.netrc`` never replacing the
bearer token, and TLS and proxy failures as :class:`SinchTransportError` from both clients."""

from __future__ import annotations

import asyncio
import json
import ssl
from pathlib import Path

import aiohttp
import certifi
import pytest

from airflow_provider_sinch.client import (
    AsyncSinchClient,
    RetryPolicy,
    SinchClient,
    SinchConfig,
    SinchConfigurationError,
    SinchTransportError,
)
from airflow_provider_sinch.client.environment import ca_setting, proxy_for, ssl_context
from tests.client.clients import KINDS
from tests.client.samples import BATCH, BATCH_ID
from tests.fakes import TOKEN, make_config

PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy",
                   "NO_PROXY", "no_proxy")
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
BODY = json.dumps(BATCH).encode()
ANSWER = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES + CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)


class Recorder:
    """A raw HTTP server (or proxy: it answers whatever it is asked) that keeps every request head."""

    def __init__(self, answer: bytes = ANSWER) -> None:
        self.answer, self.heads = answer, list[bytes]()
        self.server: asyncio.Server | None = None

    async def __aenter__(self) -> Recorder:
        self.server = await asyncio.start_server(self.handle, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                self.heads.append(await reader.readuntil(b"\r\n\r\n"))
                writer.write(self.answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def header(self, index: int, name: str) -> str | None:
        for line in self.heads[index].decode("latin-1").split("\r\n")[1:]:
            key, _, value = line.partition(":")
            if key.lower() == name.lower():
                return value.strip()
        return None


def test_the_proxy_for_an_origin_follows_the_standard_library(monkeypatch: pytest.MonkeyPatch) -> None:
    assert proxy_for("https://us.sms.api.sinch.com/xms/v1/p") is None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("ALL_PROXY", "http://all.corp:8080")
    assert proxy_for("https://us.sms.api.sinch.com/xms/v1/p") == "http://proxy.corp:3128"
    assert proxy_for("http://sinch.test/xms/v1/p") == "http://all.corp:8080"
    monkeypatch.setenv("NO_PROXY", "localhost,.sinch.com")
    assert proxy_for("https://us.sms.api.sinch.com/xms/v1/p") is None
    assert proxy_for("http://sinch.test:8080/xms") == "http://all.corp:8080"


def test_the_ca_bundle_is_the_environments_or_certifis_and_built_once(monkeypatch: pytest.MonkeyPatch,
                                                                       tmp_path: Path) -> None:
    assert ca_setting() == (None, None, None)
    assert ssl_context() is ssl_context()  # one context for every client
    assert ssl_context().verify_mode == ssl.CERT_REQUIRED
    monkeypatch.setenv("SSL_CERT_FILE", certifi.where())
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # the sync client's variable comes first
    assert ca_setting() == ("REQUESTS_CA_BUNDLE", certifi.where(), None)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(SinchConfigurationError, match="REQUESTS_CA_BUNDLE must name a readable CA bundle"):
        ssl_context()


async def test_the_environments_proxy_is_used_and_read_once_per_origin(monkeypatch: pytest.MonkeyPatch
                                                                       ) -> None:
    async with Recorder() as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        config = make_config(base_url="http://sinch.test", retry=RetryPolicy(max_attempts=1))
        async with AsyncSinchClient(config) as client:
            assert (await client.get_batch(BATCH_ID)).id == BATCH_ID
            monkeypatch.setenv("NO_PROXY", "sinch.test")  # read once: this client keeps its proxy
            assert (await client.get_batch(BATCH_ID)).id == BATCH_ID
    assert len(proxy.heads) == 2
    assert proxy.heads[0].startswith(f"GET http://sinch.test/xms/v1/plan-1/batches/{BATCH_ID} ".encode())
    assert proxy.header(0, "Authorization") == f"Bearer {TOKEN}"


async def test_no_proxy_sends_directly(monkeypatch: pytest.MonkeyPatch) -> None:
    async with Recorder() as proxy, Recorder() as sinch:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        async with AsyncSinchClient(make_config(base_url=sinch.url)) as client:
            assert (await client.get_batch(BATCH_ID)).id == BATCH_ID
    assert (len(proxy.heads), len(sinch.heads)) == (0, 1)


async def read_with(kind: str, config: SinchConfig) -> object:
    """``get_batch`` through a client of ``kind`` (the sync one in a worker thread: the raw servers here
    run on this loop)."""
    if kind == "sync":
        with SinchClient(config) as client:
            return await asyncio.to_thread(client.get_batch, BATCH_ID)
    async with AsyncSinchClient(config) as aclient:
        return await aclient.get_batch(BATCH_ID)


@pytest.mark.parametrize("kind", KINDS)
async def test_an_unreachable_proxy_is_a_transport_error(monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    async with Recorder() as gone:
        closed = gone.url
    monkeypatch.setenv("HTTP_PROXY", closed)
    config = make_config(base_url="http://sinch.test", retry=RetryPolicy(max_attempts=1))
    with pytest.raises(SinchTransportError) as caught:
        await read_with(kind, config)
    if kind == "async":  # aiohttp tells a failed connection to the proxy apart: nothing was sent
        assert "ClientProxyConnectionError" in str(caught.value)
        assert caught.value.sent is False


async def test_an_unreachable_proxy_makes_no_send_ambiguous(monkeypatch: pytest.MonkeyPatch) -> None:
    async with Recorder() as gone:
        closed = gone.url
    monkeypatch.setenv("HTTP_PROXY", closed)
    config = make_config(base_url="http://sinch.test", retry=RetryPolicy(max_attempts=1))
    async with AsyncSinchClient(config) as client:
        with pytest.raises(SinchTransportError):  # not SinchAmbiguousSendError
            await client.send_batch(to=["+46701234567"], body="x")


async def test_netrc_never_replaces_the_bearer_token(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login netrc-user password netrc-password\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("NETRC", str(netrc))
    async with Recorder() as sinch:
        # the file is live for aiohttp ...
        async with aiohttp.ClientSession(trust_env=True) as session, session.get(sinch.url + "/") as response:
            await response.read()
        async with AsyncSinchClient(make_config(base_url=sinch.url)) as client:  # ... but not for us
            await client.get_batch(BATCH_ID)
    assert (sinch.header(0, "Authorization") or "").startswith("Basic ")
    assert sinch.header(1, "Authorization") == f"Bearer {TOKEN}"


@pytest.mark.parametrize("kind", KINDS)
async def test_a_tls_failure_is_a_transport_error(kind: str) -> None:
    """``https`` to a server that speaks plain HTTP: the handshake fails."""

    async def plain(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")  # to the ClientHello
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(plain, "127.0.0.1", 0)
    config = make_config(base_url=f"https://127.0.0.1:{server.sockets[0].getsockname()[1]}",
                         retry=RetryPolicy(max_attempts=1), timeout=5.0)
    try:
        with pytest.raises(SinchTransportError) as caught:
            await read_with(kind, config)
    finally:
        server.close()
    assert "SSL" in str(caught.value)
    if kind == "async":  # aiohttp tells a failed handshake apart: nothing was sent
        assert "ClientConnectorSSLError" in str(caught.value)
        assert caught.value.sent is False


async def test_proxy_credentials_go_in_a_header_never_into_error_text(
        monkeypatch: pytest.MonkeyPatch) -> None:
    refusal = b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    async with Recorder(refusal) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url.replace("http://", "http://user:s3cret-pw@"))
        config = make_config(base_url="https://sinch.test", retry=RetryPolicy(max_attempts=1))
        async with AsyncSinchClient(config) as client:
            with pytest.raises(SinchTransportError) as caught:
                await client.get_batch(BATCH_ID)
    assert "s3cret-pw" not in str(caught.value)
    assert "s3cret-pw" not in repr(caught.value)
    assert proxy.heads[0].startswith(b"CONNECT sinch.test:443 ")
    assert proxy.header(0, "Proxy-Authorization") == "Basic dXNlcjpzM2NyZXQtcHc="  # user:s3cret-pw
