"""Reading task arguments: one error form for a bad argument, and the ``as_*`` coercions.

Templates render to strings unless the DAG renders native objects, and XCom values arrive as lists or
dicts, so the ``as_*`` helpers accept both (``"a,b"``, ``'["a", "b"]'``, ``"['a', 'b']"`` or a list) and
raise a :class:`~airflow_provider_sinch.client.SinchValidationError` naming the field and the rule before
any request is sent.  Operators, sensors, triggers and the notifier all read their arguments here.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeGuard

from airflow_provider_sinch.client import SinchValidationError
from airflow_provider_sinch.client.retry import is_whole

_SPLIT = re.compile(r"[,;\n]")


class SinchArgumentError(SinchValidationError):
    """A bad argument of a trigger, sensor, operator or notifier, caught before anything is sent: the
    message reads ``invalid Sinch <where>: <field> <rule>``.

    :param field: the argument (``poll_interval``, ``batch_ids``, ...).
    :param rule: what it must be, starting with a verb (``must be ...``), with a short excerpt of the value.
    :param where: what was being built (``trigger arguments``, ``SinchBatchDeliverySensor arguments``).
    """

    def __init__(self, field: str, rule: str, where: str = "trigger arguments") -> None:
        super().__init__([(field, rule)], where)
        self.args = (f"invalid Sinch {where}: {field} {rule}",)


def invalid(field: str, rule: str, where: str = "operator arguments") -> SinchValidationError:
    """The error for a bad argument, in the client's form (``invalid Sinch <where>: <field>: <rule>``)."""
    return SinchValidationError([(field, rule)], where)


def shown(value: Any, limit: int = 40) -> str:
    """``repr(value)`` cut to ``limit`` characters, for error messages (a 100,000-character argument
    must not make a 100,000-character error)."""
    try:
        text = repr(value)
    except Exception:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def argument_error(exc: ValueError, where: str = "trigger arguments") -> SinchValidationError:
    """A plain ``ValueError("<field> must ...")`` from a lower-level check as the project's error (a
    project error passes through unchanged)."""
    if isinstance(exc, SinchValidationError):
        return exc
    field, _, rule = str(exc).partition(" ")
    return SinchArgumentError(field, rule[:300], where)


def is_id_like(value: object) -> TypeGuard[str | int]:
    """A string or a whole number: what a list of numbers, ids or keywords may hold."""
    return isinstance(value, str) or is_whole(value)


def has_template(value: Any) -> bool:
    """Whether ``value`` may still change when rendered (Jinja, or an XCom reference), so it cannot be
    judged when the DAG is parsed, only once rendered."""
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, list | tuple | set | frozenset):
        return any(has_template(v) for v in value)
    return hasattr(value, "resolve")  # XComArg and Airflow's other references resolve at run time


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
    if is_whole(value):
        return [str(value)]
    if isinstance(value, set | frozenset):
        value = sorted(value, key=str)
    if isinstance(value, list | tuple) and set(map(type, value)) <= {str}:
        # The common large case (a send's 100,000 numbers): plain strings, without a check per entry.
        stripped = [item.strip() for item in value]
        return [item for item in stripped if item]
    if isinstance(value, Iterable) and not isinstance(value, bytes | bytearray):
        items: list[str] = []
        for item in value:
            if isinstance(item, Mapping) and keys:
                items.extend(as_list(item, field, keys=keys, where=where))
            elif is_id_like(item):
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
        number = value if is_whole(value) else int(str(value).strip())
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
