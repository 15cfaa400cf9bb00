"""What every Sinch operator shares: the hook, templating, and the conventions below.

Conventions (kept here once, so no operator repeats them):

* Keyword arguments carry the API's field names (``from_`` for ``from``); ``sinch_conn_id`` and every
  user-facing field are templated, and a body can come from a ``.txt`` or ``.j2`` template file.
* Arguments are read with the ``as_*`` helpers of :mod:`airflow_provider_sinch.common.arguments` (which
  the sensors, triggers and notifier use too): a bad one raises a
  :class:`~airflow_provider_sinch.client.SinchValidationError` naming the field and the rule before any
  request is sent.
* Values returned to XCom are plain JSON (:func:`~airflow_provider_sinch.common.output.to_xcom`).
* Logs show counts, ids and masked numbers; message bodies are never logged at INFO.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_sinch.client import SinchValidationError
from airflow_provider_sinch.common.arguments import invalid
from airflow_provider_sinch.common.output import masked, to_xcom
from airflow_provider_sinch.hooks import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow_provider_sinch.hooks.sinch import SinchHook

TEMPLATE_EXT: tuple[str, ...] = (".txt", ".j2")


class SinchBaseOperator(BaseOperator):
    """Base of every Sinch operator: the connection, the hook and the shared conventions (see the module).

    :param sinch_conn_id: Airflow connection of type ``sinch`` (default ``sinch_default``); templated.
    :param kwargs: :class:`~airflow.sdk.BaseOperator` arguments (``task_id``, ``retries``, ...).
    """

    template_fields: Sequence[str] = ("sinch_conn_id",)
    template_ext: Sequence[str] = TEMPLATE_EXT
    template_fields_renderers = {"body": "txt", "parameters": "json", "extra_fields": "json"}
    ui_color = "#e8f1fd"

    def __init__(self, *, sinch_conn_id: str = DEFAULT_CONN_ID, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sinch_conn_id = sinch_conn_id

    @cached_property
    def hook(self) -> SinchHook:
        """The hook for ``sinch_conn_id`` (created on first use, after templates are rendered)."""
        from airflow_provider_sinch.hooks.sinch import SinchHook  # not at DAG parse

        return SinchHook(sinch_conn_id=self.sinch_conn_id)

    @property
    def where(self) -> str:
        """How validation errors name this operator."""
        return f"{type(self).__name__} arguments"

    def invalid(self, field: str, rule: str) -> SinchValidationError:
        """A validation error naming ``field`` and ``rule`` for this operator."""
        return invalid(field, rule, self.where)

    def log_batch(self, verb: str, batch: Any) -> None:
        """One INFO line about a batch: id, destinations (masked), schedule; never the body."""
        data = to_xcom(batch)
        to = data.get("to", [])
        when = f", send_at {data['send_at']}" if data.get("send_at") else ""
        self.log.info("%s batch %s: %d destination(s) [%s]%s%s", verb, data.get("id"), len(to), masked(to),
                      when, " (canceled)" if data.get("canceled") else "")

    @staticmethod
    def without_none(fields: Mapping[str, Any]) -> dict[str, Any]:
        """``fields`` without the unset ones (the API treats absent and unset alike, except where noted)."""
        return {k: v for k, v in fields.items() if v is not None}
