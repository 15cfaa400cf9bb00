"""Identifiers shaped like Sinch's: 26-character ULIDs (48-bit millisecond time + 80 random bits)."""

from __future__ import annotations

import secrets

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id(ts: float) -> str:
    """A new ULID for an object created at epoch seconds ``ts`` (sorts by creation time)."""
    value = (int(ts * 1000) & (2**48 - 1)) << 80 | secrets.randbits(80)
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_CROCKFORD[digit])
    return "".join(reversed(chars))
