"""The one rule for ids that go into a URL path: batch ids, group ids, inbound ids, the service plan id.

An id is pasted into ``/batches/{batch_id}`` and friends, so a value that is not a single, plain path
segment would reach a different endpoint: ``".."`` turns ``DELETE /batches/..`` into
``DELETE /xms/v1/{plan}/`` once an HTTP library collapses the dots, and ``"a/b"`` or an id with a newline
in it would be just as wrong.
Sinch's own ids are 26-character ULIDs (older ones shorter), and Sinch asks clients not to validate their
format, so the rule only refuses what cannot be an id of any format:

* a string (not a number, not ``None``), not empty;
* printable ASCII only: no whitespace of any kind (a trailing newline from a templated value, a no-break
  or zero-width space pasted with the id), no control characters, no other Unicode;
* no ``/`` and not ``.`` or ``..`` (a path segment of its own);
* at most :data:`MAX_PATH_ID_LENGTH` characters.

The error never repeats a long id in full (a 100,000-character value gives a message of a few hundred
characters), nor a phone number pasted by mistake.
"""

from __future__ import annotations

import re

from airflow_provider_sinch.client.errors import SinchValidationError
from airflow_provider_sinch.client.redact import ch_is_space, shown_value

MAX_PATH_ID_LENGTH = 128
"""Longest id accepted in a path.  Sinch's ids are 26 characters; 128 leaves room for any id format Sinch
might adopt (a UUID is 36, a prefixed or composite id rarely over 64) while refusing values that are plainly
not ids (a message body, a file's content), whose URL a proxy might refuse with a puzzling 414."""

_PLAIN = re.compile(r"[!-.0-~]+", re.ASCII)  # printable ASCII without space and without "/"

def path_id_problem(value: object) -> str | None:
    """Why ``value`` cannot go into a URL path as an id, or ``None`` when it can."""
    if not isinstance(value, str):
        return f"must be a string id, got {type(value).__name__}"
    if not value.strip():
        return "is required and must not be empty"
    if len(value) > MAX_PATH_ID_LENGTH:
        return f"must be at most {MAX_PATH_ID_LENGTH} characters, got {len(value)}"
    if _PLAIN.fullmatch(value) and value not in (".", ".."):
        return None
    if value in (".", ".."):
        return f"must not be {value!r}: an id must be one URL path segment, not a relative path"
    if "/" in value:
        return f"must not contain '/': an id must be one URL path segment, got {shown_value(value)}"
    bad = next(ch for ch in value if not ("!" <= ch <= "~"))
    kind = "whitespace" if ch_is_space(bad) else "a control character" if ord(bad) < 32 or ord(bad) == 127 \
        else "a non-ASCII character"
    return (f"must be printable ASCII without spaces; contains {kind} (U+{ord(bad):04X}) in "
            f"{shown_value(value)}")


def check_path_id(value: object, field: str, *, model: str = "request") -> str:
    """Return ``value`` when it is safe as one URL path segment; otherwise raise
    :class:`~airflow_provider_sinch.client.errors.SinchValidationError` naming ``field`` and the rule.

    :param value: the id as given.
    :param field: the argument's name for the message (``batch_id``).
    :param model: what is being validated (the operation's name, ``configuration``, ...).
    """
    problem = path_id_problem(value)
    if problem is not None:
        raise SinchValidationError([(field, problem)], model)
    assert isinstance(value, str)
    return value
