"""A free-form task as an :class:`~agentmem.environment.Environment`.

:class:`ChatEnvironment` hands out one question, offers optional Python tools, and ends when
the agent gives its final answer. Its outcome comes from an optional checker; without one the
outcome is *unjudged*: ``score=0.0, success=False, source="user", detail={"judged": False}``.
Use :func:`is_judged` before learning from an outcome (the runner reports ``success=None``).

This is what ``agentmem run "TASK"`` runs.

Example::

    env = ChatEnvironment("What is 6 * 7?", checker=lambda answer: answer.strip() == "42")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from agentmem.environment import Observation, TaskSpec
from agentmem.errors import ToolCallError
from agentmem.llm.base import ToolSpec
from agentmem.llm.tools import Tool
from agentmem.types import Outcome, new_id

Checker = Callable[[str | None], "Outcome | bool | float"]


def command_checker(command: str, *, timeout_s: float = 120.0, cwd: str | None = None) -> Checker:
    """A checker that runs the shell ``command`` (``agentmem run --check CMD``): exit status 0 is success.

    The final answer reaches the command on stdin and in ``$AGENTMEM_ANSWER``; the command's
    output (stdout then stderr, last 2000 characters) is kept as ``detail["feedback"]``, which
    learners read. A command that times out is a failure with that feedback.
    """
    import os
    import subprocess

    def check(answer: str | None) -> Outcome:
        env = {**os.environ, "AGENTMEM_ANSWER": answer or ""}
        try:
            proc = subprocess.run(command, shell=True, input=answer or "", capture_output=True, text=True, timeout=timeout_s, env=env, cwd=cwd, check=False)  # the user's own check command
            rc, out = proc.returncode, (proc.stdout or "") + (proc.stderr or "")
        except subprocess.TimeoutExpired:
            rc, out = -1, f"check timed out after {timeout_s:g}s"
        ok = rc == 0
        return Outcome(score=1.0 if ok else 0.0, success=ok, source="verifier", detail={"check": command, "exit_status": rc, "feedback": out.strip()[-2000:]})

    return check


def unjudged_outcome(reason: str = "no checker") -> Outcome:
    """The neutral outcome of a task nobody scored."""
    return Outcome(score=0.0, success=False, source="user", detail={"judged": False, "reason": reason})


def is_judged(outcome: Outcome | None) -> bool:
    """False for :func:`unjudged_outcome` (and None); True for every real verdict."""
    return outcome is not None and outcome.detail.get("judged", True) is not False


class ChatEnvironment:
    """One free-form question; the final answer ends it.

    Args:
        question: the task text.
        tools: Python tools the agent may call (their errors become observations).
        checker: ``checker(final_answer)`` returning an :class:`Outcome`, a bool (success) or a
            float score in [0, 1] (success when >= 0.5); None = unjudged outcome.
        task_id: id recorded in the run log (default: a fresh ``chat-...`` id).
        topic: optional tag for topic-scoped recall.
    """

    name = "chat"

    def __init__(self, question: str, *, tools: list[Tool] | None = None, checker: Checker | None = None, task_id: str | None = None, topic: str | None = None) -> None:
        if not question or not question.strip():
            raise ValueError("ChatEnvironment: the question is empty")
        self.question = question
        self._tools = {t.name: t for t in (tools or [])}
        self.checker = checker
        self.task = TaskSpec(id=task_id or new_id("chat-"), instruction=question, topic=topic)

    @classmethod
    def from_task(cls, task: TaskSpec, **kw: Any) -> "ChatEnvironment":
        env = cls(task.instruction, task_id=task.id, topic=task.topic, **kw)
        env.task = task
        return env

    def reset(self, task_id: str | None = None) -> TaskSpec:
        return self.task

    def tools(self) -> list[ToolSpec]:
        return [t.spec for t in self._tools.values()]

    def step(self, tool: str, arguments: dict[str, Any]) -> Observation:
        if tool not in self._tools:
            return Observation(text=f"unknown tool {tool!r}; available: {', '.join(self._tools) or 'none'}", info={"error": True})
        try:
            return Observation(text=self._tools[tool].run(arguments))
        except ToolCallError as exc:
            return Observation(text=str(exc), info={"error": True})

    def evaluate(self, final_answer: str | None) -> Outcome:
        if self.checker is None:
            return unjudged_outcome()
        verdict = self.checker(final_answer)
        if isinstance(verdict, Outcome):
            return verdict
        if isinstance(verdict, bool):
            return Outcome(score=float(verdict), success=verdict, source="verifier")
        score = float(verdict)
        return Outcome(score=score, success=score >= 0.5, source="verifier")
