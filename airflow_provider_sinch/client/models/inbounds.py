"""Inbound (MO) message models: text, binary and media messages people send to your numbers."""

from __future__ import annotations

from pydantic import Field

from airflow_provider_sinch.client.models.common import (
    CsvList,
    DateRangeQuery,
    Page,
    ResponseModel,
    ResponseTime,
)


class InboundMedia(ResponseModel):
    """One media item of an ``mo_media`` message."""

    url: str | None = None
    content_type: str | None = None
    status: str | None = None
    code: int | None = None


class InboundMediaBody(ResponseModel):
    """The body of an ``mo_media`` message."""

    subject: str | None = None
    message: str | None = None
    media: list[InboundMedia] = Field(default_factory=list)


class InboundMessage(ResponseModel):
    """An inbound message: ``mo_text`` (``body`` text), ``mo_binary`` (base64 ``body`` + ``udh``) or
    ``mo_media``."""

    type: str
    id: str
    from_: str = Field(alias="from")
    to: str
    body: str | InboundMediaBody | None = None
    udh: str | None = None
    operator_id: str | None = None
    received_at: ResponseTime | None = None
    sent_at: ResponseTime | None = None
    client_reference: str | None = None

    @property
    def text(self) -> str:
        """The text of the message: the body of ``mo_text``, the message of ``mo_media``, else ``""``."""
        if isinstance(self.body, str) and self.type == "mo_text":
            return self.body
        if isinstance(self.body, InboundMediaBody):
            return self.body.message or ""
        return ""


class ListInboundsQuery(DateRangeQuery):
    """Filters of ``GET /inbounds`` (``to`` is a list of *your* numbers)."""

    to: CsvList[str] | None = None
    client_reference: str | None = Field(default=None, max_length=2048)


class ListInboundsResponse(Page):
    """A page of inbound messages."""

    inbounds: list[InboundMessage]  # required: a page without its list is not an answer to a list request
