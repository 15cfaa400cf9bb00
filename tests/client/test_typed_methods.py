"""The typed method list stays in step with ``OPERATIONS``: one method per operation, running it and typed
by it; list operations name the type of their entries, which the iterators yield; and the mypy checks in
``tests/typing/check_types.py`` cover every operation on every kind of client."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest

from airflow_provider_sinch.client import (
    OPERATIONS,
    AsyncSinchClient,
    RecipientDeliveryReport,
    SinchClient,
    SinchConfig,
    SinchOperations,
)
from airflow_provider_sinch.client.auth import ServicePlanAuth
from airflow_provider_sinch.client.endpoints import Endpoint, Pages
from airflow_provider_sinch.client.operations import ListOperation, Operation
from airflow_provider_sinch.hooks import SinchHook
from tests.conftest import ROOT

ENDPOINTS = {name: value for name, value in vars(SinchOperations).items() if isinstance(value, Endpoint)}
LISTS = {name: op for name, op in OPERATIONS.items() if isinstance(op, ListOperation)}


def test_one_method_per_operation_running_it() -> None:
    assert sorted(ENDPOINTS) == sorted(OPERATIONS)
    for name, method in ENDPOINTS.items():
        assert method.operation is OPERATIONS[name], name
        assert method.__name__ == name
        assert (method.__doc__ or "").strip(), f"{name} has no docstring"


def test_list_operations_name_their_entries() -> None:
    assert sorted(LISTS) == ["list_batches", "list_delivery_reports", "list_groups", "list_inbounds"]
    for name, op in OPERATIONS.items():
        if isinstance(op, ListOperation):
            assert isinstance(op.response, type)
            assert op.items is not None
            assert op.response.model_fields[op.items].annotation == list[op.item], name
        else:
            assert op.items is None, f"{name} pages but is not a ListOperation"


@pytest.mark.parametrize(("cls", "prefix"), [
    (SinchClient, "iter_"), (SinchHook, "iter_"), (AsyncSinchClient, "aiter_"),
])
def test_each_list_operation_has_an_iterator_of_its_entries(cls: type, prefix: str) -> None:
    for name, op in LISTS.items():
        pages = getattr(cls, prefix + name.removeprefix("list_"))
        assert isinstance(pages, Pages), name
        assert pages.operation is op


def _calls_in(function: ast.AsyncFunctionDef | ast.FunctionDef) -> set[str]:
    return {node.func.attr for node in ast.walk(function)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)}


def _calls_in_names(function: ast.AsyncFunctionDef | ast.FunctionDef) -> set[str]:
    return {node.func.id for node in ast.walk(function)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)}


def test_the_mypy_checks_cover_every_operation_and_iterator() -> None:
    tree = ast.parse((ROOT / "tests" / "typing" / "check_types.py").read_text())
    functions = {f.name: f for f in tree.body if isinstance(f, ast.FunctionDef | ast.AsyncFunctionDef)}
    iterators = {"blocking": "iter_", "async_client": "aiter_"}  # blocking: the sync client and the hook
    for function, prefix in iterators.items():
        expected = set(OPERATIONS) | {prefix + name.removeprefix("list_") for name in LISTS}
        assert expected - _calls_in(functions[function]) == set(), function
    assert "blocking" in _calls_in_names(functions["hook"])


class Recorder(SinchOperations):
    """Runs nothing: records the operation and arguments each method asks for."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def _execute(self, operation: Operation[Any], kwargs: dict[str, Any]) -> Any:
        self.calls.append((operation.name, kwargs))
        return "answer"


def test_a_method_keeps_its_name_signature_and_docstring() -> None:
    method = Recorder().get_recipient_delivery_report
    assert method.__name__ == "get_recipient_delivery_report"
    assert list(inspect.signature(method).parameters) == ["batch_id", "recipient_msisdn"]
    assert inspect.signature(method).return_annotation is RecipientDeliveryReport
    assert "delivery report" in (method.__doc__ or "")
    assert inspect.signature(SinchClient.get_batch).parameters.keys() == {"self", "batch_id"}


def test_a_method_called_on_the_class_runs_like_a_plain_method() -> None:
    recorder = Recorder()
    assert Recorder.get_batch(recorder, "b1") == "answer"
    assert recorder.get_group(group_id="g1") == "answer"
    assert recorder.calls == [("get_batch", {"batch_id": "b1"}), ("get_group", {"group_id": "g1"})]


def test_an_instance_attribute_still_replaces_a_method() -> None:
    recorder = Recorder()
    recorder.get_batch = lambda batch_id: f"stub {batch_id}"  # type: ignore[method-assign, assignment]
    assert recorder.get_batch("b1") == "stub b1"
    assert recorder.calls == []


async def test_the_async_client_returns_a_coroutine_of_the_model() -> None:
    client = AsyncSinchClient(SinchConfig(auth=ServicePlanAuth("plan", "token"), base_url="https://x.test"))
    pending = client.get_batch("b1 with space")  # refused when awaited, as before: nothing is sent
    assert inspect.iscoroutine(pending)
    with pytest.raises(Exception, match="batch_id"):
        await pending
    await client.aclose()


def test_an_iterator_method_is_named_and_documented() -> None:
    method = SinchClient(SinchConfig(auth=ServicePlanAuth("plan", "token"))).iter_groups
    assert method.__name__ == "iter_groups"
    assert "groups matching ``filters`` (see ``list_groups``)" in (method.__doc__ or "")
