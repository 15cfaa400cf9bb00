"""Synchronous Sinch SMS client over ``requests.Session`` (used by operators, sensors and the hook)."""

from __future__ import annotations

from typing import Any, TypeVar

import requests
from requests.exceptions import InvalidHeader, InvalidSchema, InvalidURL, MissingSchema
from tenacity import Retrying
from urllib3.exceptions import NewConnectionError

from airflow_provider_sinch.client.blocking import BlockingOperations
from airflow_provider_sinch.client.config import SinchConfig
from airflow_provider_sinch.client.errors import SinchAuthenticationError
from airflow_provider_sinch.client.models.common import build_all
from airflow_provider_sinch.client.operations import Operation, PreparedRequest
from airflow_provider_sinch.client.renewal import Renew, adopt
from airflow_provider_sinch.client.retry import is_retryable
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
    :param renew: asked for the connection again when Sinch refuses the credentials; a request is sent once
        more with new ones (:mod:`~airflow_provider_sinch.client.renewal`).  ``None``: a refusal is final.
    """

    def __init__(self, config: SinchConfig, session: requests.Session | None = None, *,
                 renew: Renew | None = None) -> None:
        self.config = config
        self._renew = renew
        self._own_session = session is None
        self.session = session or requests.Session()
        self._headers = base_headers(config.user_agent)
        build_all()  # the models, before worker threads share them (see build_all)
        # Proxy and CA-bundle settings from the environment, per origin (see _environment_for); only for
        # a session of our own: a caller's session keeps its own ``trust_env`` behaviour.
        self._environment: dict[str, dict[str, Any]] | None = None
        if self._own_session:
            self._environment = {}
            self.session.trust_env = False

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
        """:meth:`_attempts`, made once more with the connection's new credentials when Sinch refused the
        ones in use and the connection has others (:mod:`~airflow_provider_sinch.client.renewal`)."""
        used = self.config
        try:
            return self._attempts(operation, kwargs)
        except SinchAuthenticationError as refusal:
            self.config = adopt(refusal, used, self._renew and self._renew(used))
        return self._attempts(operation, kwargs)

    def _attempts(self, operation: Operation[T], kwargs: dict[str, Any]) -> T:
        """Validate, send, and retry by the policy (:mod:`~airflow_provider_sinch.client.retry`).

        The first attempt runs directly: most requests succeed at once, and tenacity's bookkeeping costs
        about as much as parsing a small answer.  Only a failure the policy retries starts tenacity, with
        that failure as its first attempt, so attempt counts, waits and logs are what they always were.
        """
        prepared = operation.prepare(kwargs, self.config.default_from)
        try:
            result: T = self._send_once(prepared)
            return result
        except Exception as exc:
            if not is_retryable(exc, operation.safe_to_retry):
                raise
            failed: list[Exception] = [exc]

        def attempt(prepared: PreparedRequest) -> Any:
            if failed:
                raise failed.pop()  # the first attempt, already made above
            return self._send_once(prepared)

        retrying = Retrying(**self.config.retry.tenacity_kwargs(operation.safe_to_retry))
        result = retrying(attempt, prepared)
        return result

    def _send_once(self, prepared: PreparedRequest) -> Any:
        url = self.config.api_root + prepared.path
        try:
            response = self.session.request(
                prepared.method,
                url,
                params=prepared.params or None,
                json=prepared.json,
                headers={**self._headers, "Authorization": f"Bearer {self._bearer()}"},
                timeout=self.config.timeouts,
                **self._environment_for(url),
            )
        except _UNUSABLE as exc:
            raise configuration_failure(prepared, exc, header=isinstance(exc, InvalidHeader)) from None
        except requests.RequestException as exc:
            raise transport_failure(prepared, exc, sent=not _not_sent(exc)) from None
        return handle_response(prepared, response.status_code, response.headers, response.content,
                               self.config.auth)

    def _environment_for(self, url: str) -> dict[str, Any]:
        """The proxies and CA bundle the environment (``HTTPS_PROXY``, ``NO_PROXY``, ``REQUESTS_CA_BUNDLE``,
        ...) gives requests to ``url``, read once per origin.

        ``requests`` reads them again on every request when ``trust_env`` is on (walking ``os.environ``
        twice, about a third of a small request's CPU); this client's own session has it off and passes
        what was read instead.  ``~/.netrc`` is not read either: every request carries its own credentials,
        and a netrc entry for the host would replace the bearer token.  A session given by the caller is
        used as it is configured.
        """
        if self._environment is None:
            return {}
        scheme, _, rest = url.partition("://")
        origin = f"{scheme}://{rest.split('/', 1)[0]}"
        settings = self._environment.get(origin)
        if settings is None:
            with requests.Session() as probe:  # trust_env on: requests' own reading of the environment
                found = probe.merge_environment_settings(url, {}, None, None, None)
            settings = {"proxies": found["proxies"]}
            if found["verify"] is not True:  # a CA bundle named by the environment
                settings["verify"] = found["verify"]
            self._environment[origin] = settings
        return settings

    def _bearer(self) -> str:
        req = self.config.auth.bearer_or_request()
        if isinstance(req, str):
            return req
        try:
            response = self.session.post(
                req.url, data=req.form, auth=req.basic_auth, headers=token_headers(self.config.user_agent),
                timeout=self.config.timeouts, **self._environment_for(req.url),
            )
        except requests.RequestException as exc:
            raise req.unreachable(exc) from None
        return req.accept(response.status_code, response.content)
