"""Error answers become typed errors with status, Sinch code and text; the API token never leaks."""

from __future__ import annotations

import logging
import traceback
from typing import Any

import pytest

from airflow_provider_sinch.client import (
    OPERATIONS,
    ProjectAuth,
    RetryPolicy,
    SinchAmbiguousSendError,
    SinchAPIError,
    SinchAuthenticationError,
    SinchBadRequestError,
    SinchConfig,
    SinchConflictError,
    SinchError,
    SinchForbiddenError,
    SinchMalformedResponseError,
    SinchMalformedSendResponseError,
    SinchNotFoundError,
    SinchRateLimitError,
    SinchServerError,
    SinchValidationError,
)
from tests.client.clients import Harness
from tests.client.samples import BATCH, BATCH_ID, CASES, GROUP_ID, Case
from tests.fakes import TOKEN, Reply, make_config

ONCE = RetryPolicy(max_attempts=1)
SEND = {"to": ["+46701234567"], "body": "Hi", "client_reference": "ref-1"}
NGINX_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)


@pytest.fixture
def once(make_harness) -> Harness:
    """A harness that does not retry, so each error answer surfaces as it is."""
    return make_harness(retry=ONCE)


@pytest.mark.parametrize(
    ("op", "kwargs", "status", "body", "error", "code"),
    [
        (
            "send_batch",
            SEND,
            400,
            {"code": "syntax_invalid_parameter_format", "text": "'x' is not valid"},
            SinchBadRequestError,
            "syntax_invalid_parameter_format",
        ),
        (
            "send_batch",
            SEND,
            403,
            {"code": "missing_callback_url", "text": "no callback URL"},
            SinchForbiddenError,
            "missing_callback_url",
        ),
        (
            "create_group",
            {"name": "Dup"},
            403,
            {"code": "conflict_group_name", "text": "name taken"},
            SinchForbiddenError,
            "conflict_group_name",
        ),
        (
            "send_batch",
            SEND,
            403,
            {"code": "unknown_group", "text": "no such group"},
            SinchForbiddenError,
            "unknown_group",
        ),
        (
            "cancel_batch",
            {"batch_id": BATCH_ID},
            409,
            {"code": "batch_already_dispatched", "text": "too late"},
            SinchConflictError,
            "batch_already_dispatched",
        ),
        (
            "get_batch",
            {"batch_id": BATCH_ID},
            415,
            {"code": "unsupported", "text": "content type"},
            SinchAPIError,
            "unsupported",
        ),
    ],
)
def test_error_bodies_become_typed_errors(
    once: Harness, op: str, kwargs: dict[str, Any], status: int, body: Any, error: type, code: str
) -> None:
    once.reply(Reply(status, json=body))
    with pytest.raises(error) as caught:
        once.call(op, **kwargs)
    exc = caught.value
    assert (exc.status, exc.code, exc.text) == (status, code, body["text"])
    assert exc.method == once.last.method
    assert exc.path == once.last.api_path
    assert f"Sinch API error {status} on {exc.method} {exc.path}: {code}: {body['text']}" == str(exc)


def test_401_says_what_to_check(once: Harness) -> None:
    once.reply(Reply(401, content=b"Unauthorized"))
    with pytest.raises(SinchAuthenticationError) as caught:
        once.call("list_batches", page_size=1)
    message = str(caught.value)
    assert caught.value.status == 401
    for words in ("service plan id", "token", "region"):
        assert words in message


def test_html_502_page_gives_a_clear_error(once: Harness) -> None:
    once.reply(Reply(502, content=NGINX_502, headers={"Content-Type": "text/html"}))
    with pytest.raises(SinchServerError) as caught:
        once.call("get_batch", BATCH_ID)
    exc = caught.value
    assert (exc.status, exc.code) == (502, None)
    assert exc.text == "non-JSON (HTML) response: 502 Bad Gateway - nginx"
    assert str(exc) == f"Sinch API error 502 on GET /batches/{BATCH_ID}: {exc.text}"


def test_html_502_on_a_send_is_ambiguous_with_the_server_error_as_cause(once: Harness) -> None:
    once.reply(Reply(502, content=NGINX_502))
    with pytest.raises(SinchAmbiguousSendError) as caught:
        once.call("send_batch", **SEND)
    assert "HTTP 502" in str(caught.value)
    assert isinstance(caught.value.__cause__, SinchServerError)


def test_empty_404_gives_a_clear_error(once: Harness) -> None:
    once.reply(Reply(404))
    with pytest.raises(SinchNotFoundError) as caught:
        once.call("get_group", GROUP_ID)
    assert (caught.value.code, caught.value.text) == (None, None)
    assert (
        str(caught.value)
        == f"Sinch API error 404 on GET /groups/{GROUP_ID}: no error details in the response"
    )


@pytest.mark.parametrize(
    ("content", "text"),
    [
        (
            b"upstream connect error or disconnect/reset before headers",
            "upstream connect error or disconnect/reset before headers",
        ),
        (b'{"message": "Internal error"}', "Internal error"),  # some gateways say "message"
        (b'["not", "an", "object"]', '["not", "an", "object"]'),  # JSON, but not {code, text}: quoted
        (b"<p>" + b"very long page " * 40 + b"</p>", "non-JSON (HTML) response: very long page"),
    ],
)
def test_odd_error_bodies_still_give_text(once: Harness, content: bytes, text: str) -> None:
    once.reply(Reply(500, content=content))
    with pytest.raises(SinchServerError) as caught:
        once.call("get_batch", BATCH_ID)
    assert caught.value.text.startswith(text)
    assert len(caught.value.text) <= 203  # an excerpt, not the whole page


def test_a_success_without_the_expected_json_is_an_error(once: Harness) -> None:
    once.reply(Reply(200, content=b"<html>maintenance</html>"))
    with pytest.raises(SinchAPIError, match="expected a JSON body") as caught:
        once.call("get_batch", BATCH_ID)
    assert caught.value.status == 200


def test_429_carries_retry_after(once: Harness) -> None:
    once.reply(Reply(429, json={"code": "too_many", "text": "slow down"}, headers={"Retry-After": "3"}))
    with pytest.raises(SinchRateLimitError) as caught:
        once.call("send_batch", **SEND)
    assert (caught.value.retry_after, caught.value.code) == (3.0, "too_many")


def test_hierarchy() -> None:
    for cls in (SinchAPIError, SinchValidationError, SinchAmbiguousSendError):
        assert issubclass(cls, SinchError)
    for cls in (
        SinchBadRequestError,
        SinchAuthenticationError,
        SinchForbiddenError,
        SinchNotFoundError,
        SinchConflictError,
        SinchRateLimitError,
        SinchServerError,
    ):
        assert issubclass(cls, SinchAPIError)


# The token is a secret: not in messages, reprs, tracebacks or logs.

SECRET = "key-SECRET-0a1b2c3d"


def _project_config() -> SinchConfig:
    return make_config(
        auth=ProjectAuth("proj-1", "key-id", SECRET, auth_url="https://auth.example/oauth2/token")
    )


def test_token_never_appears_in_errors_reprs_or_logs(make_harness, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    harness = make_harness()
    harness.reply(
        Reply(429),
        Reply(201, json=BATCH),  # a retry is logged
        Reply(401, content=f"bad token {TOKEN[:3]}".encode()),
        Reply(fail="read_timeout"),
        Reply(400, json={"code": "syntax_invalid_json", "text": "bad"}),
    )
    errors: list[BaseException] = []
    harness.call("send_batch", **SEND)
    for op, kwargs in [("get_batch", {"batch_id": "b"}), ("send_batch", SEND), ("send_batch", SEND)]:
        with pytest.raises(SinchError) as caught:
            harness.call(op, **kwargs)
        errors.append(caught.value)
    assert harness.last.headers["authorization"] == f"Bearer {TOKEN}"  # it was used...

    texts = [repr(harness.client), repr(harness.config), str(harness.config), repr(harness.config.auth)]
    for exc in errors:
        texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]
    texts += [record.getMessage() for record in caplog.records]
    assert caplog.records  # the retry was logged
    for text in texts:  # ...and never shown
        assert TOKEN not in text


def test_project_key_secret_and_access_token_never_appear(
    make_harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    harness = make_harness(config=_project_config())
    access = "ACCESS-abcdef123456"
    harness.route(
        lambda sent: (
            Reply(json={"access_token": access, "expires_in": 3600}) if "oauth2" in sent.url else Reply(401)
        )
    )
    with pytest.raises(SinchAuthenticationError) as caught:
        harness.call("get_batch", BATCH_ID)
    assert harness.last.headers["authorization"] == f"Bearer {access}"
    auth = harness.config.auth
    texts = [
        repr(harness.config),
        repr(auth),
        repr(auth.token_request()),
        str(caught.value),
        "".join(traceback.format_exception(caught.value)),
    ]
    texts += [record.getMessage() for record in caplog.records]
    for text in texts:
        assert SECRET not in text
        assert access not in text


def test_a_phone_number_in_the_path_is_masked_in_errors(make_harness) -> None:
    """``/delivery_report/{msisdn}``: errors name the request, but never show the full number."""
    harness = make_harness(retry=ONCE)
    harness.reply(Reply(404))
    with pytest.raises(SinchNotFoundError) as caught:
        harness.call("get_recipient_delivery_report", BATCH_ID, "+46701234567")
    assert f"GET /batches/{BATCH_ID}/delivery_report/+4670****567" in str(caught.value)
    assert caught.value.path.endswith("+4670****567")
    harness.reply(Reply(fail="refused"))
    with pytest.raises(SinchError) as caught_transport:
        harness.call("get_recipient_delivery_report", BATCH_ID, "+46701234567")
    assert "+4670****567" in str(caught_transport.value)
    for error in (caught.value, caught_transport.value):
        assert "46701234567" not in str(error)


# --- issue 11: a 2xx body that does not fit the model is a project error ---------------------------------

MALFORMED_CASES = list({c.op: c for c in reversed(CASES) if c.answer is not None}.values())  # one per op
STATE_CHANGING = {"send_batch", "update_batch", "create_group", "update_group"}


def test_every_operation_with_a_body_is_covered() -> None:
    assert len(MALFORMED_CASES) == 18


@pytest.mark.parametrize("case", MALFORMED_CASES, ids=[c.op for c in MALFORMED_CASES])
def test_a_2xx_body_that_does_not_fit_is_a_malformed_response_error(harness: Harness, case: Case) -> None:
    harness.route(lambda captured: Reply(case.status, json={"nope": 1}))
    with pytest.raises(SinchMalformedResponseError) as caught:
        harness.call(case.op, **case.kwargs)
    error = caught.value
    message = str(error)
    assert isinstance(error, SinchError)
    assert len(harness.api_requests) == 1  # not retried: the same request would get the same answer
    assert case.op in message
    assert "does not have the expected shape" in message
    assert "\n" not in message
    assert len(message) <= 500
    assert TOKEN not in message
    assert "46701234567" not in message  # a number in the path is masked
    assert "validation error" not in message.lower()  # not pydantic's dump
    assert error.status == case.status
    assert error.problems
    assert (error.operation, error.method) == (case.op, OPERATIONS[case.op].method)
    # A state-changing POST was applied (2xx): whoever retries must look it up, as after a lost answer.
    assert isinstance(error, SinchAmbiguousSendError) is (case.op in STATE_CHANGING)
    assert isinstance(error, SinchMalformedSendResponseError) is (case.op in STATE_CHANGING)


def test_a_malformed_send_answer_carries_the_client_reference(once: Harness) -> None:
    once.reply(Reply(201, json={"id": 5, "to": "nope"}))
    with pytest.raises(SinchAmbiguousSendError) as caught:
        once.call("send_batch", **SEND)
    error = caught.value
    assert isinstance(error, SinchMalformedResponseError)
    assert error.client_reference == "ref-1"
    assert "look it up before sending it again" in str(error)
    assert "ref-1" in str(error)
    assert len(str(error)) <= 500


def test_many_problems_are_cut_to_the_first_three(once: Harness) -> None:
    page = {"count": "x", "page": "y", "page_size": "z", "batches": [{"nope": i} for i in range(500)]}
    once.reply(Reply(200, json=page))
    with pytest.raises(SinchMalformedResponseError) as caught:
        once.call("list_batches")
    message = str(caught.value)
    assert len(caught.value.problems) > 3
    assert f"(+{len(caught.value.problems) - 3} more)" in message
    assert len(message) <= 500


def test_a_malformed_recipient_report_masks_the_number(once: Harness) -> None:
    once.reply(Reply(200, json=["not", "a", "report"]))
    with pytest.raises(SinchMalformedResponseError) as caught:
        once.call("get_recipient_delivery_report", BATCH_ID, "+46 70 123 45 67")
    assert "+4670****567" in str(caught.value)
    assert "46701234567" not in str(caught.value)


def test_a_number_in_sinch_s_error_text_is_masked_and_the_text_cut(once: Harness) -> None:
    once.reply(Reply(400, json={"code": "syntax_invalid_parameter_format",
                                "text": "Invalid recipient 46701234567 " + "x" * 5000}))
    with pytest.raises(SinchBadRequestError) as caught:
        once.call("send_batch", **SEND)
    assert "4670****567" in str(caught.value)
    assert "46701234567" not in str(caught.value)
    assert len(str(caught.value)) <= 500


def test_a_send_answered_2xx_without_json_is_ambiguous_not_failed(once: Harness) -> None:
    """The batch may exist: the send operator must look it up by client_reference, not report failure."""
    from airflow_provider_sinch.client import SinchAmbiguousSendError, SinchMalformedSendResponseError

    once.reply(Reply(201, content=b"<html>ok</html>"))
    with pytest.raises(SinchMalformedSendResponseError) as caught:
        once.call("send_batch", **SEND)
    assert isinstance(caught.value, SinchAmbiguousSendError)
    assert caught.value.client_reference == SEND.get("client_reference")
    assert "expected JSON" in str(caught.value)
