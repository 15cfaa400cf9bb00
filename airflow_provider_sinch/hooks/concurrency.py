"""Running chunk requests a few at a time: one client per worker thread, and a bounded runner that stops
starting new work once told to (a failed chunk, or a killed task)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from airflow_provider_sinch.client import SinchClient, SinchConfig
    from airflow_provider_sinch.client.renewal import Renew

T = TypeVar("T")
R = TypeVar("R")


class ClientPool:
    """One synchronous client per worker thread (``requests.Session`` is not shared across threads).

    :param config: the hook's client configuration.
    :param renew: what the clients ask when Sinch refuses the credentials (the hook's
        :meth:`~airflow_provider_sinch.hooks.sinch.SinchHook.renew_config`); ``None``: a refusal is final.
    """

    def __init__(self, config: SinchConfig, renew: Renew | None = None) -> None:
        self.config = config
        self.renew = renew
        self._local = threading.local()
        self._lock = threading.Lock()
        self._clients: list[SinchClient] = []

    def get(self) -> SinchClient:
        client = getattr(self._local, "client", None)
        if client is None:
            from airflow_provider_sinch.client.sync_client import SinchClient  # requests: at run time only

            client = self._local.client = SinchClient(self.config, renew=self.renew)
            with self._lock:
                self._clients.append(client)
        return client

    def close(self) -> None:
        with self._lock:
            for client in self._clients:
                client.close()
            self._clients.clear()


def run_bounded(fn: Callable[[T], R], items: Iterable[T], workers: int, stop: threading.Event
                ) -> Iterator[tuple[T, R | None, BaseException | None]]:
    """Run ``fn`` over ``items`` on at most ``workers`` threads; yield ``(item, result, error)`` in the
    caller's thread as each finishes.  Once ``stop`` is set no new item starts (running ones finish)."""
    queue = iter(items)
    running: dict[Future[R], T] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="sinch") as pool:

        def fill() -> None:
            while len(running) < workers and not stop.is_set():
                try:
                    item = next(queue)
                except StopIteration:
                    return
                running[pool.submit(fn, item)] = item

        fill()
        while running:
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                item = running.pop(future)
                error = future.exception()
                yield item, (None if error else future.result()), error
            fill()
