"""The inbound filter and window that the reply sensor and the inbound triggers share."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from airflow_provider_sinch.client.models import InboundMessage
from airflow_provider_sinch.common.inbound_wait import InboundMessageFilter, InboundWindow
from tests.fakes import inbound

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def at(seconds: float) -> str:
    """An ISO time ``seconds`` after T0, as Sinch writes it."""
    when = T0 + timedelta(seconds=seconds)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def msg(msg_id: str, sender: str, text: str, seconds: float, to: str = "12017777777") -> InboundMessage:
    return InboundMessage.model_validate(inbound(msg_id, sender, text, at(seconds), to))


# Filter


def test_filter_numbers_any_spelling() -> None:
    f = InboundMessageFilter(from_numbers=["+46 70-123 45 67"], to_numbers="+1 201 777 7777")  # type: ignore[arg-type]
    assert f.match(msg("m1", "46701234567", "hi", 1)) is not None
    assert f.match(msg("m2", "46701234568", "hi", 1)) is None
    assert f.match(msg("m3", "46701234567", "hi", 1, to="12018888888")) is None
    assert f.to_kwargs()["from_numbers"] == ["46701234567"]
    assert f.to_kwargs()["to_numbers"] == ["12017777777"]


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("YES", "YES"),
        ("yes please", "YES"),
        ("  Yes.", "YES"),
        ("no!", "NO"),
        ("No way", "NO"),
        ("yesterday", None),
        ("I say yes", None),
        ("", None),
        ("?", None),
    ],
)
def test_keywords_are_first_words_case_insensitive(text: str, keyword: str | None) -> None:
    f = InboundMessageFilter(keywords=("YES", "NO"))
    result = f.match(msg("m1", "1", text, 1))
    assert (result or {}).get("keyword") == keyword


def test_pattern_named_groups_and_and_semantics() -> None:
    f = InboundMessageFilter(pattern=r"approve\s+(?P<ticket>\d+)")
    result = f.match(msg("m1", "1", "Please APPROVE 4711 now", 1))
    assert result is not None
    assert result["groups"] == {"ticket": "4711"}
    assert f.match(msg("m2", "1", "deny 4711", 1)) is None
    both = InboundMessageFilter(keywords=("OK",), pattern=r"\d+")
    assert both.match(msg("m3", "1", "ok 12", 1)) is not None
    assert both.match(msg("m4", "1", "ok twelve", 1)) is None


def test_match_returns_plain_json_with_text() -> None:
    result = InboundMessageFilter().match(msg("m1", "46701234567", "Hello", 3))
    assert result is not None
    assert json.loads(json.dumps(result)) == result
    assert result["from"] == "46701234567"
    assert result["text"] == "Hello"
    assert result["id"] == "m1"
    assert result["received_at"].startswith("2026-03-01T12:00:03")


def test_media_and_binary_text() -> None:
    media = InboundMessage.model_validate(
        {
            "type": "mo_media",
            "id": "m1",
            "from": "1",
            "to": "2",
            "body": {"message": "yes", "media": []},
            "received_at": at(1),
        }
    )
    binary = InboundMessage.model_validate(
        {
            "type": "mo_binary",
            "id": "m2",
            "from": "1",
            "to": "2",
            "body": "AAEC",
            "udh": "00",
            "received_at": at(1),
        }
    )
    f = InboundMessageFilter(keywords="yes")
    assert f.match(media) is not None
    assert f.match(binary) is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"pattern": "("}, "not a valid regular expression"),
        ({"keywords": ["two words"]}, "one word"),
        ({"pattern": 5}, "pattern must be a string"),
    ],
)
def test_filter_validation(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        InboundMessageFilter(**kwargs)


def test_filter_description_masks_numbers() -> None:
    text = InboundMessageFilter(from_numbers=("46701234567",), keywords=("YES",)).describe()
    assert "46701234567" not in text
    assert "4670****567" in text
    assert InboundMessageFilter().describe() == "any message"


# Window


def test_window_new_messages_once_oldest_first() -> None:
    w = InboundWindow(T0 + timedelta(seconds=10), overlap=60)
    batch = [msg("b", "1", "x", 30), msg("a", "1", "x", 20), msg("old", "1", "x", 5), msg("a", "1", "x", 20)]
    assert [m.id for m in w.take(batch)] == ["a", "b"]
    assert w.take(batch) == []
    assert w.query_start() == T0 + timedelta(seconds=10)  # newest - overlap is before the floor
    w.take([msg("c", "1", "x", 200)])
    assert w.query_start() == T0 + timedelta(seconds=140)


def test_window_state_round_trip_keeps_overlap_ids_only() -> None:
    w = InboundWindow(T0, overlap=60)
    w.take([msg("a", "1", "x", 10), msg("b", "1", "x", 100), msg("c", "1", "x", 150)])
    state = json.loads(json.dumps(w.state()))
    assert set(state["ids"]) == {"b", "c"}  # a is older than watermark - overlap
    again = InboundWindow.from_state(state, overlap=60)
    assert again is not None
    assert again.floor == T0 + timedelta(seconds=90)
    # b and c were handled; d is late (listed after c) but inside the overlap: it is new
    late = [msg("a", "1", "x", 10), msg("b", "1", "x", 100), msg("c", "1", "x", 150), msg("d", "1", "x", 120)]
    assert [m.id for m in again.take(late)] == ["d"]
    assert InboundWindow.from_state(None) is None
    assert InboundWindow.from_state({"ids": {}}) is None


def test_window_restart_respects_the_original_floor() -> None:
    w = InboundWindow(T0 + timedelta(seconds=50), overlap=60)
    again = InboundWindow.from_state(w.state(), overlap=60)
    assert again is not None
    assert again.floor == T0 + timedelta(seconds=50)  # not watermark - overlap: older messages stay old
