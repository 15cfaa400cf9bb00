"""Phone-number helpers.

Sinch accepts numbers with ``+``, ``00`` or bare, ignoring spaces, dashes and brackets, but always *returns*
them as bare digits.  Anything that compares a number a user gave with one Sinch returned must normalise
both first; anything that logs a number must mask it.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().\[\]/]")
_MSISDN = re.compile(r"\+?\d{3,20}")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", str(value).strip())


def _without_prefix(compact: str) -> str:
    if compact.startswith("+"):
        return compact[1:]
    if compact.startswith("00") and compact.isdigit():
        return compact[2:]
    return compact


def normalize_msisdn(number: str) -> str:
    """Return ``number`` as Sinch echoes it: digits only, without ``+`` or a leading ``00``.

    Strings that are not phone numbers (a group id, a short code with letters) are returned stripped but
    otherwise unchanged, so the result is always safe to compare.
    """
    return _without_prefix(_compact(number))


def is_msisdn(value: str) -> bool:
    """True when ``value`` looks like a phone number (as opposed to a group id)."""
    return _MSISDN.fullmatch(_compact(value)) is not None


def msisdn_digits(value: str) -> str | None:
    """``normalize_msisdn(value)`` when ``value`` is a phone number, else ``None``: both questions in one
    pass, for code that asks them of every recipient of a large send."""
    compact = _compact(value)
    return _without_prefix(compact) if _MSISDN.fullmatch(compact) else None


def mask_msisdn(number: str) -> str:
    """Mask a phone number for logs: ``+46701234123`` -> ``+4670****123``.

    Keeps the first four and last three digits (country and operator prefix, and enough of the end to tell
    recipients apart in a log); anything too short to mask meaningfully becomes ``****``.
    """
    digits = normalize_msisdn(number)
    if not digits.isdigit() or len(digits) < 8:
        return "****"
    return f"+{digits[:4]}{'*' * 4}{digits[-3:]}"


def mask_all(numbers: list[str] | tuple[str, ...], limit: int = 5) -> str:
    """Masked, comma-joined numbers for a log line, at most ``limit`` of them plus a count of the rest."""
    shown = [mask_msisdn(n) if is_msisdn(n) else n for n in list(numbers)[:limit]]
    rest = len(numbers) - len(shown)
    return ", ".join(shown) + (f" (+{rest} more)" if rest > 0 else "")
