"""Phone-number helpers.

Sinch accepts numbers with ``+``, ``00`` or bare, ignoring spaces, dashes and brackets, but always *returns*
them as bare digits.  Anything that compares a number a user gave with one Sinch returned must normalise
both first; anything that logs a number must mask it.
"""

from __future__ import annotations

import re

_SEPARATORS = re.compile(r"[\s\-().\[\]/]")


def normalize_msisdn(number: str) -> str:
    """Return ``number`` as Sinch echoes it: digits only, without ``+`` or a leading ``00``.

    Strings that are not phone numbers (a group id, a short code with letters) are returned stripped but
    otherwise unchanged, so the result is always safe to compare.
    """
    compact = _SEPARATORS.sub("", str(number).strip())
    if compact.startswith("+"):
        compact = compact[1:]
    elif compact.startswith("00") and compact.isdigit():
        compact = compact[2:]
    return compact


def is_msisdn(value: str) -> bool:
    """True when ``value`` looks like a phone number (as opposed to a group id)."""
    compact = _SEPARATORS.sub("", str(value).strip())
    return bool(re.fullmatch(r"\+?\d{3,20}", compact))


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
