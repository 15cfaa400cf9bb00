"""What the sync and async clients share around one HTTP exchange.

The clients differ only in the library that moves bytes (``requests`` or ``aiohttp``).  Everything else is
here: the headers, turning an HTTP answer into a result or a typed error (including bodies that are not
JSON, such as a proxy's HTML 502 page or an empty 404), and deciding when a failed POST is *ambiguous*
rather than retryable.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from airflow_provider_sinch.client.auth import Auth, ProjectAuth
from airflow_provider_sinch.client.errors import (
    SinchAmbiguousSendError,
    SinchAPIError,
    SinchAuthenticationError,
    SinchConfigurationError,
    SinchError,
    SinchMalformedResponseError,
    SinchMalformedSendResponseError,
    SinchServerError,
    SinchTransportError,
    clip,
    error_for_status,
)
from airflow_provider_sinch.client.operations import PreparedRequest
from airflow_provider_sinch.client.redact import mask_text
from airflow_provider_sinch.client.retry import parse_retry_after

_EXCERPT = 200


def base_headers(user_agent: str) -> dict[str, str]:
    """Headers on every API request (the ``Authorization`` header is added per request)."""
    return {"Accept": "application/json", "Content-Type": "application/json", "User-Agent": user_agent}


def token_headers(user_agent: str) -> dict[str, str]:
    """Headers of the OAuth2 token request (its body is form-encoded, so no JSON ``Content-Type``)."""
    return {"Accept": "application/json", "User-Agent": user_agent}


def decode_body(content: bytes) -> Any:
    """The decoded JSON body, or ``None`` when it is empty or not JSON."""
    if not content or not content.strip():
        return None
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


def handle_response(
    prepared: PreparedRequest,
    status: int,
    headers: Mapping[str, str],
    content: bytes,
    auth: Auth | None = None,
) -> Any:
    """Parse a successful answer, or raise the typed error for a failed one.

    A 401 with OAuth2 project auth drops the cached token (it may have been revoked or rotated before its
    expiry) and, the first time for this request, marks the error ``renew_token`` so the retry policy sends
    it once more with a fresh token: Sinch refused the request, so resending cannot duplicate it.
    """
    renew_token = False
    if status == 401 and isinstance(auth, ProjectAuth):
        auth.invalidate()
        renew_token = not prepared.attempts.token_renewed
        prepared.attempts.token_renewed = True
    if 200 <= status < 300:
        if prepared.operation.response is None:
            return None
        try:
            return prepared.operation.parse_json(content)  # the common case: valid JSON, a valid answer
        except ValidationError:
            pass  # not JSON, or not the model: the path below names the problem as it always has
        payload = decode_body(content)
        if payload is None and not prepared.operation.safe_to_retry:
            # Sinch applied it (2xx) but we cannot read what it made: ambiguous, never "failed".
            raise malformed(prepared, status, [("(body)", f"expected JSON, got {_excerpt(content)!r}")])
        if payload is None:
            raise SinchAPIError(
                status, None, f"expected a JSON body, got {_excerpt(content)!r}",
                method=prepared.method, path=prepared.log_path,
            )
        try:
            return prepared.operation.parse(payload)
        except ValidationError as exc:
            raise malformed(prepared, status, exc) from None
    if status == 404 and prepared.operation.gone_is_done and prepared.attempts.may_have_applied:
        return None  # an earlier attempt, whose answer was lost, did it: the resend finds it gone
    if status >= 500:
        prepared.attempts.may_have_applied = True
    payload = decode_body(content)
    code = text = None
    if isinstance(payload, dict):
        code = _str_or_none(payload.get("code"))
        text = _str_or_none(payload.get("text") or payload.get("message"))
    elif content and content.strip():
        text = _excerpt(content)
    if text is not None:
        # Sinch's text may quote a recipient ("Invalid number 4670..."): errors never carry a full number;
        # and it is cut, like every message of this package.
        text = clip(mask_text(text), _EXCERPT + 3)
    if code is not None:
        code = clip(code, 100)
    error = error_for_status(
        status, code, text, method=prepared.method, path=prepared.log_path,
        retry_after=parse_retry_after(headers.get("Retry-After") or headers.get("retry-after")),
    )
    if isinstance(error, SinchServerError) and not prepared.operation.safe_to_retry:
        raise ambiguous(prepared, f"HTTP {status} from Sinch") from error
    if isinstance(error, SinchAuthenticationError):
        error.renew_token = renew_token
    raise error


def transport_failure(prepared: PreparedRequest, exc: BaseException, *, sent: bool) -> SinchError:
    """The error for a request that got no HTTP answer.

    ``sent`` says whether the request may have reached Sinch (read timeout, connection reset after
    writing); the request's attempts then remember it.  If it may have and the operation is not safe to
    repeat, the outcome is ambiguous.
    """
    kind = type(exc).__name__
    if sent:
        prepared.attempts.may_have_applied = True
    if sent and not prepared.operation.safe_to_retry:
        return ambiguous(prepared, f"{kind} after the request was sent")
    where = f"{prepared.method} {prepared.log_path}"
    # requests quotes the URL it failed on, query string (?to=..., ?from_=...) included: no number survives
    detail = mask_text(str(exc).replace(prepared.path, prepared.log_path))
    return SinchTransportError(f"could not reach Sinch for {where}: {kind}: {detail}",
                               method=prepared.method, path=prepared.log_path, sent=sent)


def malformed(prepared: PreparedRequest, status: int,
              exc: ValidationError | list[tuple[str, str]]) -> SinchMalformedResponseError:
    """The error for a 2xx answer whose body does not fit the response model (or is no JSON at all): one
    line, not pydantic's dump.  For an operation that changes state it is also ambiguous (applied, result
    unknown), so a send is looked up rather than sent again."""
    problems = exc if isinstance(exc, list) else [
        (mask_text(".".join(str(p) for p in err["loc"])) or "(body)", err["msg"])
        for err in exc.errors(include_url=False, include_input=False)
    ]
    if not prepared.operation.safe_to_retry:
        return SinchMalformedSendResponseError(
            client_reference=prepared.client_reference, operation=prepared.operation.name,
            method=prepared.method, path=prepared.log_path, status=status, problems=problems)
    return SinchMalformedResponseError(operation=prepared.operation.name, method=prepared.method,
                                       path=prepared.log_path, status=status, problems=problems)


def configuration_failure(prepared: PreparedRequest, exc: BaseException, *, header: bool) -> SinchError:
    """The error for a request the HTTP library refused to make (an unusable URL or header value): a
    configuration problem, never retried as if the network had failed.  :class:`SinchConfig` checks these
    when built; this catches what slips through (a session or transport with its own rules)."""
    field = "auth or user_agent (an HTTP header)" if header else "base_url"
    rule = clip(f"cannot be used for {prepared.method} {prepared.log_path}: {type(exc).__name__}", 200)
    return SinchConfigurationError([(field, rule)])


def ambiguous(prepared: PreparedRequest, cause: str) -> SinchAmbiguousSendError:
    """The error for a send whose outcome is unknown (``cause``): it carries the request's
    ``client_reference``, so the caller looks the batch up instead of sending again."""
    return SinchAmbiguousSendError(
        client_reference=prepared.client_reference, method=prepared.method, path=prepared.log_path,
        cause=cause,
    )


_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_NOISE = re.compile(r"<(script|style|head)\b.*?</\1>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def _excerpt(content: bytes) -> str:
    """A short, readable excerpt of a body that is not Sinch's JSON (a proxy's HTML error page, text)."""
    text = content.decode("utf-8", errors="replace").strip()
    if text.startswith("<"):
        found = _TITLE.search(text)
        title = _SPACE.sub(" ", html.unescape(found.group(1))).strip() if found else ""
        body = _SPACE.sub(" ", html.unescape(_TAG.sub(" ", _NOISE.sub(" ", text)))).strip()
        if title and body.startswith(title):
            body = body[len(title) :].strip()
        text = "non-JSON (HTML) response: " + " - ".join(x for x in (title, body) if x)
    return text[:_EXCERPT] + ("..." if len(text) > _EXCERPT else "")


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)
