"""Lazy pagination over the four list endpoints, sync and async.

Sinch pages count from 0, and ``page_size`` in an answer is the number of entries in *that* page, not the
size asked for.  Iteration ends when the entries seen reach ``count`` or a page comes back empty.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_sinch.client import RetryPolicy, SinchBadRequestError, SinchValidationError
from airflow_provider_sinch.client.pagination import PageCursor
from tests.client.clients import Harness
from tests.client.samples import BATCH, GROUP, INBOUND, RECIPIENT_REPORT, page
from tests.fakes import Captured, Reply

ITERATORS = {
    "batches": ("batches", BATCH, "id"),
    "delivery_reports": ("delivery_reports", RECIPIENT_REPORT, "recipient"),
    "groups": ("groups", GROUP, "id"),
    "inbounds": ("inbounds", INBOUND, "id"),
}
ITERATORS_KEY = {field: key for field, _, key in ITERATORS.values()}


def serve(harness: Harness, items_field: str, template: dict[str, Any], sizes: list[int], count: int) -> None:
    """Answer page n with ``sizes[n]`` entries (numbered across pages) and the given total ``count``."""
    key = ITERATORS_KEY[items_field]

    def responder(sent: Captured) -> Reply:
        number = int(sent.query["page"][0])
        size = sizes[number] if number < len(sizes) else 0
        first = sum(sizes[:number])
        items = [{**template, key: f"item-{first + i}"} for i in range(size)]
        return Reply(json=page(items_field, items, count=count, number=number))

    harness.route(responder)


def pages_fetched(harness: Harness) -> list[int]:
    return [int(r.query["page"][0]) for r in harness.api_requests]


@pytest.mark.parametrize("name", sorted(ITERATORS))
def test_iterates_every_entry_across_pages(harness: Harness, name: str) -> None:
    items_field, template, key = ITERATORS[name]
    serve(harness, items_field, template, [2, 2, 1], count=5)
    got = [getattr(item, key) for item in harness.iterate(name, page_size=2)]
    assert got == [f"item-{i}" for i in range(5)]
    assert pages_fetched(harness) == [0, 1, 2]  # stops on count: page 3 is never asked for
    assert all(r.query["page_size"] == ["2"] for r in harness.api_requests)


def test_is_lazy(harness: Harness) -> None:
    serve(harness, "batches", BATCH, [2, 2, 2], count=6)
    iterator = harness.iterate("batches", page_size=2)
    assert harness.api_requests == []  # nothing before the first item is wanted
    next(iterator)
    next(iterator)
    assert pages_fetched(harness) == [0]  # the second page waits until it is needed
    next(iterator)
    assert pages_fetched(harness) == [0, 1]


def test_stops_on_an_empty_page_even_if_count_says_more(harness: Harness) -> None:
    serve(harness, "groups", GROUP, [3, 0, 3], count=100)
    assert len(list(harness.iterate("groups"))) == 3
    assert pages_fetched(harness) == [0, 1]


def test_answer_page_size_is_the_entries_in_that_page_not_the_size_asked(harness: Harness) -> None:
    """Asked 3 a page, Sinch answers page_size 2 (short pages): that is no reason to stop early."""
    serve(harness, "inbounds", INBOUND, [2, 2, 1], count=5)
    assert len(list(harness.iterate("inbounds", page_size=3))) == 5
    assert pages_fetched(harness) == [0, 1, 2]


def test_nothing_to_list(harness: Harness) -> None:
    serve(harness, "delivery_reports", RECIPIENT_REPORT, [], count=0)
    assert list(harness.iterate("delivery_reports", status="Failed")) == []
    assert len(harness.api_requests) == 1


def test_filters_are_sent_on_every_page_and_the_start_page_is_honoured(harness: Harness) -> None:
    serve(harness, "batches", BATCH, [0, 0, 2, 2], count=6)  # the caller skips pages 0 and 1
    items = list(harness.iterate("batches", page=2, page_size=2, from_=["12345"], client_reference="ref"))
    assert [b.id for b in items] == ["item-0", "item-1", "item-2", "item-3"]
    assert pages_fetched(harness) == [2, 3, 4]
    for sent in harness.api_requests:
        assert (sent.query["from"], sent.query["client_reference"]) == (["12345"], ["ref"])


def test_bad_filters_fail_before_any_request(harness: Harness) -> None:
    iterator = harness.iterate("batches", page_size=101)
    with pytest.raises(SinchValidationError, match="page_size"):
        next(iterator)
    assert harness.requests == []


def test_errors_mid_iteration_surface_after_the_entries_already_seen(make_harness) -> None:
    harness = make_harness(retry=RetryPolicy(max_attempts=1))
    harness.reply(Reply(json=page("batches", [BATCH], count=3)), Reply(400, json={"code": "x", "text": "y"}))
    iterator = harness.iterate("batches")
    assert next(iterator).id == BATCH["id"]
    with pytest.raises(SinchBadRequestError):
        next(iterator)


def test_page_cursor() -> None:
    cursor = PageCursor({"page": 3, "page_size": 10, "status": "Failed"})
    assert cursor.request() == {"page_size": 10, "status": "Failed", "page": 3}
    first = type("Answer", (), {"count": 12, "items": [1] * 10})()
    assert cursor.advance(first, "items") == [1] * 10
    assert (cursor.page, cursor.seen, cursor.done) == (4, 10, False)
    last = type("Answer", (), {"count": 12, "items": [2, 2]})()
    cursor.advance(last, "items")
    assert (cursor.page, cursor.seen, cursor.done) == (5, 12, True)


@pytest.mark.parametrize("start", ["x", -1, 1.5, True])
def test_a_bad_first_page_is_the_project_error(harness: Harness, start: object) -> None:
    with pytest.raises(SinchValidationError, match="page: must be a whole number from 0"):
        list(harness.iterate("batches", page=start))
    assert harness.requests == []
