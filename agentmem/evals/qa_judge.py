"""LLM-judge scoring of free-text answers (structured yes/no), for LoCoMo and other QA harnesses.

The judge model is any :class:`~agentmem.llm.base.LLM` (``settings.llm.judge_model``, or the
working model when unset). It gets ``prompts/locomo_judge.j2`` and must reply with JSON
``{"reason": ..., "correct": "yes" | "no"}``; a JSON schema is passed as ``response_format``
when the model supports it. :func:`parse_judge_reply` also accepts a bare ``yes``/``no`` or
``CORRECT``/``WRONG`` (what weaker models send back); a reply it cannot read gives
``correct=None`` and counts as unjudged, never as right or wrong.

Example::

    judge = AnswerJudge(llm)
    verdict = judge.judge("When did Caroline go to the LGBTQ support group?", "7 May 2023", "May 7, 2023")
    verdict.correct  # True / False / None
"""

from __future__ import annotations

import json
import re

from pydantic import BaseModel, Field

from agentmem.llm.base import LLM, Message, Usage
from agentmem.prompts import PromptLibrary

JUDGE_SCHEMA = {
    "type": "object",
    "properties": {"reason": {"type": "string"}, "correct": {"type": "string", "enum": ["yes", "no"]}},
    "required": ["reason", "correct"],
    "additionalProperties": False,
}


class JudgeVerdict(BaseModel):
    """The judge's decision on one answer."""

    correct: bool | None = Field(default=None, description="True/False, or None when the reply could not be parsed.")
    reason: str = ""
    raw: str = ""
    usage: Usage = Field(default_factory=Usage)


_YES = {"yes", "y", "true", "correct", "right", "1"}
_NO = {"no", "n", "false", "wrong", "incorrect", "0"}
_JSON_OBJ = re.compile(r"\{.*\}", re.DOTALL)
_WORD = re.compile(r"\b(yes|no|correct|incorrect|wrong|true|false)\b", re.IGNORECASE)


def _to_bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().strip(".\"'").lower()
    if text in _YES:
        return True
    if text in _NO:
        return False
    return None


def parse_judge_reply(text: str) -> JudgeVerdict:
    """Read a judge reply: JSON with ``correct`` (or ``label``), else the first yes/no word."""
    raw = text or ""
    m = _JSON_OBJ.search(raw)
    if m:
        try:
            obj = json.loads(m.group(0))
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict):
            for key in ("correct", "label", "verdict", "answer"):
                if key in obj:
                    val = _to_bool(obj[key])
                    if val is not None:
                        return JudgeVerdict(correct=val, reason=str(obj.get("reason", obj.get("reasoning", ""))), raw=raw)
    w = _WORD.search(raw)
    if w:
        return JudgeVerdict(correct=_to_bool(w.group(1)), reason="", raw=raw)
    return JudgeVerdict(correct=None, reason="unparsable judge reply", raw=raw)


class AnswerJudge:
    """Asks a judge model whether a generated answer matches the gold answer."""

    def __init__(self, llm: LLM, prompts: PromptLibrary | None = None, template: str = "locomo_judge.j2", max_tokens: int = 200) -> None:
        self.llm = llm
        self.prompts = prompts or PromptLibrary()
        self.template = template
        self.max_tokens = max_tokens

    def judge(self, question: str, gold: str, prediction: str, adversarial: bool = False) -> JudgeVerdict:
        """Judge one answer; ``adversarial`` items are correct only when the answer declines."""
        prompt = self.prompts.render(self.template, question=question, gold=gold, prediction=prediction, adversarial=adversarial)
        fmt = JUDGE_SCHEMA if self.llm.supports_response_format else None
        comp = self.llm.complete([Message(role="user", content=prompt)], response_format=fmt, temperature=0.0, max_tokens=self.max_tokens)
        verdict = parse_judge_reply(comp.text)
        verdict.usage = comp.usage
        return verdict
