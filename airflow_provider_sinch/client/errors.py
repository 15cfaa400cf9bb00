"""One exception hierarchy for everything the Sinch client can raise.

Every error that came from an HTTP answer carries the HTTP ``status`` and Sinch's own ``code`` and
``text`` (from the ``{"code", "text"}`` error body), so callers can branch on ``code`` rather than parse
messages.  No error message ever contains the API token: it is never part of a URL or a body we quote.
"""

from __future__ import annotations

from typing import Any


class SinchError(Exception):
    """Base class of every error raised by this provider's Sinch client."""


MAX_MESSAGE = 500
"""No error message of this package is longer than this: a message quoting user input (a 100,000-character
id, a list of 2,500 bad recipients) would otherwise flood logs, XCom and the UI."""


def clip(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending in ``...`` when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 3)] + "..."


class SinchValidationError(SinchError, ValueError):
    """Input that the Sinch API would reject, caught before any request is sent.

    The message names every field and rule, but is cut to at most 500 characters (``errors`` keeps the
    full list); each field name and rule is cut first, so a long message still shows several of them.

    :param errors: ``[(field, rule), ...]`` naming each offending field and the rule it broke.
    :param model: what was being validated (``batch``, ``SinchSendBatchOperator arguments``, ...).
    """

    _joiner = ": "

    def __init__(self, errors: list[tuple[str, str]], model: str = "request") -> None:
        self.errors = errors
        self.model = model
        head = f"invalid Sinch {clip(str(model), 80)}: "
        detail = "; ".join(
            f"{clip(str(field), 80)}{self._joiner}{clip(str(rule), 300)}" for field, rule in errors)
        super().__init__(clip(head + detail, MAX_MESSAGE))


class SinchConfigurationError(SinchValidationError):
    """A :class:`~airflow_provider_sinch.client.config.SinchConfig` (or its auth) that cannot work: an empty
    token, a timeout that is not a positive finite number, a base URL without an http(s) scheme or host.

    Raised when the configuration is built, so nothing is sent; never retried (retrying cannot fix it).

    :param errors: ``[(field, rule), ...]`` naming each offending setting and the rule it broke; the message
        reads ``invalid Sinch configuration: timeout must be ...``.
    """

    _joiner = " "

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__(errors, "configuration")


class SinchAPIError(SinchError):
    """Sinch answered with an error status.

    :param status: HTTP status code.
    :param code: Sinch's error code (``syntax_invalid_parameter_format``, ...), ``None`` when the body had
        none.
    :param text: Sinch's error text, or a short excerpt of a non-JSON body.
    :param method: HTTP method of the request.
    :param path: request path relative to the service plan (``/batches/...``), never the full URL.
    :param hint: what to check, appended to the message (401: plan id, token and region).
    :param retry_after: seconds the server asked us to wait (``Retry-After``), when it said.
    """

    def __init__(
        self,
        status: int,
        code: str | None = None,
        text: str | None = None,
        *,
        method: str = "",
        path: str = "",
        hint: str = "",
        retry_after: float | None = None,
    ) -> None:
        self.status = status
        self.code = code
        self.text = text
        self.method = method
        self.path = path
        self.retry_after = retry_after
        where = f" on {method} {path}" if method else ""
        what = ": ".join(x for x in (code, text) if x) or "no error details in the response"
        super().__init__(f"Sinch API error {status}{where}: {what}{(' ' + hint) if hint else ''}")


class SinchBadRequestError(SinchAPIError):
    """400: the request was malformed or broke a constraint Sinch checks."""


class SinchAuthenticationError(SinchAPIError):
    """401: the token does not belong to this service plan (or project), or the region is wrong.

    ``renew_token`` is true on the first 401 of a request made with an OAuth2 project token: the client
    then fetches a new token and tries once more.
    """

    renew_token: bool = False


class SinchForbiddenError(SinchAPIError):
    """403: e.g. ``unknown_group``, ``missing_callback_url``, ``conflict_group_name``, ``blocked_account``."""


class SinchNotFoundError(SinchAPIError):
    """404: unknown batch, group, inbound or recipient (the body may be empty)."""


class SinchReportNotReadyError(SinchNotFoundError):
    """404 on a recipient delivery report that a wait is polling for.

    Sinch may not have a recipient's first report yet right after a send, so delivery waits count this as
    a failed poll within their ``max_consecutive_failures`` budget instead of ending at once; a number that
    is not a recipient of the batch still fails the wait once that budget is spent.
    """

    @classmethod
    def from_not_found(cls, error: SinchNotFoundError, hint: str) -> SinchReportNotReadyError:
        return cls(error.status, error.code, error.text, method=error.method, path=error.path, hint=hint)


class SinchConflictError(SinchAPIError):
    """409: e.g. cancelling a batch that has already been dispatched."""


class SinchRateLimitError(SinchAPIError):
    """429: too many outstanding requests; the request was *not* accepted, so resending is safe."""


class SinchServerError(SinchAPIError):
    """5xx from Sinch (or a proxy in front of it)."""


class SinchTransportError(SinchError):
    """The request did not get an HTTP answer (connection refused, DNS, timeout, reset).

    :param message: what failed, naming the request (never the token).
    :param method: HTTP method.
    :param path: request path relative to the service plan.
    :param sent: whether the request may have reached Sinch (a read timeout, a reset after writing).
    """

    def __init__(self, message: str, *, method: str = "", path: str = "", sent: bool = False) -> None:
        self.method = method
        self.path = path
        self.sent = sent
        super().__init__(message)


class SinchAmbiguousSendError(SinchError):
    """A state-changing POST may or may not have taken effect at Sinch.

    Raised instead of resending blindly when a ``POST`` (send a batch, create a group, ...) timed out while
    reading, lost its connection after the request was written, or got a 5xx.  The batch may exist: resolve
    it by listing batches with this ``client_reference`` before sending again (the operators do this).

    :param client_reference: the ``client_reference`` of the request, when it had one.
    :param method: HTTP method.
    :param path: request path relative to the service plan.
    :param cause: what went wrong, in words.
    """

    def __init__(self, *, client_reference: str | None, method: str, path: str, cause: str) -> None:
        self.client_reference = client_reference
        self.method = method
        self.path = path
        self.cause = cause
        ref = f" (client_reference={client_reference!r})" if client_reference else ""
        super().__init__(
            f"outcome of {method} {path} is unknown{ref}: {cause}. The request may have been accepted; "
            "look it up before sending it again."
        )


class SinchMalformedResponseError(SinchError):
    """Sinch answered 2xx, but the body does not fit the operation's response model (``{"nope": 1}``).

    Not retried: the same request would most likely get the same answer (a proxy or an API change), and for
    an operation that changes state the 2xx says it was *applied*.  For those (``send_batch``,
    ``update_batch``, ``create_group``, ``update_group``) the client raises
    :class:`SinchMalformedSendResponseError`, which is also a :class:`SinchAmbiguousSendError`: the result
    is unknown, so whoever retries must look the request up first (the send operator does, by
    ``client_reference``).

    :param operation: the operation's name (``get_batch``).
    :param method: HTTP method.
    :param path: request path relative to the service plan, a phone number in it masked.
    :param status: the 2xx status.
    :param problems: ``[(location, problem), ...]`` of the body, the first few shown in the message.
    """

    def __init__(self, *, operation: str, method: str, path: str, status: int,
                 problems: list[tuple[str, str]]) -> None:
        self.operation = operation
        self.method = method
        self.path = path
        self.status = status
        self.problems = problems
        # Not super(): in SinchMalformedSendResponseError the next class is SinchAmbiguousSendError, whose
        # __init__ takes other arguments.
        Exception.__init__(self, malformed_message(operation, method, path, status, problems))


def malformed_message(operation: str, method: str, path: str, status: int,
                      problems: list[tuple[str, str]], advice: str = "") -> str:
    """One line, at most 500 characters: what was asked, the first three problems of the body, advice."""
    shown = "; ".join(f"{clip(loc, 60)}: {clip(msg, 80)}" for loc, msg in problems[:3])
    more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
    text = (f"Sinch answered {method} {clip(path, 120)} ({operation}) with HTTP {status}, but the body does "
            f"not have the expected shape: {shown or 'no details'}{more}")
    return clip(text, MAX_MESSAGE - len(advice)) + advice


class SinchMalformedSendResponseError(SinchMalformedResponseError, SinchAmbiguousSendError):
    """A state-changing ``POST`` got a 2xx whose body does not fit: Sinch applied it, but its result (the
    batch or group id) is unknown.

    It is both a :class:`SinchMalformedResponseError` and a :class:`SinchAmbiguousSendError`, so code that
    recovers lost answers (the send operator's ``client_reference`` lookup, create-group with reuse) looks
    the request up instead of sending it a second time.

    :param client_reference: the ``client_reference`` of the request, when it had one.
    :param operation: the operation's name (``send_batch``).
    :param method: HTTP method.
    :param path: request path relative to the service plan.
    :param status: the 2xx status.
    :param problems: ``[(location, problem), ...]`` of the body.
    """

    def __init__(self, *, client_reference: str | None, operation: str, method: str, path: str,
                 status: int, problems: list[tuple[str, str]]) -> None:
        self.client_reference = client_reference
        self.cause = f"HTTP {status} with a body that does not have the expected shape"
        SinchMalformedResponseError.__init__(
            self, operation=operation, method=method, path=path, status=status, problems=problems)
        ref = f" (client_reference={clip(client_reference, 60)!r})" if client_reference else ""
        self.args = (malformed_message(
            operation, method, path, status, problems,
            f". Sinch applied the request{ref}; look it up before sending it again."),)


_BY_STATUS: dict[int, type[SinchAPIError]] = {
    400: SinchBadRequestError,
    401: SinchAuthenticationError,
    403: SinchForbiddenError,
    404: SinchNotFoundError,
    409: SinchConflictError,
    429: SinchRateLimitError,
}

AUTH_HINT = (
    "Check the service plan id (or project id), the API token (or key) and the region of the connection."
)


def error_for_status(
    status: int,
    code: str | None,
    text: str | None,
    *,
    method: str,
    path: str,
    retry_after: float | None = None,
) -> SinchAPIError:
    """Build the typed error for an HTTP error answer."""
    cls = _BY_STATUS.get(status, SinchServerError if status >= 500 else SinchAPIError)
    kwargs: dict[str, Any] = {"method": method, "path": path, "retry_after": retry_after}
    if cls is SinchAuthenticationError:
        kwargs["hint"] = AUTH_HINT
    return cls(status, code, text, **kwargs)
