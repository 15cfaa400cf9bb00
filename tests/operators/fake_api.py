"""A small in-memory Sinch behind ``requests_mock`` for operator unit tests (no network, no DB).

It keeps batches, groups and inbound messages, answers the operators' requests with Sinch's shapes, records
every call, and misbehaves on request: ``fail("POST", "/batches", status=429, times=2)`` or
``fail(..., drop=True)`` (the request is handled, then the answer is lost as a read timeout).
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import requests_mock

from airflow_provider_sinch.client.msisdn import is_msisdn, normalize_msisdn
from airflow_provider_sinch.client.segments import count_segments

BASE = "http://sinch.test"
PLAN = "plan-1"
PREFIX = f"/xms/v1/{PLAN}"
CONN = {"conn_type": "sinch", "login": PLAN, "password": "token-1", "host": BASE, "extra": {"timeout": 5}}


@dataclass
class Call:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class Fault:
    method: str
    path: str
    status: int | None = None
    drop: bool = False
    times: int = 1
    body: Any = None
    skip: int = 0


@dataclass
class FakeApi:
    """The fake; install with :meth:`install` on a ``requests_mock.Mocker``."""

    batches: dict[str, dict[str, Any]] = field(default_factory=dict)
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    inbounds: list[dict[str, Any]] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    dispatched: set[str] = field(default_factory=set)
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def install(self, mocker: requests_mock.Mocker) -> FakeApi:
        mocker.add_matcher(self._answer)
        return self

    def fail(self, method: str, path: str, **kwargs: Any) -> None:
        self.faults.append(Fault(method, path, **kwargs))

    def requests(self, method: str, path: str) -> list[Call]:
        return [c for c in self.calls if c.method == method and re.fullmatch(path, c.path)]

    # Plumbing

    def _answer(self, request: requests.PreparedRequest) -> requests.Response | None:
        url = urlsplit(request.url)
        if not url.path.startswith(PREFIX):
            return None
        path = url.path[len(PREFIX):]
        query = {k: v[-1] for k, v in parse_qs(url.query).items()}
        body = json.loads(request.body) if request.body else None
        self.calls.append(Call(request.method or "", path, query, body))
        hits = (f for f in self.faults if f.method == request.method and re.fullmatch(f.path, path))
        fault = next(hits, None)
        if fault is not None and fault.skip > 0:
            fault.skip -= 1
            fault = None
        if fault is not None:
            fault.times -= 1
            if fault.times <= 0:
                self.faults.remove(fault)
            if fault.status is not None:
                return requests_mock.create_response(
                    request, status_code=fault.status, headers={"Retry-After": "0"},
                    json=fault.body or {"code": "fault", "text": "injected"})
        status, payload = self._route(request.method or "", path, query, body)
        if fault is not None and fault.drop:
            raise requests.exceptions.ReadTimeout("answer lost")
        if payload is None:
            return requests_mock.create_response(request, status_code=status)
        return requests_mock.create_response(request, status_code=status, json=payload)

    def _route(self, method: str, path: str, query: dict[str, str], body: Any) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        name = f"{method} /{parts[0]}" + "".join("/{}" if i % 2 == 0 else f"/{p}"
                                                  for i, p in enumerate(parts[1:]))
        if path == "/batches/dry_run":
            return 200, self._dry_run(body)
        handler = {
            "POST /batches": lambda: (201, self._new_batch(body)),
            "GET /batches": lambda: (200, self._page("batches", self._find(query), query)),
            "GET /batches/{}": lambda: self._batch(parts[1], lambda b: (200, b)),
            "DELETE /batches/{}": lambda: self._batch(parts[1], self._cancel),
            "POST /batches/{}": lambda: self._batch(parts[1], lambda b: (200, self._update(b, body))),
            "PUT /batches/{}": lambda: self._batch(parts[1], lambda b: (200, self._replace(b, body))),
            "POST /batches/{}/delivery_feedback": lambda: self._batch(parts[1], lambda b: (202, None)),
            "POST /groups": lambda: self._new_group(body),
            "GET /groups": lambda: (200, self._page("groups", list(self.groups.values()), query)),
            "POST /groups/{}": lambda: self._group(parts[1], lambda g: (200, self._update_group(g, body))),
            "PUT /groups/{}": lambda: self._group(parts[1], lambda g: (200, self._fill_group(g, body))),
            "DELETE /groups/{}": lambda: self._group(parts[1], self._delete_group),
            "GET /groups/{}/members": lambda: self._group(parts[1], lambda g: (200, list(g["members"]))),
            "GET /inbounds": lambda: (200, self._page("inbounds", self._inbounds(query), query)),
        }.get(name)
        if handler is None:
            return 404, None
        return handler()

    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    @staticmethod
    def _page(key: str, items: list[Any], query: dict[str, str]) -> dict[str, Any]:
        page, size = int(query.get("page", 0)), int(query.get("page_size", 30))
        chunk = items[page * size : (page + 1) * size]
        return {"count": len(items), "page": page, "page_size": len(chunk), key: chunk}

    # Batches

    def _new_batch(self, body: dict[str, Any]) -> dict[str, Any]:
        batch_id = f"B{next(self._ids):04d}"
        batch = {"id": batch_id, "type": "mt_text", "canceled": False, "created_at": self._now(), **body,
                 "to": [normalize_msisdn(t) if is_msisdn(t) else t for t in body["to"]]}
        self.batches[batch_id] = batch
        return batch

    def _find(self, query: dict[str, str]) -> list[dict[str, Any]]:
        ref = query.get("client_reference")
        return [b for b in self.batches.values() if ref is None or b.get("client_reference") == ref]

    def _batch(self, batch_id: str, then: Any) -> tuple[int, Any]:
        batch = self.batches.get(batch_id)
        return (404, None) if batch is None else then(batch)

    def _cancel(self, batch: dict[str, Any]) -> tuple[int, Any]:
        if batch["id"] in self.dispatched:
            return 409, {"code": "batch_already_dispatched", "text": "too late"}
        batch["canceled"] = True
        return 200, batch

    def _update(self, batch: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        changes = dict(body)
        gone = {normalize_msisdn(t) for t in changes.pop("to_remove", [])}
        batch["to"] = [t for t in batch["to"] + changes.pop("to_add", []) if normalize_msisdn(t) not in gone]
        batch.update(changes)
        return batch

    def _replace(self, batch: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        kept = {"id": batch["id"], "created_at": batch["created_at"], "canceled": False}
        batch.clear()
        batch.update({"type": "mt_text", **kept, **body})
        return batch

    def _dry_run(self, body: dict[str, Any]) -> dict[str, Any]:
        recipients: list[str] = []
        for entry in body["to"]:
            recipients += self.groups[entry]["members"] if entry in self.groups else [normalize_msisdn(entry)]
        text = str(body.get("body", ""))
        per = []
        for number in recipients:
            rendered = text
            for key, values in (body.get("parameters") or {}).items():
                own = {normalize_msisdn(k) if k != "default" else k: v for k, v in values.items()}
                rendered = rendered.replace("${" + key + "}", own.get(number, own.get("default", "")))
            info = count_segments(rendered)
            per.append({"recipient": number, "body": rendered, "number_of_parts": info.parts,
                        "encoding": info.encoding})
        return {"number_of_recipients": len(recipients),
                "number_of_messages": sum(p["number_of_parts"] for p in per), "per_recipient": per}

    # Groups

    def _new_group(self, body: dict[str, Any]) -> tuple[int, Any]:
        if body.get("name") and any(g.get("name") == body["name"] for g in self.groups.values()):
            return 403, {"code": "conflict_group_name", "text": "name taken"}
        group = {"id": f"G{next(self._ids):04d}", "created_at": self._now()}
        self.groups[group["id"]] = group
        return 201, self._fill_group(group, body)

    def _fill_group(self, group: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        members = list(dict.fromkeys(normalize_msisdn(m) for m in body.get("members") or []))
        group.update({"name": body.get("name"), "members": members, "size": len(members),
                      "child_groups": body.get("child_groups") or []})
        return self._group_view(group)

    def _update_group(self, group: dict[str, Any], body: dict[str, Any]) -> dict[str, Any]:
        members = list(dict.fromkeys(group["members"] + [normalize_msisdn(m) for m in body.get("add", [])]))
        gone = {normalize_msisdn(m) for m in body.get("remove", [])}
        group["members"] = [m for m in members if m not in gone]
        group["size"] = len(group["members"])
        if "name" in body:
            group["name"] = body["name"]
        return self._group_view(group)

    def _delete_group(self, group: dict[str, Any]) -> tuple[int, Any]:
        del self.groups[group["id"]]
        return 200, None

    def _group(self, group_id: str, then: Any) -> tuple[int, Any]:
        group = self.groups.get(group_id)
        return (404, None) if group is None else then(group)

    @staticmethod
    def _group_view(group: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in group.items() if k != "members" and v is not None}

    # Inbounds

    def _inbounds(self, query: dict[str, str]) -> list[dict[str, Any]]:
        wanted = set(query["to"].split(",")) if "to" in query else None
        return [i for i in self.inbounds if wanted is None or i["to"] in wanted]
