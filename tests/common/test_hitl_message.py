"""Composing the question: one GSM-7 segment when it can, the code and link never cut."""

from __future__ import annotations

from airflow_provider_sinch.client.segments import count_segments
from airflow_provider_sinch.common.hitl_message import MIN_SUBJECT, compose_question

HINT = "Reply K7Q4MZ YES or K7Q4MZ NO"
LINK = "https://af.example.com/dags/deploy/runs/manual__2026-12-06/tasks/approve/required_actions?map_index=-1"


def test_a_short_question_fits_one_segment_whole() -> None:
    question = compose_question("Deploy 1.2?", "All **checks** passed.\n", HINT, None)
    assert question.text == "Deploy 1.2?: All checks passed.\nReply K7Q4MZ YES or K7Q4MZ NO"
    assert question.fits
    assert question.segments.parts == 1
    assert question.body_kept


def test_the_body_is_cut_first_to_fit() -> None:
    question = compose_question("Deploy 1.2?", "word " * 40, HINT, None)
    assert question.fits
    assert question.segments.parts == 1
    assert question.text.startswith("Deploy 1.2?: word")
    assert "...\n" + HINT in question.text


def test_then_the_subject_and_never_the_reply_line_or_link() -> None:
    question = compose_question("A very long subject " * 5, "body", HINT, LINK)
    assert question.fits
    assert count_segments(question.text).parts == 1
    assert question.text.endswith(HINT + "\n" + LINK)
    assert len(question.text.split("\n")[0]) >= MIN_SUBJECT
    assert not question.body_kept


def test_too_long_anyway_uses_the_parts_it_needs_and_says_so() -> None:
    link = LINK + "&x=" + "y" * 120
    question = compose_question("Deploy release 1.2 to production?", "Checks passed.", HINT, link)
    assert not question.fits
    assert question.segments.parts == 2
    assert question.text == f"Deploy release 1.2 to production?: Checks passed.\n{HINT}\n{link}"


def test_unicode_subjects_count_ucs2() -> None:
    question = compose_question("Déploiement 🚀", None, HINT, None)
    assert question.segments.encoding == "UNICODE"
    assert question.fits
