"""A burst of Sinch callbacks while another process holds the SQLite write lock of Airflow's metadata DB:
does the receiver answer within its budget, does Airflow's API server stay responsive, and is each callback
recorded exactly once after the lock?

    .venv/bin/python bench/bench_callback_lock.py [--callbacks 200] [--lock 30] [--concurrency 50]

A real ``airflow api-server`` (one worker, the default; the provider's plugin mounts the receiver at
``/sinch``) on a fresh, migrated SQLite metadata DB (WAL mode, as Airflow sets it), with a ``sinch_push``
connection accepting signed callbacks and an active ``sinch://sinch_push/delivery`` asset.  Then:

1. ``/api/v2/monitor/health`` is polled every ``--health-interval`` seconds from before the lock to the end.
2. Another process takes the write lock (``BEGIN IMMEDIATE`` and an update of the asset table) and holds it
   for ``--lock`` seconds.
3. As soon as it holds it, ``--callbacks`` distinct signed delivery reports are sent on ``--concurrency``
   threads; each answer's status, body status and latency is kept.
4. After the lock is released, every callback not answered 2xx is sent again (signed afresh, as Sinch
   retries), after the ``Retry-After`` it was given, until each is answered 2xx; then all of them once more
   (Sinch's duplicate deliveries), which must all be ``duplicate``.
5. The DB is read: each callback must have exactly one asset event (its ``sinch_dedup``).

A measurement to read, not a test; it prints its figures (and exits 1 if exactly-once did not hold).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_sandbox import HOST, _free_port

ROOT = Path(__file__).resolve().parents[1]
AIRFLOW = str(Path(sys.executable).with_name("airflow"))
CONN_ID, SECRET = "sinch_push", "bench-callback-secret-0123"
ASSET = f"sinch://{CONN_ID}/delivery"
LOCK_HOLDER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], timeout=60, isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
connection.execute("UPDATE asset SET updated_at = updated_at")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
connection.execute("ROLLBACK")
print("released", flush=True)
"""


def environment(home: Path, port: int) -> dict[str, str]:
    """The API server's environment: a fresh home, its SQLite DB, the connection, the receiver opted in."""
    env = {**os.environ,
           "AIRFLOW_HOME": str(home),
           "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{home / 'airflow.db'}",
           "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
           "AIRFLOW__CORE__DAGS_FOLDER": str(home / "dags"),
           "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
           "AIRFLOW__API__PORT": str(port),
           "AIRFLOW__SINCH__CALLBACK_CONNECTIONS": CONN_ID,  # the opt-in, where the provider asks for one
           "AIRFLOW_CONN_SINCH_PUSH": json.dumps({"conn_type": "sinch", "login": "plan", "password": "token",
                                                  "extra": {"callback_secret": SECRET}})}
    env.pop("AIRFLOW__CORE__LAZY_DISCOVER_PROVIDERS", None)
    return env


def seed(env: dict[str, str]) -> None:
    """Migrate the DB and add the active asset (as a parsed DAG scheduled on it leaves it)."""
    subprocess.run([AIRFLOW, "db", "migrate"], env=env, check=True, capture_output=True, timeout=600)
    script = ("from airflow.models.asset import AssetActive, AssetModel\n"
              "from airflow.utils.session import create_session\n"
              f"with create_session() as s:\n    s.add(AssetModel(name={ASSET!r}, uri={ASSET!r}))\n"
              f"    s.add(AssetActive(name={ASSET!r}, uri={ASSET!r}))\n")
    subprocess.run([sys.executable, "-c", script], env=env, check=True, capture_output=True, timeout=300)


def body(n: int) -> bytes:
    """Callback ``n``: a per-recipient delivery report of its own (its own dedup key)."""
    return json.dumps({"type": "recipient_delivery_report_sms", "batch_id": "01BENCHBATCH0000000000000",
                       "recipient": f"4670{n:07d}", "code": 0, "status": "Delivered",
                       "at": "2026-12-06T10:00:00.000Z"}).encode()


class Poller(threading.Thread):
    """Polls the health endpoint until stopped; keeps (start, latency, status) of each poll.

    :param url: the health URL.
    :param interval: seconds between the end of one poll and the start of the next.
    """

    def __init__(self, url: str, interval: float) -> None:
        super().__init__(daemon=True)
        self.url, self.interval = url, interval
        self.polls: list[tuple[float, float, int]] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        with httpx.Client(timeout=120, trust_env=False) as client:
            while not self.stopped.is_set():
                start = time.monotonic()
                try:
                    status = client.get(self.url).status_code
                except httpx.HTTPError:
                    status = 0
                self.polls.append((start, time.monotonic() - start, status))
                self.stopped.wait(self.interval)


def send(client: httpx.Client, url: str, n: int) -> tuple[int, str, float, str | None]:
    """Send callback ``n`` signed afresh; (status code, body status or detail, latency, Retry-After)."""
    from airflow_provider_sinch.client.webhooks import signed_headers

    payload = body(n)
    start = time.monotonic()
    answer = client.post(url, content=payload,
                         headers={"Content-Type": "application/json", **signed_headers(SECRET, payload)})
    latency = time.monotonic() - start
    detail = answer.json().get("status") or answer.json().get("detail") or answer.text
    return answer.status_code, str(detail), latency, answer.headers.get("Retry-After")


def events_per_callback(db: Path) -> Counter[str]:
    """recipient (each callback's own) -> how many asset events carry its report."""
    with sqlite3.connect(db) as connection:
        rows = connection.execute("SELECT extra FROM asset_event").fetchall()
    return Counter(json.loads(extra)["payload"]["recipient"] for (extra,) in rows)


def quantile(values: list[float], q: float) -> float:
    """The ``q`` quantile (never beyond the highest value)."""
    return statistics.quantiles(values, n=100, method="inclusive")[int(q * 100) - 1] if len(values) > 1 \
        else values[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callbacks", type=int, default=200)
    parser.add_argument("--lock", type=float, default=30.0, help="seconds the write lock is held")
    parser.add_argument("--concurrency", type=int, default=50, help="callbacks in flight at once")
    parser.add_argument("--health-interval", type=float, default=0.1)
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="sinch-bench-lock-"))
    (home / "dags").mkdir()
    port = _free_port()
    env = environment(home, port)
    seed(env)
    base = f"http://{HOST}:{port}"
    receiver = f"{base}/sinch/callbacks/{CONN_ID}"
    log = (home / "api-server.log").open("wb")
    server = subprocess.Popen([AIRFLOW, "api-server", "--port", str(port)], env=env, stdout=log,
                              stderr=subprocess.STDOUT, start_new_session=True)
    try:
        with httpx.Client(timeout=120, trust_env=False) as client:
            deadline = time.monotonic() + 180
            while True:
                with suppress(httpx.HTTPError):
                    if client.get(f"{base}/api/v2/monitor/health").status_code == 200:
                        break
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError(f"the API server did not start: see {home / 'api-server.log'}")
                time.sleep(0.5)
            warm = client.post(receiver, content=b"{}")  # builds the receiver; unsigned: 401
            print(f"API server up; receiver answers unsigned with {warm.status_code}")

            poller = Poller(f"{base}/api/v2/monitor/health", args.health_interval)
            poller.start()
            time.sleep(3)
            holder = subprocess.Popen([sys.executable, "-c", LOCK_HOLDER, str(home / "airflow.db"),
                                       str(args.lock)], stdout=subprocess.PIPE, text=True)
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == "locked"
            locked_at = time.monotonic()
            with ThreadPoolExecutor(args.concurrency) as pool:
                during = list(pool.map(lambda n: send(client, receiver, n), range(args.callbacks)))
            burst_s = time.monotonic() - locked_at
            assert holder.stdout.readline().strip() == "released"
            released_at = time.monotonic()
            holder.wait(10)

            pending = [n for n, answer in enumerate(during) if answer[0] // 100 != 2]
            rounds: list[Counter[tuple[int, str]]] = []
            while pending and len(rounds) < 10:
                time.sleep(max((float(during[n][3] or 0) for n in pending), default=0))
                answers = dict(zip(pending, ThreadPoolExecutor(args.concurrency).map(
                    lambda n: send(client, receiver, n), pending), strict=True))
                rounds.append(Counter((a[0], a[1]) for a in answers.values()))
                pending = [n for n, a in answers.items() if a[0] // 100 != 2]
            with ThreadPoolExecutor(args.concurrency) as pool:
                again = list(pool.map(lambda n: send(client, receiver, n), range(args.callbacks)))
            time.sleep(1)
            poller.stopped.set()
            poller.join(10)
    finally:
        with suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
        log.close()

    counts = events_per_callback(home / "airflow.db")
    once = sum(1 for n in range(args.callbacks) if counts[json.loads(body(n))["recipient"]] == 1)
    latencies = [a[2] for a in during]
    in_lock = [p for p in poller.polls if locked_at <= p[0] <= released_at]
    outside = [p for p in poller.polls if not locked_at <= p[0] <= released_at]
    print(f"\n{args.callbacks} signed callbacks sent during a {args.lock:g} s SQLite write lock, "
          f"{args.concurrency} at a time (all answered {burst_s:.1f} s after the lock was taken)")
    print("  answers during the lock:", dict(Counter((a[0], a[1]) for a in during)))
    print(f"  their latency: median {statistics.median(latencies):.2f} s, "
          f"p99 {quantile(latencies, 0.99):.2f} s, worst {max(latencies):.2f} s; "
          f"Retry-After {sorted({a[3] for a in during}, key=str)}")
    for i, counted in enumerate(rounds, 1):
        print(f"  retry round {i} after the lock: {dict(counted)}")
    print("  all sent once more (Sinch duplicates):", dict(Counter((a[0], a[1]) for a in again)))
    print(f"  asset events: {sum(counts.values())}; "
          f"callbacks with exactly one event: {once}/{args.callbacks}")
    for name, polls in (("during the lock", in_lock), ("outside it", outside)):
        values = [p[1] for p in polls]
        print(f"  health {name}: {len(polls)} polls, statuses {dict(Counter(p[2] for p in polls))}, "
              f"median {statistics.median(values) * 1000:.0f} ms, "
              f"p99 {quantile(values, 0.99) * 1000:.0f} ms, worst {max(values) * 1000:.0f} ms "
              f"(sent {max(polls, key=lambda p: p[1])[0] - locked_at:+.1f} s from the lock)")
    return 0 if once == args.callbacks and sum(counts.values()) == args.callbacks else 1


if __name__ == "__main__":
    sys.exit(main())
