"""The question texted to an approver: subject, a short body, how to reply (with the code), the UI link.

What must arrive whole comes first in priority: the reply line (it carries the code) and the link are never
cut.  The subject and the body are shortened, body first, until the text fits ``max_parts`` SMS parts
(GSM-7/UCS-2 aware, :mod:`airflow_provider_sinch.client.segments`).  When even the reply line and the link
(with a subject cut to :data:`MIN_SUBJECT`) need more parts, the whole subject and as much of the body as
those parts hold are sent, and :attr:`Question.fits` says so, for the notifier to log.
"""

from __future__ import annotations

from dataclasses import dataclass

from airflow_provider_sinch.client.segments import SegmentInfo, count_segments

MIN_SUBJECT = 24
"""A subject is never cut below this many characters (plus ``...``)."""

BODY_CHARS = 200
"""A body longer than this is cut before anything is measured: SMS is for the short version."""


@dataclass(frozen=True)
class Question:
    """A composed question.

    :param text: the SMS text.
    :param segments: its encoding and number of parts.
    :param fits: whether it fits the requested number of parts.
    :param body_kept: whether any of the body is in the text.
    """

    text: str
    segments: SegmentInfo
    fits: bool
    body_kept: bool


def _flat(text: str | None) -> str:
    """One line: Markdown and line breaks of a HITL body read badly in an SMS."""
    return " ".join((text or "").replace("**", "").replace("`", "").split())


def _join(subject: str, body: str, hint: str, link: str | None) -> str:
    head = f"{subject}: {body}" if body else subject
    return "\n".join(part for part in (head, hint, link) if part)


def compose_question(subject: str, body: str | None, hint: str, link: str | None,
                     max_parts: int = 1) -> Question:
    """The question for one approver.

    :param subject: the HITL subject.
    :param body: the HITL body (Markdown flattened, cut to :data:`BODY_CHARS`).
    :param hint: how to reply, with the code (:func:`~.hitl_codes.reply_hint`); never cut.
    :param link: the "required actions" URL, or ``None``; never cut.
    :param max_parts: SMS parts to fit in (1: one segment).
    """
    subject = _flat(subject) or "Airflow approval"
    body = _flat(body)
    if len(body) > BODY_CHARS:
        body = body[: BODY_CHARS - 3] + "..."
    text = _join(subject, body, hint, link)
    if count_segments(text).parts <= max_parts:
        return Question(text, count_segments(text), True, bool(body))
    fixed = _join(subject, "", hint, link)
    if body and count_segments(fixed).parts <= max_parts:
        lo, hi = 0, len(body) - 1  # the longest cut body (ending "...") that still fits
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if count_segments(_join(subject, body[:mid].rstrip() + "...", hint, link)).parts <= max_parts:
                lo = mid
            else:
                hi = mid - 1
        text = _join(subject, body[:lo].rstrip() + "...", hint, link) if lo >= 8 else fixed
        return Question(text, count_segments(text), True, lo >= 8)
    # Even without a body it needs more parts: the subject is cut down to MIN_SUBJECT characters.
    short = subject
    while count_segments(_join(short, "", hint, link)).parts > max_parts and len(short) > MIN_SUBJECT + 3:
        short = short[: max(MIN_SUBJECT, len(short) - 8)].rstrip() + "..."
    if count_segments(_join(short, "", hint, link)).parts <= max_parts:
        return compose_question(short, body, hint, link, max_parts)
    # It cannot fit: use the parts it needs anyway for the whole subject and as much body as they hold.
    needed = count_segments(fixed).parts
    wider = compose_question(subject, body, hint, link, needed)
    return Question(wider.text, wider.segments, False, wider.body_kept)
