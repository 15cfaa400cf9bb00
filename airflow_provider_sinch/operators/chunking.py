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
from typing import Any

from airflow_provider_sinch.client.models.batches import MAX_RECIPIENTS, MAX_URL_LENGTH
from airflow_provider_sinch.client.msisdn import all_msisdn_digits, is_msisdn, msisdn_digits

DEFAULT_PREFIX = "airflow"
_HASH_CHARS = 32
_REFERENCE_ROOM = MAX_URL_LENGTH - 12  # what the base may take, leaving room for ":{chunk index}"

Parameters = dict[str, dict[str, str]]


def destination_key(entry: str) -> str:
    """How a destination is compared: numbers as digits (Sinch's echo), group ids as given."""
    digits = msisdn_digits(entry)
    return entry.strip() if digits is None else digits


@dataclass(frozen=True)
class Destinations:
    """The destinations of one send without repeats, each normalised once (a large send asks about every
    number several times: repeats, parameters, chunk fingerprints, the count of groups).

    :param entries: each destination as first given, in first-seen order.
    :param keys: :func:`destination_key` of each entry, in the same order.
    :param digits: the canonical digits of each entry that is a phone number, ``None`` for the others.
    :param repeats: how many repeated entries were dropped.
    """

    entries: list[str]
    keys: list[str]
    digits: list[str | None]
    repeats: int = 0

    @classmethod
    def as_given(cls, entries: Iterable[str]) -> Destinations:
        """``entries`` as they are (repeats, if any, kept), each normalised."""
        given = list(entries)
        digits, keys = _normalised(given)
        return cls(given, keys, digits)

    @classmethod
    def of(cls, entries: Iterable[str]) -> Destinations:
        """``entries`` without repeats (numbers compared as digits), the first spelling kept."""
        found = cls.as_given(entries)
        if len(set(found.keys)) == len(found.keys):
            return found
        first: dict[str, int] = {}
        for position, key in enumerate(found.keys):
            first.setdefault(key, position)
        kept = list(first.values())
        return cls([found.entries[i] for i in kept], [found.keys[i] for i in kept],
                   [found.digits[i] for i in kept], len(found.entries) - len(kept))

    @property
    def groups(self) -> int:
        """How many destinations are group ids (or anything else that is not a phone number)."""
        return self.digits.count(None)

    def numbers(self) -> set[str]:
        """The digits of every phone number among them."""
        return {digits for digits in self.digits if digits is not None}


def _normalised(entries: list[str]) -> tuple[list[str | None], list[str]]:
    """(digits or ``None``, key) of every entry: one pass over the joined list when all are compact numbers
    (then every key is its digits), else entry by entry."""
    bulk = all_msisdn_digits(entries)
    if bulk is not None:
        return list[str | None](bulk), bulk
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
    if len(ref) <= _REFERENCE_ROOM:
        return ref
    digest = hashlib.sha256(ref.encode()).hexdigest()[:_HASH_CHARS]
    return f"{ref[: _REFERENCE_ROOM - _HASH_CHARS - 1]}~{digest}"


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
    :param keys: :func:`destination_key` of each of ``to``, when the plan already has them.
    :param request_model: the chunk's request once validated (a ``BatchRequest``), sent as it is instead of
        being validated a second time; ``None`` until the operator validated it.
    """

    index: int
    to: tuple[str, ...]
    parameters: Parameters | None
    client_reference: str | None
    keys: tuple[str, ...] | None = field(default=None, compare=False, repr=False)
    request_model: Any = field(default=None, compare=False, repr=False)

    @cached_property
    def digest(self) -> str:
        """Fingerprint of the destinations, to notice a retry whose input changed (computed once)."""
        keys = self.keys if self.keys is not None else [destination_key(t) for t in self.to]
        return hashlib.sha256("\n".join(keys).encode()).hexdigest()[:16]

    def request(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Client keyword arguments for this chunk: ``fields`` plus its ``to``, parameters and reference."""
        request = {**fields, "to": list(self.to)}
        if self.parameters is not None:
            request["parameters"] = self.parameters
        if self.client_reference is not None:
            request["client_reference"] = self.client_reference
        return request


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
    entries, keys = destinations.entries, destinations.keys
    listed = set() if parameters is None else destinations.numbers()
    chunks = []
    for index, start in enumerate(range(0, len(entries), size)):
        to, chunk_keys = tuple(entries[start : start + size]), tuple(keys[start : start + size])
        chunks.append(Chunk(
            index=index,
            to=to,
            parameters=split_parameters(parameters, to, listed, chunk_keys),
            client_reference=chunk_reference(base, index) if base is not None else None,
            keys=chunk_keys,
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
