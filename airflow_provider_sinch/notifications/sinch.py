"""``SinchNotifier``: an SMS when a task or a DAG run fails (or anything else a callback reports).

Use it as a callback (``on_failure_callback=SinchNotifier(to=["+4670..."])``, or the
``send_sinch_notification`` alias) or, with its ``async_notify``, as a deadline alert run in the triggerer
(``AsyncCallback(SinchNotifier, kwargs={"to": [...]})``).  A failed send raises: an alert that silently
did not go out is worse than a noisy callback.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from airflow_provider_sinch.client.segments import count_segments, truncate_to_parts
from airflow_provider_sinch.common.arguments import as_int, as_list, check_text, has_template, invalid
from airflow_provider_sinch.common.output import masked, to_xcom
from airflow_provider_sinch.hooks import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow_provider_sinch.hooks.sinch import SinchHook

WHERE = "notifier arguments"


def _get(obj: Any, name: str) -> Any:
    """An attribute of a context object, or a key when the context carries plain dicts (deadline alerts)."""
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def _state(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def default_message(context: Mapping[str, Any]) -> str:
    """A short alert naming the DAG, the task, its state and try, and the run.

    Works for task callbacks, DAG callbacks (no task instance: the run's state) and deadline alerts (whose
    context holds the run as a plain dict and a ``deadline``).
    """
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag_id = _get(context.get("dag"), "dag_id") or _get(ti, "dag_id") or _get(dag_run, "dag_id") or "?"
    run_id = _get(ti, "run_id") or _get(dag_run, "run_id") or "?"
    if context.get("deadline") is not None:
        when = _get(context["deadline"], "deadline_time")
        return f"Airflow: DAG {dag_id} missed its deadline{f' ({when})' if when else ''}, run {run_id}"
    if ti is not None and _get(ti, "task_id"):
        state = _state(_get(ti, "state")) or ("failed" if context.get("exception") else "finished")
        attempt = _get(ti, "try_number")
        return (f"Airflow: {dag_id}.{_get(ti, 'task_id')} {state}"
                f"{f' (try {attempt})' if attempt else ''}, run {run_id}")
    state = _state(_get(dag_run, "state")) or "finished"
    reason = context.get("reason")
    return f"Airflow: DAG {dag_id} {state}{f' ({reason})' if reason else ''}, run {run_id}"


class SinchNotifier(BaseNotifier):
    """Send an SMS from a callback, with ``notify`` (task and DAG callbacks) and ``async_notify`` (deadline
    alerts in the triggerer).

    :param to: numbers and/or group ids to alert; templated.
    :param body: the text; templated.  Default: a short line naming the DAG, the task, its state and try
        number, and the run id.
    :param from_: the sender (default: the connection's ``default_from``); templated.
    :param sinch_conn_id: the ``sinch`` connection (default ``sinch_default``); templated.
    :param max_parts: cut the text (ending ``...``) to fit this many SMS parts, counting GSM-7/UCS-2
        segments (default 1: one SMS).
    :param client_reference: reference for the alert batch (e.g. to find it later); templated.
    :param context: given by Airflow when it builds the notifier itself (deadline alerts).
    """

    template_fields: Sequence[str] = ("to", "body", "from_", "sinch_conn_id", "client_reference")

    def __init__(
        self,
        *,
        to: Any,
        body: str | None = None,
        from_: str | None = None,
        sinch_conn_id: str = DEFAULT_CONN_ID,
        max_parts: int = 1,
        client_reference: str | None = None,
        context: Any = None,
    ) -> None:
        super().__init__(context=context)
        self.to = to
        self.body = body
        self.from_ = from_
        self.sinch_conn_id = sinch_conn_id
        self.max_parts = as_int(max_parts, "max_parts", 1) or 1
        self.client_reference = client_reference
        # An alert that can never go out (or would go out with other text) must fail when the DAG is
        # parsed, not when it is finally needed.
        for name, value in (("body", body), ("from_", from_), ("client_reference", client_reference),
                            ("sinch_conn_id", sinch_conn_id)):
            if value is not None and not isinstance(value, str):
                raise invalid(name, f"must be a string, got {type(value).__name__}", WHERE)
            check_text(value, name, WHERE)
        if not has_template(to) and not as_list(to, "to", where=WHERE):
            raise self.no_recipients()

    @staticmethod
    def no_recipients() -> Exception:
        return invalid("to", "is empty: give at least one phone number or group id", WHERE)

    def request(self, context: Mapping[str, Any]) -> dict[str, Any]:
        """The validated ``send_batch`` arguments for this alert (raises before anything is sent)."""
        to = as_list(self.to, "to", where=WHERE)
        if not to:
            raise self.no_recipients()
        if self.body is not None and not isinstance(self.body, str):  # rendered into something else
            raise invalid("body", f"must be a string, got {type(self.body).__name__}", WHERE)
        text = self.body if self.body and self.body.strip() else default_message(context)
        check_text(text, "body", WHERE)
        fields = {
            "to": to,
            "body": truncate_to_parts(text, self.max_parts),
            "from_": self.from_ or None,
            "client_reference": self.client_reference or None,
        }
        fields = {k: v for k, v in fields.items() if v is not None}
        check_text(fields, "", WHERE)
        from airflow_provider_sinch.client.models import BatchRequest, build  # when an alert is sent

        build(BatchRequest, fields, "notification")
        return fields

    def _sent(self, batch: Any, fields: Mapping[str, Any]) -> None:
        self.log.info("Sinch alert sent as batch %s to %d recipient(s) [%s], %d part(s)",
                      to_xcom(batch).get("id"), len(fields["to"]), masked(fields["to"]),
                      count_segments(fields["body"]).parts)

    def _hook(self) -> SinchHook:
        """The hook for ``sinch_conn_id``, imported when an alert is sent (not when a DAG file is parsed)."""
        from airflow_provider_sinch.hooks.sinch import SinchHook

        return SinchHook(sinch_conn_id=self.sinch_conn_id)

    def notify(self, context: Any) -> None:
        """Send the alert with the synchronous hook; raises when Sinch does not take it."""
        fields = self.request(context)
        self._sent(self._hook().send_batch(**fields), fields)

    async def async_notify(self, context: Any) -> None:
        """Send the alert without blocking the event loop (the hook's shared async client)."""
        fields = self.request(context)
        client = await self._hook().aget_client()
        self._sent(await client.send_batch(**fields), fields)


send_sinch_notification = SinchNotifier
"""Alias in the style of Airflow's other notifiers (``send_slack_notification``)."""
