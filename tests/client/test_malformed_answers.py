"""Malformed and loosely framed answers, written byte for byte by a raw TCP server to the async client.

Every malformed answer is refused as a :class:`SinchError` (never used as a result), and its connection is
not used again.  For what RFC 9112 lets a client tolerate, the tests pin what aiohttp does and show that a
connection whose framing is ambiguous is never reused: the server counts the connections it accepts while
the client makes two reads in a row.
"""

from __future__ import annotations

import asyncio
import gzip
import json
from dataclasses import dataclass

import aiohttp
import pytest

from airflow_provider_sinch.client import AsyncSinchClient, RetryPolicy, SinchError, SinchTransportError
from tests.client.samples import BATCH, BATCH_ID
from tests.fakes import make_config

BODY = json.dumps(BATCH).encode()
OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


def chunked(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n0\r\n\r\n"


@dataclass
class RawServer:
    """Answers every request on a connection with ``answer``; closes after each one if ``close``."""

    answer: bytes
    close: bool
    connections: int = 0
    port: int = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")  # a GET: the head is the whole request
                writer.write(self.answer)
                await writer.drain()
                if self.close:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The raw server is reached directly, whatever proxy the machine's environment names."""
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)


async def start(answer: bytes, *, close: bool) -> tuple[RawServer, asyncio.Server]:
    raw = RawServer(answer, close)
    server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
    raw.port = server.sockets[0].getsockname()[1]
    return raw, server


async def two_reads(answer: bytes, *, close: bool) -> tuple[list[object], int]:
    """Two ``get_batch`` calls through a client of its own (one attempt each): what each gave (the batch
    id or the error) and how many connections the server accepted."""
    raw, server = await start(answer, close=close)
    config = make_config(base_url=f"http://127.0.0.1:{raw.port}", retry=RetryPolicy(max_attempts=1),
                         timeout=5.0)
    outcomes: list[object] = []
    try:
        async with AsyncSinchClient(config) as client:
            for _ in range(2):
                try:
                    outcomes.append((await client.get_batch(BATCH_ID)).id)
                except SinchError as exc:
                    outcomes.append(exc)
    finally:
        server.close()
    return outcomes, raw.connections


MALFORMED = {
    "header-without-colon": OK + b"NoColonHere\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY,
    "two-content-lengths": OK + b"Content-Length: %d\r\nContent-Length: 3\r\n\r\n" % len(BODY) + BODY,
    "negative-content-length": OK + b"Content-Length: -1\r\n\r\n" + BODY,
    "garbage-status-line": b"HTTQ/1.1 abc\r\nContent-Length: %d\r\n\r\n" % len(BODY) + BODY,
    "body-cut-short": OK + b"Content-Length: %d\r\n\r\n" % (len(BODY) + 50) + BODY,
}


@pytest.mark.parametrize("answer", MALFORMED.values(), ids=MALFORMED.keys())
async def test_a_malformed_answer_is_refused_as_a_sinch_error(answer: bytes) -> None:
    outcomes, connections = await two_reads(answer, close=True)
    for outcome in outcomes:
        assert isinstance(outcome, SinchTransportError)  # a SinchError: retried by the policy, never used
        assert outcome.sent is True  # the request was written: a send would be ambiguous
    assert connections == 2


async def test_a_well_formed_answer_keeps_its_connection() -> None:
    """The control: the same server, a clean answer, one connection for both reads."""
    outcomes, connections = await two_reads(OK + b"Content-Length: %d\r\n\r\n" % len(BODY) + BODY,
                                            close=False)
    assert outcomes == [BATCH_ID, BATCH_ID]
    assert connections == 1


async def test_a_space_before_the_colon_is_refused_and_its_connection_never_reused() -> None:
    """RFC 9112 (5.1) lets a client accept ``Content-Length : N``.  aiohttp does: it frames the body by it,
    files the header under ``"Content-Length "`` and pools the connection (pinned below).  The client
    refuses such an answer, as httpx did, and sends its next requests through a new pool."""
    answer = OK + b"Content-Length : %d\r\n\r\n" % len(BODY) + BODY
    raw, server = await start(answer, close=False)
    try:
        async with aiohttp.ClientSession() as session:
            for _ in range(2):
                async with session.get(f"http://127.0.0.1:{raw.port}/") as response:
                    assert (await response.read(), response.raw_headers[-1]) == (BODY, (b"Content-Length ",
                                                                                        str(len(BODY)).encode()))
        assert raw.connections == 1  # aiohttp alone reuses the connection
    finally:
        server.close()
    outcomes, connections = await two_reads(answer, close=False)
    for outcome in outcomes:
        assert isinstance(outcome, SinchTransportError)
        assert "whitespace between a header name and its colon" in str(outcome)
    assert connections == 2


async def test_chunked_not_last_is_read_to_the_close_and_not_used() -> None:
    """``Transfer-Encoding: chunked, gzip``: chunked is not the final coding, so (RFC 9112 6.3) the body
    runs to the end of the connection.  aiohttp reads it so; the raw bytes are no JSON: refused."""
    answer = OK + b"Transfer-Encoding: chunked, gzip\r\n\r\n" + chunked(gzip.compress(BODY))
    outcomes, connections = await two_reads(answer, close=True)
    assert all(isinstance(outcome, SinchError) for outcome in outcomes)
    assert connections == 2


async def test_content_length_beside_transfer_encoding_is_refused() -> None:
    """RFC 9112 6.3 lets the Transfer-Encoding win ("ought to be handled as an error"); aiohttp refuses."""
    answer = OK + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked(BODY)
    outcomes, connections = await two_reads(answer, close=False)
    assert all(isinstance(outcome, SinchTransportError) for outcome in outcomes)
    assert connections == 2
