"""Every request the client can build, checked against tests/sinch_api/contract.yaml.

The requests are the real ones: captured from the sync client through requests-mock and from the async
client through tests.mock_aiohttp, then validated (method, templated path, query, JSON body).  The canned
answers are validated too, so they are fit for the endpoint tests and for the sandbox.
"""

from __future__ import annotations

from typing import Any

import pytest
from openapi_spec_validator import validate as validate_spec

from airflow_provider_sinch.client import OPERATIONS
from tests.client.clients import Harness, open_harness
from tests.client.samples import BATCH, CASES, Case
from tests.contract import Contract, ContractError
from tests.fakes import Captured, Reply

P = "/xms/v1/plan-1"
FULL_BODY_COVERAGE = {
    "SendSMS",
    "UpdateBatchMessage",
    "CreateGroup",
    "ReplaceGroup",
    "UpdateGroup",
    "deliveryFeedback",
}


def answer(case: Case) -> Reply:
    return Reply(case.status) if case.answer is None else Reply(case.status, json=case.answer)


def run_case(harness: Harness, case: Case) -> Captured:
    harness.reply(answer(case))
    harness.call(case.op, **case.kwargs)
    assert len(harness.api_requests) == 1
    return harness.last


def properties(contract: Contract, schema: Any) -> set[str]:
    """Every property a (possibly composed) schema names."""
    schema = contract.resolve(schema)
    names = set(schema.get("properties", {}))
    for key in ("oneOf", "anyOf", "allOf"):
        for sub in schema.get(key, ()):
            names |= properties(contract, sub)
    return names


def body_schema(contract: Contract, method: str, path: str) -> Any:
    spec = contract.find(method, path).spec
    return contract.resolve(spec["requestBody"])["content"]["application/json"]["schema"]


@pytest.fixture(scope="module")
def captured_by_case() -> dict[str, Captured]:
    """Every case sent once through the sync client."""
    out = {}
    for case in CASES:
        harness = open_harness("sync")
        try:
            out[case.id] = run_case(harness, case)
        finally:
            harness.close()
    return out


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_request_and_answer_match_the_contract(case: Case, harness: Harness, contract: Contract) -> None:
    sent = run_case(harness, case)

    op = contract.validate_request(sent.method, sent.path, sent.query, sent.json)
    assert op.operation_id == case.operation_id
    assert sent.path.startswith(P + "/")
    for name, value in case.expect_query.items():
        assert sent.query[name] == [value]
    if sent.json is not None:  # no field the contract does not know (it allows extras, Sinch may not)
        assert set(sent.json) <= properties(contract, body_schema(contract, sent.method, sent.path))
    contract.validate_response(sent.method, sent.path, case.status, case.answer, strict_status=True)


def test_sync_and_async_clients_send_identical_requests() -> None:
    for case in CASES:
        sent = {}
        for kind in ("sync", "async"):
            harness = open_harness(kind)
            try:
                request = run_case(harness, case)
            finally:
                harness.close()
            sent[kind] = (request.method, request.path, request.query, request.json)
        assert sent["sync"] == sent["async"], case.id


def test_cases_cover_every_operation_of_client_and_contract(contract: Contract) -> None:
    assert {c.op for c in CASES} == set(OPERATIONS)
    assert len(OPERATIONS) == 20
    contract_ops = {
        spec["operationId"]
        for item in contract.spec["paths"].values()
        for method, spec in item.items()
        if method in ("get", "post", "put", "delete", "patch")
    }
    assert {c.operation_id for c in CASES} == contract_ops


def test_cases_use_every_query_parameter_of_the_contract(
    contract: Contract, captured_by_case: dict[str, Captured]
) -> None:
    used: dict[str, set[str]] = {}
    declared: dict[str, set[str]] = {}
    for sent in captured_by_case.values():
        op = contract.find(sent.method, sent.path)
        used.setdefault(op.operation_id, set()).update(sent.query)
        declared[op.operation_id] = {p["name"] for p in op.parameters if p.get("in") == "query"}
    assert used == declared


def test_cases_use_every_body_field_of_the_contract(
    contract: Contract, captured_by_case: dict[str, Captured]
) -> None:
    used: dict[str, set[str]] = {}
    documented: dict[str, set[str]] = {}
    for sent in captured_by_case.values():
        op = contract.find(sent.method, sent.path)
        if op.operation_id in FULL_BODY_COVERAGE:
            used.setdefault(op.operation_id, set()).update(sent.json)
            documented[op.operation_id] = properties(contract, body_schema(contract, sent.method, sent.path))
    assert set(used) == FULL_BODY_COVERAGE
    assert used == documented


# The validator itself: it must catch what the wrong listings and the buggy SDK do.

VALID_TEXT = {"to": ["46701234567"], "body": "Hi"}


@pytest.mark.parametrize(
    ("method", "path", "query", "body", "problem"),
    [
        ("PUT", P + "/batches/b1/cancel", None, None, "no path of the contract matches"),
        ("POST", P + "/batches/b1/dry_run", None, VALID_TEXT, "no path of the contract matches"),
        ("PATCH", P + "/batches/b1", None, {}, "has no PATCH"),
        ("POST", P + "/batches/dry_run", {"per_recipient": "True"}, VALID_TEXT, "not a boolean"),
        ("POST", P + "/batches/dry_run", {"number_of_recipients": "1001"}, VALID_TEXT, "maximum"),
        (
            "GET",
            P + "/batches/b1/delivery_report?batch_id=b1",
            None,
            None,
            "'batch_id' is not in the contract",
        ),
        ("GET", P + "/batches/b1/delivery_report", {"status": "DELIVERED"}, None, "is not one of"),
        ("GET", P + "/batches/b1/delivery_report", {"code": "0,x"}, None, "is not an integer"),
        ("GET", P + "/batches", {"page_size": "101"}, None, "maximum"),
        ("GET", P + "/batches", {"page": ["0", "1"]}, None, "more than once"),
        ("GET", P + "/batches", None, {"to": ["1"]}, "takes no body"),
        ("POST", P + "/batches", None, None, "a JSON body is required"),
        ("POST", P + "/batches", None, {"to": [], "body": "Hi"}, "should be non-empty"),
        ("POST", P + "/batches", None, {**VALID_TEXT, "send_at": "2031-01-01T10:00:00"}, "date-time"),
        ("POST", P + "/batches", None, {**VALID_TEXT, "type": "mt_binary"}, "'udh' is a required property"),
        ("POST", P + "/batches", None, {**VALID_TEXT, "delivery_report": "yes"}, "is not one of"),
        ("POST", P + "/groups", None, {"name": "x" * 21}, "is too long"),
        ("GET", P + "/groups/%20", None, None, "path parameter group_id is empty"),
    ],
)
def test_validator_rejects_requests_sinch_does_not_take(
    contract: Contract, method: str, path: str, query: Any, body: Any, problem: str
) -> None:
    with pytest.raises(ContractError, match=problem):
        contract.validate_request(method, path, query, body)


def test_validator_finds_literal_paths_before_templates_and_reads_full_urls(contract: Contract) -> None:
    dry = contract.validate_request(
        "POST", "https://eu.sms.api.sinch.com" + P + "/batches/dry_run?per_recipient=true", None, VALID_TEXT
    )
    assert dry.operation_id == "Dry_Run"
    assert contract.validate_request("DELETE", P + "/batches/dry_run").operation_id == "CancelBatchMessage"
    update = contract.validate_request("POST", P + "/groups/g1", None, {"name": None})  # nullable: removes it
    assert update.path_params == {"service_plan_id": "plan-1", "group_id": "g1"}


@pytest.mark.parametrize(
    ("method", "path", "status", "body", "problem"),
    [
        ("DELETE", P + "/groups/g1", 200, {"id": "g1"}, "no body is documented"),
        ("POST", P + "/batches/b1/delivery_feedback", 202, {"ok": True}, "no body is documented"),
        ("GET", P + "/batches/b1", 200, None, "a JSON body is required"),
        ("GET", P + "/batches/b1", 200, {"type": "mt_text"}, "'id' is a required property"),
        ("GET", P + "/groups/g1/members", 200, {"members": []}, "is not of type 'array'"),
        ("GET", P + "/groups/g1", 418, {}, "status 418 is not documented"),
        (
            "GET",
            P + "/batches/b1/delivery_report",
            200,
            {
                "type": "delivery_report_sms",
                "batch_id": "b",
                "total_message_count": 1,
                "statuses": [{"code": 0, "status": "DELIVERED", "count": 1}],
            },
            "is not one of",
        ),
    ],
)
def test_validator_rejects_answers_sinch_does_not_give(
    contract: Contract, method: str, path: str, status: int, body: Any, problem: str
) -> None:
    with pytest.raises(ContractError, match=problem):
        contract.validate_response(method, path, status, body)


def test_validator_accepts_transient_statuses_unless_strict(contract: Contract) -> None:
    contract.validate_response("GET", P + "/groups/g1", 503, "<html>502</html>")
    contract.validate_response("POST", P + "/batches", 429, None, strict_status=True)  # documented there
    with pytest.raises(ContractError, match="503 is not documented"):
        contract.validate_response("GET", P + "/groups/g1", 503, None, strict_status=True)
    contract.validate_response("GET", P + "/batches/b1", 200, {**BATCH, "new_field": [1]})  # extras tolerated


def test_module_level_helpers_use_the_shared_contract(contract: Contract) -> None:
    from tests import contract as module

    assert (
        module.validate_request("GET", P + "/inbounds", {"to": "1,2"}).operation_id == "ListInboundMessages"
    )
    assert module.validate_response("GET", P + "/groups/g/members", 200, ["1"]).operation_id == "GetMembers"
    module.validate_schema("Error", {"code": "syntax_invalid_json", "text": "bad"})
    with pytest.raises(ContractError):
        module.validate_schema("Group", {"size": "two"})


def test_the_contract_is_a_valid_openapi_document(contract: Contract) -> None:
    validate_spec(contract.spec)
