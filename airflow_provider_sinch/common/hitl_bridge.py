"""The bridge: Airflow's public REST API, as the configured bridge user, for answering HITL requests.

An SMS answer is submitted exactly as a person's click in the UI is:
``PATCH /api/v2/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/{map_index}/hitlDetails`` with
``{"chosen_options": [...], "params_input": {...}}``.  Airflow authorises it against the request's
``assigned_users`` (the bridge user must be one of them), refuses a second answer with 409, writes the
audit log, and on 3.3 resumes the task at once.  The Task SDK's ``update_hitl_detail_response`` is not a
way to answer (it records ``responded_by=None`` like a timeout and does not resume on 3.3), and writing the
ORM would bypass authorisation, audit and the resume.

**The audit trail.**  Airflow's ``action_logging`` stores every top-level field of the JSON body in the
audit log entry of the ``PATCH`` (event ``update_hitl_detail``, owner the bridge user), while the payload
model ignores fields it does not know.  The bridge adds ``sms_from`` (the masked number), ``approver``
(the Airflow user the code was issued to) and ``sms_id``, so the audit log shows who answered by SMS.

**Tokens.**  A JWT comes from the auth manager's ``POST /auth/token`` with ``{"username", "password"}``: the
simple auth manager answers it (201, also form-encoded), and so does FAB's (``airflow.providers.fab``, 201,
JSON only).  Other auth managers (Keycloak, AWS) issue tokens their own way: give the bridge a token
factory (``token=``).  The token is kept until a 401, then fetched once more.  It never appears in logs or
errors.

The bridge user's id in ``assigned_users`` is what the auth manager's ``get_id()`` returns: the user name for
the simple auth manager, the numeric ``ab_user.id`` (as a string) for FAB; set ``user_id`` in the
connection's extra when it differs from the login.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    import requests

log = logging.getLogger(__name__)

DEFAULT_HITL_CONN_ID = "sinch_hitl_default"
PAGE = 100
WAITING_STATES = frozenset({"deferred", "awaiting_input"})
"""Task-instance states of a request still waiting (3.1/3.2 defer to ``HITLTrigger``; 3.3 parks)."""


class BridgeError(Exception):
    """Airflow's REST API refused or failed a bridge request.

    :param status: the HTTP status (0 when no answer came).
    :param detail: Airflow's ``detail``, cut to 300 characters (never a token).
    """

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"Airflow API answered {status}: {detail[:300]}")
        self.status = status
        self.detail = detail[:300]


@dataclass(frozen=True)
class BridgeSettings:
    """What the bridge connection holds.

    :param base_url: the Airflow API server (``http://airflow-api:8080``).
    :param username: the bridge user.
    :param password: its password.
    :param user_id: its id in ``assigned_users`` (default: the user name).
    :param code_secret: the secret the codes derive from (at least 16 characters).
    """

    base_url: str
    username: str
    password: str
    user_id: str
    code_secret: str

    def __repr__(self) -> str:
        return (f"BridgeSettings(base_url={self.base_url!r}, username={self.username!r}, "
                f"user_id={self.user_id!r})")

    @classmethod
    def from_connection(cls, conn: Any) -> BridgeSettings:
        """From an Airflow connection: host (a URL, or host + port + schema), login, password, and extra
        ``code_secret`` and optional ``user_id``.  Raises ``ValueError`` naming the missing field."""
        extra = conn.extra_dejson if hasattr(conn, "extra_dejson") else {}
        host = (conn.host or "").rstrip("/")
        if host and "://" not in host:
            host = f"{conn.schema or 'http'}://{host}{f':{conn.port}' if conn.port else ''}"
        secret = str(extra.get("code_secret") or "")
        for field, value in (("host", host), ("login", conn.login), ("password", conn.password)):
            if not value:
                raise ValueError(f"the HITL bridge connection {conn.conn_id!r} has no {field}")
        if len(secret) < 16:
            raise ValueError(f"the HITL bridge connection {conn.conn_id!r} needs extra code_secret "
                             "(at least 16 characters)")
        return cls(host, conn.login, conn.password, str(extra.get("user_id") or conn.login), secret)


def load_settings(conn_id: str = DEFAULT_HITL_CONN_ID, getter: Callable[[str], Any] | None = None
                  ) -> BridgeSettings:
    """The bridge settings of Airflow connection ``conn_id``; the password and secret are registered with
    the secret masker.

    :param conn_id: the bridge connection.
    :param getter: conn id -> connection (default: ``BaseHook.get_connection``, for workers; the API
        server passes the metadata-DB lookup).
    """
    from airflow.sdk.log import mask_secret

    if getter is None:
        from airflow.providers.common.compat.sdk import BaseHook

        getter = BaseHook.get_connection
    settings = BridgeSettings.from_connection(getter(conn_id))
    mask_secret(settings.code_secret)
    mask_secret(settings.password)
    return settings


def _path(*parts: object) -> str:
    return "/".join(quote(str(part), safe="") for part in parts)


class AirflowBridge:
    """A small client of the HITL endpoints, as the bridge user.

    Sync, on ``requests`` like the provider's sync Sinch client: it runs in a worker or on one of the
    receiver's background threads, one request at a time.

    :param settings: URL and credentials.
    :param session: a ``requests.Session`` to send through (tests mount a requests-mock adapter on one);
        default: a new session, closed with the bridge.
    :param timeout: seconds per request (connect and read).
    :param token: a callable returning a JWT, for auth managers without ``POST /auth/token``.
    """

    def __init__(self, settings: BridgeSettings, *, session: requests.Session | None = None,
                 timeout: float = 10.0, token: Callable[[], str] | None = None) -> None:
        import requests  # here: DAG files import this module (the notifier's settings), and parsing them
        # must not load an HTTP library

        self.settings = settings
        self._client = session if session is not None else requests.Session()
        self._timeout = timeout
        self._token_factory = token
        self._token: str | None = None

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def __enter__(self) -> AirflowBridge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Authentication

    def _fetch_token(self) -> str:
        if self._token_factory is not None:
            return self._token_factory()
        answer = self._send("POST", "/auth/token", json={"username": self.settings.username,
                                                          "password": self.settings.password})
        if answer.status_code not in (200, 201):
            raise BridgeError(answer.status_code, f"no token for bridge user {self.settings.username!r} "
                                                  f"({_detail(answer)})")
        return str(answer.json()["access_token"])

    def _send(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        import requests

        try:
            return self._client.request(method, self.settings.base_url + path, timeout=self._timeout,
                                        allow_redirects=False, **kwargs)
        except requests.RequestException as exc:
            raise BridgeError(0, f"{type(exc).__name__} talking to the Airflow API") from None

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """One API request with the bridge user's token; a 401 fetches a new token and tries once more."""
        for attempt in (1, 2):
            if self._token is None:
                self._token = self._fetch_token()
            # As an ``auth``, not a header: requests replaces a header with ~/.netrc credentials, never an
            # auth (proxies and CA bundles from the environment still apply).
            answer = self._send(method, path, auth=_Bearer(self._token), **kwargs)
            if answer.status_code != 401 or attempt == 2:
                return answer
            self._token = None
        raise AssertionError("unreachable")  # pragma: no cover

    # The HITL endpoints

    def _assigned(self, detail: Mapping[str, Any]) -> bool:
        return self.settings.user_id in {str(user.get("id")) for user in detail.get("assigned_users") or []}

    def open_requests(self) -> Iterator[dict[str, Any]]:
        """Every HITL request without a response whose task still waits and lists the bridge user among
        its ``assigned_users``, page by page (``GET /api/v2/dags/~/dagRuns/~/hitlDetails``)."""
        offset = 0
        while True:
            page = self._list({"response_received": "false", "limit": PAGE, "offset": offset,
                               "order_by": "created_at"})
            details = page.get("hitl_details") or []
            for detail in details:
                waiting = (detail.get("task_instance") or {}).get("state") in WAITING_STATES
                if waiting and self._assigned(detail):
                    yield detail
            offset += len(details)
            if not details or offset >= int(page.get("total_entries", 0)):
                return

    def answered_requests(self) -> list[dict[str, Any]]:
        """The :data:`PAGE` requests answered last (by anyone, or by a timeout) that list the bridge user:
        a reply to one of them is acknowledged as already answered rather than counted as a wrong code."""
        page = self._list({"response_received": "true", "limit": PAGE, "order_by": "-responded_at"})
        return [detail for detail in page.get("hitl_details") or [] if self._assigned(detail)]

    def _list(self, params: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.request("GET", "/api/v2/dags/~/dagRuns/~/hitlDetails", params=dict(params))
        if answer.status_code != 200:
            raise BridgeError(answer.status_code, _detail(answer))
        return dict(answer.json())

    def xcom(self, ti: Mapping[str, Any], key: str) -> Any:
        """An XCom value of the request's task instance, or ``None`` when there is none.

        Read in the native format (no ``deserialize``: on 3.3 that stringifies for display); a value the
        database holds as JSON text is decoded.
        """
        path = "/api/v2/dags/" + _path(ti["dag_id"], "dagRuns", ti["dag_run_id"], "taskInstances",
                                      ti["task_id"], "xcomEntries", key)
        answer = self.request("GET", path, params={"map_index": ti.get("map_index", -1)})
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise BridgeError(answer.status_code, _detail(answer))
        value = answer.json().get("value")
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def detail(self, ti: Mapping[str, Any]) -> dict[str, Any] | None:
        """The request of the task instance's current try (``GET .../hitlDetails``), or ``None``."""
        answer = self.request("GET", _hitl_path(ti))
        if answer.status_code == 404:
            return None
        if answer.status_code != 200:
            raise BridgeError(answer.status_code, _detail(answer))
        return dict(answer.json())

    def respond(self, ti: Mapping[str, Any], chosen_options: list[str], params_input: Mapping[str, Any],
                audit: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
        """Answer the request; ``("recorded", response)`` or ``("already_answered", {"detail": ...})`` on 409.

        :param ti: the request's ``task_instance`` (``dag_id``, ``dag_run_id``, ``task_id``, ``map_index``).
        :param chosen_options: the options chosen.
        :param params_input: the form's values (the params' defaults: SMS fills no form).
        :param audit: extra top-level fields for Airflow's audit log (ignored by the payload model).
        """
        answer = self.request("PATCH", _hitl_path(ti), json={**audit, "chosen_options": list(chosen_options),
                                                   "params_input": dict(params_input)})
        if answer.status_code == 200:
            return "recorded", answer.json()
        if answer.status_code == 409:
            return "already_answered", {"detail": _detail(answer)}
        raise BridgeError(answer.status_code, _detail(answer))


class _Bearer:
    """The bridge user's JWT as a request's ``auth`` (requests takes any callable there)."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        return "_Bearer(***)"


def _hitl_path(ti: Mapping[str, Any]) -> str:
    return "/api/v2/dags/" + _path(ti["dag_id"], "dagRuns", ti["dag_run_id"], "taskInstances", ti["task_id"],
                                  ti.get("map_index", -1), "hitlDetails")


def _detail(answer: requests.Response) -> str:
    try:
        detail = answer.json().get("detail")
    except (ValueError, AttributeError):
        detail = None
    return str(detail if detail is not None else answer.reason)[:300]
