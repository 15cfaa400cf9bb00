"""SMS segment counting (GSM-7 versus UCS-2), used for cost guards and notifier truncation.

A message that fits the GSM 03.38 alphabet (with its extension table, whose characters take two septets)
is sent in GSM-7: 160 characters in one part, 153 per part when concatenated.  Anything else is UCS-2:
70 in one part, 67 per part (counted in UTF-16 code units, so an emoji takes two).

When a message is concatenated, a character is never split across two parts: an extension character's
escape septet travels with it and a surrogate pair stays whole (what handsets and SMSCs do, and what
common segment calculators count), so a part may carry one unit less than its capacity.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_sinch.client.errors import SinchValidationError
from airflow_provider_sinch.client.retry import is_whole, shown_number

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True)
class SegmentInfo:
    """How a text body is encoded and into how many parts it is split.

    :param encoding: ``"GSM"`` or ``"UNICODE"`` (the names Sinch's dry run reports).
    :param units: length in the encoding's units (septets for GSM-7, UTF-16 code units for UCS-2).
    :param parts: number of SMS parts (0 for an empty body).
    """

    encoding: str
    units: int
    parts: int


def is_gsm7(text: str) -> bool:
    """True when every character of ``text`` is in the GSM-7 basic or extension table."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def count_segments(text: str) -> SegmentInfo:
    """Count the encoding units and SMS parts ``text`` needs."""
    if not isinstance(text, str):
        raise SinchValidationError([("text", f"must be a string, got a {type(text).__name__}")], "message")
    if is_gsm7(text):
        costs = [2 if ch in GSM7_EXTENSION else 1 for ch in text]
        single, multi, encoding = GSM7_SINGLE, GSM7_MULTI, "GSM"
    else:
        # UTF-16 code units: 2 above the BMP (an emoji), else 1.  Computed from the code point, not by
        # encoding, so a lone surrogate (one unit, as a handset would count it) cannot raise.
        costs = [2 if ord(ch) > 0xFFFF else 1 for ch in text]
        single, multi, encoding = UCS2_SINGLE, UCS2_MULTI, "UNICODE"
    units = sum(costs)
    if units == 0:
        parts = 0
    elif units <= single:
        parts = 1
    else:
        parts = _pack(costs, multi)
    return SegmentInfo(encoding=encoding, units=units, parts=parts)


def _pack(costs: list[int], capacity: int) -> int:
    """Number of parts of ``capacity`` units needed when no character is split across two parts."""
    parts, used = 1, 0
    for cost in costs:
        if used + cost > capacity:
            parts, used = parts + 1, 0
        used += cost
    return parts


def truncate_to_parts(text: str, max_parts: int, ellipsis: str = "...") -> str:
    """Cut ``text`` so that it fits in ``max_parts`` SMS parts, ending with ``ellipsis`` when cut."""
    if not is_whole(max_parts) or max_parts < 1:
        rule = f"max_parts must be a whole number, at least 1, got {shown_number(max_parts)}"
        raise SinchValidationError([("max_parts", rule)], "message")
    if count_segments(text).parts <= max_parts:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that still fits together with the ellipsis
        mid = (lo + hi + 1) // 2
        if count_segments(text[:mid] + ellipsis).parts <= max_parts:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + ellipsis
