"""The group endpoints: create, list, get, update (incremental), replace, delete and members.

Update follows Sinch: adds (``add``, ``add_from_group``) are applied before removes (``remove``,
``remove_from_group``); adding a member twice or removing one that is not there is not an error;
``"name": null`` removes the name while leaving ``name`` out keeps it.  Two groups cannot share a name
(403 ``conflict_group_name``).  Members are numbers, stored and returned without ``+``.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_sinch.client.models import GroupRequest, GroupUpdateRequest
from airflow_provider_sinch.client.msisdn import normalize_msisdn
from airflow_provider_sinch.testing.sandbox.clock import SandboxClock
from airflow_provider_sinch.testing.sandbox.errors import (
    CONFLICT_GROUP_NAME,
    INVALID_FORMAT,
    UNKNOWN_GROUP,
    bad_request,
    forbidden,
    not_found,
)
from airflow_provider_sinch.testing.sandbox.ids import new_id
from airflow_provider_sinch.testing.sandbox.parsing import Query, page_of, validate
from airflow_provider_sinch.testing.sandbox.state import Group, Store
from airflow_provider_sinch.testing.sandbox.views import group_view


class GroupService:
    """The group endpoints.

    :param store: the sandbox's state.
    :param clock: the sandbox clock.
    """

    def __init__(self, store: Store, clock: SandboxClock) -> None:
        self._store = store
        self._clock = clock

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        request = validate(GroupRequest, body, "group")
        now = self._clock.time()
        with self._store.lock:
            group = Group(id=new_id(now), name=None, members={}, child_groups=[], auto_update=None,
                          created_at=now, modified_at=now)
            self._fill(group, request)
            self._store.groups[group.id] = group
            return group_view(group)

    def replace(self, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
        request = validate(GroupRequest, body, "group")
        with self._store.lock:
            group = self._group(group_id)
            self._fill(group, request)
            group.modified_at = self._clock.time()
            return group_view(group)

    def update(self, group_id: str, body: dict[str, Any]) -> dict[str, Any]:
        if "remove_name" in body:  # a client-side switch of GroupUpdateRequest, not an API field
            raise bad_request(INVALID_FORMAT, "remove_name: Extra inputs are not permitted")
        request = validate(GroupUpdateRequest, body, "group update")
        with self._store.lock:
            group = self._group(group_id)
            members = dict(group.members)
            members.update(dict.fromkeys(self._numbers(request.add)))
            if request.add_from_group:
                members.update(dict.fromkeys(self._other(request.add_from_group).members))
            gone: set[str] = set(self._numbers(request.remove))
            if request.remove_from_group:
                gone.update(self._other(request.remove_from_group).members)
            if "name" in request.model_fields_set:
                self._check_name(request.name, group.id)
                group.name = request.name
            group.members = {m: None for m in members if m not in gone}
            if request.auto_update is not None:
                group.auto_update = request.auto_update.model_dump(mode="json", exclude_none=True)
            group.modified_at = self._clock.time()
            return group_view(group)

    def delete(self, group_id: str) -> None:
        with self._store.lock:
            self._group(group_id)
            del self._store.groups[group_id]

    def get(self, group_id: str) -> dict[str, Any]:
        with self._store.lock:
            return group_view(self._group(group_id))

    def members(self, group_id: str) -> list[str]:
        with self._store.lock:
            return list(self._group(group_id).members)

    def find(self, query: Query) -> dict[str, Any]:
        page, page_size = query.page()
        with self._store.lock:
            groups = [group_view(g) for g in reversed(self._store.groups.values())]
        return page_of(groups, page, page_size, "groups")

    # Helpers

    def _fill(self, group: Group, request: GroupRequest) -> None:
        """Set every field of ``group`` from a create/replace body (absent fields become empty)."""
        self._check_name(request.name, group.id)
        for child in request.child_groups or []:
            self._other(child)
        group.name = request.name
        group.members = dict.fromkeys(self._numbers(request.members))
        group.child_groups = list(dict.fromkeys(request.child_groups or []))
        group.auto_update = request.auto_update.model_dump(mode="json", exclude_none=True) \
            if request.auto_update else None

    def _check_name(self, name: str | None, own_id: str) -> None:
        if name is not None and any(g.name == name and g.id != own_id for g in self._store.groups.values()):
            raise forbidden(CONFLICT_GROUP_NAME, f"A group named {name!r} already exists")

    @staticmethod
    def _numbers(values: list[str] | None) -> list[str]:
        return [normalize_msisdn(v) for v in values or []]

    def _group(self, group_id: str) -> Group:
        group = self._store.groups.get(group_id)
        if group is None:
            raise not_found()
        return group

    def _other(self, group_id: str) -> Group:
        """A group referred to from another one (child group, add/remove from group): 403 when unknown."""
        group = self._store.groups.get(group_id)
        if group is None:
            raise forbidden(UNKNOWN_GROUP, f"Group {group_id!r} does not exist")
        return group
