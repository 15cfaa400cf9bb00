"""Deciding what an inbound SMS answers, and answering it through the bridge: shared by push and poll.

A reply counts only when **all** of these hold, checked in this order; anything else records nothing:

1. the sender is not locked out for wrong codes (:data:`WRONG_CODE_LIMIT` per :data:`WRONG_CODE_WINDOW_S`);
2. it carries a code (first or last word) that equals the code of an open request for *the sender's
   number* and one of the request's assigned users (the code binds request, try, number and approver);
   a code of a request answered already (by anyone, or by the timeout's defaults) is acknowledged as
   ``already_answered``, any other code counts as wrong;
3. the request was asked by SMS in this try (the notifier's XCom :data:`XCOM_KEY` is there);
4. it was received after the question and before the request's timeout (``created_at`` +
   ``response_timeout``; Airflow itself accepts a response until its timeout sweep runs);
5. it names a valid option (:func:`~.hitl_codes.choose_options`), and the form needs no input;
6. Airflow takes it: a 409 means someone (the UI, another SMS, the timeout's defaults) answered first and
   is acknowledged without a retry.  An answer is never submitted sooner than :data:`SETTLE_S` after the
   question was written: a faster one waits for it.

A code-shaped word that matches nothing counts as a wrong code for the sender.  An optional SMS back (a
short hint, "already answered", "too late") goes only to a sender who proved a valid code, at most
:data:`REPLY_LIMIT` per :data:`REPLY_WINDOW_S` per number, so an auto-responder can never loop with us.

On Airflow 3.1/3.2 the ``PATCH`` neither locks nor checks options: the options are checked here on every
version, and after recording, the request is read back; if the UI answered at the same moment, the last
write won in the database, and the log says which (the task resumes with whatever its trigger read first).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from airflow_provider_sinch.client.msisdn import mask_msisdn, normalize_msisdn
from airflow_provider_sinch.common.hitl_bridge import AirflowBridge, BridgeError
from airflow_provider_sinch.common.hitl_codes import (
    CODE_LENGTHS,
    choose_options,
    codes_equal,
    derive_code,
    read_reply,
    reply_hint,
)
from airflow_provider_sinch.common.times import parse_time
from airflow_provider_sinch.version_compat import HITL_SERVER_CHECKS_RESPONSES

log = logging.getLogger(__name__)

XCOM_KEY = "sinch_hitl"
"""The XCom the notifier writes for the try it asked: ``response_timeout`` (seconds) and who was asked."""

WRONG_CODE_LIMIT, WRONG_CODE_WINDOW_S = 5, 900.0
REPLY_LIMIT, REPLY_WINDOW_S = 3, 3600.0
SKEW_S = 30.0
"""Clock difference tolerated between Sinch's ``received_at`` and Airflow's ``created_at``."""
SETTLE_S = 10.0
"""No answer is submitted sooner than this after the question was written (``created_at``).  Airflow (seen
on 3.3.2) fails the task when an answer lands before its scheduler has processed the end of the worker that
asked: it re-queues the task at once, and the first worker's late "success" then fails the second.  That
window lasted 1 to 8 s on a loaded machine; a person replying to an SMS rarely beats it, this makes sure."""

Result = Literal["recorded", "already_answered", "no_code", "wrong_code", "rate_limited", "not_asked",
                 "before_question", "late", "invalid_option", "needs_form", "refused"]


@dataclass(frozen=True)
class InboundSMS:
    """The parts of an inbound SMS the decision needs (Sinch's ``from`` is ``from_`` here, as in the client's
    models).

    :param id: Sinch's message id.
    :param from_: the sender's number.
    :param to: our number it was sent to.
    :param body: the text.
    :param received_at: when Sinch received it.
    """

    id: str
    from_: str
    to: str
    body: str
    received_at: datetime

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> InboundSMS | None:
        """From a Sinch inbound (callback or ``GET /inbounds`` item); ``None`` unless it is a text."""
        if payload.get("type", "mo_text") != "mo_text" or not isinstance(payload.get("body"), str):
            return None
        received = parse_time(payload.get("received_at"), "received_at")
        if received is None or not payload.get("from"):
            return None
        return cls(str(payload.get("id", "")), str(payload["from"]), str(payload.get("to", "")),
                   payload["body"], received)


@dataclass
class Decision:
    """What became of one inbound SMS.

    :param result: the outcome (``recorded`` is the only one that answered a request).
    :param detail: a log-safe sentence.
    :param request: ``dag_id.task_id`` of the run and map index answered (when a code matched).
    :param approver: the Airflow user the code was issued to (when a code matched).
    :param chosen: the options submitted.
    :param reply: the SMS sent back, if any.
    """

    result: Result
    detail: str
    request: str | None = None
    approver: str | None = None
    chosen: list[str] = field(default_factory=list)
    reply: str | None = None


class WindowLimiter:
    """At most ``limit`` events per ``window`` seconds per key; keys are HMACs of numbers, never numbers.

    :param limit: events allowed in a window.
    :param window: seconds.
    :param state: where the event times live (a dict in a process; the poll task loads and saves it).
    :param now: epoch seconds (injectable).
    """

    def __init__(self, limit: int, window: float, state: MutableMapping[str, list[float]] | None = None,
                 now: Callable[[], float] | None = None) -> None:
        import time

        self.limit, self.window = limit, window
        self.state: MutableMapping[str, list[float]] = {} if state is None else state
        self._now = now or time.time

    def _recent(self, key: str) -> list[float]:
        cutoff = self._now() - self.window
        recent = [t for t in self.state.get(key, []) if t > cutoff]
        if recent:
            self.state[key] = recent
        else:
            self.state.pop(key, None)
        return recent

    def blocked(self, key: str) -> bool:
        """Whether ``key`` used up its window."""
        return len(self._recent(key)) >= self.limit

    def hit(self, key: str) -> None:
        """Count one event for ``key``."""
        self.state[key] = [*self._recent(key), self._now()]

    def prune(self) -> None:
        """Forget keys whose window passed (keeps a saved state small)."""
        for key in list(self.state):
            self._recent(key)


def _params_input(detail: Mapping[str, Any]) -> dict[str, Any] | None:
    """The values an SMS answer submits for the form: each param's default; ``None`` when one has none."""
    values = {}
    for key, param in (detail.get("params") or {}).items():
        value = param.get("value") if isinstance(param, Mapping) else param
        if value is None:
            return None
        values[key] = value
    return values


def _describe(ti: Mapping[str, Any]) -> str:
    index = ti.get("map_index", -1)
    return f"{ti.get('dag_id')}.{ti.get('task_id')}{'' if index in (-1, None) else f'[{index}]'} " \
           f"run {ti.get('dag_run_id')}"


class ReplyHandler:
    """Decides and submits SMS answers.

    :param bridge: the REST client (bridge user).
    :param wrong_codes: the wrong-code limiter (default :data:`WRONG_CODE_LIMIT` per window, in memory).
    :param replies: the SMS-back limiter (default :data:`REPLY_LIMIT` per window, in memory).
    :param send_sms: ``(to, from_, text)`` -> None to text a hint back; ``None``: never text back.
    :param code_lengths: code lengths to look for.
    :param now: the current time (tests: a fixed one).
    :param sleep: waits real seconds (:data:`SETTLE_S`; tests: a recorder).
    """

    def __init__(self, bridge: AirflowBridge, *, wrong_codes: WindowLimiter | None = None,
                 replies: WindowLimiter | None = None,
                 send_sms: Callable[[str, str, str], None] | None = None,
                 code_lengths: Iterable[int] = CODE_LENGTHS,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.bridge = bridge
        self._checking = threading.Lock()
        self.now = now
        self.sleep = sleep
        self.secret = bridge.settings.code_secret
        self.wrong_codes = wrong_codes or WindowLimiter(WRONG_CODE_LIMIT, WRONG_CODE_WINDOW_S)
        self.replies = replies or WindowLimiter(REPLY_LIMIT, REPLY_WINDOW_S)
        self.send_sms = send_sms
        self.code_lengths = tuple(code_lengths)

    def key(self, number: str) -> str:
        """The limiter key of a number: an HMAC, so a saved state holds no numbers."""
        message = b"limit\x1f" + normalize_msisdn(number).encode()
        digest = hmac.new(self.secret.encode(), message, hashlib.sha256)
        return digest.hexdigest()[:20]

    def handle(self, sms: InboundSMS) -> Decision:
        """Decide one inbound SMS and, when it is a valid answer, submit it.  Logs the outcome."""
        decision = self._decide(sms)
        quiet = decision.result in ("recorded", "already_answered", "no_code")
        level = logging.INFO if quiet else logging.WARNING
        log.log(level, "SMS %s from %s: %s (%s)", sms.id, mask_msisdn(sms.from_), decision.result,
                decision.detail)
        return decision

    def _decide(self, sms: InboundSMS) -> Decision:
        readings = read_reply(sms.body, self.code_lengths)
        if not readings:
            return Decision("no_code", "no code in the message: nothing recorded")
        key = self.key(sms.from_)
        # One code check at a time per handler: the receiver answers each SMS on a thread of its own, and a
        # burst of guesses checked side by side would all pass the limit before any was counted.
        with self._checking:
            if self.wrong_codes.blocked(key):
                limiter = self.wrong_codes
                return Decision("rate_limited", f"over {limiter.limit} wrong codes in {limiter.window:.0f} s "
                                                "from this number: not evaluated")
            match = self._match(sms, readings, self.bridge.open_requests())
            if match is None:
                answered = self._match(sms, readings, self.bridge.answered_requests())
                if answered is None:
                    self.wrong_codes.hit(key)
                    return Decision("wrong_code", "the code matches no open request for this number")
        if match is None:
            assert answered is not None  # a wrong code returned above
            where = _describe(answered[0]["task_instance"])
            return Decision("already_answered", f"{where}: already answered: nothing recorded", where,
                            f"{answered[1].get('name')} ({answered[1].get('id')})",
                            reply=self._text_back(sms, "Already answered: nothing changed."))
        detail, user, answer, code = match
        return self._answer(sms, detail, user, answer, code)

    def _match(self, sms: InboundSMS, readings: list[Any], requests: Iterable[dict[str, Any]]
               ) -> tuple[dict[str, Any], dict[str, Any], str, str] | None:
        for detail in requests:
            ti_id = detail["task_instance"]["id"]
            for user in detail.get("assigned_users") or []:
                for reading in readings:
                    if len(reading.code) not in self.code_lengths:
                        continue
                    expected = derive_code(self.secret, ti_id, sms.from_, str(user["id"]), len(reading.code))
                    if codes_equal(reading.code, expected):
                        return detail, user, reading.answer, reading.code
        return None

    def _answer(self, sms: InboundSMS, detail: dict[str, Any], user: Mapping[str, Any], answer: str,
                code: str) -> Decision:
        ti = detail["task_instance"]
        where, approver = _describe(ti), f"{user.get('name')} ({user.get('id')})"
        options, multiple = list(detail["options"]), bool(detail.get("multiple"))

        def refuse(result: Result, why: str, hint: str | None = None) -> Decision:
            return Decision(result, f"{where}: {why}", where, approver, reply=self._text_back(sms, hint))

        asked = self.bridge.xcom(ti, XCOM_KEY)
        if not isinstance(asked, Mapping):
            return refuse("not_asked", "this try was not asked by SMS (no XCom sinch_hitl): nothing recorded")
        created = parse_time(detail.get("created_at"), "created_at")
        if created is not None and sms.received_at < created - timedelta(seconds=SKEW_S):
            return refuse("before_question", "received before the question was asked: nothing recorded")
        timeout = asked.get("response_timeout")
        deadline = None if created is None or timeout is None else created + timedelta(seconds=timeout)
        if deadline is not None and sms.received_at > deadline:
            return refuse("late", "received after the response timeout: nothing recorded (Airflow applies "
                                  "the timeout)", "Too late: this request has timed out.")
        chosen = choose_options(answer, options, multiple)
        if chosen is None:
            return refuse("invalid_option", "the answer names none of the options: nothing recorded",
                          reply_hint(code, options, multiple))
        params = _params_input(detail)
        if params is None:
            return refuse("needs_form", "the form has a field without a value, which SMS cannot fill: "
                                        "answer in the UI")
        audit = {"sms_from": mask_msisdn(sms.from_), "approver": approver, "sms_id": sms.id}
        if created is not None:
            settle = (created + timedelta(seconds=SETTLE_S) - self.now()).total_seconds()
            if settle > 0:
                log.info("%s: the answer waits %.1f s (none is submitted within %.0f s of the question)",
                         where, settle, SETTLE_S)
                self.sleep(settle)
        try:
            result, _ = self.bridge.respond(ti, chosen, params, audit)
        except BridgeError as exc:
            return Decision("refused", f"{where}: Airflow refused the answer ({exc})", where, approver)
        if result == "already_answered":
            return Decision("already_answered", f"{where}: already answered (409): nothing recorded", where,
                            approver, reply=self._text_back(sms, "Already answered: nothing changed."))
        if not HITL_SERVER_CHECKS_RESPONSES:
            self._check_race(ti, chosen)
        return Decision("recorded", f"{where}: {chosen} for {approver} via {mask_msisdn(sms.from_)}", where,
                        approver, chosen)

    def _check_race(self, ti: Mapping[str, Any], chosen: list[str]) -> None:
        """Airflow < 3.3: read the request back; a concurrent UI answer may have overwritten ours."""
        stored = self.bridge.detail(ti)
        if stored is not None:
            by = (stored.get("responded_by_user") or {}).get("id")
            if stored.get("chosen_options") != chosen or by != self.bridge.settings.user_id:
                log.warning("%s: another answer (%s by %s) was written at the same moment as the SMS answer; "
                            "Airflow before 3.3 does not lock the request", _describe(ti),
                            stored.get("chosen_options"), by)

    def _text_back(self, sms: InboundSMS, text: str | None) -> str | None:
        if text is None or self.send_sms is None:
            return None
        key = "reply:" + self.key(sms.from_)
        if self.replies.blocked(key):
            return None
        self.replies.hit(key)
        try:
            self.send_sms(sms.from_, sms.to, text)
        except Exception as exc:  # a hint that did not go out changes no decision
            log.warning("SMS back to %s not sent: %s", mask_msisdn(sms.from_), type(exc).__name__)
            return None
        return text
