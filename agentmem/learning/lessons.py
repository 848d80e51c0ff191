"""The run-lesson learner: turns one finished, judged run into a lesson the next run can recall.

A lesson is ArcMemo's open-ended format, ``{situation, suggestion}`` (PAPERS.md section 4),
written as one ``add_item`` edit to a plain-text store (the fact store by default, so lessons are
namespace-scoped and found by hybrid recall). Two ways to write it:

* **with an LLM** (any :class:`~agentmem.llm.base.LLM`): ``prompts/lesson_abstraction.j2`` with the
  task, the trajectory and the verdict (score, source, the verifier's feedback); the reply's first
  lesson is used. A reply that is not the expected JSON falls back to the rule below (the edit's
  reason says so).
* **model-free** (``llm=None``; what ``agentmem run`` uses with ``scripted:`` models, whose
  replies are all spoken for): the lesson is built from the task, the final answer and the
  verifier's feedback: on success "this answer passed the check", on failure "this answer failed
  the check: <feedback>; do not repeat it".

The learner never writes: the controller validates, gates and applies the edit (audit, provenance).
An unjudged run (``detail["judged"] is False``) yields no lesson.

Example::

    memory = Memory(stores, settings=settings, learners=[RunLessonLearner(llm)])
    memory.learn(task, ctx, Outcome(score=1.0, success=True, source="verifier", detail={"feedback": "3 passed"}))
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ..errors import LLMError
from ..llm.base import Message
from ..types import Provenance, Trust
from .edits import AddItem, slugify
from .learners import LearningContext, Proposal, render_trajectory


class Lesson(BaseModel):
    situation: str = Field(..., min_length=1, max_length=600)
    suggestion: str = Field(..., min_length=1, max_length=1200)

    def text(self) -> str:
        return f"When {self.situation.strip().rstrip('.')}: {self.suggestion.strip()}"


def final_answer(trajectory: list[Any]) -> str:
    """The last final answer in a trajectory of typed steps (empty when there is none)."""
    for step in reversed(trajectory):
        if getattr(step, "kind", "") == "final":
            return str(getattr(step, "answer", "") or "")
    return ""


def _short(text: str, n: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def rule_lesson(task: str, answer: str, success: bool, feedback: str = "", note: str = "") -> Lesson:
    """The model-free lesson: the task, what was answered, and what the check (or the user) said."""
    said = "; ".join(p for p in (_short(feedback, 400), _short(note, 300)) if p)
    situation = f"the task is like \"{_short(task, 200)}\""
    if success:
        suggestion = f"an earlier answer passed the check: \"{_short(answer, 400) or '(no final answer)'}\"" + (f" (check said: {said})" if said else "") + "; reuse that approach."
    else:
        suggestion = f"an earlier answer failed the check: \"{_short(answer, 400) or '(no final answer)'}\"" + (f" (check said: {said})" if said else "") + "; do not repeat it, fix what the check reported."
    return Lesson(situation=situation, suggestion=suggestion)


def parse_lesson(reply: str) -> Lesson | None:
    """The first ``{situation, suggestion}`` of a ``{"lessons": [...]}`` reply, or None."""
    text = reply.strip()
    fence = re.search(r"```(?:json)?\s*(.*?)```", text, re.DOTALL)
    if fence:
        text = fence.group(1)
    start, end = text.find("{"), text.rfind("}")
    if start < 0 or end <= start:
        return None
    try:
        data = json.loads(text[start : end + 1])
        raw = (data.get("lessons") or [None])[0] if isinstance(data, dict) else None
        return Lesson.model_validate(raw) if isinstance(raw, dict) else None
    except (json.JSONDecodeError, ValidationError, AttributeError):
        return None


class RunLessonLearner:
    """Proposes one ``add_item`` lesson per judged run (see the module docstring)."""

    name = "run_lesson"

    def __init__(self, llm: Any = None, *, store: str = "facts", prompts: Any = None) -> None:
        self.llm = llm
        self.store = store
        self._prompts = prompts

    @property
    def prompts(self) -> Any:
        if self._prompts is None:
            from ..prompts import PromptLibrary

            self._prompts = PromptLibrary()
        return self._prompts

    def _llm_lesson(self, ctx: LearningContext, task: str, note: str) -> Lesson | None:
        prompt = self.prompts.render("lesson_abstraction.j2", task=task, trajectory=render_trajectory(ctx.trajectory), outcome_note=note, lessons=[])
        try:
            reply = self.llm.complete([Message(role="user", content=prompt)])
        except LLMError:
            return None
        return parse_lesson(reply.text)

    def propose(self, ctx: LearningContext) -> Proposal:
        out = ctx.outcome
        if out.detail.get("judged", True) is False:
            return Proposal()
        task = str(getattr(ctx.task, "instruction", ctx.task))
        feedback = str(out.detail.get("feedback") or "")
        user_note = str(out.detail.get("note") or "")
        note = f"{'success' if out.success else 'failure'} (score {out.score:.2f}, judged by the {out.source})" + (f"; feedback: {_short(feedback, 600)}" if feedback else "") + (f"; note: {_short(user_note, 300)}" if user_note else "")
        lesson, how = None, "model-free lesson (task + verdict + feedback)"
        if self.llm is not None:
            lesson = self._llm_lesson(ctx, task, note)
            how = "LLM lesson" if lesson is not None else "model-free lesson (the model's reply held no lesson)"
        if lesson is None:
            lesson = rule_lesson(task, final_answer(ctx.trajectory), out.success, feedback, user_note)
        meta = getattr(ctx.task, "metadata", None) or {}
        edit = AddItem(
            store=self.store, title=f"lesson: {_short(task, 70)}", text=lesson.text(), id_hint=f"lesson-{slugify(task)[:40]}-{ctx.run_id[-8:]}",
            metadata={"kind": "lesson", "namespace": meta.get("namespace"), "situation": lesson.situation, "suggestion": lesson.suggestion, "success": out.success},
            trust=Trust.learned, proposer=self.name, reason=f"{how} from run {ctx.run_id} ({'success' if out.success else 'failure'})",
            provenance=Provenance(source="learned", task_id=getattr(ctx.task, "id", None), run_id=ctx.run_id, note=how),
        )
        if edit.metadata.get("namespace") is None:
            edit.metadata.pop("namespace")
        return Proposal(edits=[edit])
