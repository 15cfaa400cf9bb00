"""``as_list`` on a plain list of strings (a send's 100,000 numbers) takes a shortcut; its answer is the
one the entry-by-entry reading gives."""

from __future__ import annotations

import pytest

from airflow_provider_sinch.common.arguments import as_list


class Text(str):
    """A ``str`` subclass: not a plain string, so read entry by entry."""


@pytest.mark.parametrize("value", [
    [" +46701234567 ", "", "  ", "G1", "+46701234568\n"],
    ("+46701234567", " G1"),
    [],
])
def test_a_list_of_plain_strings_reads_as_entry_by_entry(value: list[str] | tuple[str, ...]) -> None:
    slow = as_list([Text(v) for v in value], "to")
    assert as_list(value, "to") == slow == [v.strip() for v in value if v.strip()]
    assert all(type(v) is str for v in as_list(value, "to"))


def test_a_list_with_other_entries_still_checks_each() -> None:
    assert as_list(["+46701234567", 46701234568, {"id": "G1"}], "to", keys=("id",)) == [
        "+46701234567", "46701234568", "G1"]
    with pytest.raises(ValueError, match="entries must be strings, got float"):
        as_list(["+46701234567", 4.5], "to")
