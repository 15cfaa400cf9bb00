"""Unit tests of the sandbox's building blocks: clock, scheduler, fault plan, ids, outcome table."""

from __future__ import annotations

import threading
import time

import pytest

from airflow_provider_sinch.testing.sandbox import Fault, OutcomeRule
from airflow_provider_sinch.testing.sandbox.clock import SandboxClock, iso, parse_timestamp
from airflow_provider_sinch.testing.sandbox.faults import FaultPlan
from airflow_provider_sinch.testing.sandbox.ids import new_id
from airflow_provider_sinch.testing.sandbox.outcomes import OutcomeTable
from airflow_provider_sinch.testing.sandbox.scheduler import Scheduler


def test_a_frozen_clock_moves_only_when_advanced() -> None:
    clock = SandboxClock(time_scale=0, start=1_000.0)
    time.sleep(0.02)
    assert clock.time() == 1_000.0
    clock.advance(5.5)
    assert clock.time() == 1_005.5
    with pytest.raises(ValueError, match="back"):
        clock.advance(-1)
    assert clock.real_delay(10) is None


def test_a_scaled_clock_runs_its_timeline_faster_and_now_at_real_speed() -> None:
    clock = SandboxClock(time_scale=1000, start=0.0)
    time.sleep(0.05)
    assert 40 <= clock.elapsed() <= 1000
    assert 0.04 <= clock.time() < 1  # now runs with the wall clock whatever the scale
    assert clock.real_delay(500) == pytest.approx(0.5)
    clock.set_time_scale(0)
    frozen, now = clock.elapsed(), clock.time()
    time.sleep(0.01)
    assert (clock.elapsed(), clock.time()) == (frozen, now)


def test_timestamps_are_utc_with_milliseconds() -> None:
    assert iso(1717660357.386) == "2024-06-06T07:52:37.386Z"
    assert parse_timestamp("2024-06-06T07:52:37.386Z") == pytest.approx(1717660357.386)
    assert parse_timestamp("2024-06-06 09:52:37.386+02:00") == pytest.approx(1717660357.386)
    assert parse_timestamp("2024-06-06T07:52:37.386") == pytest.approx(1717660357.386)  # no offset: UTC


def test_the_scheduler_runs_due_jobs_in_time_order() -> None:
    clock = SandboxClock(time_scale=0, start=0.0)
    scheduler = Scheduler(clock, threading.RLock())
    ran: list[str] = []
    scheduler.at(3, lambda: ran.append("c"))
    scheduler.at(1, lambda: ran.append("a"))
    def second() -> None:
        ran.append("b")
        scheduler.at(2.5, lambda: ran.append("b2"))  # scheduled while running, due already: runs too

    scheduler.at(2, second)
    scheduler.at(1, lambda: 1 / 0)  # a failing job is logged and skipped
    assert scheduler.run_due() == 0
    clock.advance(2.7)
    assert scheduler.run_due() == 4
    assert ran == ["a", "b", "b2"]
    assert scheduler.pending() == 1


def test_the_scheduler_thread_follows_the_clock() -> None:
    clock = SandboxClock(time_scale=100)
    scheduler = Scheduler(clock, threading.RLock())
    done = threading.Event()
    scheduler.after(5, done.set)  # 5 sandbox seconds = 50 ms
    scheduler.start()
    try:
        assert done.wait(1)
    finally:
        scheduler.stop()


def test_fault_plan_counts_probability_and_matching() -> None:
    plan = FaultPlan(seed=1)
    plan.add(Fault(kind="latency", seconds=0.1, method="get"))
    plan.add(Fault(kind="rate_limit", times=2, path="^/batches$"))
    plan.add(Fault(kind="server_error", probability=0.5, path="^/groups"))

    hit = plan.pick("GET", "/batches")
    assert hit is not None
    assert hit.delay == 0.1
    assert hit.fault is not None
    assert hit.fault.kind == "rate_limit"
    assert plan.pick("POST", "/batches").fault.kind == "rate_limit"  # type: ignore[union-attr]
    assert plan.pick("POST", "/batches") is None  # spent after two
    kinds = [getattr(plan.pick("POST", "/groups/x"), "fault", None) for _ in range(200)]
    assert 60 <= sum(k is not None for k in kinds) <= 140
    with pytest.raises(ValueError):
        Fault(kind="drop", mode="hang")


def test_ids_are_ulids_sorted_by_time() -> None:
    first, second = new_id(1_000.0), new_id(2_000.0)
    assert len(first) == 26
    assert first.isalnum()
    assert first.isupper()
    assert first < second


def test_the_outcome_table_uses_the_first_matching_rule() -> None:
    table = OutcomeTable([OutcomeRule(suffix="1", status="Failed"),
                          OutcomeRule(suffix="21", status="Deleted")])
    assert table.resolve("4621").status == "Failed"
    table.add(OutcomeRule(suffix="21", status="Unknown", code=5))
    assert (table.resolve("4621").status, table.resolve("4621").status_code) == ("Unknown", 5)
    assert table.resolve("4620").status == "Delivered"
