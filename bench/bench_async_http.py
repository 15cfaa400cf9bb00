"""CPU per request of the ways a triggerer could make its GETs, on loopback against the Sinch sandbox.

    .venv/bin/python bench/bench_async_http.py --port PORT --batch ID [--requests 2000] [--concurrency 10]

Scenarios, each ``--requests`` ``GET .../batches/{id}/delivery_report?type=summary`` with ``--concurrency``
in flight on one event loop: ``httpx.AsyncClient`` (the baseline: what ``AsyncSinchClient`` uses),
``httpcore.AsyncConnectionPool`` driven directly, a bare HTTP/1.1 exchange on ``asyncio`` streams with
``json.loads`` (the floor: no pool, no header checks, no error mapping), and
``AsyncSinchClient.get_delivery_report`` (httpx plus the provider's retry, auth and model parsing).
Printed: process CPU microseconds per request.  Written to choose the triggers' request path (see
``bench/bench_triggerer.py``); a measurement, not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.ratios import report

PLAN, TOKEN = "bench-plan", "bench-token"


async def cpu_per_request(one: Callable[[], Awaitable[object]], requests: int, concurrency: int) -> float:
    """Process CPU microseconds per request of ``requests`` calls of ``one``, ``concurrency`` at a time."""
    left = [requests]

    async def worker() -> None:
        while left[0] > 0:
            left[0] -= 1
            await one()

    for _ in range(20):
        await one()  # connections open, caches warm
    started = time.process_time()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return (time.process_time() - started) / requests * 1e6


async def measure(args: argparse.Namespace) -> dict[str, float]:
    import httpcore
    import httpx

    from airflow_provider_sinch.client import AsyncSinchClient, ServicePlanAuth, SinchConfig

    root = f"http://127.0.0.1:{args.port}"
    url = f"{root}/xms/v1/{PLAN}/batches/{args.batch}/delivery_report"
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    out = {}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(limits=limits) as http:
        out["httpx.AsyncClient"] = await cpu_per_request(
            lambda: http.get(url, params={"type": "summary"}, headers=headers), args.requests,
            args.concurrency)
    async with httpcore.AsyncConnectionPool(max_connections=args.concurrency) as pool:
        raw_headers = [(k.encode(), v.encode()) for k, v in headers.items()]
        out["httpcore pool"] = await cpu_per_request(
            lambda: pool.request("GET", url + "?type=summary", headers=raw_headers), args.requests,
            args.concurrency)
    streams = [await asyncio.open_connection("127.0.0.1", args.port) for _ in range(args.concurrency)]
    free = asyncio.Queue[Any]()
    for pair in streams:
        free.put_nowait(pair)
    head = (f"GET /xms/v1/{PLAN}/batches/{args.batch}/delivery_report?type=summary HTTP/1.1\r\n"
            f"Host: 127.0.0.1:{args.port}\r\nAuthorization: Bearer {TOKEN}\r\nAccept: application/json"
            "\r\n\r\n").encode()

    async def raw() -> object:
        reader, writer = await free.get()
        try:
            writer.write(head)
            headers = await reader.readuntil(b"\r\n\r\n")
            length = int(headers.lower().split(b"content-length:", 1)[1].split(b"\r\n", 1)[0])
            return json.loads(await reader.readexactly(length))
        finally:
            free.put_nowait((reader, writer))

    out["raw asyncio streams + json"] = await cpu_per_request(raw, args.requests, args.concurrency)
    for _, writer in streams:
        writer.close()
    config = SinchConfig(auth=ServicePlanAuth(PLAN, TOKEN), base_url=root)
    async with AsyncSinchClient(config, max_in_flight=args.concurrency) as client:
        out["AsyncSinchClient"] = await cpu_per_request(
            lambda: client.get_delivery_report(batch_id=args.batch, type="summary"), args.requests,
            args.concurrency)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--batch", required=True)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    results = asyncio.run(measure(args))
    report({name: {"CPU us per request": us} for name, us in results.items()}, baseline="httpx.AsyncClient",
           title=f"Async GET paths: {args.requests} summary reports, {args.concurrency} in flight")


if __name__ == "__main__":
    main()
