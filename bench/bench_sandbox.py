"""Requests per second of the Sinch sandbox, against a bare FastAPI/uvicorn baseline measured in the same run.

    .venv/bin/python bench/bench_sandbox.py [--seconds 3] [--connections 16]

Each server runs in its own process, as ``sinch-sandbox`` does (the sandbox is started through its real
command line); the load comes from this process over keep-alive HTTP/1.1 connections written with raw asyncio
streams, so the client costs as little CPU as possible on a small machine.  Scenarios:

* ``baseline``: ``GET /hello`` of a FastAPI app returning a small JSON object, on the same uvicorn settings;
* ``get batch``: ``GET /xms/v1/{plan}/batches/{id}`` (authenticated read, the "simple request");
* ``delivery report``: ``GET .../batches/{id}/delivery_report?type=full``;
* ``send batch``: ``POST /xms/v1/{plan}/batches`` with one recipient (validation, state, lifecycle jobs).

It prints requests per second and the ratio to the baseline (:func:`bench.ratios.report`); the target is
at least 1,000 simple requests per second on a 2-core machine.  This is a measurement to read, not a test
that passes or fails.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ratios import report

HOST = "127.0.0.1"


def _baseline_app() -> object:
    from fastapi import FastAPI
    from starlette.responses import Response

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/hello")
    async def hello() -> Response:
        return Response(b'{"hello":"world"}', media_type="application/json")

    return app


def serve_baseline(port: int) -> None:
    """The baseline server (run in a child process)."""
    import uvicorn

    app: Any = _baseline_app()
    uvicorn.run(app, host=HOST, port=port, log_level="warning", access_log=False, server_header=False)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _wait_until_up(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((HOST, port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"no server on port {port}")


@contextmanager
def _process(command: list[str], port: int) -> Iterator[None]:
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_until_up(port)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


def _request(method: str, path: str, token: str | None = None, body: bytes = b"") -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {HOST}", "Accept: application/json"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _connection(port: int, request: bytes, stop_at: float, counts: list[int],
                      errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while time.monotonic() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":", 1)[1])
            if length:
                await reader.readexactly(length)
            if status >= 400:
                errors.append(status)
            counts[0] += 1
    finally:
        writer.close()


async def _load(port: int, request: bytes, seconds: float, connections: int) -> tuple[int, float, list[int]]:
    counts, errors = [0], list[int]()
    await asyncio.gather(*(_connection(port, request, time.monotonic() + 0.5, [0], []) for _ in range(2)))
    started = time.monotonic()
    await asyncio.gather(*(_connection(port, request, started + seconds, counts, errors)
                           for _ in range(connections)))
    return counts[0], time.monotonic() - started, errors


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    errors: int

    @property
    def rate(self) -> float:
        return self.requests / self.seconds


def _measure(name: str, port: int, request: bytes, args: argparse.Namespace) -> Result:
    requests, seconds, errors = asyncio.run(_load(port, request, args.seconds, args.connections))
    return Result(name, requests, seconds, len(errors))


def _sandbox_request(port: int, method: str, path: str, token: str, body: dict | None = None) -> dict:
    import http.client

    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    payload = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    connection.request(method, path, body=payload, headers=headers)
    answer = json.loads(connection.getresponse().read() or b"{}")
    connection.close()
    return dict(answer)


def run(args: argparse.Namespace) -> list[Result]:
    results = []
    port = _free_port()
    with _process([sys.executable, __file__, "--serve-baseline", str(port)], port):
        results.append(_measure("baseline (FastAPI hello)", port, _request("GET", "/hello"), args))

    port = _free_port()
    plan, token = "bench-plan", "bench-token"
    sandbox = [sys.executable, "-m", "airflow_provider_sinch.testing.sandbox", "--port", str(port),
               "--service-plan-id", plan, "--token", token, "--log-level", "warning"]
    with _process(sandbox, port):
        root = f"/xms/v1/{plan}"
        batch = _sandbox_request(port, "POST", f"{root}/batches", token,
                                 {"to": ["+46701234567", "+46701234568"], "from": "Bench", "body": "Hello"})
        send_body = json.dumps({"to": ["+46701234567"], "from": "Bench", "body": "Hello"}).encode()
        scenarios = [
            ("sandbox: get batch", _request("GET", f"{root}/batches/{batch['id']}", token)),
            ("sandbox: delivery report",
             _request("GET", f"{root}/batches/{batch['id']}/delivery_report?type=full", token)),
            ("sandbox: send batch", _request("POST", f"{root}/batches", token, send_body)),
        ]
        for name, request in scenarios:
            results.append(_measure(name, port, request, args))
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="measuring time per scenario")
    parser.add_argument("--connections", type=int, default=16, help="concurrent keep-alive connections")
    parser.add_argument("--serve-baseline", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_baseline:
        serve_baseline(args.serve_baseline)
        return
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    results = run(args)
    report({r.name: {"req/s": round(r.rate), "errors": r.errors} for r in results},
           baseline=results[0].name,
           title=f"Sandbox requests per second: {os.cpu_count()} CPUs, {args.connections} keep-alive "
                 f"connections, {args.seconds:g} s per scenario")

if __name__ == "__main__":
    main()
