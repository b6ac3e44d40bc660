"""The calls campaigns ask the call center to make (a phone campaign's messages), and what became of
each: made when a run following its script completes, another attempt when one is abandoned, given up
after three, withdrawn when the campaign takes it back. No I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from isthmus.kernel.errors import FailedPrecondition, illegal_transition
from isthmus.service_requests.scripts import Run, RunState

# Attempts that do not reach the customer before a call is given up.
MAX_ATTEMPTS = 3


class CallState(StrEnum):
    WAITING = "WAITING"
    IN_PROGRESS = "IN_PROGRESS"
    MADE = "MADE"
    GIVEN_UP = "GIVEN_UP"
    WITHDRAWN = "WITHDRAWN"


@dataclass
class Call:
    """A call a campaign asked the call center to make: its customer, the script to follow (the
    campaign's template), and what became of it."""

    id: str
    campaign_id: str
    customer_id: str
    script_id: str
    due_at: datetime
    requested_at: datetime
    reference: str = ""
    state: CallState = CallState.WAITING
    attempts: int = 0
    run_id: str = ""
    note: str = ""
    agent_id: str = ""  # the agent it is assigned to; "" for any

    def assign(self, agent_id: str) -> bool:
        """Gives the waiting call to one agent ("" for any); False when it was so already."""
        if self.agent_id == agent_id:
            return False
        if self.state is not CallState.WAITING:
            raise illegal_transition(f"call_id: call {self.id} is {self.state.value}", self.state.value)
        self.agent_id = agent_id
        return True

    def start(self, run_id: str, agent_id: str = "") -> None:
        if self.agent_id and agent_id != self.agent_id and self.state is CallState.WAITING:
            raise FailedPrecondition(f"call_id: call {self.id} is assigned to agent {self.agent_id!r}")
        if self.state is CallState.IN_PROGRESS:
            raise FailedPrecondition(f"call_id: call {self.id} is being made (run {self.run_id})")
        if self.state is not CallState.WAITING:
            raise illegal_transition(f"call_id: call {self.id} is {self.state.value}", self.state.value)
        self.state, self.run_id = CallState.IN_PROGRESS, run_id

    def ended(self, run: Run) -> bool:
        """The call's run ended: made when it completed, else one more attempt (given up after
        ``MAX_ATTEMPTS``). True when the customer was reached."""
        if run.state is RunState.COMPLETED:
            self.state, self.note = CallState.MADE, ""
            return True
        self.attempts += 1
        self.note = run.abandon_reason
        self.state = CallState.GIVEN_UP if self.attempts >= MAX_ATTEMPTS else CallState.WAITING
        return False

    def withdraw(self, reason: str) -> bool:
        """Withdrawn before it was made (a call in progress goes on: the agent is on the line)."""
        if self.state is not CallState.WAITING:
            return False
        self.state, self.note = CallState.WITHDRAWN, reason
        return True
