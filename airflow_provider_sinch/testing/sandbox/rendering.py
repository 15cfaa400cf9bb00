"""What each recipient actually gets: ``${parameter}`` substitution, SMS parts and the parts limit.

Shared by the delivery lifecycle (which aborts a recipient with code 405 or 411) and the dry run (which
reports bodies, parts and encodings without sending anything).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from airflow_provider_sinch.client.msisdn import normalize_msisdn
from airflow_provider_sinch.client.segments import count_segments, truncate_to_parts

UNMATCHED_PARAMETER = 405
EXCEEDED_PARTS = 411
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9._-]+)\}")


@dataclass(frozen=True)
class Rendered:
    """One recipient's message.

    :param body: the text after substitution (the media message text for MMS, the base64 body for binary).
    :param parts: SMS parts it takes (1 for binary and MMS).
    :param encoding: ``GSM``/``UNICODE`` for text, ``BINARY`` or ``MMS`` otherwise.
    :param error: 405 (a parameter without value) or 411 (more parts than allowed), else ``None``.
    """

    body: str
    parts: int
    encoding: str
    error: int | None = None


class _Unmatched(Exception):
    pass


def substitute(text: str, parameters: dict[str, dict[str, str]] | None, msisdn: str) -> str:
    """Replace ``${key}`` for every key of ``parameters`` with the recipient's value or the default.

    Raises :class:`_Unmatched` when a used key has neither.  ``${name}`` for keys not in ``parameters`` is
    ordinary text.
    """
    if not parameters:
        return text
    per_key = {key: {normalize_msisdn(k) if k != "default" else k: v for k, v in values.items()}
               for key, values in parameters.items()}

    def value(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in per_key:
            return match.group(0)
        values = per_key[key]
        if msisdn in values:
            return values[msisdn]
        if "default" in values:
            return values["default"]
        raise _Unmatched(key)

    return _PLACEHOLDER.sub(value, text)


def render(batch_type: str, fields: dict[str, Any], msisdn: str) -> Rendered:
    """The message ``msisdn`` gets from a batch of ``batch_type`` with API ``fields``."""
    body = fields.get("body")
    parameters = fields.get("parameters")
    if batch_type == "mt_binary":
        return Rendered(str(body or ""), 1, "BINARY")
    if batch_type == "mt_media":
        message = (body or {}).get("message") or ""
        try:
            return Rendered(substitute(message, parameters, msisdn), 1, "MMS")
        except _Unmatched:
            return Rendered(message, 0, "MMS", UNMATCHED_PARAMETER)
    text = str(body or "")
    try:
        text = substitute(text, parameters, msisdn)
    except _Unmatched:
        return Rendered(text, 0, count_segments(text).encoding, UNMATCHED_PARAMETER)
    info = count_segments(text)
    limit = fields.get("max_number_of_message_parts")
    if limit and info.parts > limit:
        if not fields.get("truncate_concat"):
            return Rendered(text, info.parts, info.encoding, EXCEEDED_PARTS)
        text = truncate_to_parts(text, int(limit), ellipsis="")
        info = count_segments(text)
    return Rendered(text, info.parts, info.encoding)


def dry_run(batch_type: str, fields: dict[str, Any], recipients: list[str], per_recipient: bool,
            number_of_recipients: int) -> dict[str, Any]:
    """The dry-run answer: recipients, total message parts, and (if asked) the first recipients' details.

    Recipients that would be aborted (405, 411) count as recipients but add no messages.
    """
    rendered = [(msisdn, render(batch_type, fields, msisdn)) for msisdn in recipients]
    answer: dict[str, Any] = {
        "number_of_recipients": len(recipients),
        "number_of_messages": sum(r.parts for _, r in rendered if r.error is None),
    }
    if per_recipient:
        answer["per_recipient"] = [
            {"recipient": msisdn, "body": r.body, "number_of_parts": r.parts if r.error is None else 0,
             "encoding": r.encoding}
            for msisdn, r in rendered[:number_of_recipients]
        ]
    return answer
