"""Validate Sinch SMS requests and responses against ``tests/sinch_api/contract.yaml`` (vendored).

The contract is an OpenAPI 3.0 file; this module is the one place that reads it for tests, so the client's
contract tests and the sandbox's can share it::

    from tests.contract import validate_request, validate_response

    validate_request("POST", "/xms/v1/plan/batches/dry_run", {"per_recipient": "true"}, body)
    validate_response("DELETE", "/xms/v1/plan/groups/g1", 200, None)

* ``path`` is a URL path (``/xms/v1/{service_plan_id}/...``) or a full URL; a query string in it is merged
  into ``query``.  It is matched against the contract's templated paths, literal segments first (so
  ``/batches/dry_run`` is the dry run, not a batch id).
* ``query`` maps names to a string or a list of strings (what ``urllib.parse.parse_qs`` gives).  Values are
  read the way a server would: integers and booleans (``true``/``false`` only) are parsed, and
  ``style: form, explode: false`` arrays are split on commas.  Parameters the contract does not list are
  errors: that is how a stray ``?batch_id=`` is caught.
* ``body`` is the decoded JSON (``None`` for no body).  Schemas are checked with
  ``openapi-schema-validator`` (OpenAPI 3.0 semantics: ``nullable``, ``oneOf``...), ``$ref`` resolved
  against the whole contract, and ``date-time`` strings must carry an offset (``Z`` or ``+hh:mm``).

Every problem found is collected into one :class:`ContractError` (an ``AssertionError``, so pytest shows
it as a failed check).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import yaml
from jsonschema import FormatChecker
from openapi_schema_validator import OAS30Validator

# The Sinch contract and fixtures live in the repository (tests/sinch_api, see its README): a clone needs
# nothing beside it.
SINCH_API_DIR = Path(__file__).resolve().parent / "sinch_api"
CONTRACT_PATH = SINCH_API_DIR / "contract.yaml"

METHODS = ("get", "put", "post", "delete", "patch")
# Statuses any operation may answer even where the contract does not list them (rate limiting, a proxy or
# server failure); their bodies are not checked unless the operation documents them.
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})


class ContractError(AssertionError):
    """A request or response that does not match the contract; ``problems`` lists every mismatch."""

    def __init__(self, what: str, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(f"{what} breaks the Sinch contract:\n  - " + "\n  - ".join(self.problems))


@dataclass(frozen=True)
class Operation:
    """One operation of the contract, found by method and path."""

    method: str
    template: str  # e.g. /xms/v1/{service_plan_id}/batches/{batch_id}
    operation_id: str
    spec: Mapping[str, Any]
    parameters: tuple[Mapping[str, Any], ...]
    path_params: Mapping[str, str]


def _date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)", value):
        return False
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


_FORMATS = FormatChecker()
_FORMATS.checks("date-time")(_date_time)


class Contract:
    """The parsed contract.  Use the module functions for the default file; build one for another file."""

    def __init__(self, path: Path | str = CONTRACT_PATH) -> None:
        self.path = Path(path)
        self.spec: dict[str, Any] = yaml.safe_load(self.path.read_text())
        self._routes = sorted(
            ((self._pattern(t), t) for t in self.spec["paths"]),
            key=lambda route: (route[1].count("{"), route[1]),  # literal segments win over templates
        )

    # Lookup

    @staticmethod
    def _pattern(template: str) -> re.Pattern[str]:
        regex = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        return re.compile(f"^{regex}$")

    def resolve(self, node: Any) -> Any:
        """Follow a local ``$ref`` (``#/components/...``) to what it points at."""
        while isinstance(node, Mapping) and "$ref" in node:
            target: Any = self.spec
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node

    def find(self, method: str, path: str) -> Operation:
        """The operation for ``method`` and ``path`` (a path or URL), or a :class:`ContractError`."""
        url_path = urlsplit(path).path
        other_methods = []
        for pattern, template in self._routes:
            match = pattern.match(url_path)
            if not match:
                continue
            item = self.spec["paths"][template]
            spec = item.get(method.lower())
            if spec is None:  # a templated path may still take this method (/batches/{batch_id})
                allowed = ", ".join(m.upper() for m in METHODS if m in item)
                other_methods.append(f"{template} has no {method.upper()} (it has {allowed})")
                continue
            params = [self.resolve(p) for p in (*item.get("parameters", ()), *spec.get("parameters", ()))]
            return Operation(
                method.upper(), template, spec.get("operationId", ""), spec, tuple(params), match.groupdict()
            )
        raise ContractError(f"{method} {url_path}", other_methods or ["no path of the contract matches"])

    # Schemas

    def schema_errors(self, schema: Mapping[str, Any], value: Any, where: str) -> list[str]:
        """Every way ``value`` breaks ``schema`` (refs resolved against the whole contract)."""
        rooted = {"allOf": [schema], "components": self.spec.get("components", {})}
        validator = OAS30Validator(rooted, format_checker=_FORMATS)
        errors = sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path])
        return [f"{where}{_at(e.absolute_path)}: {_short(e)}" for e in _closest(errors)]

    def component(self, name: str) -> dict[str, Any]:
        """``{"$ref": "#/components/schemas/<name>"}``, checked to exist."""
        if name not in self.spec["components"]["schemas"]:
            raise KeyError(f"the contract has no schema {name!r}")
        return {"$ref": f"#/components/schemas/{name}"}

    def validate_schema(self, name: str, value: Any) -> None:
        """Check ``value`` against ``components/schemas/<name>``."""
        problems = self.schema_errors(self.component(name), value, name)
        if problems:
            raise ContractError(f"this {name}", problems)

    # Requests and responses

    def validate_request(
        self, method: str, path: str, query: Mapping[str, Any] | None = None, body: Any = None
    ) -> Operation:
        """Check a request; returns the operation it matched."""
        query = _merge_query(path, query)
        op = self.find(method, path)
        problems: list[str] = []
        for name, value in op.path_params.items():
            if not unquote(value).strip():
                problems.append(f"path parameter {name} is empty")
        problems += self._query_problems(op, query)
        problems += self._body_problems(op, body)
        if problems:
            raise ContractError(f"request {op.method} {urlsplit(path).path}", problems)
        return op

    def validate_response(
        self, method: str, path: str, status: int, body: Any = None, *, strict_status: bool = False
    ) -> Operation:
        """Check a response to ``method path``; ``body`` is decoded JSON or ``None`` (no body).

        With ``strict_status=False`` (the default) a 429 or 5xx is accepted on any operation.
        """
        op = self.find(method, path)
        responses = op.spec.get("responses", {})
        spec = responses.get(str(status)) or responses.get("default")
        where = f"response {status} to {op.method} {op.template}"
        if spec is None:
            if status in TRANSIENT_STATUSES and not strict_status:
                return op
            documented = ", ".join(sorted(responses))
            raise ContractError(where, [f"status {status} is not documented (documented: {documented})"])
        spec = self.resolve(spec)
        content = spec.get("content") or {}
        problems: list[str] = []
        if "application/json" in content:
            if body is None:
                problems.append("a JSON body is required")
            else:
                problems += self.schema_errors(content["application/json"].get("schema", {}), body, "body")
        elif 200 <= status < 300 and body not in (None, b"", ""):
            problems.append(f"no body is documented, got {json.dumps(body)[:80]}")
        if problems:
            raise ContractError(where, problems)
        return op

    def _query_problems(self, op: Operation, query: Mapping[str, list[str]]) -> list[str]:
        problems: list[str] = []
        declared = {p["name"]: p for p in op.parameters if p.get("in") == "query"}
        for name in sorted(set(query) - set(declared)):
            known = ", ".join(sorted(declared)) or "none"
            problems.append(f"query parameter {name!r} is not in the contract (known: {known})")
        for name, param in declared.items():
            values = query.get(name)
            if not values:
                if param.get("required"):
                    problems.append(f"query parameter {name!r} is required")
                continue
            schema = self.resolve(param.get("schema", {}))
            value, problem = _read_query(values, schema, param, self)
            if problem:
                problems.append(f"query {name}={values!r}: {problem}")
            else:
                problems += self.schema_errors(schema, value, f"query {name}")
        return problems

    def _body_problems(self, op: Operation, body: Any) -> list[str]:
        request_body = self.resolve(op.spec.get("requestBody"))
        if request_body is None:
            return [] if body in (None, b"", "") else [f"{op.method} {op.template} takes no body"]
        if body is None:
            return ["a JSON body is required"] if request_body.get("required") else []
        schema = request_body["content"]["application/json"]["schema"]
        return self.schema_errors(schema, body, "body")


def _merge_query(path: str, query: Mapping[str, Any] | None) -> dict[str, list[str]]:
    merged: dict[str, list[str]] = {k: list(v) for k, v in parse_qs(urlsplit(path).query).items()}
    for key, value in (query or {}).items():
        merged.setdefault(key, []).extend([value] if isinstance(value, str) else [str(v) for v in value])
    return merged


def _read_query(
    values: list[str], schema: Mapping[str, Any], param: Mapping[str, Any], contract: Contract
) -> tuple[Any, str | None]:
    """Turn the raw query strings of one parameter into the value its schema describes."""
    if schema.get("type") == "array":
        if param.get("explode", True) is False or param.get("style", "form") != "form":
            if len(values) > 1:
                return None, "given more than once; expected one comma-separated value"
            raw = values[0].split(",")
        else:
            raw = values
        item_schema = contract.resolve(schema.get("items", {}))
        items = []
        for text in raw:
            item, problem = _scalar(text, item_schema)
            if problem:
                return None, problem
            items.append(item)
        return items, None
    if len(values) > 1:
        return None, "given more than once"
    return _scalar(values[0], schema)


def _scalar(text: str, schema: Mapping[str, Any]) -> tuple[Any, str | None]:
    kind = schema.get("type")
    if kind == "integer":
        if not re.fullmatch(r"-?\d+", text):
            return None, f"{text!r} is not an integer"
        return int(text), None
    if kind == "boolean":
        if text not in ("true", "false"):
            return None, f"{text!r} is not a boolean (send true or false)"
        return text == "true", None
    return text, None


def _closest(errors: Sequence[Any]) -> list[Any]:
    """Replace a oneOf/anyOf failure ("not valid under any of the given schemas") by the errors of the
    branch that came closest (fewest errors), so the message names the real problem."""
    out = []
    for error in errors:
        if error.validator in ("oneOf", "anyOf") and error.context:
            branches: dict[Any, list[Any]] = {}
            for sub in error.context:
                branches.setdefault(sub.relative_schema_path[0], []).append(sub)
            # Fewest errors wins; on a tie, a branch whose only quarrel is not its ``type`` discriminator.
            nearest = min(branches.values(), key=lambda errs: (len(errs), sum(_on_type(e) for e in errs)))
            out += _closest(nearest)
        else:
            out.append(error)
    return out


def _on_type(error: Any) -> bool:
    return list(error.path)[-1:] == ["type"]


def _at(path: Sequence[Any]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path)


def _short(error: Any) -> str:
    message = str(error.message)
    return message if len(message) <= 200 else message[:200] + "..."


@cache
def default_contract() -> Contract:
    """The vendored contract (``tests/sinch_api/contract.yaml``), parsed once."""
    return Contract(CONTRACT_PATH)


def validate_request(
    method: str, path: str, query: Mapping[str, Any] | None = None, body: Any = None
) -> Operation:
    """Check one request against the default contract (see the module docstring)."""
    return default_contract().validate_request(method, path, query, body)


def validate_response(
    method: str, path: str, status: int, body: Any = None, *, strict_status: bool = False
) -> Operation:
    """Check one response against the default contract (see the module docstring)."""
    return default_contract().validate_response(method, path, status, body, strict_status=strict_status)


def validate_schema(name: str, value: Any) -> None:
    """Check ``value`` against ``components/schemas/<name>`` of the default contract."""
    default_contract().validate_schema(name, value)
