"""``SinchHook``: an Airflow ``sinch`` connection turned into a Sinch SMS client."""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from airflow.sdk import BaseHook
from airflow.sdk.log import mask_secret

from airflow_provider_sinch.client.blocking import BlockingOperations
from airflow_provider_sinch.client.errors import SinchError
from airflow_provider_sinch.client.renewal import RenewalGate, newer_credentials
from airflow_provider_sinch.client.retry import RetryPolicy
from airflow_provider_sinch.hooks import DEFAULT_CONN_ID
from airflow_provider_sinch.hooks.connection import (
    SinchConnectionError,
    callback_url_from_extra,
    config_from_connection,
)
from airflow_provider_sinch.version_compat import PROVIDER_INFO_CONNECTION_FORM

if TYPE_CHECKING:
    from airflow_provider_sinch.client import AsyncSinchClient, SinchClient, SinchConfig
    from airflow_provider_sinch.client.models import InboundMessage
    from airflow_provider_sinch.client.operations import Operation
    from airflow_provider_sinch.client.patience import RateLimitPatience
    from airflow_provider_sinch.hooks.send_engine import SendControl
    from airflow_provider_sinch.hooks.send_ledger import SendLedger

T = TypeVar("T")

log = logging.getLogger(__name__)

RENEWALS = RenewalGate()
"""Re-reads of this process's connections because Sinch refused their credentials (per connection id)."""


class SinchHook(BaseHook, BlockingOperations):
    """Interact with the Sinch SMS REST API through an Airflow connection of type ``sinch``.

    Every operation of :data:`~airflow_provider_sinch.client.OPERATIONS` is a method of the same name,
    inherited from :class:`~airflow_provider_sinch.client.SinchOperations` (``send_batch``, ``get_batch``,
    ...), taking the API's field names as keyword arguments (``from_`` for ``from``) and returning its model
    (a ``Batch``, a ``Group``, ...); ``iter_batches`` and friends page lazily.  Triggers and async notifiers
    use :meth:`aget_client`.

    Connection: login = service plan id, password = API token, extra ``region`` (us, eu, au, br, ca),
    optional host = base URL override, extra ``timeout`` and ``default_from``.  For project (OAuth2) auth:
    extra ``auth_method="project"``, login = project id, extra ``key_id``, password = key secret.

    :param sinch_conn_id: the connection id (default ``sinch_default``).
    :param timeout: request timeout in seconds, overriding the connection's.
    :param retry_policy: how 429s, 5xx and connection errors are retried (default: the connection's
        ``retries`` extra).
    :param kwargs: passed on to :class:`~airflow.sdk.BaseHook`.
    """

    conn_name_attr = "sinch_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = "sinch"
    hook_name = "Sinch SMS"

    if not PROVIDER_INFO_CONNECTION_FORM:
        # Airflow 3.1 asks the hook for the connection form; 3.2+ reads the provider info and would warn
        # that these methods are deprecated, so they exist on 3.1 only.  Both forms come from the provider
        # info (hooks/connection_form.py).

        @classmethod
        def get_connection_form_widgets(cls) -> dict[str, Any]:
            """The extra fields of the connection form (Airflow 3.1): the provider info's ``conn-fields``."""
            from airflow_provider_sinch.hooks.connection_form import connection_form_widgets

            return connection_form_widgets(cls.conn_type)

        @classmethod
        def get_ui_field_behaviour(cls) -> dict[str, Any]:
            """Hidden, relabelled and prefilled standard fields (Airflow 3.1): the provider info's
            ``ui-field-behaviour``."""
            from airflow_provider_sinch.hooks.connection_form import ui_field_behaviour

            return ui_field_behaviour(cls.conn_type)

    def __init__(
        self,
        sinch_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        retry_policy: RetryPolicy | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sinch_conn_id = sinch_conn_id
        self.timeout = timeout
        self.retry_policy = retry_policy
        self._renewing = threading.Lock()

    def _config(self, conn: Any, extra: dict[str, Any]) -> SinchConfig:
        if conn.password:
            mask_secret(conn.password)
        return config_from_connection(
            login=conn.login, password=conn.password, host=conn.host, schema=conn.schema, port=conn.port,
            extra=extra, conn_id=self.sinch_conn_id, retry=self.retry_policy, timeout=self.timeout,
        )

    @cached_property
    def config(self) -> SinchConfig:
        """The client configuration read from the connection (looked up once per hook, and again when Sinch
        refuses its credentials: :meth:`renew_config`)."""
        conn = self.get_connection(self.sinch_conn_id)
        return self._config(conn, conn.extra_dejson)

    def renew_config(self, refused: SinchConfig) -> SinchConfig | None:
        """After Sinch refused ``refused``: the connection's configuration when its credentials are other
        ones (the connection is read again, bypassing :attr:`config`), else ``None`` (the refusal stands).

        The hook's clients call this (:mod:`~airflow_provider_sinch.client.renewal`), so a token rotated
        and revoked while a task runs costs it no failure.  The connection is read at most once per
        :data:`~airflow_provider_sinch.client.renewal.RENEW_INTERVAL_SECONDS` per connection id in this
        process (:data:`RENEWALS`); threads refused meanwhile wait for that read and share what it found.
        A read that fails leaves the refusal standing.

        :param refused: the configuration a request was refused with.
        """
        with self._renewing:
            latest = newer_credentials(refused, self.config)
            if latest is not None or not RENEWALS.allow(self.sinch_conn_id):
                return latest
            previous = self.__dict__.pop("config")
            try:
                latest = newer_credentials(refused, self.config)
            except Exception as exc:  # the secrets backend briefly away, a connection now invalid, ...
                log.warning("Re-reading Sinch connection %r after a refusal failed (%s)", self.sinch_conn_id,
                            type(exc).__name__)
                self.__dict__["config"] = previous
                return None
        if latest is not None:
            log.warning("Sinch refused the credentials in use; connection %r has new ones, used from now on",
                        self.sinch_conn_id)
        return latest

    @cached_property
    def callback_url(self) -> str:
        """Where Sinch should post this connection's callbacks: its ``extra.callback_url`` (see
        docs/howto/callbacks.md); a missing or malformed one raises ``SinchConnectionError``."""
        extra = self.get_connection(self.sinch_conn_id).extra_dejson
        url = callback_url_from_extra(extra, self.sinch_conn_id)
        if url != extra.get("callback_url"):  # Basic credentials were put in: never in a log line
            mask_secret(url)
            mask_secret(str(extra.get("callback_password")))
        return url

    @cached_property
    def client(self) -> SinchClient:
        """The synchronous client (one ``requests.Session`` per hook).  ``requests`` is imported here, when
        a task first talks to Sinch, not when a DAG file imports an operator."""
        from airflow_provider_sinch.client.sync_client import SinchClient

        return SinchClient(self.config, renew=self.renew_config)

    def get_conn(self) -> SinchClient:
        """The synchronous :class:`~airflow_provider_sinch.client.SinchClient`."""
        return self.client

    @property
    def default_from(self) -> str | None:
        """The connection's default sender, if it has one."""
        return self.config.default_from

    def _execute(self, operation: Operation[T], kwargs: dict[str, Any]) -> T:
        return self.client._execute(operation, kwargs)

    def send_exactly_once(self, request: Mapping[str, Any], *, ledger: SendLedger, chunk_size: int = 1000,
                          max_concurrency: int = 4, max_messages: int | None = None,
                          max_parts_per_message: int | None = None,
                          rate_limit_patience: float | RateLimitPatience = 300.0,
                          ambiguous_lookup_delays: Sequence[float] = (0.5, 2.0, 5.0),
                          control: SendControl | None = None) -> dict[str, Any]:
        """Send an SMS to any number of recipients, exactly once however often this is called for the same
        ``ledger`` (a task's retries): what an earlier call sent is found, only the rest is sent.

        More than ``chunk_size`` destinations become several batches, each sent with ``client_reference``
        ``{ledger.reference}:{chunk}``; every chunk's request is validated before the first is sent.  Each
        batch id is written to ``ledger.store`` the moment it exists; a later call reads those batches,
        looks the other chunks up at Sinch by their reference, and sends only what is missing.  An answer
        lost on the way back is looked up before anything else happens; 429s beyond the client's retries
        are waited out for ``rate_limit_patience`` seconds (see
        :mod:`~airflow_provider_sinch.hooks.send_engine`).

        :param request: the ``send_batch`` fields: ``to`` (a list of numbers and/or group ids, repeats
            dropped), ``body``, ``from_``, ``parameters``, ... ; ``send_at``/``expire_at`` may be
            a ``timedelta`` from the first call (kept in the store); no ``client_reference`` (the ledger's).
        :param ledger: the send's reference and store: ``SendLedger.for_task(context)`` in a task.
        :param chunk_size: destinations per batch, 1 to 1,000.
        :param max_concurrency: batches in flight at once (threads).
        :param max_messages: cost guard: fail before sending when the dry runs count more message parts.
        :param max_parts_per_message: cost guard: fail when any recipient's message takes more parts.
        :param rate_limit_patience: seconds (or a policy) a chunk keeps trying through 429s.
        :param ambiguous_lookup_delays: seconds to wait before each lookup of a chunk whose answer was lost.
        :param control: what another thread (an operator's ``on_kill``) uses to stop the send.
        :return: ``{"batch_ids": [...], "client_reference": <reference>, "recipients": N, "chunks": K,
            "groups": G, "send_at": ..., "cost": {...} (with a guard)}``, plain JSON.
        """
        from airflow_provider_sinch.client.patience import RateLimitPatience
        from airflow_provider_sinch.hooks.send_engine import ExactlyOnceSend, SendControl

        patience = rate_limit_patience if isinstance(rate_limit_patience, RateLimitPatience) \
            else RateLimitPatience(seconds=rate_limit_patience)
        engine = ExactlyOnceSend(self, ledger, chunk_size=chunk_size, max_concurrency=max_concurrency,
                                 max_messages=max_messages, max_parts_per_message=max_parts_per_message,
                                 patience=patience, ambiguous_lookup_delays=tuple(ambiguous_lookup_delays),
                                 control=control or SendControl())
        return engine.run(request)

    async def aget_config(self) -> SinchConfig:
        """The client configuration, with the connection looked up without blocking the event loop."""
        from airflow.providers.common.compat.connection import get_async_connection, get_async_extra_dejson

        conn = await get_async_connection(self.sinch_conn_id, self)
        return self._config(conn, await get_async_extra_dejson(conn))

    async def aget_client(self) -> AsyncSinchClient:
        """The async client for this connection, shared by every caller in this event loop (a triggerer's).

        One client per connection configuration, built once even when a thousand triggers ask at once; the
        connection is looked up again after a minute, so a moved host reaches waits that ask at every poll,
        and at once when Sinch refuses the credentials, so a rotated and revoked token costs them no failure
        (see :mod:`~airflow_provider_sinch.hooks.shared_clients`).  The shared client lives as long as its
        event loop; do not close it.
        """
        from airflow_provider_sinch.hooks.shared_clients import shared_clients  # aiohttp: only here

        key = f"{self.sinch_conn_id}|{self.timeout}|{self.retry_policy}"
        return await shared_clients().get(key, self.aget_config)

    def aiter_inbounds(self, **filters: Any) -> AsyncIterator[InboundMessage]:
        """Async iteration over inbound messages (for triggers); see ``list_inbounds`` for filters."""

        async def gen() -> AsyncIterator[InboundMessage]:
            client = await self.aget_client()
            async for item in client.aiter_inbounds(**filters):
                yield item

        return gen()

    def test_connection(self) -> tuple[bool, str]:
        """Check credentials and region with a read-only ``GET /batches?page_size=1``; never raises."""
        from airflow_provider_sinch.client.sync_client import SinchClient

        try:
            probe = SinchClient(dataclasses.replace(self.config, retry=RetryPolicy(max_attempts=1)))
            with probe:
                probe.list_batches(page_size=1)
        except (SinchError, SinchConnectionError) as exc:
            return False, str(exc)
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"
        return True, f"Connected to Sinch SMS at {self.config.api_root}"
