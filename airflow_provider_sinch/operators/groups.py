"""Operators for recipient groups: create, update, replace, delete, and read the members.

Sinch takes at most 10,000 members in one request; larger lists are sent as the create/replace request
with the first 10,000 followed by incremental adds (adding a member twice is not an error at Sinch, so a
repeated add is harmless).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from airflow.providers.common.compat.sdk import AirflowSkipException

from airflow_provider_sinch.client import (
    SinchAmbiguousSendError,
    SinchForbiddenError,
    SinchNotFoundError,
    SinchServerError,
    SinchTransportError,
)
from airflow_provider_sinch.client.limits import MAX_MEMBERS_PER_REQUEST
from airflow_provider_sinch.common.arguments import as_bool, as_list, as_mapping, check_text, invalid, shown
from airflow_provider_sinch.common.output import masked, to_xcom
from airflow_provider_sinch.operators.base import SinchBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

GROUP_ID_KEYS = ("id",)
"""An upstream group result (``{"id": ...}``) names its group."""


def _blocks(members: list[str], size: int = MAX_MEMBERS_PER_REQUEST) -> list[list[str]]:
    return [members[i : i + size] for i in range(0, len(members), size)]


def _one_group(value: Any, field: str) -> str | None:
    """At most one group id (a group result is read by its ``id``); nothing given is ``None``."""
    ids = as_list(value, field, keys=GROUP_ID_KEYS)
    if len(ids) > 1:
        raise invalid(field, f"must name one group, got {len(ids)}")
    return ids[0] if ids else None


class SinchGroupOperatorBase(SinchBaseOperator):
    """Shared by the group operators: reading the group id and adding members in blocks of 10,000.

    :param kwargs: ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    """

    group_id: Any = None

    def the_group_id(self) -> str:
        ids = as_list(self.group_id, "group_id", keys=GROUP_ID_KEYS)
        if len(ids) != 1:
            raise self.invalid("group_id", f"must name exactly one group, got {len(ids)}")
        return ids[0]

    def add_members(self, group_id: str, members: list[str], group: Any = None) -> Any:
        """Add ``members`` with as many incremental updates as needed; returns the latest group."""
        for block in _blocks(members):
            group = self.hook.update_group(group_id, add=block)
        return group

    def log_group(self, verb: str, group: Any) -> None:
        data = to_xcom(group) or {}
        self.log.info("%s group %s (%s): %s member(s)", verb, data.get("id"), data.get("name") or "no name",
                      data.get("size"))


class SinchGroupContentOperator(SinchGroupOperatorBase):
    """Base of create and replace: a group's full content.

    :param name: the group's name (1 to 20 characters; unique at Sinch); templated.
    :param members: phone numbers (any number of them; sent 10,000 at a time); templated.
    :param child_groups: ids of up to 10 groups whose members are included; templated.
    :param auto_update: keyword rules letting people join or leave by SMS (``{"to": ..., "add":
        {"first_word": ...}, "remove": {...}}``); templated.
    :param kwargs: ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    """

    template_fields: Sequence[str] = (*SinchBaseOperator.template_fields, "name", "members", "child_groups",
                                      "auto_update")
    template_fields_renderers = {"members": "json", "auto_update": "json"}

    def __init__(self, *, name: str | None = None, members: Any = None, child_groups: Any = None,
                 auto_update: dict[str, Any] | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.members = members
        self.child_groups = child_groups
        self.auto_update = auto_update

    def content(self) -> tuple[dict[str, Any], list[str]]:
        """The request fields with the first 10,000 members, and the members left to add; all validated."""
        members = list(dict.fromkeys(as_list(self.members, "members")))
        first, rest = members[:MAX_MEMBERS_PER_REQUEST], members[MAX_MEMBERS_PER_REQUEST:]
        fields = self.without_none({
            "name": self.name.strip() if isinstance(self.name, str) and self.name.strip() else None,
            "members": first or None,
            "child_groups": as_list(self.child_groups, "child_groups", keys=GROUP_ID_KEYS) or None,
            "auto_update": as_mapping(self.auto_update, "auto_update"),
        })
        check_text(fields, "", self.where)
        from airflow_provider_sinch.client.models import GroupRequest, GroupUpdateRequest, build

        build(GroupRequest, fields, "group")
        for block in _blocks(rest):
            build(GroupUpdateRequest, {"add": block}, "group update")
        return fields, rest


class SinchCreateGroupOperator(SinchGroupContentOperator):
    """Create a recipient group (``POST /groups``).

    Group names are unique at Sinch.  With ``if_exists="reuse"`` a group that already has ``name`` (say,
    from an earlier run, or a create whose answer was lost) is reused and the given members are added to
    it, which makes the task safe to retry and to run on a schedule.

    :param if_exists: ``fail`` (default) or ``reuse`` when a group with this name exists.
    :param kwargs: ``name``, ``members``, ``child_groups``, ``auto_update`` (see
        :class:`SinchGroupContentOperator`), ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator`
        arguments.
    :return: the group, as JSON (``id``, ``name``, ``size``, ...).
    """

    def __init__(self, *, if_exists: Literal["fail", "reuse"] = "fail", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if if_exists not in ("fail", "reuse"):
            raise self.invalid("if_exists", f"must be 'fail' or 'reuse', got {shown(if_exists)}")
        self.if_exists = if_exists

    def execute(self, context: Context) -> Any:
        fields, rest = self.content()
        try:
            group = self.hook.create_group(**fields)
            self.log_group("Created", group)
        except (SinchForbiddenError, SinchAmbiguousSendError) as exc:
            conflict = isinstance(exc, SinchAmbiguousSendError) or exc.code == "conflict_group_name"
            if self.if_exists != "reuse" or not conflict or "name" not in fields:
                raise
            groups = self.hook.iter_groups(page_size=100)
            existing = next((g for g in groups if g.name == fields["name"]), None)
            if existing is None:
                raise
            group = existing
            self.log_group("Reusing existing", group)
            rest = fields.get("members", []) + rest
        return to_xcom(self.add_members(group.id, rest, group))


class SinchReplaceGroupOperator(SinchGroupContentOperator):
    """Replace a group's name, members, child groups and auto update (``PUT /groups/{id}``); whatever is
    not given is cleared.

    :param group_id: the group, or an upstream group result; templated.
    :param kwargs: ``name``, ``members``, ``child_groups``, ``auto_update`` (see
        :class:`SinchGroupContentOperator`), ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator`
        arguments.
    :return: the group, as JSON.
    """

    template_fields: Sequence[str] = (*SinchGroupContentOperator.template_fields, "group_id")

    def __init__(self, *, group_id: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_id = group_id

    def execute(self, context: Context) -> Any:
        group_id = self.the_group_id()
        fields, rest = self.content()
        group = self.add_members(group_id, rest, self.hook.replace_group(group_id, **fields))
        self.log_group("Replaced", group)
        return to_xcom(group)


class SinchUpdateGroupOperator(SinchGroupOperatorBase):
    """Change a group incrementally (``POST /groups/{id}``): add and remove members, rename.

    The group's name is never removed by accident: leaving ``name`` unset (or rendering it empty) keeps
    it; only ``remove_name=True`` removes it.

    :param group_id: the group, or an upstream group result; templated.
    :param add: numbers to add (any number; sent 10,000 at a time); templated.
    :param remove: numbers to remove; templated.
    :param name: a new name (1 to 20 characters); templated.
    :param remove_name: remove the group's name (not together with ``name``).
    :param add_from_group: id of a group whose members are added; templated.
    :param remove_from_group: id of a group whose members are removed; templated.
    :param auto_update: new keyword rules (see :class:`SinchGroupContentOperator`); templated.
    :param kwargs: ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    :return: the group, as JSON.
    """

    template_fields: Sequence[str] = (*SinchBaseOperator.template_fields, "group_id", "add", "remove", "name",
                                      "remove_name", "add_from_group", "remove_from_group", "auto_update")

    def __init__(self, *, group_id: Any, add: Any = None, remove: Any = None, name: str | None = None,
                 remove_name: bool | str = False, add_from_group: str | None = None,
                 remove_from_group: str | None = None, auto_update: dict[str, Any] | str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_id = group_id
        self.add = add
        self.remove = remove
        self.name = name
        self.remove_name = remove_name
        self.add_from_group = add_from_group
        self.remove_from_group = remove_from_group
        self.auto_update = auto_update

    def execute(self, context: Context) -> Any:
        group_id = self.the_group_id()
        add = list(dict.fromkeys(as_list(self.add, "add")))
        remove = list(dict.fromkeys(as_list(self.remove, "remove")))
        fields = self.without_none({
            "name": self.name.strip() if isinstance(self.name, str) and self.name.strip() else None,
            "remove_name": as_bool(self.remove_name, "remove_name") or None,
            "add": add[:MAX_MEMBERS_PER_REQUEST] or None,
            "remove": remove[:MAX_MEMBERS_PER_REQUEST] or None,
            "add_from_group": _one_group(self.add_from_group, "add_from_group"),
            "remove_from_group": _one_group(self.remove_from_group, "remove_from_group"),
            "auto_update": as_mapping(self.auto_update, "auto_update"),
        })
        more = [{"add": b} for b in _blocks(add[MAX_MEMBERS_PER_REQUEST:])]
        more += [{"remove": b} for b in _blocks(remove[MAX_MEMBERS_PER_REQUEST:])]
        check_text(fields, "", self.where)
        from airflow_provider_sinch.client.models import GroupUpdateRequest, build  # not at DAG parse

        for request in (fields, *more):
            build(GroupUpdateRequest, request, "group update")
        if not fields:
            raise self.invalid("(fields)", "nothing to update: give add, remove, name, remove_name, "
                                           "add_from_group, remove_from_group or auto_update")
        group = self.hook.update_group(group_id, **fields)
        for request in more:  # members beyond the first 10,000: the rest of the adds, then of the removes
            group = self.hook.update_group(group_id, **request)
        self.log.info("Updated group %s: +%d / -%d member(s)%s [%s]", group_id, len(add), len(remove),
                      ", name removed" if fields.get("remove_name") else "", masked(add + remove))
        return to_xcom(group)


UNANSWERED_DELETES_KEY = "sinch_unanswered_group_deletes"
"""``task_state_store`` key: groups whose ``DELETE`` this task instance sent without learning the outcome."""


class SinchDeleteGroupOperator(SinchGroupOperatorBase):
    """Delete a group (``DELETE /groups/{id}``).

    Safe to retry after a lost answer, as cancelling a batch is: the client resends a ``DELETE`` whose
    answer was lost, and takes Sinch's ``404`` to that resend as deleted (the first one did it).  When
    every attempt of a try went unanswered, the group is recorded in ``task_state_store``, and the next
    try's ``404`` counts as deleted too; any other ``404`` is a group that does not exist.  Airflow 3.1 and
    3.2 have no ``task_state_store``: there a retry cannot tell a group its earlier try deleted unanswered
    from one that never existed, so its ``404`` fails the task as missing (a skip with
    ``ignore_if_missing``), never passes for a delete, and the log says why.

    :param group_id: the group, or an upstream group result; templated.
    :param ignore_if_missing: skip instead of failing when the group does not exist (404).
    :param kwargs: ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    :return: ``{"group_id": ..., "deleted": true}``.
    """

    template_fields: Sequence[str] = (*SinchBaseOperator.template_fields, "group_id")

    def __init__(self, *, group_id: Any, ignore_if_missing: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_id = group_id
        self.ignore_if_missing = ignore_if_missing

    def execute(self, context: Context) -> dict[str, Any]:
        group_id = self.the_group_id()
        store: Any = context.get("task_state_store")
        try:
            self.hook.delete_group(group_id)  # the client itself takes a 404 to its resend as deleted
        except SinchNotFoundError:
            if store is None or group_id not in (store.get(UNANSWERED_DELETES_KEY) or []):
                if store is None and int(getattr(context.get("ti"), "try_number", 1) or 1) > 1:
                    self.log.warning("Group %s does not exist. This Airflow gives no task_state_store (3.3 "
                                     "does), so this retry cannot tell whether an earlier try deleted it "
                                     "without hearing the answer", group_id)
                if not self.ignore_if_missing:
                    raise
                raise AirflowSkipException(f"group {group_id} does not exist") from None
            self.log.warning("Group %s is gone: an earlier try's DELETE deleted it, but its answer was lost",
                             group_id)
        except (SinchServerError, SinchTransportError) as exc:
            if store is not None and (isinstance(exc, SinchServerError) or exc.sent):
                unanswered = [str(g) for g in store.get(UNANSWERED_DELETES_KEY) or []]
                store.set(UNANSWERED_DELETES_KEY, sorted({*unanswered, group_id}))
            raise
        else:
            self.log.info("Deleted group %s", group_id)
        return {"group_id": group_id, "deleted": True}


class SinchGetGroupMembersOperator(SinchGroupOperatorBase):
    """Read a group's phone numbers (``GET /groups/{id}/members``), e.g. to send to them or to compare.

    :param group_id: the group, or an upstream group result; templated.
    :param kwargs: ``sinch_conn_id`` and :class:`~airflow.sdk.BaseOperator` arguments.
    :return: the members, as Sinch returns them (digits, without ``+``).
    """

    template_fields: Sequence[str] = (*SinchBaseOperator.template_fields, "group_id")

    def __init__(self, *, group_id: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.group_id = group_id

    def execute(self, context: Context) -> list[str]:
        group_id = self.the_group_id()
        members = list(self.hook.list_group_members(group_id))
        self.log.info("Group %s has %d member(s): %s", group_id, len(members), masked(members))
        return members
