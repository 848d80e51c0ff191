"""The LLM judge: scores a finished task when neither the environment nor a verifier can.

Its outcomes carry ``source="llm_judge"``; the admission policy caps the trust of edits learned
from them at ``untrusted`` (so additions start quarantined), and the ``self_verification``
write gate ignores them.

Example::

    judge = LLMJudge(llm)
    outcome = judge(task, trajectory, answer="42", reference="42")
"""

from __future__ import annotations

from typing import Any

from ..errors import LLMError
from ..llm.base import Message
from ..types import Outcome
from .edits import _extract_json
from .learners import as_data, render_trajectory


class LLMJudge:
    """``judge(task, trajectory, answer, reference="") -> Outcome`` via ``controller_judge.j2``."""

    def __init__(self, llm: Any, prompts: Any = None, threshold: float = 0.5) -> None:
        from ..prompts import PromptLibrary

        self.llm = llm
        self.prompts = prompts or PromptLibrary()
        self.threshold = threshold

    def render(self, task: Any, trajectory: list[Any], answer: str, reference: str = "") -> str:
        return self.prompts.render("controller_judge.j2", task=as_data(str(getattr(task, "instruction", task))), trajectory=render_trajectory(trajectory),
                                   answer=as_data(answer or "(no answer)"), reference=as_data(reference) if reference else "")

    def __call__(self, task: Any, trajectory: list[Any], answer: str, reference: str = "") -> Outcome:
        prompt = self.render(task, trajectory, answer, reference)
        try:
            reply = self.llm.complete([Message(role="user", content=prompt)])
            data = _extract_json(reply.text)
            score = max(0.0, min(1.0, float(data["score"])))
            success = bool(data.get("success", score >= self.threshold))
            return Outcome(score=score, success=success, source="llm_judge", detail={"reason": str(data.get("reason", ""))[:500], "model": getattr(self.llm, "model", "")})
        except (LLMError, ValueError, KeyError, TypeError) as exc:
            return Outcome(score=0.0, success=False, source="llm_judge", detail={"error": f"judge failed: {exc}"})
