"""SMS segment counting: GSM-7 (extension characters count double) vs UCS-2 (emoji count double)."""

from __future__ import annotations

import pytest

from airflow_provider_sinch.client import SinchValidationError, count_segments, truncate_to_parts
from airflow_provider_sinch.client.segments import GSM7_BASIC, GSM7_EXTENSION, is_gsm7


@pytest.mark.parametrize(
    ("text", "encoding", "units", "parts"),
    [
        ("", "GSM", 0, 0),
        ("Hello", "GSM", 5, 1),
        ("x" * 160, "GSM", 160, 1),
        ("x" * 161, "GSM", 161, 2),  # concatenated: 153 a part
        ("x" * 306, "GSM", 306, 2),
        ("x" * 307, "GSM", 307, 3),
        ("€" * 80, "GSM", 160, 1),  # extension characters take two septets
        ("€" * 81, "GSM", 162, 2),
        ("x" * 159 + "^", "GSM", 161, 2),
        ("{}[]~|\\^€", "GSM", 18, 1),
        ("Smörgåsbord på Ærø, ¿ñü? Δ_Ω", "GSM", 28, 1),  # accented letters of the basic table
        ("ç", "UNICODE", 1, 1),  # GSM-7 has only the capital Ç
        ("Привет", "UNICODE", 6, 1),
        ("ж" * 70, "UNICODE", 70, 1),
        ("ж" * 71, "UNICODE", 71, 2),  # concatenated: 67 a part
        ("ж" * 134, "UNICODE", 134, 2),
        ("ж" * 135, "UNICODE", 135, 3),
        ("😀", "UNICODE", 2, 1),  # an emoji is two UTF-16 units
        ("😀" * 35, "UNICODE", 70, 1),
        ("😀" * 36, "UNICODE", 72, 2),
        ("x" * 159 + "😀", "UNICODE", 161, 3),  # one emoji turns a whole message into UCS-2
        # A character is never split across parts: the escape septet travels with its extension character
        ("x" * 152 + "€" + "x" * 152, "GSM", 306, 3),
        ("x" * 151 + "€" + "x" * 153, "GSM", 306, 2),
        # ... and a surrogate pair stays whole
        ("ж" * 66 + "😀" + "ж" * 66, "UNICODE", 134, 3),
        ("ж" * 65 + "😀" + "ж" * 67, "UNICODE", 134, 2),
    ],
)
def test_count_segments(text: str, encoding: str, units: int, parts: int) -> None:
    info = count_segments(text)
    assert (info.encoding, info.units, info.parts) == (encoding, units, parts)


def test_alphabet_tables() -> None:
    assert len(GSM7_BASIC) == 127  # 128 code points minus the escape to the extension table
    assert frozenset("^{}\\[~]|€\f") == GSM7_EXTENSION
    assert is_gsm7("@£$¥èéùìòÇ\nØø\rÅå")
    assert not is_gsm7("`")  # the backtick is not in GSM-7


@pytest.mark.parametrize(
    ("text", "max_parts"),
    [
        ("x" * 500, 1),
        ("x" * 500, 2),
        ("€" * 300, 1),
        ("ж" * 300, 1),
        ("ж" * 300, 3),
        ("😀" * 100, 1),
        ("word " * 200, 2),
    ],
)
def test_truncate_to_parts_fits_and_keeps_as_much_as_possible(text: str, max_parts: int) -> None:
    cut = truncate_to_parts(text, max_parts)
    assert cut.endswith("...")
    assert count_segments(cut).parts <= max_parts
    longer = text[: len(cut) - 3 + 1] + "..."
    assert count_segments(longer).parts > max_parts  # one more character would not fit
    assert text.startswith(cut[:-3])


def test_truncate_to_parts_edge_cases() -> None:
    assert truncate_to_parts("short", 1) == "short"
    assert truncate_to_parts("x" * 160, 1) == "x" * 160
    assert truncate_to_parts("x" * 161, 1) == "x" * 157 + "..."
    assert truncate_to_parts("ж" * 71, 1, ellipsis="…") == "ж" * 69 + "…"
    with pytest.raises(ValueError, match="at least 1"):
        truncate_to_parts("x", 0)


def test_a_lone_surrogate_counts_as_one_unit_instead_of_raising() -> None:
    info = count_segments("Hi \ud800")
    assert (info.encoding, info.units, info.parts) == ("UNICODE", 4, 1)
    assert truncate_to_parts("\ud83d" * 200, 1).endswith("...")


@pytest.mark.parametrize("text", [123, None, b"Hi"])
def test_counting_something_that_is_not_text_is_the_project_error(text: object) -> None:
    with pytest.raises(SinchValidationError, match="text: must be a string"):
        count_segments(text)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "parts", [0, -1, True, "2", 1.5, -(10**5000)], ids=["0", "-1", "True", "str", "float", "huge"])
def test_max_parts_must_be_a_whole_number_from_1(parts: object) -> None:
    with pytest.raises(SinchValidationError, match="max_parts must be a whole number") as caught:
        truncate_to_parts("Hi", parts)  # type: ignore[arg-type]
    assert len(str(caught.value)) <= 500
