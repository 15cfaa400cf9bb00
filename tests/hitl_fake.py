"""A stand-in for Airflow's HITL REST endpoints (a requests-mock adapter), for unit tests of the bridge.

It keeps Airflow's rules as read in 3.1.8 and 3.3.2 (``routes/public/hitl.py``): ``POST /auth/token``
(201), the list of details with ``response_received`` and the task instance, the XCom entry, and the
``PATCH``: 404 unknown, 409 when answered, 403 when the user is not assigned, 400 for options not offered
(3.3 only: ``checks_options``), else recorded with ``responded_by`` the caller, and every top-level body
field copied into an audit-log entry as ``action_logging`` does.  The real endpoints are exercised by the
end-to-end tests in a real ``airflow standalone``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import requests
import requests_mock

USERS = {"sms-bridge": "bridge-password-123", "ada": "ada-password-123"}


@dataclass(frozen=True)
class _Http:
    """One request as the stand-in sees it."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    content: bytes | str


@dataclass
class FakeRequest:
    """One HITL request (a ``hitl_detail`` row and its task instance)."""

    dag_id: str
    run_id: str
    task_id: str
    options: list[str]
    assigned_users: list[dict[str, str]]
    map_index: int = -1
    multiple: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC) - timedelta(minutes=1))
    """A minute ago by default: past the bridge's settle time, so answers go in at once."""
    state: str = "awaiting_input"
    ti_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    xcom: dict[str, Any] = field(default_factory=dict)
    responded_by: dict[str, str] | None = None
    chosen_options: list[str] | None = None
    params_input: dict[str, Any] = field(default_factory=dict)

    def view(self) -> dict[str, Any]:
        return {
            "options": self.options, "subject": "s", "body": None, "defaults": None,
            "multiple": self.multiple,
            "params": {k: {"value": v, "schema": {}, "description": None} for k, v in self.params.items()},
            "assigned_users": self.assigned_users, "created_at": self.created_at.isoformat(),
            "responded_by_user": self.responded_by, "chosen_options": self.chosen_options,
            "params_input": self.params_input, "response_received": self.responded_by is not None
            or self.chosen_options is not None,
            "task_instance": {"id": self.ti_id, "dag_id": self.dag_id, "dag_run_id": self.run_id,
                              "task_id": self.task_id, "map_index": self.map_index, "state": self.state},
        }


class FakeAirflow:
    """The HITL endpoints over an in-memory list of requests.

    :param checks_options: answer 400 for options not offered (Airflow 3.3); 3.1/3.2 store anything.
    """

    def __init__(self, checks_options: bool = True) -> None:
        self.requests: list[FakeRequest] = []
        self.audit: list[dict[str, Any]] = []
        self.calls: list[tuple[str, str]] = []
        self.checks_options = checks_options
        self.tokens: dict[str, str] = {}

    def add(self, **fields: Any) -> FakeRequest:
        request = FakeRequest(**fields)
        self.requests.append(request)
        return request

    def answer_in_ui(self, request: FakeRequest, option: str, user: str = "ada") -> None:
        request.responded_by, request.chosen_options = {"id": user, "name": user}, [option]

    def time_out(self, request: FakeRequest, defaults: list[str]) -> None:
        """What Airflow does at the timeout with defaults: the defaults, ``responded_by`` None."""
        request.chosen_options, request.responded_by = list(defaults), None

    def session(self) -> requests.Session:
        """A ``requests.Session`` whose every request this stand-in answers."""
        adapter = requests_mock.Adapter(case_sensitive=True)
        adapter.register_uri(requests_mock.ANY, requests_mock.ANY, json=self._answer)
        session = requests.Session()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        return session

    def _answer(self, request: Any, context: Any) -> Any:
        url = urlsplit(request.url)
        status, body = self.handle(_Http(request.method, url.path, dict(parse_qsl(url.query)),
                                         dict(request.headers), request.body or b""))
        context.status_code = status
        return body

    def _find(self, dag_id: str, run_id: str, task_id: str, map_index: int) -> FakeRequest | None:
        for request in self.requests:
            if (request.dag_id, request.run_id, request.task_id, request.map_index) == (
                    dag_id, run_id, task_id, map_index):
                return request
        return None

    def handle(self, http: _Http) -> tuple[int, Any]:
        path = http.path
        self.calls.append((http.method, path))
        if path == "/auth/token" and http.method == "POST":
            body = json.loads(http.content)
            if USERS.get(body.get("username")) != body.get("password"):
                return (401, {"detail": "Invalid credentials"})
            token = f"jwt-{uuid.uuid4().hex}"
            self.tokens[token] = body["username"]
            return (201, {"access_token": token})
        user = self.tokens.get(http.headers.get("Authorization", "").removeprefix("Bearer "))
        if user is None:
            return (401, {"detail": "Not authenticated"})
        parts = [unquote(p) for p in path.split("/")]
        if path == "/api/v2/dags/~/dagRuns/~/hitlDetails":
            received = http.params.get("response_received")
            found = [r.view() for r in self.requests
                     if received is None or str(r.view()["response_received"]).lower() == received]
            if http.params.get("order_by") == "-responded_at":
                found.reverse()
            offset, limit = int(http.params.get("offset", 0)), int(http.params.get("limit", 50))
            return (200, {"hitl_details": found[offset:offset + limit],
                                             "total_entries": len(found)})
        if len(parts) == 11 and parts[9] == "xcomEntries":
            request = self._find(parts[4], parts[6], parts[8], int(http.params.get("map_index", -1)))
            if request is None or parts[10] not in request.xcom:
                return (404, {"detail": "XCom entry not found"})
            return (200, {"key": parts[10], "value": request.xcom[parts[10]]})
        if len(parts) == 11 and parts[10] == "hitlDetails":
            request = self._find(parts[4], parts[6], parts[8], int(parts[9]))
            if request is None:
                return (404, {"detail": "not found"})
            if http.method == "GET":
                return (200, request.view())
            body = json.loads(http.content)
            self.audit.append({"event": "update_hitl_detail", "owner": user, "extra": body})
            if request.view()["response_received"]:
                return (409, {"detail": "already been updated"})
            if user not in {u["id"] for u in request.assigned_users}:
                return (403, {"detail": f"User={user} is not a respondent for the task."})
            if self.checks_options and set(body["chosen_options"]) - set(request.options):
                return (400, {"detail": "Invalid options"})
            request.responded_by = {"id": user, "name": user}
            request.chosen_options = body["chosen_options"]
            request.params_input = body.get("params_input", {})
            return (200, {"responded_by": request.responded_by,
                                             "responded_at": datetime.now(UTC).isoformat(),
                                             "chosen_options": request.chosen_options,
                                             "params_input": request.params_input})
        return (404, {"detail": f"no route {path}"})
