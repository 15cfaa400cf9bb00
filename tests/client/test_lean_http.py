"""The lean GET path (``AsyncSinchClient(lean_reads=True)``): the same answers and errors as httpx.

Against a sandbox of the test's own (real HTTP: reports, 404s, 429 with Retry-After, a dropped connection,
a read timeout; stopped after the test, so no server thread outlives it into tests that record sleeps) and
against a few lines of ``asyncio`` server for what the sandbox never sends (chunked and gzip bodies,
``Connection: close``, an idle connection the server closed, garbage).
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from airflow_provider_sinch.client import (
    AsyncSinchClient,
    RetryPolicy,
    ServicePlanAuth,
    SinchConfig,
    SinchNotFoundError,
    SinchRateLimitError,
    SinchTransportError,
)
from airflow_provider_sinch.client.lean_http import LeanGets, lean_gets_for

NUMBER = "+46701234567"


@pytest.fixture
def sandbox(sinch_sandbox_factory: Callable[..., Any]) -> Any:
    return sinch_sandbox_factory()


def sandbox_client(sandbox: Any, *, lean: bool, attempts: int = 1, timeout: float | None = None
                   ) -> AsyncSinchClient:
    settings = sandbox.settings
    config = SinchConfig(auth=ServicePlanAuth(settings.service_plan_id, settings.api_token),
                         base_url=sandbox.url, retry=RetryPolicy(max_attempts=attempts, backoff_base=0.01),
                         **({"timeout": timeout} if timeout else {}))
    return AsyncSinchClient(config, lean_reads=lean)


async def test_lean_reads_answer_what_httpx_answers(sandbox: Any) -> None:
    async with sandbox_client(sandbox, lean=False) as plain, \
            sandbox_client(sandbox, lean=True) as lean:
        assert lean._lean is not None
        batch = await plain.send_batch(to=[NUMBER, "+46701234568"], from_="Acme", body="Hi")  # POST: httpx
        for client in (plain, lean):
            assert (await client.get_batch(batch.id)).to == batch.to
        pairs = [await c.get_delivery_report(batch.id, type="full") for c in (plain, lean)]
        assert pairs[0] == pairs[1]
        listed = [await c.list_batches(page_size=1) for c in (plain, lean)]  # query parameters
        assert listed[0] == listed[1]
        assert listed[1].page_size == 1
    gets = [r for r in sandbox.requests if r.method == "GET"]
    assert len(gets) == 6


async def test_lean_reads_reuse_their_connections(sandbox: Any) -> None:
    async with sandbox_client(sandbox, lean=True) as lean:
        batch = await lean.send_batch(to=[NUMBER], from_="Acme", body="Hi")
        await asyncio.gather(*(lean.get_batch(batch.id) for _ in range(50)))
        assert lean._lean is not None
        assert 1 <= len(lean._lean._idle) <= lean.max_in_flight


async def test_lean_reads_raise_the_typed_errors(sandbox: Any) -> None:
    async with sandbox_client(sandbox, lean=True) as lean:
        with pytest.raises(SinchNotFoundError):
            await lean.get_batch("01NOSUCHBATCH")
        sandbox.add_fault(kind="rate_limit", retry_after=7, times=1)
        with pytest.raises(SinchRateLimitError) as caught:
            await lean.get_batch("01NOSUCHBATCH")
        assert caught.value.retry_after == 7


async def test_a_dropped_connection_is_a_transport_error_and_retried(sandbox: Any) -> None:
    async with sandbox_client(sandbox, lean=True, attempts=2) as lean:
        batch = await lean.send_batch(to=[NUMBER], from_="Acme", body="Hi")
        sandbox.add_fault(kind="drop", times=1, method="GET")
        assert (await lean.get_batch(batch.id)).id == batch.id  # the retry policy resends the GET
    async with sandbox_client(sandbox, lean=True) as lean:
        sandbox.add_fault(kind="drop", times=1, method="GET")
        with pytest.raises(SinchTransportError, match="ReadError"):
            await lean.get_batch(batch.id)


async def test_a_read_timeout_is_a_transport_error(sandbox: Any) -> None:
    async with sandbox_client(sandbox, lean=True, timeout=0.3) as lean:
        sandbox.add_fault(kind="drop", mode="hang", seconds=1.0, times=1, method="GET")
        with pytest.raises(SinchTransportError, match="ReadTimeout"):
            await lean.get_batch("01ANYBATCH")


async def test_nothing_listening_is_a_connect_error_not_sent() -> None:
    config = SinchConfig(auth=ServicePlanAuth("plan", "token"), base_url="http://127.0.0.1:9",
                         retry=RetryPolicy(max_attempts=1))
    async with AsyncSinchClient(config, lean_reads=True) as lean:
        with pytest.raises(SinchTransportError, match="ConnectError") as caught:
            await lean.get_batch("b1")
    assert caught.value.sent is False


# --- framing, against a scripted server -----------------------------------------------------------------

Script = Callable[[bytes], bytes | None]  # request head -> raw answer (None: close without answering)


async def serve(script: Script) -> tuple[asyncio.Server, list[int]]:
    """A server answering each request on a connection with ``script``; counts connections."""
    connections: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(1)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                answer = script(head)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
                if b"connection: close" in answer.lower():
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0), connections


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[[Script], Any]]:
    servers: list[asyncio.Server] = []

    async def start(script: Script) -> tuple[LeanGets, list[int]]:
        server, connections = await serve(script)
        servers.append(server)
        port = server.sockets[0].getsockname()[1]
        return LeanGets(f"http://127.0.0.1:{port}/root", connect_timeout=2, read_timeout=2, max_idle=2), \
            connections

    yield start
    for server in servers:
        server.close()


def answer(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    return (f"HTTP/1.1 {status}\r\n" + "".join(h + "\r\n" for h in headers) + "\r\n").encode() + body


async def test_content_length_and_keep_alive(scripted: Any) -> None:
    seen: list[bytes] = []

    def script(head: bytes) -> bytes:
        seen.append(head)
        return answer(b'{"a": 1}', "Content-Length: 8", "Retry-After: 3")

    lean, connections = await scripted(script)
    for _ in range(3):
        status, headers, body = await lean.get("/x/y", {"type": "summary", "status": "A,B"}, {"Auth": "t"})
        assert (status, json.loads(body), headers["retry-after"]) == (200, {"a": 1}, "3")
    assert len(connections) == 1
    assert seen[0].startswith(b"GET /root/x/y?type=summary&status=A%2CB HTTP/1.1\r\nHost: 127.0.0.1:")
    assert b"\r\nAuth: t\r\n" in seen[0]
    await lean.aclose()


async def test_each_request_sends_its_own_headers_and_query(scripted: Any) -> None:
    """Repeated headers and queries are encoded once: a change (a rotated token, other filters) is sent."""
    seen: list[bytes] = []

    def script(head: bytes) -> bytes:
        seen.append(head)
        return answer(b"{}", "Content-Length: 2")

    lean, _ = await scripted(script)
    asked = [({"type": "summary"}, {"Auth": "a"}), ({"type": "summary"}, {"Auth": "a"}),
             ({"type": "full"}, {"Auth": "b"}), (None, {}), ({"type": "summary"}, {"Auth": "a"})]
    for params, headers in asked:
        await lean.get("/r", params, headers)
    await lean.aclose()
    for head, (params, headers) in zip(seen, asked, strict=True):
        query = f"?type={params['type']}" if params else ""
        lines = [f"GET /root/r{query} HTTP/1.1", f"Host: {lean.host_header}",
                 *(f"{k}: {v}" for k, v in headers.items())]
        assert head == ("\r\n".join(lines) + "\r\n\r\n").encode()
    with pytest.raises(httpx.LocalProtocolError):
        await lean.get("/r", None, {"Auth": "a\r\nX: y"})


async def test_chunked_and_gzip_bodies(scripted: Any) -> None:
    packed = gzip.compress(b'{"count": 2}')

    def script(head: bytes) -> bytes:
        chunks = b"".join(f"{len(part):x};ext=1\r\n".encode() + part + b"\r\n"
                          for part in (packed[:5], packed[5:]))
        return answer(chunks + b"0\r\nX-Trailer: 1\r\n\r\n", "Transfer-Encoding: chunked",
                      "Content-Encoding: gzip")

    lean, connections = await scripted(script)
    for _ in range(2):
        assert (await lean.get("/r", None, {}))[2] == b'{"count": 2}'
    assert len(connections) == 1  # the chunked answer left the connection reusable
    await lean.aclose()


async def test_connection_close_and_unframed_bodies_are_not_reused(scripted: Any) -> None:
    lean, connections = await scripted(lambda head: answer(b"{}", "Content-Length: 2", "Connection: close"))
    for _ in range(2):
        assert (await lean.get("/r", None, {}))[2] == b"{}"
    assert len(connections) == 2


async def test_an_idle_connection_the_server_closed_is_replaced(scripted: Any) -> None:
    answered = [0]

    def script(head: bytes) -> bytes | None:
        answered[0] += 1
        return answer(b"{}", "Content-Length: 2") if answered[0] != 2 else None  # 2nd: closed unanswered

    lean, connections = await scripted(script)
    assert (await lean.get("/r", None, {}))[0] == 200
    assert (await lean.get("/r", None, {}))[0] == 200  # resent once on a new connection
    assert len(connections) == 2


@pytest.mark.parametrize(("raw", "error"), [
    (b"SMTP ready\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", httpx.RemoteProtocolError),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Encoding: br\r\n\r\nabcde", httpx.DecodingError),
    (b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\nConnection: close\r\n\r\nshort", httpx.ReadError),
])
async def test_broken_answers_are_httpx_errors(scripted: Any, raw: bytes, error: type[Exception]) -> None:
    lean, _ = await scripted(lambda head: raw)
    with pytest.raises(error):
        await lean.get("/r", None, {})


async def test_headers_that_cannot_be_sent_are_refused_before_connecting(scripted: Any) -> None:
    lean, connections = await scripted(lambda head: answer(b"", "Content-Length: 0"))
    for bad in ({"Authorization": "Bearer a\r\nX: y"}, {"Authorization": "Bearer \u20ac"}):
        with pytest.raises(httpx.LocalProtocolError):
            await lean.get("/r", None, bad)
    assert connections == []


def test_lean_reads_step_aside_for_proxies_and_other_schemes(monkeypatch: pytest.MonkeyPatch) -> None:
    assert lean_gets_for("https://sinch.test/xms", connect_timeout=1, read_timeout=1, max_idle=1) is not None
    assert lean_gets_for("ftp://sinch.test", connect_timeout=1, read_timeout=1, max_idle=1) is None
    monkeypatch.setenv("NO_PROXY", "localhost,.svc")  # common in Kubernetes: no proxy to step aside for
    assert lean_gets_for("https://sinch.test/xms", connect_timeout=1, read_timeout=1, max_idle=1) is not None
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.test:3128")
    assert lean_gets_for("https://sinch.test/xms", connect_timeout=1, read_timeout=1, max_idle=1) is None
    config = SinchConfig(auth=ServicePlanAuth("plan", "token"), base_url="https://sinch.test")
    assert AsyncSinchClient(config, lean_reads=True)._lean is None


async def test_a_client_whose_http_was_swapped_sends_everything_through_it() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "b1", "to": [], "canceled": False, "type": "mt_text"})

    config = SinchConfig(auth=ServicePlanAuth("plan", "token"), base_url="https://sinch.test")
    async with AsyncSinchClient(config, lean_reads=True) as client:
        client.http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        assert (await client.get_batch("b1")).id == "b1"
    assert len(seen) == 1


# --- TLS ------------------------------------------------------------------------------------------------


def self_signed(tmp_path: Any) -> tuple[Any, Any]:
    """A certificate for ``localhost`` and a client context trusting only it (``cryptography`` comes with
    Airflow)."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(cert_file, key_file)
    client = ssl.create_default_context(cafile=str(cert_file))
    return server, client


async def test_https_with_a_verified_certificate(tmp_path: Any) -> None:
    server_context, client_context = self_signed(tmp_path)

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                await reader.readuntil(b"\r\n\r\n")
                writer.write(answer(b'{"tls": true}', "Content-Length: 13"))
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    try:
        lean = LeanGets(f"https://localhost:{port}", connect_timeout=5, read_timeout=5, max_idle=1,
                        ssl_context=client_context)
        for _ in range(2):
            assert json.loads((await lean.get("/r", None, {}))[2]) == {"tls": True}
        await lean.aclose()
        untrusting = LeanGets(f"https://localhost:{port}", connect_timeout=5, read_timeout=5, max_idle=1)
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await untrusting.get("/r", None, {})  # httpx's default context does not know the certificate
    finally:
        server.close()


# --- review3: interim answers, stray bytes, socket errors -------------------------------------------------


async def test_an_interim_1xx_answer_is_skipped_not_returned_nor_left_for_the_next_get(scripted: Any) -> None:
    bodies = iter([b'{"n": 1}', b'{"n": 2}'])

    def script(head: bytes) -> bytes:
        early = b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
        return early + answer(next(bodies), "Content-Length: 8")

    lean, connections = await scripted(script)
    assert (await lean.get("/r", None, {}))[:3:2] == (200, b'{"n": 1}')
    assert (await lean.get("/r", None, {}))[:3:2] == (200, b'{"n": 2}')  # not the first GET's answer
    assert len(connections) == 1
    await lean.aclose()


async def test_a_switching_protocols_answer_is_a_protocol_error(scripted: Any) -> None:
    lean, _ = await scripted(lambda head: b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n")
    with pytest.raises(httpx.RemoteProtocolError):
        await lean.get("/r", None, {})


async def test_bytes_after_an_answer_are_never_read_as_the_next_answer(scripted: Any) -> None:
    # A server that sends more than it framed, or an unsolicited answer to an idle connection (a 408 before
    # closing it): the connection is not reused, so the next GET gets its own answer.
    count = [0]

    def script(head: bytes) -> bytes:
        count[0] += 1
        extra = answer(b"", "Content-Length: 0", status="408 Request Timeout") if count[0] == 1 else b""
        return answer(f'{{"n": {count[0]}}}'.encode(), "Content-Length: 8") + extra

    lean, connections = await scripted(script)
    assert (await lean.get("/r", None, {}))[:3:2] == (200, b'{"n": 1}')
    assert (await lean.get("/r", None, {}))[:3:2] == (200, b'{"n": 2}')
    assert len(connections) == 2
    await lean.aclose()


async def test_an_idle_connection_with_an_unsolicited_answer_is_dropped(scripted: Any) -> None:
    count = [0]

    def script(head: bytes) -> bytes:
        count[0] += 1
        return answer(f'{{"n": {count[0]}}}'.encode(), "Content-Length: 8")

    lean, connections = await scripted(script)
    assert (await lean.get("/r", None, {}))[2] == b'{"n": 1}'
    (idle,) = lean._idle
    idle.reader.feed_data(answer(b"", "Content-Length: 0", status="408 Request Timeout"))  # as if sent idle
    assert (await lean.get("/r", None, {}))[:3:2] == (200, b'{"n": 2}')
    assert len(connections) == 2
    await lean.aclose()


@pytest.mark.parametrize("failure", [
    OSError(113, "No route to host"),
    __import__("ssl").SSLError(1, "[SSL: DECRYPTION_FAILED_OR_BAD_RECORD_MAC] decryption failed"),
])
async def test_a_socket_error_during_the_answer_is_a_read_error(scripted: Any, failure: OSError,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    # asyncio hands a transport's fatal error (an SSL alert, an ICMP error) to the reader as is: httpx
    # calls every OSError there a ReadError, so the retry policy resends the GET.
    lean, _ = await scripted(lambda head: None if b"/hang" in head else answer(b"{}", "Content-Length: 2"))
    connect = lean._connect

    async def failing_connect() -> Any:
        connection = await connect()
        connection.reader.set_exception(failure)
        return connection

    monkeypatch.setattr(lean, "_connect", failing_connect)
    with pytest.raises(httpx.ReadError):
        await lean.get("/r", None, {})
    assert lean._idle == []


@pytest.mark.parametrize("raw", [
    b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nContent-Length: 1_0\r\n\r\n0123456789",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\nabc\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x2\r\nab\r\n0\r\n\r\n",
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabcd\r\n0\r\n\r\n",  # longer than said
])
async def test_malformed_framing_is_a_protocol_error(scripted: Any, raw: bytes) -> None:
    lean, _ = await scripted(lambda head: raw)
    with pytest.raises(httpx.RemoteProtocolError):  # not a ValueError, nor a body cut in the wrong place
        await lean.get("/r", None, {})
    assert lean._idle == []


async def test_idle_connections_expire(scripted: Any) -> None:
    lean, connections = await scripted(lambda head: answer(b"{}", "Content-Length: 2"))
    lean.keepalive_expiry = 0.0  # every idle connection is too old: a NAT may have forgotten it
    for _ in range(2):
        assert (await lean.get("/r", None, {}))[0] == 200
    assert len(connections) == 2
    assert len(lean._idle) == 1  # the expired one was closed, not kept
    await lean.aclose()


def test_host_and_path_prefix_go_out_as_httpx_sends_them() -> None:
    # An international host name is IDNA-encoded and a path prefix percent-encoded, as httpx does: sent
    # raw, "é" went out as one Latin-1 byte (another path) and "€" could not be sent at all.
    lean = LeanGets("https://bücher.example/sinché €", connect_timeout=1, read_timeout=1, max_idle=1)
    assert (lean.host, lean.host_header, lean.prefix) == \
        ("xn--bcher-kva.example", "xn--bcher-kva.example", "/sinch%C3%A9%20%E2%82%AC")
    assert LeanGets("http://[::1]:8080/root/", connect_timeout=1, read_timeout=1, max_idle=1).host_header \
        == "[::1]:8080"
    assert httpx.URL("https://bücher.example/sinché €/r").raw_path == f"{lean.prefix}/r".encode()


async def test_a_get_cancelled_or_timed_out_mid_answer_never_leaves_its_connection_for_reuse() -> None:
    # Half an answer is on the wire when the task is cancelled (the triggerer dropped the wait) or the read
    # timeout strikes: the connection is closed, so the next GET never reads the rest as its answer.
    count = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
            while True:
                await reader.readuntil(b"\r\n\r\n")
                count[0] += 1
                if count[0] <= 2:  # half an answer, the rest later
                    writer.write(answer(b'{"n": ', "Content-Length: 8"))
                    await writer.drain()
                    await asyncio.sleep(0.5)
                    writer.write(b'0}')
                else:
                    writer.write(answer(f'{{"n": {count[0]}}}'.encode(), "Content-Length: 8"))
                await writer.drain()
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    lean = LeanGets(f"http://127.0.0.1:{port}", connect_timeout=2, read_timeout=0.2, max_idle=2)
    try:
        with pytest.raises(httpx.ReadTimeout):
            await lean.get("/r", None, {})
        lean.read_timeout = 5
        task = asyncio.ensure_future(lean.get("/r", None, {}))
        while count[0] < 2:
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.05)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert lean._idle == []
        assert (await lean.get("/r", None, {}))[2] == b'{"n": 3}'
    finally:
        await lean.aclose()
        server.close()
