"""GETs on keep-alive HTTP/1.1 connections written on ``asyncio`` streams: what a triggerer's polls cost.

A triggerer with 1,000 delivery waits makes 1,000 small GETs a round.  Through ``httpx.AsyncClient`` one costs
about 1.2-1.6 ms of CPU on loopback, nearly all of it in the client stack (httpcore's pool checks every
connection's socket before each request, anyio wraps every read), against about 0.06 ms for the bare
exchange (``bench/bench_async_http.py``).  :class:`LeanGets` is that bare exchange made safe for Sinch's
read-only endpoints:

* HTTP/1.1 with ``Content-Length`` or chunked bodies, ``gzip``/``deflate`` content decoded, ``Connection:
  close`` (and HTTP/1.0) honoured; TLS with the same verified context httpx would build.
* At most as many connections as requests in flight (the client's cap); idle ones are reused newest first,
  one the server has closed is dropped before use, and a reused connection that fails before the first
  byte of its answer (the server closed it meanwhile) is replaced once: a GET is safe to resend.
* Failures are raised as the httpx exceptions they correspond to (``ConnectError``/``ConnectTimeout``
  before sending, ``ReadError``/``ReadTimeout``/``RemoteProtocolError`` after, ``LocalProtocolError`` for a
  header that cannot be sent), so the client's retry policy and error mapping treat both paths alike.
* Only where it can be faithful: :func:`lean_gets_for` gives ``None`` (use httpx) for a proxy from the
  environment or a scheme other than ``http``/``https``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
import urllib.request
import zlib
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

Answer = tuple[int, dict[str, str], bytes]
"""``(status, headers with lower-case names, body)``."""

_MAX_HEAD = 64 * 1024

KEEPALIVE_EXPIRY = 5.0
"""Seconds an idle connection is kept (httpx's default): a NAT or firewall may forget a quiet connection
without a word, and a GET written to it would hang until the read timeout."""


@dataclass
class _Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    reused: bool = False
    idle_since: float = 0.0

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()


class LeanGets:
    """Keep-alive GETs to one origin (see the module docstring).

    :param base_url: the API root (scheme, host, optional port and path prefix).
    :param connect_timeout: seconds to open a connection (TLS handshake included).
    :param read_timeout: seconds from the request written to its whole answer read.
    :param max_idle: idle connections kept for reuse (the client's in-flight cap).
    :param ssl_context: for ``https`` (default: httpx's verified context, so the same certificates).
    :param keepalive_expiry: seconds an idle connection is kept for reuse (:data:`KEEPALIVE_EXPIRY`).
    """

    def __init__(self, base_url: str, *, connect_timeout: float, read_timeout: float, max_idle: int,
                 ssl_context: ssl.SSLContext | None = None,
                 keepalive_expiry: float = KEEPALIVE_EXPIRY) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"lean GETs need an http(s) URL with a host, got {parts.scheme!r}")
        try:  # host and path as httpx sends them: the host IDNA-encoded, the path percent-encoded
            url = httpx.URL(base_url)
        except httpx.InvalidURL as exc:
            raise ValueError(str(exc)) from None
        self.host = url.raw_host.decode("ascii")
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = url.raw_path.partition(b"?")[0].decode("ascii").rstrip("/")
        default_port = self.port == (443 if parts.scheme == "https" else 80)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = host if default_port else f"{host}:{self.port}"
        self.ssl = (ssl_context or httpx.create_ssl_context()) if parts.scheme == "https" else None
        self.connect_timeout, self.read_timeout, self.max_idle = connect_timeout, read_timeout, max_idle
        self.keepalive_expiry = keepalive_expiry
        self._idle: list[_Connection] = []
        # The last headers and query strings sent (polls repeat them), so each is checked and encoded once.
        self._head: tuple[dict[str, str], bytes] | None = None
        self._queries: dict[tuple[tuple[str, str], ...], str] = {}

    async def get(self, path: str, params: dict[str, str] | None, headers: dict[str, str]) -> Answer:
        """``GET prefix + path?params`` with ``headers``; the answer, whatever its status."""
        target = self.prefix + path + (f"?{self._query(params)}" if params else "")
        request = self._request(target, headers)
        connection = self._take_idle()
        if connection is not None:
            try:
                return await self._exchange(connection, request)
            except _Stale:
                pass  # the server closed the idle connection meanwhile: once more on a new one
        try:
            return await self._exchange(await self._connect(), request)
        except _Stale as exc:
            raise httpx.ReadError(f"the connection closed before an answer: {exc.cause!r}") from None

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()

    def _query(self, params: dict[str, str]) -> str:
        key = tuple(params.items())
        query = self._queries.get(key)
        if query is None:
            if len(self._queries) >= 256:
                self._queries.clear()
            query = self._queries[key] = str(httpx.QueryParams(params))
        return query

    def _request(self, target: str, headers: dict[str, str]) -> bytes:
        if self._head is not None and headers == self._head[0]:
            head = self._head[1]
        else:
            head = self._headers(headers)
            self._head = (dict(headers), head)
        try:
            return f"GET {target} HTTP/1.1\r\n".encode("latin-1") + head
        except UnicodeEncodeError:
            raise httpx.LocalProtocolError("a header has a character that cannot be sent") from None

    def _headers(self, headers: dict[str, str]) -> bytes:
        """The header lines after the request line, checked and encoded."""
        lines = [f"Host: {self.host_header}"]
        for name, value in headers.items():
            if any(c in value for c in "\r\n\0") or any(c in name for c in "\r\n\0: "):
                raise httpx.LocalProtocolError(f"header {name!r} has a character that cannot be sent")
            lines.append(f"{name}: {value}")
        try:
            return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        except UnicodeEncodeError:
            raise httpx.LocalProtocolError("a header has a character that cannot be sent") from None

    def _take_idle(self) -> _Connection | None:
        expired = time.monotonic() - self.keepalive_expiry
        while self._idle:
            connection = self._idle.pop()
            usable = connection.idle_since > expired and not connection.reader.at_eof() \
                and not connection.writer.is_closing() \
                and not _buffered(connection.reader)  # bytes on an idle connection: not our answer
            if usable:
                return connection
            connection.close()
        return None

    async def _connect(self) -> _Connection:
        try:
            async with asyncio.timeout(self.connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self.host, self.port, ssl=self.ssl, limit=_MAX_HEAD,
                    server_hostname=self.host if self.ssl else None)
        except TimeoutError:
            raise httpx.ConnectTimeout(f"no connection to {self.host_header} within "
                                       f"{self.connect_timeout:g} s") from None
        except (OSError, ssl.SSLError) as exc:
            raise httpx.ConnectError(f"cannot connect to {self.host_header}: {exc}") from None
        return _Connection(reader, writer)

    async def _exchange(self, connection: _Connection, request: bytes) -> Answer:
        reusable = False  # only once the whole answer was read
        try:
            async with asyncio.timeout(self.read_timeout):
                try:
                    connection.writer.write(request)
                    head = await connection.reader.readuntil(b"\r\n\r\n")
                except (ConnectionError, asyncio.IncompleteReadError) as exc:
                    if connection.reused and not getattr(exc, "partial", b""):
                        raise _Stale(exc) from None
                    raise httpx.ReadError(f"the connection failed before an answer: {exc!r}") from None
                status, headers, keep = _parse_head(head)
                while 100 <= status < 200:  # interim (100 Continue, 103 Early Hints): the final follows
                    if status == 101:
                        raise httpx.RemoteProtocolError("the server switched protocols on a GET")
                    status, headers, keep = _parse_head(await connection.reader.readuntil(b"\r\n\r\n"))
                body = await _read_body(connection.reader, status, headers)
                reusable = keep and not _buffered(connection.reader)  # more than was framed: out of step
        except TimeoutError:
            raise httpx.ReadTimeout(f"no whole answer within {self.read_timeout:g} s") from None
        except asyncio.LimitOverrunError:
            raise httpx.RemoteProtocolError("the answer's head is too long") from None
        except (OSError, asyncio.IncompleteReadError) as exc:  # ssl.SSLError and ICMP errors included
            raise httpx.ReadError(f"the connection failed during the answer: {exc!r}") from None
        finally:
            if reusable and len(self._idle) < self.max_idle:
                connection.reused, connection.idle_since = True, time.monotonic()
                self._idle.append(connection)
            else:
                connection.close()
        return status, headers, _decoded(body, headers.get("content-encoding", ""))


class _Stale(Exception):
    def __init__(self, cause: BaseException) -> None:
        super().__init__(repr(cause))
        self.cause = cause


def _buffered(reader: asyncio.StreamReader) -> bool:
    """Whether ``reader`` holds bytes nobody asked for yet (asyncio has no public way to ask)."""
    return bool(getattr(reader, "_buffer", b""))


def _parse_head(head: bytes) -> tuple[int, dict[str, str], bool]:
    """``(status, headers, keep the connection)`` from a response head."""
    try:
        status_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        version, code = status_line.split(" ", 2)[:2]
        status = int(code)
        if not version.startswith("HTTP/1.") or not 100 <= status <= 599:
            raise ValueError(status_line)
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            headers[name] = f"{headers[name]}, {value.strip()}" if name in headers else value.strip()
    except ValueError as exc:
        raise httpx.RemoteProtocolError(f"not an HTTP/1.x answer: {exc}") from None
    connection = headers.get("connection", "").lower()
    keep = "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)
    framed = "content-length" in headers or "chunked" in headers.get("transfer-encoding", "").lower() \
        or status in (204, 304) or status < 200
    return status, headers, keep and framed


async def _read_body(reader: asyncio.StreamReader, status: int, headers: dict[str, str]) -> bytes:
    if status in (204, 304) or status < 200:
        return b""
    if "chunked" in headers.get("transfer-encoding", "").lower():
        chunks: list[bytes] = []
        while True:
            size = _hex_size(await reader.readuntil(b"\r\n"))
            if size == 0:
                while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers
                    pass
                return b"".join(chunks)
            chunk = await reader.readexactly(size + 2)
            if chunk[-2:] != b"\r\n":  # framing lost: reading on would take body bytes for sizes
                raise httpx.RemoteProtocolError("a chunk longer than its size")
            chunks.append(chunk[:-2])
    if "content-length" in headers:
        length = headers["content-length"].strip()
        if not length.isascii() or not length.isdigit():  # int() would take "-1", "+1", "1_0"
            raise httpx.RemoteProtocolError("a malformed Content-Length")
        return await reader.readexactly(int(length))
    return await reader.read()  # no framing: the body runs to the end of the connection


def _hex_size(line: bytes) -> int:
    """A chunk's size from its line (extensions after ``;`` ignored); only hex digits, as h11 reads it."""
    digits = line.split(b";", 1)[0].strip()
    if not digits or digits.strip(b"0123456789abcdefABCDEF"):
        raise httpx.RemoteProtocolError("a malformed chunk size")
    return int(digits, 16)


def _decoded(body: bytes, encoding: str) -> bytes:
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    try:
        if encoding in ("gzip", "x-gzip"):
            return zlib.decompress(body, 16 + zlib.MAX_WBITS)
        if encoding == "deflate":
            try:
                return zlib.decompress(body)
            except zlib.error:
                return zlib.decompress(body, -zlib.MAX_WBITS)
    except zlib.error:
        raise httpx.DecodingError(f"a {encoding} body that does not decode") from None
    raise httpx.DecodingError(f"an answer in an encoding this client does not read: {encoding!r}")


def lean_gets_for(base_url: str, *, connect_timeout: float, read_timeout: float, max_idle: int
                  ) -> LeanGets | None:
    """A :class:`LeanGets` for ``base_url``, or ``None`` where httpx must do the work (a proxy set in the
    environment, which httpx would use; a URL that is not plain http(s))."""
    if any(scheme != "no" for scheme in urllib.request.getproxies()):  # NO_PROXY alone names no proxy
        return None
    try:
        return LeanGets(base_url, connect_timeout=connect_timeout, read_timeout=read_timeout,
                        max_idle=max_idle)
    except ValueError:
        return None
