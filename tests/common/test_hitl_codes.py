"""Reply codes and reading replies: bound to try, number and approver; tolerant of case and spacing."""

from __future__ import annotations

import pytest

from airflow_provider_sinch.common.hitl_codes import (
    ALPHABET,
    choose_options,
    codes_equal,
    derive_code,
    read_reply,
    reply_hint,
)

SECRET = "s" * 16
TI = "0192f0c1-0000-7000-8000-000000000001"
APPROVAL = ["Approve", "Reject"]


def test_a_code_is_six_unambiguous_characters_and_stable() -> None:
    code = derive_code(SECRET, TI, "+46701234567", "ada")
    assert len(code) == 6
    assert set(code) <= set(ALPHABET)
    assert not set(code) & set("0O1IL")
    assert derive_code(SECRET, TI.upper(), "0046 70-123 45 67", "ada") == code  # same try, same number
    assert len(derive_code(SECRET, TI, "+46701234567", "ada", 5)) == 5


@pytest.mark.parametrize("change", [
    {"ti_id": "0192f0c1-0000-7000-8000-000000000002"},   # another try: the code dies with the try
    {"number": "+46701234568"},                          # another number
    {"user_id": "bob"},                                  # another approver
    {"secret": "t" * 16},                                # another secret
])
def test_every_input_changes_the_code(change: dict[str, str]) -> None:
    base = {"secret": SECRET, "ti_id": TI, "number": "+46701234567", "user_id": "ada"}
    assert derive_code(**{**base, **change}) != derive_code(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(("secret", "length"), [("short", 6), (SECRET, 4), (SECRET, 7), (SECRET, True)])
def test_bad_secret_or_length_is_refused(secret: str, length: int) -> None:
    with pytest.raises(ValueError, match=r"code_secret|code_length"):
        derive_code(secret, TI, "+46701234567", "ada", length)


def test_codes_compare_case_insensitively() -> None:
    assert codes_equal("k7q4mz", "K7Q4MZ")
    assert not codes_equal("K7Q4MA", "K7Q4MZ")


@pytest.mark.parametrize(("text", "expected"), [
    ("K7Q4MZ yes", [("K7Q4MZ", "yes")]),
    ("  k7q4mz   1 ", [("K7Q4MZ", "1")]),
    ("k7q4mz, YES.", [("K7Q4MZ", "YES.")]),
    ("yes k7q4mz", [("K7Q4MZ", "yes")]),
    ("REJECT K7Q4MZ", [("REJECT", "K7Q4MZ"), ("K7Q4MZ", "REJECT")]),   # both words look like codes
    ("YES", []),                    # a bare answer has no code
    ("K7Q4MZ", []),                 # a code without an answer
    ("hello there friend", []),
    ("K0Q4MZ yes", []),             # 0 is not in the alphabet
])
def test_reading_replies(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(r.code, r.answer) for r in read_reply(text)] == expected


@pytest.mark.parametrize(("answer", "options", "multiple", "chosen"), [
    ("yes", APPROVAL, False, ["Approve"]),
    ("Y", APPROVAL, False, ["Approve"]),
    ("no", APPROVAL, False, ["Reject"]),
    ("approve", APPROVAL, False, ["Approve"]),
    ("2", APPROVAL, False, ["Reject"]),
    ("3", APPROVAL, False, None),
    ("maybe", APPROVAL, False, None),
    ("  deploy   EU ", ["Deploy EU", "Deploy US"], False, ["Deploy EU"]),
    ("yes", ["Deploy EU", "Deploy US"], False, None),      # YES/NO only for Approve/Reject
    ("1, 2", ["a", "b", "c"], True, ["a", "b"]),
    ("1 3 1", ["a", "b", "c"], True, ["a", "c"]),
    ("1, 2", ["a", "b", "c"], False, None),                # one option only
    ("1 x", ["a", "b", "c"], True, None),
    ("", APPROVAL, False, None),
    ("٣", ["a", "b", "c"], False, None),                   # not an ASCII digit
])
def test_choosing_options(answer: str, options: list[str], multiple: bool, chosen: list[str] | None) -> None:
    assert choose_options(answer, options, multiple) == chosen


def test_reply_hints() -> None:
    assert reply_hint("K7Q4MZ", APPROVAL, False) == "Reply K7Q4MZ YES or K7Q4MZ NO"
    assert reply_hint("K7Q4MZ", ["EU", "US"], False) == "Reply K7Q4MZ and one of: 1 EU, 2 US"
    assert reply_hint("K7Q4MZ", ["EU", "US"], True) == "Reply K7Q4MZ and one or more of: 1 EU, 2 US"
