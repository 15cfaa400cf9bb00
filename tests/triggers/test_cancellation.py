"""A trigger the triggerer drops stops at once, even when its poll completes in the same loop iteration.

On Python 3.11 ``asyncio.wait_for`` returns the inner result when the outer task is cancelled in the
iteration the inner one finishes (CPython gh-86296): a trigger whose polls were wrapped in it swallowed the
cancellation and polled on until its deadline.
"""

from __future__ import annotations

import asyncio
from typing import Any

from airflow.triggers.base import TriggerEvent

from airflow_provider_sinch.triggers.base import SinchPollingTrigger
from airflow_provider_sinch.triggers.events import deadline_after


class GatedTrigger(SinchPollingTrigger):
    """Polls wait on a shared gate; every poll finds nothing, so the trigger would poll on for an hour."""

    event_kind = "delivery"

    def __init__(self, gate: asyncio.Future[None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.gate = gate
        self.polls = 0

    async def get_client(self) -> Any:
        return None

    async def poll(self, client: Any) -> TriggerEvent | None:
        await self.gate
        self.polls += 1
        return None

    def target_kwargs(self) -> dict[str, Any]:
        return {}

    def timeout_detail(self) -> tuple[str, Any]:
        return "", None


async def _first_event(trigger: SinchPollingTrigger) -> TriggerEvent:
    return await anext(trigger.run())


async def test_a_thousand_triggers_cancelled_as_their_polls_complete_all_stop() -> None:
    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    # A deadline: the poll is bounded in time (where wait_for used to be used), which is the case at issue.
    triggers = [GatedTrigger(gate, poll_interval=0.01, deadline=deadline_after(3600)) for _ in range(1000)]
    tasks = [asyncio.create_task(_first_event(t)) for t in triggers]
    for _ in range(5):  # every trigger is now waiting in its first poll
        await asyncio.sleep(0)
    gate.set_result(None)  # every poll completes in the next iteration...
    for task in tasks:  # ...and the triggerer drops every trigger in this one
        task.cancel()
    await asyncio.sleep(0.2)  # twenty poll intervals: a survivor would have polled again by now
    alive = [task for task in tasks if not task.done()]
    blocked: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    for trigger in triggers:  # end any survivor (its next poll blocks, so a cancel lands): a clean failure
        trigger.gate = blocked
    for _ in range(3):
        await asyncio.sleep(0.02)
        for task in alive:
            task.cancel()
    await asyncio.gather(*alive, return_exceptions=True)
    assert not alive, f"{len(alive)} of 1000 cancelled triggers were still polling"
    assert all(task.cancelled() for task in tasks)
    assert max(t.polls for t in triggers) <= 1


async def test_every_poll_asks_for_the_shared_client_so_a_rotated_token_reaches_a_long_wait() -> None:
    """The client comes from the hook at every poll (a dictionary lookup once warm), not once per run."""
    asked = []

    class CountingTrigger(GatedTrigger):
        async def get_client(self) -> Any:
            asked.append(self.polls)
            return None

        async def poll(self, client: Any) -> TriggerEvent | None:
            self.polls += 1
            return self.event("success", "done") if self.polls == 3 else None

    gate: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    event = await _first_event(CountingTrigger(gate, poll_interval=0.01))
    assert event.payload["status"] == "success"
    assert asked == [0, 1, 2]
