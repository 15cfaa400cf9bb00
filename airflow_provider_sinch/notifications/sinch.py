"""``SinchNotifier``: an SMS when a task or a DAG run fails (or anything else a callback reports).

Use it as a callback (``on_failure_callback=SinchNotifier(to=["+4670..."])``, or the
``send_sinch_notification`` alias) or, with its ``async_notify``, as a deadline alert run in the triggerer
(``callback=SinchNotifier.deadline_callback(to=[...])``, which is ``AsyncCallback(SinchNotifier, kwargs=...)``
with the arguments checked when the DAG is parsed).  A failed send raises: an alert that silently did not go
out is worse than a noisy callback.

Deadline alerts on each Airflow version: the triggerer builds the notifier from the callback's kwargs and a
small context (the run as a dict, the deadline) and awaits it, on 3.1 (``DeadlineCallbackTrigger``) as on
3.2+ (``CallbackTrigger``).  A ``SyncCallback`` (``sync=True``: ``notify`` on an executor) needs 3.2: 3.1's
scheduler does not run them (it raises ``NotImplementedError`` when one is due), so it is refused there.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from airflow_provider_sinch.client.segments import count_segments, truncate_to_parts
from airflow_provider_sinch.common.arguments import as_int, as_list, check_text, has_template, invalid
from airflow_provider_sinch.common.output import masked, to_xcom
from airflow_provider_sinch.hooks import DEFAULT_CONN_ID
from airflow_provider_sinch.version_compat import HAS_SYNC_DEADLINE_CALLBACKS, get_base_airflow_version_tuple

if TYPE_CHECKING:
    import jinja2

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
    context holds the run as the REST API shows it, a dict naming its id ``dag_run_id``, and a ``deadline``).
    """
    ti = context.get("ti") or context.get("task_instance")
    dag_run = context.get("dag_run")
    dag_id = _get(context.get("dag"), "dag_id") or _get(ti, "dag_id") or _get(dag_run, "dag_id") or "?"
    run_id = _get(ti, "run_id") or _get(dag_run, "run_id") or _get(dag_run, "dag_run_id") or "?"
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

    def render_template_fields(self, context: Any, jinja_env: jinja2.Environment | None = None) -> None:
        """Render every templated field, keeping what it renders to even when that is empty.

        Airflow 3.1 and 3.2 keep a field's template text when it renders to something empty (3.3 keeps the
        empty result): a ``body`` rendered empty would go out as its Jinja source instead of the default
        text, a ``to`` rendered empty would be read as a number list.  The rule here is 3.3's on every
        version: fields that are empty before rendering are left alone, any other takes its rendering.

        A deadline alert's context holds the run as the REST API shows it (``dag_run_id``); it gets a
        ``run_id`` too, so ``{{ dag_run.run_id }}`` means the same in every kind of callback.

        :param context: the callback's context.
        :param jinja_env: the Jinja environment (default: the DAG's).
        """
        dag_run = context.get("dag_run")
        if isinstance(dag_run, Mapping) and "run_id" not in dag_run and "dag_run_id" in dag_run:
            context["dag_run"] = {**dag_run, "run_id": dag_run["dag_run_id"]}
        env = jinja_env or self.get_template_env(dag=context.get("dag"))
        for name in self.template_fields:
            value = getattr(self, name)
            if value:
                setattr(self, name, self.render_template(value, context, env, set()))

    @classmethod
    def deadline_callback(cls, *, sync: bool = False, **kwargs: Any) -> Any:
        """This notifier as the ``callback`` of a ``DeadlineAlert``, its arguments checked now.

        ``DeadlineAlert(reference=..., interval=..., callback=SinchNotifier.deadline_callback(to=[...]))``:
        an alert that could never go out (no recipients, a bad ``max_parts``) fails when the DAG is parsed,
        not when the deadline is missed.  Airflow stores the arguments with the DAG and builds the notifier
        from them, with the run and the deadline as its context, when the deadline passes.

        :param sync: ``False`` (default): an ``AsyncCallback``, sent with ``async_notify`` from the triggerer
            (Airflow 3.1+).  ``True``: a ``SyncCallback``, sent with ``notify`` by an executor (Airflow 3.2+;
            refused on 3.1, whose scheduler does not run them).
        :param kwargs: the notifier's arguments (``to``, ``body``, ``from_``, ...), JSON-serialisable.
        :return: an ``AsyncCallback`` (or ``SyncCallback``) of ``airflow.sdk.definitions.deadline``.
        """
        # Where 3.1 to 3.3 all have them (3.2+ define them in ...definitions.callback and import them here).
        from airflow.sdk.definitions.deadline import (  # type: ignore[attr-defined]
            AsyncCallback,
            SyncCallback,
        )

        if "context" in kwargs:
            raise invalid("context", "is given by Airflow when the deadline is missed", WHERE)
        cls(**kwargs)  # the checks an alert gets when the DAG is parsed
        if not sync:
            return AsyncCallback(cls, kwargs=kwargs)
        if not HAS_SYNC_DEADLINE_CALLBACKS:
            running = ".".join(map(str, get_base_airflow_version_tuple()))
            raise invalid("sync", f"needs Airflow 3.2 or later, this is Airflow {running}: its scheduler "
                          "does not run SyncCallbacks; use sync=False (the triggerer sends the alert)", WHERE)
        return SyncCallback(cls, kwargs=kwargs)

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
