"""The cost of a send, from Sinch's dry run, and the guard that stops a send that would cost too much.

Sinch's dry run takes at most 1,000 destinations, so a chunked send is dry-run chunk by chunk and the
answers are added up: recipients (groups expanded by Sinch), message parts in total, and the largest
number of parts any one recipient's message needs (with ``parameters`` filled in per recipient).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow.providers.common.compat.sdk import AirflowFailException


@dataclass
class CostEstimate:
    """What the dry runs of a send's chunks say, added up.

    :param recipients: recipients Sinch would message (group members counted).
    :param messages: message parts in total (what a plan is billed by).
    :param max_parts: the most parts one recipient's message needs (among the recipients Sinch listed).
    :param chunks: how many chunks were dry-run.
    :param per_recipient: the per-recipient details Sinch returned (number, parts, encoding; bodies only
        when ``keep_bodies``).
    """

    recipients: int = 0
    messages: int = 0
    max_parts: int = 0
    chunks: int = 0
    per_recipient: list[dict[str, Any]] = field(default_factory=list)

    def add(self, answer: Any, keep_details: bool = False, keep_bodies: bool = False) -> None:
        """Add one chunk's ``DryRunResponse``."""
        self.chunks += 1
        self.recipients += answer.number_of_recipients
        self.messages += answer.number_of_messages
        for entry in answer.per_recipient:
            self.max_parts = max(self.max_parts, entry.number_of_parts)
            if keep_details:
                detail = entry.to_dict()
                if not keep_bodies:
                    detail.pop("body", None)
                self.per_recipient.append(detail)
        if not answer.per_recipient and answer.number_of_recipients:
            # No details (e.g. per_recipient not asked): the average is a lower bound of the maximum.
            self.max_parts = max(self.max_parts, -(-answer.number_of_messages // answer.number_of_recipients))

    def check(self, *, max_messages: int | None, max_parts_per_message: int | None) -> None:
        """Fail (without retry: the figures would not change) when a limit is exceeded."""
        problems = []
        if max_messages is not None and self.messages > max_messages:
            problems.append(f"{self.messages} message parts in total exceed max_messages={max_messages}")
        if max_parts_per_message is not None and self.max_parts > max_parts_per_message:
            problems.append(f"a message of {self.max_parts} parts exceeds "
                            f"max_parts_per_message={max_parts_per_message}")
        if problems:
            raise AirflowFailException(
                "Sinch cost guard: nothing was sent. " + "; ".join(problems)
                + f" (dry run: {self.recipients} recipients, {self.messages} parts, at most {self.max_parts} "
                f"per message, {self.chunks} batch(es))"
            )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON for XCom (``per_recipient`` only when details were kept)."""
        data: dict[str, Any] = {"number_of_recipients": self.recipients, "number_of_messages": self.messages,
                                "max_parts_per_message": self.max_parts, "chunks": self.chunks}
        if self.per_recipient:
            data["per_recipient"] = self.per_recipient
        return data
