"""Splitting one send into batches of at most 1,000 destinations, the same way on every try.

Sinch takes at most 1,000 entries in a batch's ``to``.  A larger send becomes several batches ("chunks"):

* destinations are de-duplicated (numbers compared as Sinch echoes them, digits only), so nobody gets the
  message twice because they were listed twice;
* chunk ``i`` holds destinations ``i*size .. (i+1)*size - 1`` in the order given, so a retry computes
  exactly the same chunks;
* per-recipient ``parameters`` travel with their chunk; ``default`` values go to every chunk; values for
  numbers that are not listed (members of a group in ``to``) go to the chunks that contain a group id;
* every chunk gets a deterministic ``client_reference``: ``{prefix}:{dag}:{task}:{run}:{map index}:{i}``.
  It is what a retry (or the recovery from an ambiguous send) looks the batch up by.

Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, cast

from airflow_provider_sinch.client.limits import MAX_RECIPIENTS, MAX_URL_LENGTH
from airflow_provider_sinch.client.msisdn import (
    all_msisdn_digits,
    all_msisdn_digits_joined,
    is_msisdn,
    msisdn_digits,
)

DEFAULT_PREFIX = "airflow"
_HASH_CHARS = 32
MAX_BASE_LENGTH = MAX_URL_LENGTH - 12
"""The longest reference base a send may have, leaving room for each chunk's ``:{index}``."""

Parameters = dict[str, dict[str, str]]


def destination_key(entry: str) -> str:
    """How a destination is compared: numbers as digits (Sinch's echo), group ids as given."""
    digits = msisdn_digits(entry)
    return entry.strip() if digits is None else digits


@dataclass(frozen=True)
class Destinations:
    """The destinations of one send without repeats, each normalised at most once (a large send asks about
    every number several times: repeats, parameters, chunk fingerprints, the count of groups).

    The usual large list - every entry a number in one canonical shape (:func:`all_msisdn_digits`) - is
    handled in bulk, without a key string per entry: a key then corresponds one to one to its entry, so a
    repeated key is a repeated entry, and the keys of a chunk are its entries with the ``+`` dropped.

    :param entries: each destination as first given, in first-seen order.
    :param repeats: how many repeated entries were dropped.
    :param canonical: every entry is a number in one canonical shape (then :attr:`keys` and :attr:`digits`
        are worked out in bulk, and only when asked for).
    :param normalised: ``(digits, keys)`` of every entry when they were worked out entry by entry.
    """

    entries: list[str]
    repeats: int = 0
    canonical: bool = False
    normalised: tuple[list[str | None], list[str]] | None = field(default=None, compare=False, repr=False)

    @classmethod
    def as_given(cls, entries: Iterable[str]) -> Destinations:
        """``entries`` as they are (repeats, if any, kept)."""
        given = list(entries)
        if all_msisdn_digits_joined(given) is not None:
            return cls(given, canonical=True)
        return cls(given, normalised=_one_by_one(given))

    @classmethod
    def of(cls, entries: Iterable[str]) -> Destinations:
        """``entries`` without repeats (numbers compared as digits), the first spelling kept."""
        found = cls.as_given(entries)
        keys = found.entries if found.canonical else found.keys
        if len(set(keys)) == len(keys):
            return found
        first: dict[str, int] = {}
        for position, key in enumerate(keys):
            first.setdefault(key, position)
        kept = list(first.values())
        repeats = len(found.entries) - len(kept)
        entries = [found.entries[i] for i in kept]
        if found.canonical:
            return cls(entries, repeats, canonical=True)
        return cls(entries, repeats, normalised=([found.digits[i] for i in kept], [keys[i] for i in kept]))

    @cached_property
    def _pairs(self) -> tuple[list[str | None], list[str]]:
        if self.normalised is not None:
            return self.normalised
        digits = all_msisdn_digits(self.entries)
        assert digits is not None  # canonical: checked when made
        return cast(list[str | None], digits), digits  # every entry a number: its digits are its key

    @property
    def digits(self) -> list[str | None]:
        """The canonical digits of each entry that is a phone number, ``None`` for the others."""
        return self._pairs[0]

    @property
    def keys(self) -> list[str]:
        """:func:`destination_key` of each entry, in the same order."""
        return self._pairs[1]

    @property
    def groups(self) -> int:
        """How many destinations are group ids (or anything else that is not a phone number)."""
        return 0 if self.canonical else self.digits.count(None)

    def numbers(self) -> set[str]:
        """The digits of every phone number among them."""
        return {digits for digits in self.digits if digits is not None}

    def chunk_digest(self, start: int, stop: int) -> str:
        """:attr:`Chunk.digest` of the entries ``start`` to ``stop``, from the keys already known."""
        if self.canonical:  # a number's key is its digits: the entry without its "+" (its only one)
            return digest_of_joined("\n".join(self.entries[start:stop]).replace("+", ""))
        return digest_of_joined("\n".join(self.keys[start:stop]))


def _one_by_one(entries: list[str]) -> tuple[list[str | None], list[str]]:
    """(digits or ``None``, key) of every entry, entry by entry."""
    digits = [msisdn_digits(entry) for entry in entries]
    return digits, [entry.strip() if d is None else d for d, entry in zip(digits, entries, strict=True)]


def unique_destinations(entries: Iterable[str]) -> tuple[list[str], int]:
    """The destinations in their first-seen order without repeats, and how many repeats were dropped."""
    found = Destinations.of(entries)
    return found.entries, found.repeats


def base_reference(*, prefix: str | None, dag_id: str, task_id: str, run_id: str, map_index: int) -> str:
    """``{prefix}:{dag_id}:{task_id}:{run_id}:{map_index}``, the same on every try of a task instance.

    Too long for Sinch's 2,048 characters (with room for the chunk suffix), the tail is replaced by a hash
    of the whole, keeping a readable start.
    """
    ref = ":".join([prefix or DEFAULT_PREFIX, dag_id, task_id, run_id, str(map_index)])
    if len(ref) <= MAX_BASE_LENGTH:
        return ref
    digest = hashlib.sha256(ref.encode()).hexdigest()[:_HASH_CHARS]
    return f"{ref[: MAX_BASE_LENGTH - _HASH_CHARS - 1]}~{digest}"


def chunk_reference(base: str, index: int) -> str:
    """The ``client_reference`` of chunk ``index``."""
    return f"{base}:{index}"


@dataclass(frozen=True)
class Chunk:
    """One batch of a send.

    :param index: position, from 0.
    :param to: the destinations (numbers as given, group ids).
    :param parameters: the part of ``parameters`` this chunk needs, or ``None``.
    :param client_reference: the reference it is sent with and looked up by.
    :param planned_digest: :attr:`digest`, when the plan computed it from keys it had already.
    :param request_model: the chunk's request once validated (a ``BatchRequest``), sent as it is instead of
        being validated a second time; ``None`` until the operator validated it.
    """

    index: int
    to: tuple[str, ...]
    parameters: Parameters | None
    client_reference: str | None
    planned_digest: str | None = field(default=None, compare=False, repr=False)
    request_model: Any = field(default=None, compare=False, repr=False)

    @cached_property
    def digest(self) -> str:
        """Fingerprint of the destinations, to notice a retry whose input changed (computed once)."""
        return self.planned_digest or digest_of_joined("\n".join(destination_key(t) for t in self.to))

    def request(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Client keyword arguments for this chunk: ``fields`` plus its ``to``, parameters and reference."""
        request = {**fields, "to": list(self.to)}
        if self.parameters is not None:
            request["parameters"] = self.parameters
        if self.client_reference is not None:
            request["client_reference"] = self.client_reference
        return request


def digest_of_joined(keys: str) -> str:
    """The fingerprint of a chunk's destination keys joined by ``"\\n"`` (what the ledger records and a
    retry compares)."""
    return hashlib.sha256(keys.encode()).hexdigest()[:16]


def split_parameters(parameters: Mapping[str, Mapping[str, str]] | None, to: Iterable[str],
                     listed: set[str], keys: Sequence[str] | None = None) -> Parameters | None:
    """The part of ``parameters`` a chunk with destinations ``to`` needs.

    :param listed: keys (:func:`destination_key`) of every number listed anywhere in the send.  Values for
        numbers that are not listed can only be for members of a group, so they go to chunks with groups.
    :param keys: the keys of ``to``, when known already.
    """
    if parameters is None:
        return None
    to = list(to)
    mine = set(keys) if keys is not None else {destination_key(t) for t in to}
    with_groups = any(not is_msisdn(t) for t in to)
    out: Parameters = {}
    for key, values in parameters.items():
        kept = {}
        for number, value in values.items():
            if number == "default":
                kept[number] = value
                continue
            owner = destination_key(number)
            if owner in mine or (with_groups and owner not in listed):
                kept[number] = value
        out[key] = kept
    return out


def plan_chunks(destinations: list[str] | Destinations, *,
                parameters: Mapping[str, Mapping[str, str]] | None = None, base: str | None = None,
                size: int = MAX_RECIPIENTS) -> list[Chunk]:
    """Split de-duplicated ``destinations`` into chunks of at most ``size`` (1 to 1,000)."""
    if not 1 <= size <= MAX_RECIPIENTS:
        raise ValueError(f"chunk size must be between 1 and {MAX_RECIPIENTS}, got {size}")
    if not isinstance(destinations, Destinations):
        destinations = Destinations.as_given(destinations)
    entries = destinations.entries
    listed = set() if parameters is None else destinations.numbers()
    chunks = []
    for index, start in enumerate(range(0, len(entries), size)):
        to = tuple(entries[start : start + size])
        chunks.append(Chunk(
            index=index,
            to=to,
            parameters=None if parameters is None else split_parameters(
                parameters, to, listed, destinations.keys[start : start + size]),
            client_reference=chunk_reference(base, index) if base is not None else None,
            planned_digest=destinations.chunk_digest(start, start + size),
        ))
    return chunks


def missing_parameter_values(parameters: Mapping[str, Mapping[str, str]] | None,
                             destinations: list[str] | Destinations) -> dict[str, int]:
    """Per parameter without a ``default``: how many listed numbers have no value (Sinch fails those
    recipients with code 405)."""
    if not parameters:
        return {}
    if not isinstance(destinations, Destinations):
        destinations = Destinations.as_given(destinations)
    numbers = [number for number in destinations.digits if number is not None]
    missing = {}
    for key, values in parameters.items():
        if "default" in values:
            continue
        have = {destination_key(n) for n in values}
        count = sum(1 for n in numbers if n not in have)
        if count:
            missing[key] = count
    return missing
