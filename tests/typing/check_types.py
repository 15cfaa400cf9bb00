"""What mypy sees a user's call return, for every operation on the sync client, the async client and the
hook, and for the iterators.  mypy checks this file (``files`` in pyproject.toml, so ``make lint`` and
``make test`` run it); nothing here runs.  ``tests/client/test_typed_methods.py`` checks that it names
every operation, so a new endpoint comes with its line here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Iterator
from typing import Any, assert_type

from airflow_provider_sinch.client import (
    AsyncSinchClient,
    Batch,
    BatchDeliveryReport,
    DryRunResponse,
    Group,
    InboundMessage,
    ListBatchesResponse,
    ListDeliveryReportsResponse,
    ListGroupsResponse,
    ListInboundsResponse,
    RecipientDeliveryReport,
    SinchClient,
)
from airflow_provider_sinch.hooks import SinchHook


def blocking(client: SinchClient | SinchHook) -> None:
    """The sync client and the hook: a type that differed between them would fail (a union, or ``Any``)."""
    assert_type(client.send_batch(to=["+46701234567"], body="Hi"), Batch)
    assert_type(client.list_batches(page_size=1), ListBatchesResponse)
    assert_type(client.get_batch("b1"), Batch)
    assert_type(client.get_batch("b1").canceled, bool)
    assert_type(client.update_batch("b1", body="x"), Batch)
    assert_type(client.replace_batch("b1", to=["+46701234567"], body="Hi"), Batch)
    assert_type(client.cancel_batch("b1"), Batch)
    assert_type(client.dry_run(per_recipient=True, to=["+46701234567"], body="Hi"), DryRunResponse)
    assert_type(client.send_delivery_feedback("b1", ["+46701234567"]), None)
    assert_type(client.get_delivery_report("b1", type="full"), BatchDeliveryReport)
    assert_type(client.get_recipient_delivery_report("b1", "46701234567"), RecipientDeliveryReport)
    assert_type(client.list_delivery_reports(page=0), ListDeliveryReportsResponse)
    assert_type(client.create_group(name="team"), Group)
    assert_type(client.list_groups(), ListGroupsResponse)
    assert_type(client.get_group("g1"), Group)
    assert_type(client.update_group("g1", add=["+46701234567"]), Group)
    assert_type(client.replace_group("g1", name="team"), Group)
    assert_type(client.delete_group("g1"), None)
    assert_type(client.list_group_members("g1"), list[str])
    assert_type(client.list_inbounds(to=["12345"]), ListInboundsResponse)
    assert_type(client.get_inbound("i1"), InboundMessage)

    assert_type(client.iter_batches(client_reference="r"), Iterator[Batch])
    assert_type(client.iter_delivery_reports(), Iterator[RecipientDeliveryReport])
    assert_type(client.iter_groups(page_size=100), Iterator[Group])
    assert_type(client.iter_inbounds(), Iterator[InboundMessage])


async def async_client(client: AsyncSinchClient) -> None:
    pending = client.send_batch(to=["+46701234567"], body="Hi")
    _ = assert_type(pending, Coroutine[Any, Any, Batch])  # a coroutine, to await or to schedule
    assert_type(await pending, Batch)
    assert_type(await client.list_batches(page_size=1), ListBatchesResponse)
    assert_type(await client.get_batch("b1"), Batch)
    assert_type((await client.get_batch("b1")).canceled, bool)
    assert_type(await client.update_batch("b1", body="x"), Batch)
    assert_type(await client.replace_batch("b1", to=["+46701234567"], body="Hi"), Batch)
    assert_type(await client.cancel_batch("b1"), Batch)
    assert_type(await client.dry_run(to=["+46701234567"], body="Hi"), DryRunResponse)
    assert_type(await client.send_delivery_feedback("b1"), None)
    assert_type(await client.get_delivery_report("b1"), BatchDeliveryReport)
    assert_type(await client.get_recipient_delivery_report("b1", "46701234567"), RecipientDeliveryReport)
    assert_type(await client.list_delivery_reports(), ListDeliveryReportsResponse)
    assert_type(await client.create_group(name="team"), Group)
    assert_type(await client.list_groups(), ListGroupsResponse)
    assert_type(await client.get_group("g1"), Group)
    assert_type(await client.update_group("g1", name="team"), Group)
    assert_type(await client.replace_group("g1", name="team"), Group)
    assert_type(await client.delete_group("g1"), None)
    assert_type(await client.list_group_members("g1"), list[str])
    assert_type(await client.list_inbounds(), ListInboundsResponse)
    assert_type(await client.get_inbound("i1"), InboundMessage)

    assert_type(client.aiter_batches(client_reference="r"), AsyncIterator[Batch])
    assert_type(client.aiter_delivery_reports(), AsyncIterator[RecipientDeliveryReport])
    assert_type(client.aiter_groups(), AsyncIterator[Group])
    assert_type(client.aiter_inbounds(), AsyncIterator[InboundMessage])
    async for inbound in client.aiter_inbounds():
        assert_type(inbound, InboundMessage)


async def hook(hook: SinchHook) -> None:
    """The hook has the sync client's methods (``blocking`` checks them on both) and an async door."""
    blocking(hook)
    assert_type(hook.aiter_inbounds(), AsyncIterator[InboundMessage])
    assert_type(hook.get_conn(), SinchClient)
    assert_type(await hook.aget_client(), AsyncSinchClient)


def arguments_are_checked(client: SinchClient, async_client: AsyncSinchClient) -> None:
    """A wrong argument is a type error on every kind of client (mypy reports the ignored error if not)."""
    client.get_batch(batch_id=1)  # type: ignore[arg-type]
    client.get_group()  # type: ignore[call-arg]
    async_client.get_recipient_delivery_report("b1")  # type: ignore[call-arg, unused-coroutine]
