"""Phone numbers and destinations: the one rule for what may be sent to, normalising, and masking.

Sinch accepts numbers with ``+``, ``00`` or bare, ignoring spaces, dashes and brackets, but always *returns*
them as bare digits.  Anything that compares a number a user gave with one Sinch returned must normalise
both first; anything that logs a number must mask it.

What a destination is (:func:`check_destination`)
    Either a **phone number in international format**: after surrounding whitespace is stripped and the
    separators ``space - ( ) . [ ] /`` are dropped, an optional ``+`` or ``00`` and then
    :data:`MIN_DIGITS` to :data:`MAX_DIGITS` ASCII digits, the first not ``0`` (a country code never starts
    with 0, so ``0701234567``, a national spelling, and ``+0046...``, two prefixes, are refused).  E.164
    allows at most 15 digits; the shortest numbers in service (Niue, Tokelau: ``+683 1234``) have 7.
    Or a **Sinch group id**: 1 to :data:`MAX_GROUP_ID_LENGTH` ASCII letters and digits with at least one
    letter (Sinch's ids are 26-character ULIDs such as ``01FC66621XXXXX119Z8PMV1QPQ``; older ones are
    shorter, so no more than that is assumed).
    Anything else (``+4670123abc``, ``+``, 25 digits, full-width digits, a zero-width space inside a number,
    ``"   "``) is refused before any request, with the position and the entry masked.

Normalising (:func:`normalize_msisdn`) is idempotent by construction: a number becomes its canonical
digits, which are themselves a valid spelling of the same number; anything else is only stripped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from airflow_provider_sinch.client.errors import SinchValidationError, clip
from airflow_provider_sinch.client.redact import MIN_NUMBER_DIGITS, ch_is_space, mask_text, masked_digits

MIN_DIGITS = MIN_NUMBER_DIGITS
"""Fewest digits of a number in international format (country code included): ``+683 1234`` (Niue)."""
MAX_DIGITS = 15
"""Most digits of a number in international format (E.164)."""
MAX_GROUP_ID_LENGTH = 64
"""Longest group id accepted as a destination (Sinch's are 26 characters)."""
MAX_SHOWN_ERRORS = 3
"""Bad entries of a list quoted in an error; the rest are counted."""

SEPARATORS = " -().[]/"
"""Characters Sinch ignores inside a number (ASCII only: a no-break or zero-width space is refused)."""

_DROP = str.maketrans("", "", SEPARATORS)
# "+49 (0)30 ...": the bracketed 0 is dialled only inside the country; dropping the brackets as separators
# would send to +49030..., a different number.
_TRUNK = "(0)"
# ``[0-9]``, not ``\d``: ``\d`` matches every Unicode digit (full-width, Arabic-Indic, ...).
_ONE_NUMBER = rf"(?:\+|00)?([1-9][0-9]{{{MIN_DIGITS - 1},{MAX_DIGITS - 1}}})"  # group 1: the digits
_ONE_GROUP = rf"(?=[0-9]*[A-Za-z])[A-Za-z0-9]{{1,{MAX_GROUP_ID_LENGTH}}}"
_NUMBER = re.compile(_ONE_NUMBER)
_GROUP_ID = re.compile(_ONE_GROUP)
# Whole lists at once, entries joined by "\n" (which no entry may contain): one C-level pass per list.
_ALL_DESTINATIONS = re.compile(rf"(?:{_ONE_NUMBER}|{_ONE_GROUP})(?:\n(?:{_ONE_NUMBER}|{_ONE_GROUP}))*")
_ALL_NUMBERS = re.compile(rf"{_ONE_NUMBER}(?:\n{_ONE_NUMBER})*")
NUMBER_RULE = (
    f"a phone number in international format (+ or 00 optional, then {MIN_DIGITS}-{MAX_DIGITS} ASCII digits, "
    "country code first) or a group id (ASCII letters and digits, with a letter)"
)


def msisdn_digits(value: object) -> str | None:
    """The canonical digits of ``value`` (``+46 70-123 45 67`` -> ``46701234567``) when it is a phone
    number in international format, else ``None``: both questions in one pass, for code that asks them of
    every recipient of a large send."""
    if not isinstance(value, str):
        return None
    found = _NUMBER.fullmatch(value)  # the common case, already compact
    if found is None and _TRUNK not in value:
        found = _NUMBER.fullmatch(value.strip().translate(_DROP))
    return found.group(1) if found else None


def all_msisdn_digits(values: Sequence[object]) -> list[str] | None:
    """:func:`msisdn_digits` of every entry when all are numbers in the canonical shape of a large send's
    list (every one ``+`` and digits, or every one digits alone); ``None`` otherwise (then ask
    :func:`msisdn_digits` entry by entry, which gives the same answer for these)."""
    joined = all_msisdn_digits_joined(values)
    return None if joined is None else joined.split("\n")


def all_msisdn_digits_joined(values: Sequence[object]) -> str | None:
    """:func:`all_msisdn_digits` joined by ``"\\n"``, without a string per entry (a fingerprint of a large
    list, or the check that it has the canonical shape)."""
    joined = _joined(values)
    prefix = None if joined is None else _canonical_prefix(values, joined)
    if joined is None or prefix is None:
        return None
    return joined.replace("+", "") if prefix else joined


def _canonical_prefix(values: Sequence[object], joined: str) -> int | None:
    """``1`` when every entry is ``+`` and then a number's digits, ``0`` when every entry is the digits
    alone (:data:`MIN_DIGITS` to :data:`MAX_DIGITS` ASCII digits, the first not ``0``), else ``None``.

    ``joined`` is the entries joined by ``"\\n"`` (:func:`_joined`).  This is the rule of :data:`_NUMBER`
    for the one shape large sends come in, checked with a few C-level passes over the whole list: many
    times faster than a regular expression, per entry or over the joined list (each about half a
    microsecond per number), so that validating a 100,000-number send costs a few milliseconds.
    """
    count, plus = len(values), joined.count("+")
    if plus == count and joined.startswith("+") and joined.count("\n+") == count - 1:
        prefix = 1
    elif plus == 0:
        prefix = 0
    else:
        return None  # "+" on some entries only, or inside one: the regular expressions decide
    try:
        raw = joined.encode("ascii")
    except UnicodeEncodeError:
        return None
    if not raw.translate(None, b"\n+").isdigit() or raw.startswith(b"0") or b"\n0" in raw or b"+0" in raw:
        return None  # bytes.isdigit() is true for ASCII digits only
    lengths = set(map(len, values))  # type: ignore[arg-type]  # every entry is a str (join() checked it)
    return prefix if min(lengths) - prefix >= MIN_DIGITS and max(lengths) - prefix <= MAX_DIGITS else None


def is_msisdn(value: object) -> bool:
    """True when ``value`` is a phone number in international format (as opposed to a group id)."""
    return msisdn_digits(value) is not None


def is_group_id(value: object) -> bool:
    """True when ``value`` has the shape of a Sinch group id (ASCII letters and digits, with a letter)."""
    return isinstance(value, str) and _GROUP_ID.fullmatch(value.strip()) is not None


def normalize_msisdn(number: str) -> str:
    """Return ``number`` as Sinch echoes it: digits only, without ``+``, a leading ``00`` or separators.

    Strings that are not phone numbers (a group id, a short code, something invalid) are returned stripped
    of surrounding whitespace but otherwise unchanged, so the result is always safe to compare.  Idempotent:
    ``normalize_msisdn(normalize_msisdn(x)) == normalize_msisdn(x)`` for every ``x``, because canonical
    digits are a valid number again and a stripped non-number stays one.
    """
    digits = msisdn_digits(number)
    return digits if digits is not None else str(number).strip()


def mask_msisdn(number: str) -> str:
    """Mask a phone number for logs: ``+46701234123`` -> ``+4670****123``.

    Keeps the first four and last three digits (country and operator prefix, and enough of the end to tell
    recipients apart in a log); anything too short to mask meaningfully, or not a phone number at all,
    becomes ``****``.
    """
    digits = msisdn_digits(number)
    if digits is None or len(digits) < 8:
        return "****"
    return masked_digits(digits)


def mask_destination(value: object, limit: int = 40) -> str:
    """One destination as logs and errors may show it: a number masked (``+4670****567``), a group id as
    it is, anything else with its digit runs masked (:func:`mask_text`), escaped (a zero-width space shows
    as ``\\u200b``) and cut to about ``limit`` characters."""
    if not isinstance(value, str):
        return f"<{type(value).__name__}>"
    if is_msisdn(value):
        return mask_msisdn(value)
    if is_group_id(value) and mask_text(value) == value:
        return value.strip()
    shown = ascii(mask_text(value[: limit * 4]))
    return clip(shown, limit) + (f" ({len(value)} characters)" if len(value) > limit else "")


def mask_all(numbers: Sequence[object], limit: int = 5) -> str:
    """Masked, comma-joined destinations for a log line, at most ``limit`` of them plus a count of the rest.

    Numbers are masked, group ids shown, and anything else masked as :func:`mask_destination` does.
    """
    shown = [mask_destination(n) for n in list(numbers)[:limit]]
    rest = len(numbers) - len(shown)
    return ", ".join(shown) + (f" (+{rest} more)" if rest > 0 else "")


def destination_problem(value: object) -> str | None:
    """Why ``value`` is not a destination (see the module docstring), or ``None`` when it is one."""
    if isinstance(value, str) and (_NUMBER.fullmatch(value) or _GROUP_ID.fullmatch(value)):
        return None  # the common case, in one regular expression call
    if not isinstance(value, str):
        return f"must be a string ({NUMBER_RULE}), got {type(value).__name__}"
    text = value.strip()
    if not text:
        return "must not be empty or blank"
    if _TRUNK in text:
        return (f"contains the national trunk prefix {_TRUNK}: an international number leaves it out "
                "(+49 30 1234567, not +49 (0)30 1234567)")
    compact = text.translate(_DROP)
    if _NUMBER.fullmatch(compact) or _GROUP_ID.fullmatch(text):
        return None
    odd = next((ch for ch in text if not (" " <= ch <= "~")), None)
    if odd is not None:
        kind = ("whitespace or an invisible character" if ch_is_space(odd)
                else "a character that is not ASCII" if ord(odd) > 127 else "a control character")
        return f"contains {kind} (U+{ord(odd):04X}); must be {NUMBER_RULE}"
    body = compact[1:] if compact.startswith("+") else compact
    if body.isdigit():
        if (compact.startswith("+") and body.startswith("0")) or body.startswith("000"):
            return "must start with the country code after + or 00, not with 0"
        digits = body[2:] if body.startswith("00") else body
        if digits.startswith("0"):
            return ("must be in international format (country code first: +46..., 0046... or 46...), "
                    "not a national number starting with 0")
        if len(digits) > MAX_DIGITS:
            return f"has {len(digits)} digits; a phone number has at most {MAX_DIGITS} (E.164)"
        if len(digits) < MIN_DIGITS:
            return (f"has {len(digits)} digits; a phone number in international format has at least "
                    f"{MIN_DIGITS}")
    if not body:
        return f"has no digits; must be {NUMBER_RULE}"
    return f"must be {NUMBER_RULE}"


def check_destination(value: object, field: str) -> str:
    """Return ``value`` (stripped of surrounding whitespace) when it is a destination: a phone number in
    international format or a Sinch group id; otherwise raise
    :class:`~airflow_provider_sinch.client.errors.SinchValidationError` naming ``field``, the rule and the
    entry (masked)."""
    problem = destination_problem(value)
    if problem is not None:
        raise SinchValidationError([(field, problem + _got(value))])
    assert isinstance(value, str)
    return value.strip()


def check_group_id(value: object, field: str) -> str:
    """Return ``value`` (stripped) when it has the shape of a Sinch group id, else raise
    :class:`~airflow_provider_sinch.client.errors.SinchValidationError` naming ``field``."""
    if is_group_id(value):
        return str(value).strip()
    raise SinchValidationError([(field, f"must be a group id ({GROUP_ID_RULE}){_got(value)}")])


GROUP_ID_RULE = f"1-{MAX_GROUP_ID_LENGTH} ASCII letters and digits, with a letter"


def number_problem(value: object) -> str | None:
    """Why ``value`` is not a phone number in international format, or ``None`` when it is one."""
    if is_msisdn(value):
        return None
    if is_group_id(value):
        return "must be a phone number in international format, not a group id"
    return destination_problem(value) or "must be a phone number in international format"


def check_destinations(values: Sequence[object], field: str, *, groups: bool = True) -> list[str]:
    """Check every entry of ``values`` as :func:`check_destination` does and return them (stripped).

    One error for the whole list: how many entries are bad, then the position of each of the first
    :data:`MAX_SHOWN_ERRORS` (``to[17]``) with its rule and the entry masked.  Fast on the common case
    (one regular expression call per well-formed entry), as a send validates 100,000 recipients.

    :param values: the entries.
    :param field: the list's name for the message (``to``, ``members``).
    :param groups: whether group ids are allowed (not among a group's members).
    """
    if isinstance(values, str):
        values = [values]  # one destination, as the request models accept it
    elif not isinstance(values, Sequence):
        rule = f"must be a list of destinations, got a {type(values).__name__}"
        raise SinchValidationError([(field, rule)])
    if _all_well_formed(values, _ALL_DESTINATIONS if groups else _ALL_NUMBERS):
        return list(values)  # type: ignore[arg-type]  # every entry is a str: join() checked it
    number, group = _NUMBER.fullmatch, _GROUP_ID.fullmatch if groups else _never
    problem_of = destination_problem if groups else number_problem
    bad: list[int] = []
    out: list[str] = []
    for index, value in enumerate(values):
        if isinstance(value, str) and (number(value) or group(value)):
            out.append(value)
        elif isinstance(value, str) and problem_of(value) is None:
            out.append(value.strip())
        else:
            bad.append(index)
    if not bad:
        return out
    errors = [(f"{field}[{i}]", f"{problem_of(values[i])}{_got(values[i])}")
              for i in bad[:MAX_SHOWN_ERRORS]]
    if len(bad) > 1:
        # The count first: it must survive when the message is cut to 500 characters.
        shown = min(len(bad), MAX_SHOWN_ERRORS)
        what = "destinations" if groups else "phone numbers"
        summary = (field, f"{len(bad)} of {len(values)} entries are not {what} (the first {shown} follow)")
        errors = [summary, errors[0], *((f, _short(r)) for f, r in errors[1:])]
    raise SinchValidationError(errors)


def _all_well_formed(values: Sequence[object], pattern: re.Pattern[str]) -> bool:
    """True when every entry is a string already in canonical shape (no surrounding spaces or separators):
    the common case of a large send, checked in bulk: first without a regular expression for the one shape
    large sends come in (:func:`_canonical_prefix`), then with one regular expression over the joined list
    (mixed prefixes, group ids)."""
    joined = _joined(values)
    if joined is None:
        return False
    if _canonical_prefix(values, joined) is not None:
        return True  # the common case, without a regular expression
    # Numbers alone first: the simpler expression is about twice as fast as numbers-or-group-ids.
    return _ALL_NUMBERS.fullmatch(joined) is not None or pattern.fullmatch(joined) is not None


def _joined(values: Sequence[object]) -> str | None:
    """The entries joined by ``"\\n"``, or ``None`` when there are none, one is not a string or one holds a
    line break itself (so that the joined text has exactly one line per entry)."""
    if not values:
        return None
    try:
        joined = "\n".join(values)  # type: ignore[arg-type]  # a TypeError answers "not all strings"
    except TypeError:
        return None
    return joined if joined.count("\n") == len(values) - 1 else None


def _got(value: object) -> str:
    return f"; got {mask_destination(value)}" if isinstance(value, str) else ""


def _never(value: str) -> None:
    return None


def _short(rule: str) -> str:
    """A rule without the long description of a destination (given once, with the first bad entry)."""
    return rule.replace(f"; must be {NUMBER_RULE}", "").replace(f"must be {NUMBER_RULE}", "not a destination")
