"""CPU per request of the async client's HTTP stacks, before (httpx) and after (aiohttp), on loopback against
the Sinch sandbox, in the same run.

    .venv/bin/python bench/bench_async_http.py [--requests 3000] [--concurrency 10] [--port PORT --batch ID]

Scenarios, each ``--requests`` ``GET .../batches/{id}/delivery_report?type=summary`` with ``--concurrency``
in flight on one event loop (medians of the runs ``make bench`` makes):

* ``httpx.AsyncClient`` (the baseline), set up as ``AsyncSinchClient`` set it up before issue 19;
* ``aiohttp.ClientSession``, as ``AsyncSinchClient`` sets it up now (trust_env off, pool of
  ``--concurrency``), and the same with ``trust_env=True`` (aiohttp then reads the proxy variables in a
  worker thread for every request: why the client reads them once per origin instead);
* a bare HTTP/1.1 exchange on ``asyncio`` streams with ``json.loads`` (the floor: no pool, no header checks,
  no error mapping);
* ``AsyncSinchClient.get_delivery_report`` before (on httpx, ``bench/before_httpx.py``) and now (aiohttp):
  plus the provider's retry, auth and model parsing.

The lean GET path (``client/lean_http.py``, removed with the move to aiohttp) cannot be run again: issue 19
measured it at 78 us per GET (93 through ``AsyncSinchClient``) against httpx's 1,165 on the same machine.
Without ``--port`` a sandbox is started for the run.  Printed: process CPU microseconds per request; a
measurement, not a test.
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

from bench.bench_sandbox import HOST, _free_port, _process
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
    import aiohttp
    import httpx

    from airflow_provider_sinch.client import AsyncSinchClient, ServicePlanAuth, SinchConfig
    from bench.before_httpx import HttpxAsyncSinchClient

    root = f"http://127.0.0.1:{args.port}"
    url = f"{root}/xms/v1/{PLAN}/batches/{args.batch}/delivery_report"
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}
    out = {}
    limits = httpx.Limits(max_connections=args.concurrency, max_keepalive_connections=args.concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(30.0, connect=10.0)) as http:
        out["httpx.AsyncClient"] = await cpu_per_request(
            lambda: http.get(url, params={"type": "summary"}, headers=headers), args.requests,
            args.concurrency)
    timeout = aiohttp.ClientTimeout(total=None, connect=10.0, sock_connect=10.0, sock_read=30.0)
    for trust_env in (False, True):
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector, trust_env=trust_env,
                                         cookie_jar=aiohttp.DummyCookieJar()) as session:

            async def get(session: aiohttp.ClientSession = session) -> object:
                async with session.get(url, params={"type": "summary"}, headers=headers,
                                       timeout=timeout) as response:
                    return await response.read()

            name = "aiohttp.ClientSession" + (", trust_env=True" if trust_env else "")
            out[name] = await cpu_per_request(get, args.requests, args.concurrency)
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
    for name, cls in (("AsyncSinchClient before (httpx)", HttpxAsyncSinchClient),
                      ("AsyncSinchClient (aiohttp)", AsyncSinchClient)):
        async with cls(config, max_in_flight=args.concurrency) as client:
            out[name] = await cpu_per_request(
                lambda client=client: client.get_delivery_report(batch_id=args.batch, type="summary"),
                args.requests, args.concurrency)
    return out


async def one_batch(url: str) -> str:
    from airflow_provider_sinch.client import AsyncSinchClient, ServicePlanAuth, SinchConfig

    async with AsyncSinchClient(SinchConfig(auth=ServicePlanAuth(PLAN, TOKEN), base_url=url)) as client:
        return (await client.send_batch(to=["+46700000001"], from_="Acme", body="Hi")).id


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, help="a running sandbox (default: one started for the run)")
    parser.add_argument("--batch", help="a batch on that sandbox (default: one sent for the run)")
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args()
    if args.port is None:
        args.port = _free_port()
        command = [sys.executable, "-m", "airflow_provider_sinch.testing.sandbox", "--host", HOST, "--port",
                   str(args.port), "--service-plan-id", PLAN, "--token", TOKEN, "--time-scale", "0",
                   "--log-level", "warning"]
        with _process(command, args.port):
            args.batch = asyncio.run(one_batch(f"http://{HOST}:{args.port}"))
            results = asyncio.run(measure(args))
    else:
        results = asyncio.run(measure(args))
    report({name: {"CPU us per request": us} for name, us in results.items()}, baseline="httpx.AsyncClient",
           title=f"Async GET paths, before (httpx) and after (aiohttp): {args.requests} summary reports, "
                 f"{args.concurrency} in flight; lean_http (removed) measured 78 us in issue 19")


if __name__ == "__main__":
    main()
