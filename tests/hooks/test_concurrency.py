"""The bounded runner and the per-thread client pool the send operator uses."""

from __future__ import annotations

import threading
import time

import pytest

from airflow_provider_sinch.client import ServicePlanAuth, SinchConfig
from airflow_provider_sinch.hooks.concurrency import ClientPool, run_bounded


def test_never_more_than_workers_at_once_and_every_item_once() -> None:
    running, peak, lock = 0, 0, threading.Lock()

    def work(item: int) -> int:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.05)  # long enough for every worker to be busy at once, even on a loaded machine
        with lock:
            running -= 1
        return item * 2

    results = {item: result for item, result, error in run_bounded(work, range(20), 3, threading.Event())}
    assert results == {i: i * 2 for i in range(20)}
    assert peak == 3


def test_errors_are_yielded_with_their_item_not_raised() -> None:
    def work(item: int) -> int:
        if item == 2:
            raise ValueError("chunk 2 broke")
        return item

    runs = run_bounded(work, range(4), 2, threading.Event())
    outcome = {item: (result, error) for item, result, error in runs}
    assert outcome[1] == (1, None)
    result, error = outcome[2]
    assert result is None
    assert isinstance(error, ValueError)


def test_stop_starts_nothing_new_but_lets_running_items_finish() -> None:
    stop, started = threading.Event(), []

    def work(item: int) -> int:
        started.append(item)
        time.sleep(0.02)
        return item

    finished = []
    for item, _, _ in run_bounded(work, range(10), 2, stop):
        finished.append(item)
        stop.set()  # e.g. the first chunk failed
    assert sorted(finished) == sorted(started)  # what started, finished
    assert sorted(started) == [0, 1]  # only the two already in flight: nothing new after the stop


@pytest.mark.parametrize("threads", [1, 3])
def test_one_client_per_thread_closed_together(threads: int) -> None:
    pool = ClientPool(SinchConfig(auth=ServicePlanAuth("plan", "token")))
    seen: list[int] = []

    def use() -> None:
        client = pool.get()
        assert pool.get() is client  # the same thread gets the same client
        seen.append(id(client))

    workers = [threading.Thread(target=use) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(set(seen)) == threads
    pool.close()
    assert pool._clients == []
