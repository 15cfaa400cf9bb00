"""The per-request code of an SMS approval, and reading a reply ("K7Q4MZ yes", "k7q4mz 1").

**The code is the authenticator.**  A sender id can be spoofed, so a reply counts only when it carries the
code that was texted to that number, for that try, for that approver.  The code is a truncated HMAC-SHA256
of a secret (from the bridge connection), the try's task-instance id (new on every try, so a code dies with
its try), the approver's number (digits only) and the approver's Airflow user id.  The receiver needs no
mapping of numbers: it recomputes the code of each open request's assigned users for the sender's number
and compares; a match names the request *and* the approver.

Codes use 31 characters that cannot be confused when read or typed (no ``0 O 1 I L``) and are read
case-insensitively.  Six characters are 31**6, about 8.9e8 values (30 bits); with wrong codes rate-limited
per number, guessing one is out of reach.  This module does no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass

from airflow_provider_sinch.client.msisdn import normalize_msisdn

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
"""31 characters, none of ``0 O 1 I L``."""

CODE_LENGTHS = (5, 6)
"""Accepted code lengths (6 is the default)."""

APPROVE, REJECT = "Approve", "Reject"
APPROVAL_ALIASES = {
    "yes": APPROVE, "y": APPROVE, "ok": APPROVE, "approve": APPROVE, "approved": APPROVE,
    "no": REJECT, "n": REJECT, "reject": REJECT, "rejected": REJECT,
}
"""Short replies for ``ApprovalOperator``'s two options (only when the options are exactly those two)."""

_VERSION = "sinch-hitl-v1"
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_EDGES = " \t\r\n.,;:!?\"'()[]"


def check_code_length(length: int) -> int:
    """``length`` when it is an accepted code length; ``ValueError`` naming the rule otherwise."""
    if isinstance(length, bool) or length not in CODE_LENGTHS:
        raise ValueError(f"code_length must be one of {CODE_LENGTHS}, got {length!r}")
    return length


def derive_code(secret: str, ti_id: object, number: str, user_id: str, length: int = 6) -> str:
    """The code texted to ``number`` (approver ``user_id``) for the try ``ti_id``.

    :param secret: the bridge connection's ``code_secret`` (at least 16 characters).
    :param ti_id: the try's task-instance id (a UUID or its string).
    :param number: the approver's number, in any form ``normalize_msisdn`` reads.
    :param user_id: the approver's Airflow user id, as in ``assigned_users``.
    :param length: 5 or 6 characters.
    """
    check_code_length(length)
    if not isinstance(secret, str) or len(secret) < 16:
        raise ValueError("code_secret must be a string of at least 16 characters")
    message = "\x1f".join((_VERSION, str(ti_id).lower(), normalize_msisdn(number), str(user_id)))
    value = int.from_bytes(hmac.new(secret.encode(), message.encode(), hashlib.sha256).digest(), "big")
    chars = []
    for _ in range(length):
        value, index = divmod(value, len(ALPHABET))
        chars.append(ALPHABET[index])
    return "".join(chars)


def codes_equal(given: str, expected: str) -> bool:
    """Constant-time comparison of a code read from a reply with a derived one (case-insensitive)."""
    return hmac.compare_digest(given.upper().encode(), expected.upper().encode())


@dataclass(frozen=True)
class Reading:
    """One way to read a reply.

    :param code: the word read as the code, upper case.
    :param answer: the rest of the text.
    """

    code: str
    answer: str


def _is_code(token: str, lengths: Sequence[int]) -> bool:
    return len(token) in lengths and all(ch in ALPHABET for ch in token.upper())


def read_reply(text: str, lengths: Sequence[int] = CODE_LENGTHS) -> list[Reading]:
    """The readings of a reply: the code as its first word, or else as its last ("yes K7Q4MZ").

    Both are returned when both words look like a code ("REJECT K7Q4MZ": REJECT is code-shaped too); the
    caller tries each against the open requests.  Empty when no word looks like a code (a bare "YES").
    """
    if not isinstance(text, str):
        return []
    words = text.strip().split()
    if len(words) < 2:
        return []
    readings = []
    for index in (0, len(words) - 1):
        token = words[index].strip(_EDGES)
        if _is_code(token, lengths):
            rest = words[1:] if index == 0 else words[:-1]
            reading = Reading(token.upper(), " ".join(rest))
            if reading not in readings:
                readings.append(reading)
    return readings


def _normal(text: str) -> str:
    return " ".join(text.strip(_EDGES).split()).casefold()


def option_for(word: str, options: Sequence[str]) -> str | None:
    """The option one answer names: its text (case and spacing ignored), its 1-based number, or for
    Approve/Reject also YES/Y/OK/NO/N.  ``None`` when it names none, or more than one."""
    wanted = _normal(word)
    if not wanted:
        return None
    by_text = [opt for opt in options if _normal(opt) == wanted]
    if len(by_text) == 1:
        return by_text[0]
    if wanted.isdigit() and wanted.isascii():
        number = int(wanted)
        return options[number - 1] if 1 <= number <= len(options) else None
    if sorted(options) == sorted((APPROVE, REJECT)):
        return APPROVAL_ALIASES.get(wanted)
    return None


def choose_options(answer: str, options: Sequence[str], multiple: bool) -> list[str] | None:
    """The options an answer chooses, or ``None`` when it is not a valid answer.

    One option: the whole answer names it.  ``multiple``: the whole answer names one option, or it is a
    list of options' numbers or names separated by commas or spaces ("1, 3", "1 3"); each chosen once.
    """
    single = option_for(answer, options)
    if single is not None:
        return [single]
    if not multiple:
        return None
    parts = [p for p in re.split(r"[,\s]+", answer.strip(_EDGES)) if p]
    chosen: list[str] = []
    for part in parts:
        option = option_for(part, options)
        if option is None:
            return None
        if option not in chosen:
            chosen.append(option)
    return chosen or None


def reply_hint(code: str, options: Sequence[str], multiple: bool) -> str:
    """How to answer, for the question and for an SMS back: "Reply K7Q4MZ YES or K7Q4MZ NO"."""
    if not multiple and sorted(options) == sorted((APPROVE, REJECT)):
        return f"Reply {code} YES or {code} NO"
    listed = ", ".join(f"{i} {opt}" for i, opt in enumerate(options, 1))
    which = "one or more of" if multiple else "one of"
    return f"Reply {code} and {which}: {listed}"
