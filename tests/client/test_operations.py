"""The 20 operations, defined once: methods, paths, retry safety, and how arguments become a request."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_sinch.client import OPERATIONS, Operation, SinchOperations, SinchValidationError
from airflow_provider_sinch.client.models import Group, GroupRequest, TextBatchRequest

# name: (method, path template, safe to repeat after a 5xx or a lost connection)
EXPECTED = {
    "send_batch": ("POST", "/batches", False),
    "list_batches": ("GET", "/batches", True),
    "get_batch": ("GET", "/batches/{batch_id}", True),
    "update_batch": ("POST", "/batches/{batch_id}", False),
    "replace_batch": ("PUT", "/batches/{batch_id}", True),
    "cancel_batch": ("DELETE", "/batches/{batch_id}", True),
    "dry_run": ("POST", "/batches/dry_run", True),
    "send_delivery_feedback": ("POST", "/batches/{batch_id}/delivery_feedback", False),
    "get_delivery_report": ("GET", "/batches/{batch_id}/delivery_report", True),
    "get_recipient_delivery_report": ("GET", "/batches/{batch_id}/delivery_report/{recipient_msisdn}", True),
    "list_delivery_reports": ("GET", "/delivery_reports", True),
    "create_group": ("POST", "/groups", False),
    "list_groups": ("GET", "/groups", True),
    "get_group": ("GET", "/groups/{group_id}", True),
    "update_group": ("POST", "/groups/{group_id}", False),
    "replace_group": ("PUT", "/groups/{group_id}", True),
    "delete_group": ("DELETE", "/groups/{group_id}", True),
    "list_group_members": ("GET", "/groups/{group_id}/members", True),
    "list_inbounds": ("GET", "/inbounds", True),
    "get_inbound": ("GET", "/inbounds/{inbound_id}", True),
}
TEXT = {"to": ["+46701234567"], "body": "Hi"}


def test_the_twenty_operations() -> None:
    assert {n: (op.method, op.path, op.safe_to_retry) for n, op in OPERATIONS.items()} == EXPECTED


class Recorder(SinchOperations):
    """A client whose transport records which operation each method runs."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _execute(self, operation: Operation, kwargs: dict[str, Any]) -> Any:
        self.calls.append((operation.name, kwargs))
        return operation.prepare(kwargs)


ARGS: dict[str, dict[str, Any]] = {
    "send_batch": TEXT,
    "get_batch": {"batch_id": "b1"},
    "update_batch": {"batch_id": "b1", "body": "x"},
    "replace_batch": {"batch_id": "b1", **TEXT},
    "cancel_batch": {"batch_id": "b1"},
    "dry_run": TEXT,
    "send_delivery_feedback": {"batch_id": "b1"},
    "get_delivery_report": {"batch_id": "b1"},
    "get_recipient_delivery_report": {"batch_id": "b1", "recipient_msisdn": "46701234567"},
    "get_group": {"group_id": "g1"},
    "update_group": {"group_id": "g1"},
    "replace_group": {"group_id": "g1"},
    "delete_group": {"group_id": "g1"},
    "list_group_members": {"group_id": "g1"},
    "get_inbound": {"inbound_id": "i1"},
}


@pytest.mark.parametrize("name", sorted(OPERATIONS))
def test_each_method_runs_its_own_operation(name: str) -> None:
    client = Recorder()
    prepared = getattr(client, name)(**ARGS.get(name, {}))
    assert client.calls[0][0] == name
    assert prepared.method == EXPECTED[name][0]
    assert "{" not in prepared.path


def test_path_ids_are_quoted_and_recipients_normalised() -> None:
    assert OPERATIONS["get_batch"].prepare({"batch_id": "a?b#c%d"}).path == "/batches/a%3Fb%23c%25d"
    report = OPERATIONS["get_recipient_delivery_report"].prepare(
        {"batch_id": "b1", "recipient_msisdn": "+46 (70) 123-45-67"}
    )
    assert report.path == "/batches/b1/delivery_report/46701234567"  # Sinch keys reports by bare digits
    assert (
        OPERATIONS["get_recipient_delivery_report"]
        .prepare({"batch_id": "b1", "recipient_msisdn": "0046701234567"})
        .path.endswith("/46701234567")
    )


@pytest.mark.parametrize("name", ["send_batch", "replace_batch", "dry_run"])
def test_default_from_fills_a_missing_sender_only(name: str) -> None:
    op = OPERATIONS[name]
    ids = {"batch_id": "b1"} if name == "replace_batch" else {}
    assert op.prepare({**ids, **TEXT}, default_from="Acme").json["from"] == "Acme"
    assert op.prepare({**ids, **TEXT, "from_": "12345"}, default_from="Acme").json["from"] == "12345"
    assert op.prepare({**ids, **TEXT, "from": "12345"}, default_from="Acme").json["from"] == "12345"
    assert op.prepare({**ids, "request": dict(TEXT)}, default_from="Acme").json["from"] == "Acme"
    model = TextBatchRequest(to=["46701234567"], body="x")
    assert op.prepare({**ids, "request": model}, default_from="Acme").json["from"] == "Acme"
    assert model.from_ is None  # the caller's object is not changed
    assert "from" not in op.prepare({**ids, **TEXT}).json


def test_default_from_is_not_added_to_updates() -> None:
    assert (
        "from"
        not in OPERATIONS["update_batch"].prepare({"batch_id": "b1", "body": "x"}, default_from="Acme").json
    )


def test_request_object_or_dict_is_accepted_and_checked() -> None:
    op = OPERATIONS["send_batch"]
    model = TextBatchRequest(to=["46701234567"], body="x", client_reference="ref-7")
    prepared = op.prepare({"request": model})
    assert prepared.json == {
        "to": ["46701234567"], "type": "mt_text", "body": "x", "client_reference": "ref-7"}
    assert prepared.client_reference == "ref-7"
    assert op.prepare({"request": {**TEXT, "client_reference": "ref-8"}}).client_reference == "ref-8"
    with pytest.raises(SinchValidationError):
        op.prepare({"request": GroupRequest(name="not a batch")})
    with pytest.raises(SinchValidationError, match="body: is not an argument of send_batch"):
        op.prepare({"request": model, "body": "both"})


def test_query_and_body_are_split_and_none_means_not_given() -> None:
    prepared = OPERATIONS["dry_run"].prepare({"per_recipient": True, "number_of_recipients": None, **TEXT})
    assert prepared.params == {"per_recipient": "true"}
    assert set(prepared.json) == {"to", "type", "body"}
    assert OPERATIONS["list_batches"].prepare({"page": None, "page_size": 5}).params == {"page_size": "5"}
    assert OPERATIONS["get_batch"].prepare({"batch_id": "b1"}).json is None


def test_unknown_filters_are_named() -> None:
    with pytest.raises(SinchValidationError) as caught:
        OPERATIONS["list_groups"].prepare({"zeta": 1, "alpha": 2, "page": 0})
    assert caught.value.errors == [("alpha, zeta", "is not an argument of list_groups")]


def test_parse_turns_answers_into_models() -> None:
    assert OPERATIONS["list_group_members"].parse(["1", "2"]) == ["1", "2"]
    assert OPERATIONS["delete_group"].parse(None) is None
    assert OPERATIONS["send_delivery_feedback"].parse({"ignored": True}) is None
    assert isinstance(OPERATIONS["get_group"].parse({"id": "g1"}), Group)
    assert OPERATIONS["list_groups"].items == "groups"
    assert OPERATIONS["get_batch"].path_params == ("batch_id",)
