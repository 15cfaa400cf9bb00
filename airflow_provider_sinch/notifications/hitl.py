"""``SinchHITLNotifier``: ask a human-in-the-loop question by SMS, answerable by a coded reply.

Give it to any of Airflow's HITL operators (``ApprovalOperator``, ``HITLOperator``, ``HITLBranchOperator``)
as ``notifiers=[...]``.  The operator writes the request, calls its notifiers in the worker, then waits
(3.3: ``awaiting_input``; 3.1/3.2: deferred to ``HITLTrigger``).  For each assigned user that has a number
in ``approvers`` (configuration of the DAG author, never taken from an SMS) this notifier texts:

    Deploy release 1.2?: All checks passed.
    Reply K7Q4MZ YES or K7Q4MZ NO
    https://airflow.example.com/dags/deploy/runs/.../tasks/approve/required_actions?map_index=-1

The code (:mod:`~airflow_provider_sinch.common.hitl_codes`) is bound to the try, the number and the
approver; it never appears in a log or XCom.  The text fits one GSM-7 segment when it can (``max_parts``);
when the reply line and the link alone need more, it is sent in the parts needed and the log says why.

Before texting anyone it writes XCom ``sinch_hitl`` (the response timeout and who was asked, numbers
masked), which the bridge reads to judge a reply's time; XComs are cleared with each new try, like codes.

**Refused before anything is sent** (:func:`check_hitl_task`; the provider's cluster policy runs it when the
DAG file is parsed, so such a DAG fails to import): a form field without a default (SMS fills no form), no
``assigned_users``, no approver with a number among them.  When the question is asked, the bridge user (the
``sinch_hitl_default`` connection) must be among ``assigned_users`` too, or the task fails at once: an SMS
answer could never be recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseNotifier

from airflow_provider_sinch.client.msisdn import mask_destination, mask_msisdn, number_problem
from airflow_provider_sinch.common.arguments import as_int, as_mapping, has_template, invalid
from airflow_provider_sinch.common.hitl_bridge import DEFAULT_HITL_CONN_ID, load_settings
from airflow_provider_sinch.common.hitl_codes import check_code_length, derive_code, reply_hint
from airflow_provider_sinch.common.hitl_message import compose_question
from airflow_provider_sinch.common.hitl_replies import XCOM_KEY
from airflow_provider_sinch.hooks import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow_provider_sinch.hooks.sinch import SinchHook

WHERE = "SinchHITLNotifier arguments"


def _assigned(task: Any) -> list[dict[str, str]]:
    users = getattr(task, "assigned_users", None) or []
    return [{"id": str(user["id"]), "name": str(user.get("name") or user["id"])} for user in users]


def check_hitl_task(task: Any, approvers: Mapping[str, str] | None) -> None:
    """Refuse a HITL task an SMS could not answer; raises the project's error naming the field and rule.

    :param task: the HITL operator.
    :param approvers: Airflow user id -> number (``None``: a template, checked when it is rendered).
    """
    from airflow.providers.standard.operators.hitl import HITLOperator

    where = f"SinchHITLNotifier on task {getattr(task, 'task_id', '?')}"
    if not isinstance(task, HITLOperator):
        raise invalid("notifiers", "SinchHITLNotifier only asks HITL operators (HITLOperator and its "
                                   f"subclasses), not {type(task).__name__}", where)
    for key in task.params:
        if task.params.get_param(key).value is None:
            raise invalid(f"params.{key}", "has no default: an SMS answer cannot fill a form; give every "
                                           "field a default or answer in the UI only", where)
    assigned = _assigned(task)
    if not assigned:
        raise invalid("assigned_users", "is empty: list the approvers and the bridge user (SMS answers are "
                                        "recorded as the bridge user, who must be assigned)", where)
    if approvers is not None and not any(user["id"] in approvers for user in assigned):
        raise invalid("approvers", "has no number for any of assigned_users "
                                   f"({', '.join(u['id'] for u in assigned)})", where)


class SinchHITLNotifier(BaseNotifier):
    """Text a HITL request to its approvers, each with their own reply code.

    :param approvers: Airflow user id -> phone number (international format); only assigned users are
        texted.  Templated (e.g. from a Variable); never derived from an SMS.
    :param from_: the sender (one of your Sinch numbers: replies come back to it; default: the connection's
        ``default_from``); templated.
    :param sinch_conn_id: the ``sinch`` connection that sends; templated.
    :param hitl_conn_id: the bridge connection (``code_secret``, bridge user); templated.
    :param code_length: 5 or 6 characters (default 6).
    :param max_parts: SMS parts to fit the question in (default 1).
    :param link: include the UI's "required actions" link (needs ``[api] base_url`` or ``base_url``).
    :param base_url: the UI's base URL (default ``[api] base_url``).
    :param context: given by Airflow when it builds a notifier itself.
    """

    template_fields: Sequence[str] = ("approvers", "from_", "sinch_conn_id", "hitl_conn_id", "base_url")

    def __init__(self, *, approvers: Mapping[str, str] | str, from_: str | None = None,
                 sinch_conn_id: str = DEFAULT_CONN_ID, hitl_conn_id: str = DEFAULT_HITL_CONN_ID,
                 code_length: int = 6, max_parts: int = 1, link: bool = True, base_url: str | None = None,
                 context: Any = None) -> None:
        super().__init__(context=context)
        self.approvers = approvers
        self.from_ = from_
        self.sinch_conn_id = sinch_conn_id
        self.hitl_conn_id = hitl_conn_id
        try:
            self.code_length = check_code_length(code_length)
        except ValueError as exc:
            raise invalid("code_length", str(exc).partition(" ")[2], WHERE) from None
        self.max_parts = as_int(max_parts, "max_parts", 1) or 1
        self.link = bool(link)
        self.base_url = base_url
        if not has_template(approvers):
            self.numbers()

    def numbers(self) -> dict[str, str]:
        """``approvers`` checked: user id -> number; raises naming the bad entry."""
        approvers = as_mapping(self.approvers, "approvers")
        if not approvers:
            raise invalid("approvers", "is empty: map Airflow user ids to phone numbers", WHERE)
        numbers = {}
        for user, number in approvers.items():
            problem = number_problem(number)
            if problem is not None:
                raise invalid(f"approvers[{user}]", f"{problem}, got {mask_destination(number)}", WHERE)
            numbers[str(user)] = str(number).strip()
        return numbers

    def check_task(self, task: Any) -> None:
        """:func:`check_hitl_task` with this notifier's approvers (``None`` while they are a template)."""
        check_hitl_task(task, None if has_template(self.approvers) else self.numbers())

    def _link(self, context: Mapping[str, Any]) -> str | None:
        if not self.link:
            return None
        try:
            return context["task"].generate_link_to_ui_from_context(context=context, base_url=self.base_url)
        except ValueError:
            self.log.warning("No UI link in the SMS: set [api] base_url or the notifier's base_url")
            return None

    def _hook(self) -> SinchHook:
        from airflow_provider_sinch.hooks.sinch import SinchHook

        return SinchHook(sinch_conn_id=self.sinch_conn_id)

    def notify(self, context: Any) -> None:
        """Check the request, record XCom ``sinch_hitl``, and text each approver their question."""
        task, ti = context["task"], context["ti"]
        numbers = self.numbers()
        check_hitl_task(task, numbers)
        settings = load_settings(self.hitl_conn_id)
        assigned = _assigned(task)
        if settings.user_id not in {user["id"] for user in assigned}:
            raise invalid("assigned_users", f"does not include the bridge user {settings.user_id!r} of "
                                            f"connection {self.hitl_conn_id!r}: SMS answers could not be "
                                            "recorded", f"SinchHITLNotifier on task {task.task_id}")
        asked = [(user, numbers[user["id"]]) for user in assigned if user["id"] in numbers]
        timeout = task.response_timeout.total_seconds() if task.response_timeout else None
        ti.xcom_push(key=XCOM_KEY, value={
            "response_timeout": timeout,
            "asked": [{"user_id": u["id"], "name": u["name"], "to": mask_msisdn(n)} for u, n in asked],
        })
        link = self._link(context)
        hook = self._hook()
        for user, number in asked:
            code = derive_code(settings.code_secret, ti.id, number, user["id"], self.code_length)
            hint = reply_hint(code, task.options, task.multiple)
            question = compose_question(task.subject, task.body, hint, link, self.max_parts)
            if not question.fits:
                self.log.warning("The question to %s takes %d SMS parts (%s, %d units), over max_parts=%d: "
                                 "the reply line and the link (%d characters) are never cut; a shorter "
                                 "subject or base_url fits fewer", user["id"], question.segments.parts,
                                 question.segments.encoding, question.segments.units, self.max_parts,
                                 len(link or ""))
            batch = hook.send_batch(to=[number], body=question.text, **({"from_": self.from_} if self.from_
                                                                         else {}))
            self.log.info("Asked %s (%s) at %s by SMS: batch %s, %d part(s) %s%s", user["name"], user["id"],
                          mask_msisdn(number), batch.id, question.segments.parts, question.segments.encoding,
                          "" if question.body_kept or not task.body else ", body left out to fit")
