"""Error answers with Sinch's status codes and ``{"code", "text"}`` bodies.

Handlers raise :class:`ApiError`; the app turns it into the answer.  Request bodies are validated with the
client's own pydantic models, and their errors are mapped onto Sinch's two 400 codes: a broken limit (length,
count, range, ordering) is ``syntax_constraint_violation``; a wrong type, format or unknown field is
``syntax_invalid_parameter_format``.
"""

from __future__ import annotations

from collections.abc import Mapping

from starlette.responses import Response

from airflow_provider_sinch.client.errors import SinchValidationError
from airflow_provider_sinch.testing.sandbox.responses import empty_response, json_response

INVALID_JSON = "syntax_invalid_json"
INVALID_FORMAT = "syntax_invalid_parameter_format"
CONSTRAINT = "syntax_constraint_violation"
UNKNOWN_GROUP = "unknown_group"
MISSING_CALLBACK_URL = "missing_callback_url"
CONFLICT_GROUP_NAME = "conflict_group_name"
ALREADY_DISPATCHED = "batch_already_dispatched"

# Words of pydantic's (and the client models') messages that say a limit was broken rather than a format.
_CONSTRAINT_WORDS = ("at most", "at least", "greater than", "less than", "must be after", "should have")


class ApiError(Exception):
    """An error answer.

    :param status: HTTP status.
    :param code: Sinch's error code; with ``text`` it becomes the JSON body (none for ``None``).
    :param text: human-readable explanation.
    :param headers: extra response headers (``WWW-Authenticate``, ``Retry-After``).
    """

    def __init__(self, status: int, code: str | None = None, text: str | None = None,
                 headers: Mapping[str, str] | None = None) -> None:
        self.status = status
        self.code = code
        self.text = text
        self.headers = dict(headers or {})
        super().__init__(f"{status} {code or ''} {text or ''}".strip())

    def response(self) -> Response:
        if self.code is None:
            return empty_response(self.status, self.headers)
        return json_response({"code": self.code, "text": self.text or self.code}, self.status, self.headers)


def bad_request(code: str, text: str) -> ApiError:
    """A 400 in Sinch's ``{code, text}`` form."""
    return ApiError(400, code, text)


def forbidden(code: str, text: str) -> ApiError:
    """A 403 in Sinch's ``{code, text}`` form."""
    return ApiError(403, code, text)


def not_found() -> ApiError:
    """Sinch answers an unknown id with an empty 404."""
    return ApiError(404)


def from_validation(exc: SinchValidationError) -> ApiError:
    """The 400 for a body the client's models refuse."""
    rules = " ".join(rule for _, rule in exc.errors).lower()
    code = CONSTRAINT if any(word in rules for word in _CONSTRAINT_WORDS) else INVALID_FORMAT
    text = "; ".join(f"{field}: {rule}" for field, rule in exc.errors)
    return bad_request(code, text)
