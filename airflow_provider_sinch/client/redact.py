"""What user input may show in an error or a log line: phone numbers masked, invisible characters escaped,
long values cut.

Errors quote what was wrong (an id, a URL, a destination) so it can be found and fixed, but a message must
never carry a full phone number nor flood a log: :func:`shown_value` does both for any string.
"""

from __future__ import annotations

import re

MIN_NUMBER_DIGITS = 7
"""Fewest digits of a phone number in international format (``+683 1234``, Niue): any run of this many
digits in quoted text is masked."""

_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff")
# A number inside any text: digits (any script) joined by separators, with an optional leading "+".  The
# separators are those people paste numbers with: any space, any dash (a non-breaking hyphen or an en dash
# from a word processor), underscores, brackets, dots and slashes.  An invisible character splits the run,
# so an error shows where it sits ("+46\u200b7012****567"): neither part is a whole number.
_SEPARATOR = "[\\s\\-\u2010-\u2015\u2212_().\\[\\]/]"
_DIGIT_RUN = re.compile(rf"\+?\d(?:{_SEPARATOR}*\d)*")
_SHOWN = 40


def masked_digits(digits: str, plus: str = "+") -> str:
    """``+4670****567``: the first four and last three digits, or ``****`` when that would show them all."""
    return f"{plus}{digits[:4]}{'*' * 4}{digits[-3:]}" if len(digits) >= 8 else "****"


def mask_text(text: str) -> str:
    """``text`` with every run of :data:`MIN_NUMBER_DIGITS` or more digits (separators allowed between them,
    any script) masked, so no phone number survives whatever surrounds it: ``"+46701234567 (mobile)"`` ->
    ``"+4670****567 (mobile)"``.  Shorter runs (``mobile 2``) are kept."""

    def one(found: re.Match[str]) -> str:
        run = found.group(0)
        digits = [ch for ch in run if ch.isdecimal()]
        if len(digits) < MIN_NUMBER_DIGITS:
            return run
        return masked_digits("".join(str(int(ch)) for ch in digits), "+" if run.startswith("+") else "")

    return _DIGIT_RUN.sub(one, text)


def shown_value(value: str, limit: int = _SHOWN) -> str:
    """``value`` for an error message: phone numbers masked, escaped (``repr``, ASCII only) and cut to about
    ``limit`` characters, with its length when cut, so a huge or invisible value stays readable."""
    shown = ascii(mask_text(value[: limit * 4]))
    if len(value) <= limit:
        return shown
    return f"{shown[: limit + 1]}...' ({len(value)} characters)"


def ch_is_space(ch: str) -> bool:
    """Whitespace, including the invisible kinds ``str.isspace`` misses (zero-width space, joiners, BOM)."""
    return ch.isspace() or ch in _INVISIBLE
