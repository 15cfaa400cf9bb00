"""Synchronous Sinch SMS client over ``requests.Session`` (used by operators, sensors and the hook)."""

from __future__ import annotations

from typing import Any, TypeVar

import requests
from requests.exceptions import InvalidHeader, InvalidSchema, InvalidURL, MissingSchema
from tenacity import Retrying
from urllib3.exceptions import NewConnectionError

from airflow_provider_sinch.client.blocking import BlockingOperations
from airflow_provider_sinch.client.config import SinchConfig
from airflow_provider_sinch.client.models.common import build_all
from airflow_provider_sinch.client.operations import Operation, PreparedRequest
from airflow_provider_sinch.client.transport import (
    base_headers,
    configuration_failure,
    handle_response,
    token_headers,
    transport_failure,
)

T = TypeVar("T")

# Requests the library refuses to make: a configuration problem, not a network one (never retried).
_UNUSABLE = (InvalidURL, InvalidSchema, MissingSchema, InvalidHeader)


def _not_sent(exc: requests.RequestException) -> bool:
    """True when ``requests`` failed before the request left this machine."""
    if isinstance(exc, requests.ConnectTimeout):
        return True
    if isinstance(exc, requests.ConnectionError):
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        return isinstance(reason, NewConnectionError)
    return False


class SinchClient(BlockingOperations):
    """Blocking client for the Sinch SMS API.

    Every operation of :class:`~airflow_provider_sinch.client.operations.SinchOperations` is a method
    (``send_batch``, ``get_delivery_report``, ...) returning its model; ``iter_batches`` and friends page
    lazily.

    :param config: where and how to connect (:class:`~airflow_provider_sinch.client.config.SinchConfig`).
    :param session: an existing ``requests.Session`` to use (the client neither changes its headers nor
        closes it then).
    """

    def __init__(self, config: SinchConfig, session: requests.Session | None = None) -> None:
        self.config = config
        self._own_session = session is None
        self.session = session or requests.Session()
        self._headers = base_headers(config.user_agent)
        build_all()  # the models, before worker threads share them (see build_all)

    def __repr__(self) -> str:
        return f"SinchClient(api_root={self.config.api_root!r})"

    def __enter__(self) -> SinchClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._own_session:
            self.session.close()

    def _execute(self, operation: Operation[T], kwargs: dict[str, Any]) -> T:
        prepared = operation.prepare(kwargs, self.config.default_from)
        retrying = Retrying(**self.config.retry.tenacity_kwargs(operation.safe_to_retry))
        result: T = retrying(self._send_once, prepared)
        return result

    def _send_once(self, prepared: PreparedRequest) -> Any:
        try:
            response = self.session.request(
                prepared.method,
                self.config.api_root + prepared.path,
                params=prepared.params or None,
                json=prepared.json,
                headers={**self._headers, "Authorization": f"Bearer {self._bearer()}"},
                timeout=self.config.timeouts,
            )
        except _UNUSABLE as exc:
            raise configuration_failure(prepared, exc, header=isinstance(exc, InvalidHeader)) from None
        except requests.RequestException as exc:
            raise transport_failure(prepared, exc, sent=not _not_sent(exc)) from None
        return handle_response(prepared, response.status_code, response.headers, response.content,
                               self.config.auth)

    def _bearer(self) -> str:
        req = self.config.auth.bearer_or_request()
        if isinstance(req, str):
            return req
        try:
            response = self.session.post(
                req.url, data=req.form, auth=req.basic_auth, headers=token_headers(self.config.user_agent),
                timeout=self.config.timeouts,
            )
        except requests.RequestException as exc:
            raise req.unreachable(exc) from None
        return req.accept(response.status_code, response.content)
