"""``SinchListInboundMessagesOperator``: the SMS people sent to your numbers, for downstream tasks."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_sinch.client.msisdn import normalize_msisdn
from airflow_provider_sinch.common.arguments import as_int, as_list
from airflow_provider_sinch.common.output import to_xcom
from airflow_provider_sinch.common.times import as_timestamp
from airflow_provider_sinch.operators.base import SinchBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

Moment = datetime | timedelta | str | None


class SinchListInboundMessagesOperator(SinchBaseOperator):
    """List inbound (MO) messages (``GET /inbounds``, every page) and return them as JSON.

    Sinch filters by the numbers messages were sent *to* and by time; ``from_`` filters the senders here.
    Without ``start_date`` Sinch returns the last 24 hours.

    :param to: your numbers the messages were sent to; templated.
    :param from_: only messages from these numbers (``+``, ``00`` or bare); templated.
    :param received_after: earliest receive time, the API's ``start_date`` (named apart from the operator's
        own ``start_date``): a datetime, an ISO-8601 string, or a ``timedelta`` meaning "that long ago";
        templated.
    :param received_before: latest receive time, the API's ``end_date`` (same forms); templated.
    :param client_reference: only messages carrying this reference; templated.
    :param limit: the most messages returned (XCom is not a bulk store); ``None`` for all; templated.
    :param kwargs: ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    :return: a list of messages (``id``, ``from``, ``to``, ``body``, ``received_at``, ...), oldest first as
        Sinch lists them.
    """

    template_fields: Sequence[str] = (*SinchBaseOperator.template_fields, "to", "from_", "received_after",
                                      "received_before", "client_reference", "limit")

    def __init__(self, *, to: Any = None, from_: Any = None, received_after: Moment = None,
                 received_before: Moment = None, client_reference: str | None = None,
                 limit: int | str | None = 1000, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.to = to
        self.from_ = from_
        self.received_after = received_after
        self.received_before = received_before
        self.client_reference = client_reference
        self.limit = limit

    def execute(self, context: Context) -> list[dict[str, Any]]:
        filters = self.without_none({
            "to": as_list(self.to, "to") or None,
            "start_date": as_timestamp(self.received_after, "received_after", past=True),
            "end_date": as_timestamp(self.received_before, "received_before", past=True),
            "client_reference": self.client_reference or None,
            "page_size": 100,
        })
        from airflow_provider_sinch.client.models import ListInboundsQuery, build  # not at DAG parse

        build(ListInboundsQuery, filters, "inbound filters")
        senders = {normalize_msisdn(n) for n in as_list(self.from_, "from_")}
        limit = as_int(self.limit, "limit", 1)
        messages = []
        for message in self.hook.iter_inbounds(**filters):
            if senders and normalize_msisdn(message.from_) not in senders:
                continue
            messages.append(to_xcom(message))
            if limit is not None and len(messages) >= limit:
                self.log.warning("Stopped at limit=%d messages; more may match", limit)
                break
        self.log.info("%d inbound message(s)%s", len(messages),
                      f" from {len(senders)} sender(s)" if senders else "")
        return messages
