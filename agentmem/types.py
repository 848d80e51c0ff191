"""Typed records shared across stores, the controller and the agent loop."""

from __future__ import annotations

import time
import uuid
from enum import Enum
from typing import Any, Literal

from pydantic import BaseModel, Field


def new_id(prefix: str = "") -> str:
    return f"{prefix}{uuid.uuid4().hex[:12]}"


class Lifecycle(str, Enum):
    """MemOS-style lifecycle of a memory unit."""

    active = "active"
    quarantined = "quarantined"  # written but not yet admitted to recall (e.g. untested playbook)
    retired = "retired"  # kept in history, out of recall


class Trust(str, Enum):
    """How far a learned item can be trusted; text from tasks is data, never instructions."""

    shipped = "shipped"  # written by the agentmem developers or the user by hand
    verified = "verified"  # learned and passed a verifier (tests, train pairs, env reward)
    learned = "learned"  # learned from a trajectory, judged but not verified
    untrusted = "untrusted"  # came from task text or an unjudged model reply


class Namespace(BaseModel):
    """Scope of a read or write: ``user/agent/run``; a query in one never sees another's items."""

    user: str = "default"
    agent: str = "default"
    run: str | None = None

    def key(self) -> str:
        return f"{self.user}/{self.agent}" + (f"/{self.run}" if self.run else "")

    @classmethod
    def parse(cls, text: str | None) -> "Namespace":
        if not text:
            return cls()
        parts = text.split("/")
        if len(parts) > 3 or any(not p for p in parts):
            raise ValueError(f"namespace {text!r}: expected 'user', 'user/agent' or 'user/agent/run'")
        return cls(user=parts[0], agent=parts[1] if len(parts) > 1 else "default", run=parts[2] if len(parts) > 2 else None)


class Provenance(BaseModel):
    """Where an item came from."""

    source: Literal["shipped", "user", "learned", "import"] = "user"
    task_id: str | None = None
    run_id: str | None = None
    edit_id: str | None = None
    created_at: float = Field(default_factory=time.time)
    note: str = ""


class UsageStats(BaseModel):
    """Outcome-weighted usage statistics (MemSkill section 2; Memento utility)."""

    uses: int = 0
    successes: int = 0
    reward_sum: float = 0.0
    recent_rewards: list[float] = Field(default_factory=list, description="Last 20 rewards, newest last.")
    ema: float = 0.0
    utility: float = 0.0
    last_used_at: float | None = None

    @property
    def mean_reward(self) -> float:
        return self.reward_sum / self.uses if self.uses else 0.0

    def record(self, reward: float, success: bool, alpha: float = 0.1, window: int = 20) -> None:
        self.uses += 1
        self.successes += int(success)
        self.reward_sum += reward
        self.recent_rewards = (self.recent_rewards + [reward])[-window:]
        self.ema = reward if self.uses == 1 else (1 - alpha) * self.ema + alpha * reward
        self.last_used_at = time.time()


class Outcome(BaseModel):
    """How a task ended, and who said so."""

    score: float = Field(..., description="Task score in [0, 1] (success rate, judge score, fraction of test pairs).")
    success: bool
    source: Literal["environment", "verifier", "llm_judge", "oracle", "user"] = "environment"
    detail: dict[str, Any] = Field(default_factory=dict)


class MemoryRecord(BaseModel):
    """One retrievable unit of any store, as seen by recall and the controller."""

    id: str
    store: str
    title: str = ""
    text: str
    namespace: str = "default/default"
    state: Lifecycle = Lifecycle.active
    trust: Trust = Trust.learned
    metadata: dict[str, Any] = Field(default_factory=dict)


class Recalled(BaseModel):
    """A record picked by recall, with the score that picked it (normalised to [0, 1])."""

    record: MemoryRecord
    score: float
    tokens: int = 0
    reasons: list[str] = Field(default_factory=list)
