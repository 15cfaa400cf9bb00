"""Group models: create, replace, update (incremental), list and members."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, model_validator

from airflow_provider_sinch.client.limits import MAX_MEMBERS_PER_REQUEST as MAX_MEMBERS_PER_REQUEST
from airflow_provider_sinch.client.models.common import (
    FieldRuleError,
    GroupId,
    GroupIdList,
    NumberList,
    Page,
    PageQuery,
    RequestModel,
    ResponseModel,
    ResponseTime,
)

MAX_GROUP_NAME = 20
MAX_CHILD_GROUPS = 10

GroupName = Annotated[str, Field(min_length=1, max_length=MAX_GROUP_NAME)]
MAX_KEYWORD = 15


class Keyword(RequestModel):
    """An auto-update keyword (first and optional second word of an inbound SMS), at most 15 characters."""

    first_word: str = Field(min_length=1, max_length=MAX_KEYWORD)
    second_word: str | None = Field(default=None, min_length=1, max_length=MAX_KEYWORD)


class AutoUpdate(RequestModel):
    """Let recipients join or leave a group by texting keywords to ``to`` (your number or short code)."""

    to: str | int
    add: Keyword | None = None
    remove: Keyword | None = None


class GroupKeyword(ResponseModel):
    """An auto-update keyword as Sinch returns it (lenient: no length limits, unknown fields kept)."""

    first_word: str | None = None
    second_word: str | None = None


class GroupAutoUpdate(ResponseModel):
    """A group's auto-update settings as Sinch returns them."""

    to: str | int | None = None
    add: GroupKeyword | None = None
    remove: GroupKeyword | None = None


class GroupRequest(RequestModel):
    """Body of create (``POST /groups``) and replace (``PUT /groups/{id}``)."""

    name: GroupName | None = None
    members: NumberList | None = Field(default=None, max_length=MAX_MEMBERS_PER_REQUEST)
    child_groups: GroupIdList | None = Field(default=None, max_length=MAX_CHILD_GROUPS)
    auto_update: AutoUpdate | None = None


class GroupUpdateRequest(RequestModel):
    """An incremental group update (``POST /groups/{id}``).

    Sinch removes a group's name when the body carries ``"name": null`` and keeps it when ``name`` is absent,
    so a ``None`` here never reaches the wire: pass ``remove_name=True`` to remove the name on purpose.
    Adds are applied before removes; duplicate adds and unknown removes are not errors.
    """

    name: GroupName | None = None
    remove_name: bool = Field(default=False, exclude=True)
    add: NumberList | None = Field(default=None, max_length=MAX_MEMBERS_PER_REQUEST)
    remove: NumberList | None = Field(default=None, max_length=MAX_MEMBERS_PER_REQUEST)
    add_from_group: GroupId | None = None
    remove_from_group: GroupId | None = None
    auto_update: AutoUpdate | None = None

    @model_validator(mode="after")
    def _name_rule(self) -> GroupUpdateRequest:
        if self.remove_name and self.name is not None:
            raise FieldRuleError(
                "name", "give either name (to rename) or remove_name=True (to remove it), not both"
            )
        return self

    def to_json(self) -> dict[str, Any]:
        body = super().to_json()
        if self.remove_name:
            body["name"] = None
        return body


class ListGroupsQuery(PageQuery):
    """Query of ``GET /groups``."""


class Group(ResponseModel):
    """A group as Sinch returns it."""

    id: str
    name: str | None = None
    size: int = 0
    created_at: ResponseTime | None = None
    modified_at: ResponseTime | None = None
    child_groups: list[str] = Field(default_factory=list)
    auto_update: GroupAutoUpdate | None = None


class ListGroupsResponse(Page):
    """A page of groups."""

    groups: list[Group]  # required: a page without its list is not an answer to a list request
