"""What every Sinch operator shares: the hook, templating, input coercion, JSON-safe XCom and masked logs.

Conventions (kept here once, so no operator repeats them):

* Keyword arguments carry the API's field names (``from_`` for ``from``); ``sinch_conn_id`` and every
  user-facing field are templated, and a body can come from a ``.txt`` or ``.j2`` template file.
* Templates render to strings unless the DAG renders native objects, and XCom values arrive as lists or
  dicts: the ``as_*`` helpers accept both (``"a,b"``, ``'["a", "b"]'``, ``"['a', 'b']"`` or a list) and
  raise a :class:`~airflow_provider_sinch.client.SinchValidationError` naming the field and the rule
  before any request is sent.
* Values returned to XCom are plain JSON (models become ``to_dict()``).
* Logs show counts, ids and masked numbers; message bodies are never logged at INFO.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from airflow.sdk import BaseOperator

from airflow_provider_sinch.client import SinchValidationError
from airflow_provider_sinch.client.models.common import ResponseModel
from airflow_provider_sinch.client.msisdn import mask_all
from airflow_provider_sinch.hooks.sinch import SinchHook
from airflow_provider_sinch.triggers.events import LATEST_TIME, shown, to_utc

TEMPLATE_EXT: tuple[str, ...] = (".txt", ".j2")
_SPLIT = re.compile(r"[,;\n]")


def invalid(field: str, rule: str, where: str = "operator arguments") -> SinchValidationError:
    """The error for a bad argument, in the client's form (``invalid Sinch <where>: <field>: <rule>``)."""
    return SinchValidationError([(field, rule)], where)


def _parse_text(text: str, field: str, where: str = "operator arguments") -> Any:
    """A JSON or Python literal (how a rendered list or dict looks without native rendering).

    Anything unreadable - a typo, a cut-off list, nesting deep enough to exhaust the parser - is the
    project's error naming ``field``, never a raw ``SyntaxError`` or ``RecursionError``.
    """
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        pass
    try:
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, RecursionError, MemoryError):
        raise invalid(field, f"could not read {shown(text)} as a list or mapping (JSON or Python literal)",
                      where) from None


def as_list(value: Any, field: str, *, keys: Sequence[str] = (),
            where: str = "operator arguments") -> list[str]:
    """Strings from a template or XCom value: a list, one value, ``"a, b"``, lines, or a JSON/Python list.

    A mapping (an upstream result) is read through the first of ``keys`` it has, e.g. ``("batch_ids",
    "id")`` turns a send result or a batch into batch ids.  Sets are sorted, so the order (and the chunks a
    send is split into) is the same on every try.  Empty entries are dropped.
    """
    if value is None:
        return []
    if isinstance(value, Mapping):
        for key in keys:
            if value.get(key) not in (None, "", [], ()):
                return as_list(value[key], field, where=where)
        wanted = ", ".join(keys) or "no keys: give a list"
        raise invalid(field, f"got a mapping; expected a list or a mapping with one of: {wanted}", where)
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("[", "(", "{"):
            return as_list(_parse_text(text, field, where), field, keys=keys, where=where)
        return [part.strip() for part in _SPLIT.split(text) if part.strip()]
    if isinstance(value, int) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, set | frozenset):
        value = sorted(value, key=str)
    if isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
        items: list[str] = []
        for item in value:
            if isinstance(item, Mapping) and keys:
                items.extend(as_list(item, field, keys=keys, where=where))
            elif isinstance(item, str | int) and not isinstance(item, bool):
                if str(item).strip():
                    items.append(str(item).strip())
            else:
                raise invalid(field, f"entries must be strings, got {type(item).__name__}", where)
        return items
    raise invalid(field, f"expected a list of strings, got {type(value).__name__}", where)


def as_mapping(value: Any, field: str) -> dict[str, Any] | None:
    """A dict from a template or XCom value (a dict, or its JSON/Python text); ``None`` stays ``None``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, str):
        value = _parse_text(value.strip(), field)
    if not isinstance(value, Mapping):
        raise invalid(field, f"expected a mapping, got {type(value).__name__}")
    return dict(value)


def as_int(value: Any, field: str, minimum: int | None = None) -> int | None:
    """An integer from a template (``"5"``) or a plain value; ``None``/``""`` stay unset."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        raise invalid(field, "must be an integer, not a boolean")
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:  # also a string of more digits than Python converts
        raise invalid(field, f"must be an integer, got {shown(value)}") from None
    if minimum is not None and number < minimum:
        raise invalid(field, f"must be at least {minimum}, got {shown(number)}")
    return number


def as_bool(value: Any, field: str) -> bool | None:
    """A boolean from a template (``"true"``/``"False"``/``"1"``) or a plain value."""
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("", "none"):
        return None
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off"):
        return False
    raise invalid(field, f"must be true or false, got {shown(value)}")


EARLIEST_TIME = datetime(1970, 1, 1, tzinfo=UTC)
"""The earliest time an operator takes (a ``send_at`` in the past sends now; before 1970 is a mistake)."""


def as_timestamp(value: Any, field: str, *, past: bool = False) -> datetime | None:
    """A timezone-aware time from a datetime, an ISO-8601 string or a ``timedelta``.

    A time without an offset is read in Airflow's ``[core] default_timezone`` (as the naive dates of a DAG
    file are; UTC unless configured otherwise).  A ``timedelta`` is counted from now,
    forwards (``send_at=timedelta(hours=1)``) or, with ``past=True``, backwards (a ``start_date``).
    Times from 1970 to :data:`~airflow_provider_sinch.triggers.events.LATEST_TIME` are taken; beyond
    them (``timedelta(days=3_000_000)``, 9999-12-31) the error names the field, never ``OverflowError``.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    out_of_range = invalid(field, f"must be a time from {EARLIEST_TIME:%Y-%m-%d} to {LATEST_TIME:%Y-%m-%d} "
                                  f"UTC, got {shown(value)}")
    try:
        if isinstance(value, timedelta):
            now = datetime.now(UTC)
            when = now - value if past else now + value
        else:
            if isinstance(value, str):
                try:
                    value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
                except ValueError:
                    raise invalid(field, f"must be an ISO-8601 time, got {shown(value)}") from None
            if not isinstance(value, datetime):
                raise invalid(field, f"must be a datetime, an ISO-8601 string or a timedelta, got "
                                     f"{shown(value)}")
            when = value if value.tzinfo is not None else to_utc(value)
            when.astimezone(UTC)  # an offset near either end of the calendar overflows here
    except OverflowError:
        raise out_of_range from None
    if not EARLIEST_TIME <= when <= LATEST_TIME:
        raise out_of_range
    return when


def check_text(value: Any, field: str, where: str = "operator arguments") -> None:
    """Every string in ``value`` (nested in lists and mappings too) must be sendable as UTF-8: a lone
    surrogate (``"\\ud800"``, from a bad decode upstream) is named here, not left to fail in the HTTP
    library after validation."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            rule = f"must be valid text: a lone surrogate at position {exc.start}"
            raise invalid(field, rule, where) from None
    elif isinstance(value, Mapping):  # the top level's keys name the fields; deeper keys may be numbers
        for key, item in value.items():
            check_text(key, field or "(keys)", where)
            check_text(item, field or str(key), where)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            check_text(item, f"{field}[{index}]", where)


def to_xcom(value: Any) -> Any:
    """Plain JSON for XCom: models become ``to_dict()``, containers are converted item by item."""
    if isinstance(value, ResponseModel):
        return value.to_dict()
    if isinstance(value, Mapping):
        return {str(k): to_xcom(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_xcom(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def masked(entries: Sequence[str], limit: int = 5) -> str:
    """Destinations for a log line: numbers masked, group ids as they are, at most ``limit`` shown."""
    return mask_all(list(entries), limit) if entries else "(none)"


def brief_list(values: Sequence[str], limit: int = 10) -> str:
    """Ids for a log line, at most ``limit`` of them: a send to a million numbers has a thousand batches."""
    rest = len(values) - limit
    return ", ".join(values[:limit]) + (f" (+{rest} more)" if rest > 0 else "")


class SinchBaseOperator(BaseOperator):
    """Base of every Sinch operator: the connection, the hook and the shared conventions (see the module).

    :param sinch_conn_id: Airflow connection of type ``sinch`` (default ``sinch_default``); templated.
    :param kwargs: :class:`~airflow.sdk.BaseOperator` arguments (``task_id``, ``retries``, ...).
    """

    template_fields: Sequence[str] = ("sinch_conn_id",)
    template_ext: Sequence[str] = TEMPLATE_EXT
    template_fields_renderers = {"body": "txt", "parameters": "json", "extra_fields": "json"}
    ui_color = "#e8f1fd"

    def __init__(self, *, sinch_conn_id: str = SinchHook.default_conn_name, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.sinch_conn_id = sinch_conn_id

    @cached_property
    def hook(self) -> SinchHook:
        """The hook for ``sinch_conn_id`` (created on first use, after templates are rendered)."""
        return SinchHook(sinch_conn_id=self.sinch_conn_id)

    @property
    def where(self) -> str:
        """How validation errors name this operator."""
        return f"{type(self).__name__} arguments"

    def invalid(self, field: str, rule: str) -> SinchValidationError:
        """A validation error naming ``field`` and ``rule`` for this operator."""
        return invalid(field, rule, self.where)

    def log_batch(self, verb: str, batch: Any) -> None:
        """One INFO line about a batch: id, destinations (masked), schedule; never the body."""
        data = to_xcom(batch)
        to = data.get("to", [])
        when = f", send_at {data['send_at']}" if data.get("send_at") else ""
        self.log.info("%s batch %s: %d destination(s) [%s]%s%s", verb, data.get("id"), len(to), masked(to),
                      when, " (canceled)" if data.get("canceled") else "")

    @staticmethod
    def without_none(fields: Mapping[str, Any]) -> dict[str, Any]:
        """``fields`` without the unset ones (the API treats absent and unset alike, except where noted)."""
        return {k: v for k, v in fields.items() if v is not None}
