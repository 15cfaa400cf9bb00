"""Poll: answer HITL requests from the inbound SMS an asset watcher picked up (deployments without the
callback receiver).

The DAG is scheduled on an asset that ``SinchInboundMessageEventTrigger`` watches (``GET /inbounds`` every
``poll_interval`` seconds); each new SMS to your number becomes an asset event, and this operator, in the
run those events start, reads each message and submits the valid answers through Airflow's REST API as the
bridge user, with the same rules as push (:mod:`~airflow_provider_sinch.common.hitl_replies`).

**Why a task and not the trigger.**  A trigger's ``run()`` is replayed after a triggerer restart and may run
twice at once during a failover, so a ``PATCH`` from it would be sent again.  Airflow's 409 would in fact
make a second ``PATCH`` of the same answer harmless (the first answer stands, the second records nothing),
but a replay can also come after a *new* try started (whose request would then be answered by an SMS meant
for the old one, were the code not bound to the try): keeping the write in a task makes the watcher
read-only, as every trigger of this provider is, and puts each answer in a task log.  The watcher fires a
message at most once (its state is saved before the event), and a run that fails is retried by Airflow
with the same events; answering again then meets ``already_answered``.

**Catching up (``to_numbers``).**  Airflow starts an asset-triggered run with the events up to the moment
its queue entry was created; an event stored between that moment and the run's creation (two replies
within the scheduler's loop) belongs to no run until the next event comes (seen in ``airflow standalone``
3.3: two messages fired 20 ms apart, the run took the first).  With ``to_numbers`` the task also lists the
messages Sinch received on those numbers in the last ``lookback`` seconds and reads those not read yet, so a
reply is never left waiting for the next SMS.

The wrong-code and SMS-back limits and the ids of the messages read (the last :data:`SEEN`) are kept in an
Airflow Variable (``limits_variable``, default ``sinch_hitl_limits``; numbers appear there only as HMACs),
read and written by each run: give the DAG ``max_active_runs=1`` so two runs do not overwrite each other's.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_sinch.common.arguments import as_bool, as_int
from airflow_provider_sinch.common.hitl_bridge import DEFAULT_HITL_CONN_ID
from airflow_provider_sinch.hooks import DEFAULT_CONN_ID

LIMITS_VARIABLE = "sinch_hitl_limits"
SEEN = 500
"""Message ids remembered as read (more than a ``lookback`` of replies)."""


def inbound_payloads(events: Any) -> list[dict[str, Any]]:
    """The Sinch messages in ``triggering_asset_events`` (a mapping of asset -> events, or a list of
    events), from each event's ``extra["payload"]``, oldest first; other events are skipped."""
    groups: Iterable[Any] = events.values() if isinstance(events, Mapping) else [events or []]
    found = []
    for group in groups:
        for event in group or []:
            extra = event if isinstance(event, Mapping) else getattr(event, "extra", None)
            payload = extra.get("payload") if isinstance(extra, Mapping) else None
            if isinstance(payload, Mapping):
                found.append(dict(payload))
    unique = {str(p.get("id")): p for p in found}  # one message on two assets (a number's and the plan's)
    return sorted(unique.values(), key=lambda p: str(p.get("received_at", "")))


class SinchHITLReplyOperator(BaseOperator):
    """Answer HITL requests from the inbound SMS that triggered this run.

    :param hitl_conn_id: the bridge connection (Airflow API URL, bridge user, ``code_secret``).
    :param sinch_conn_id: the ``sinch`` connection for texts back.
    :param text_back: text a short hint back to a sender who sent a valid code but no valid answer, or
        answered too late or a second time (rate-limited per number).
    :param limits_variable: the Variable keeping the rate limits and the ids read between runs (``None``:
        per run only, and no catching up).
    :param messages: the inbound messages to read (default: the run's ``triggering_asset_events``);
        templated, for a DAG that collects messages another way.
    :param to_numbers: your numbers the watcher lists; their messages of the last ``lookback`` seconds not
        read yet are read too (see the module docs).  Templated.
    :param lookback: whole seconds of messages listed for catching up (default 600).
    :param kwargs: :class:`~airflow.sdk.BaseOperator` arguments (``task_id``, ``retries``, ...).
    """

    template_fields: Sequence[str] = ("hitl_conn_id", "sinch_conn_id", "messages", "to_numbers")

    def __init__(self, *, hitl_conn_id: str = DEFAULT_HITL_CONN_ID, sinch_conn_id: str = DEFAULT_CONN_ID,
                 text_back: bool = False, limits_variable: str | None = LIMITS_VARIABLE,
                 messages: Any = None, to_numbers: Any = None, lookback: int = 600,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.hitl_conn_id = hitl_conn_id
        self.sinch_conn_id = sinch_conn_id
        self.text_back = bool(as_bool(text_back, "text_back"))
        self.limits_variable = limits_variable
        self.messages = messages
        self.to_numbers = to_numbers
        self.lookback = as_int(lookback, "lookback", minimum=1) or 600

    def _send(self, to: str, from_: str, text: str) -> None:
        from airflow_provider_sinch.hooks.sinch import SinchHook

        SinchHook(sinch_conn_id=self.sinch_conn_id).send_batch(to=[to], from_=from_, body=text)

    def _state(self) -> dict[str, Any]:
        if not self.limits_variable:
            return {"wrong_codes": {}, "replies": {}, "seen": []}
        from airflow.sdk import Variable

        saved = Variable.get(self.limits_variable, default=None)
        state = json.loads(saved) if isinstance(saved, str) and saved.strip() else {}
        return {"wrong_codes": dict(state.get("wrong_codes") or {}),
                "replies": dict(state.get("replies") or {}), "seen": list(state.get("seen") or [])}

    def _recent(self) -> list[dict[str, Any]]:
        """The messages Sinch received on ``to_numbers`` within ``lookback`` (catching up)."""
        from datetime import UTC, datetime, timedelta

        from airflow_provider_sinch.common.arguments import as_list
        from airflow_provider_sinch.common.output import to_xcom
        from airflow_provider_sinch.hooks.sinch import SinchHook

        numbers = as_list(self.to_numbers, "to_numbers")
        since = datetime.now(UTC) - timedelta(seconds=self.lookback)
        hook = SinchHook(sinch_conn_id=self.sinch_conn_id)
        return [to_xcom(m) for m in hook.iter_inbounds(to=numbers, start_date=since)]

    def execute(self, context: Any) -> list[dict[str, Any]]:
        """Read each message and answer what it validly answers; returns one line per message (no numbers,
        no text): its id, the outcome and the request it named."""
        from airflow_provider_sinch.common.hitl_bridge import AirflowBridge, load_settings
        from airflow_provider_sinch.common.hitl_replies import (
            REPLY_LIMIT,
            REPLY_WINDOW_S,
            WRONG_CODE_LIMIT,
            WRONG_CODE_WINDOW_S,
            InboundSMS,
            ReplyHandler,
            WindowLimiter,
        )

        payloads = (inbound_payloads(self.messages) if self.messages is not None
                    else inbound_payloads(context.get("triggering_asset_events")))
        state = self._state()
        seen = set(state["seen"])
        if self.to_numbers and self.limits_variable:
            payloads = inbound_payloads([{"payload": p} for p in [*payloads, *self._recent()]])
        payloads = [p for p in payloads if str(p.get("id")) not in seen]
        wrong = WindowLimiter(WRONG_CODE_LIMIT, WRONG_CODE_WINDOW_S, state["wrong_codes"])
        replies = WindowLimiter(REPLY_LIMIT, REPLY_WINDOW_S, state["replies"])
        results = []
        with AirflowBridge(load_settings(self.hitl_conn_id)) as bridge:
            handler = ReplyHandler(bridge, wrong_codes=wrong, replies=replies,
                                   send_sms=self._send if self.text_back else None)
            for payload in payloads:
                sms = InboundSMS.from_payload(payload)
                if sms is None:
                    continue
                decision = handler.handle(sms)
                results.append({"message": sms.id, "result": decision.result, "request": decision.request,
                                "approver": decision.approver, "chosen": decision.chosen})
        if self.limits_variable:
            from airflow.sdk import Variable

            wrong.prune()
            replies.prune()
            read = [*state["seen"], *(str(p.get("id")) for p in payloads)][-SEEN:]
            Variable.set(self.limits_variable, json.dumps({"wrong_codes": dict(wrong.state),
                                                           "replies": dict(replies.state), "seen": read}))
        self.log.info("%d inbound SMS read: %s", len(results),
                      ", ".join(f"{r['message']}={r['result']}" for r in results) or "none")
        return results
