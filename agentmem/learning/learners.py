"""Learners: components that read a finished task and propose typed edits.

A :class:`Learner` has a ``name`` and ``propose(ctx) -> Proposal``. It never writes: the
controller validates, admits and applies what it proposes. :class:`LLMEditProposer` is the
generic LLM-prompted learner (template ``controller_propose_edits.j2``); the factory functions
configure it as the four curators of PAPERS.md section 7:

* :func:`behavior_curator` -> ``add_behavior`` (the handbook),
* :func:`concept_abstractor` -> ``extend_concept``,
* :func:`subroutine_decomposer` -> ``add_subroutines``,
* :func:`skill_reviser` -> ``add_skill`` / ``revise_skill``.

Text from the task and trajectory is rendered inside ``<data>`` blocks (any delimiter inside
it is neutralised), a learner may only propose its own edit kinds, and every edit it returns
carries trust ``learned`` at most (the controller caps it further by the outcome's source).
"""

from __future__ import annotations

import json
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from agentmem.hooks import RecallContext
from ..errors import LLMError
from ..llm.base import Message
from ..types import Outcome, Provenance, Trust
from .edits import EditAdapter, Refusal, min_trust, parse_edits


class LearningContext(BaseModel):
    """Everything a learner may read about one finished task."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    task: Any = Field(..., description="The TaskSpec.")
    context: RecallContext = Field(default_factory=RecallContext)
    trajectory: list[Any] = Field(default_factory=list)
    outcome: Outcome
    run_id: str


class Proposal(BaseModel):
    edits: list[Any] = Field(default_factory=list)
    refusals: list[Refusal] = Field(default_factory=list)


@runtime_checkable
class Learner(Protocol):
    name: str

    def propose(self, ctx: LearningContext) -> Proposal:
        """Edits this learner suggests after the task (never applied here)."""
        ...


def as_data(text: str, limit: int = 6000) -> str:
    """Render untrusted text for a ``<data>`` block: delimiters neutralised, length capped."""
    cleaned = text.replace("</data", "<\\/data").replace("<data", "<\\data")
    if len(cleaned) > limit:
        cleaned = cleaned[: limit // 2] + f"\n... [{len(cleaned) - limit} characters cut] ...\n" + cleaned[-limit // 2 :]
    return cleaned


def render_trajectory(steps: list[Any], limit: int = 6000) -> str:
    """Plain text of a trajectory (typed steps, messages, dicts or strings)."""
    lines: list[str] = []
    for s in steps:
        if hasattr(s, "to_messages") and hasattr(s, "kind"):
            if s.kind == "task":
                continue
            for m in s.to_messages():
                calls = " ".join(f"{c.name}({json.dumps(c.arguments)})" for c in m.tool_calls)
                lines.append(f"{s.kind}: {m.content} {calls}".rstrip())
        elif isinstance(s, Message):
            lines.append(f"{s.role}: {s.content}")
        elif isinstance(s, dict):
            lines.append(json.dumps(s, default=str))
        else:
            lines.append(str(s))
    return as_data("\n".join(lines), limit)


_EXAMPLES: dict[str, dict[str, Any]] = {
    "add_behavior": {"kind": "add_behavior", "store": "behaviors", "name": "short name", "instruction": "what to do", "when": "when it applies", "reason": "why"},
    "extend_concept": {"kind": "extend_concept", "store": "concepts", "concept": "concept name", "text": "what was learned about it", "reason": "why"},
    "add_subroutines": {"kind": "add_subroutines", "store": "subroutines", "subroutines": [{"name": "name", "description": "what it does", "steps": ["step 1", "step 2"]}], "reason": "why"},
    "add_skill": {"kind": "add_skill", "store": "skills", "name": "lowercase-hyphenated", "description": "what and when", "body": "markdown instructions", "playbook": False, "reason": "why"},
    "revise_skill": {"kind": "revise_skill", "store": "skills", "item_id": "existing-skill", "body": "new markdown body", "reason": "why"},
    "add_item": {"kind": "add_item", "store": "facts", "title": "title", "text": "text", "reason": "why"},
    "retire_item": {"kind": "retire_item", "store": "store name", "item_id": "id of an item in context", "reason": "why"},
}


class LLMEditProposer:
    """A learner that asks an LLM for edits of some kinds, through ``controller_propose_edits.j2``."""

    def __init__(
        self,
        name: str,
        llm: Any,
        kinds: list[str],
        *,
        store: str | None = None,
        role: str = "curator",
        instructions: str = "",
        prompts: Any = None,
        max_edits: int = 3,
        only_on: str | None = None,
    ) -> None:
        from ..prompts import PromptLibrary

        self.name = name
        self.llm = llm
        self.kinds = list(kinds)
        self.store = store
        self.role = role
        self.instructions = instructions
        self.prompts = prompts or PromptLibrary()
        self.max_edits = max_edits
        self.only_on = only_on  # "success" / "failure" / None (always)

    def render(self, ctx: LearningContext) -> str:
        examples = []
        for k in self.kinds:
            ex = dict(_EXAMPLES.get(k, {"kind": k}))
            if self.store and "store" in ex:
                ex["store"] = self.store
            examples.append(json.dumps(ex))
        return self.prompts.render(
            "controller_propose_edits.j2",
            role=self.role,
            instructions=self.instructions,
            kinds=self.kinds,
            schemas="\n".join(examples),
            task=as_data(str(getattr(ctx.task, "instruction", ctx.task))),
            outcome=ctx.outcome.model_dump(),
            trajectory=render_trajectory(ctx.trajectory),
            items=[{"store": r.record.store, "id": r.record.id, "title": as_data(r.record.title, 200), "text": as_data(r.record.text, 1500)} for r in ctx.context.items],
            max_edits=self.max_edits,
        )

    def propose(self, ctx: LearningContext) -> Proposal:
        if self.only_on == "success" and not ctx.outcome.success or self.only_on == "failure" and ctx.outcome.success:
            return Proposal()
        prompt = self.render(ctx)
        schema = {"type": "object", "properties": {"edits": {"type": "array", "items": {"type": "object"}}}, "required": ["edits"]}
        try:
            reply = self.llm.complete([Message(role="user", content=prompt)], response_format=schema if getattr(self.llm, "supports_response_format", False) else None)
        except LLMError as exc:
            return Proposal(refusals=[Refusal(stage="schema", reason=f"{self.name}: the model call failed ({exc})", proposer=self.name)])
        edits, refusals = parse_edits(reply.text, proposer=self.name)
        kept = []
        for e in edits:
            if e.kind not in self.kinds:
                refusals.append(Refusal(edit_id=e.edit_id, kind=e.kind, store=e.store, item_id=str(getattr(e, "item_id", "")), stage="validation", reason=f"learner {self.name!r} may only propose {self.kinds}, not {e.kind!r}", raw=e.model_dump(mode="json"), proposer=self.name))
                continue
            if self.store:
                e.store = self.store
            e.proposer = self.name
            e.trust = min_trust(e.trust, Trust.learned)
            e.provenance = Provenance(source="learned", task_id=getattr(ctx.task, "id", None), run_id=ctx.run_id, note=f"proposed by {self.name}")
            kept.append(EditAdapter.validate_python(e.model_dump()))
        return Proposal(edits=kept[: self.max_edits], refusals=refusals)


def behavior_curator(llm: Any, store: str = "behaviors", **kw: Any) -> LLMEditProposer:
    """Distils reusable behaviors (do/don't rules) from a trajectory into the handbook."""
    return LLMEditProposer("behavior_curator", llm, ["add_behavior"], store=store, role="behavior curator",
                           instructions="Distil at most a few short, general, reusable behaviors (what to do or avoid, and when) from this task. Prefer none over a vague one.", **kw)


def concept_abstractor(llm: Any, store: str = "concepts", **kw: Any) -> LLMEditProposer:
    """Abstracts what the task taught about a named concept."""
    return LLMEditProposer("concept_abstractor", llm, ["extend_concept"], store=store, role="concept abstractor",
                           instructions="Record what this task taught about the concepts involved, as general statements, not task-specific answers.", **kw)


def subroutine_decomposer(llm: Any, store: str = "subroutines", **kw: Any) -> LLMEditProposer:
    """Decomposes a successful trajectory into named reusable reasoning subroutines."""
    kw.setdefault("only_on", "success")
    return LLMEditProposer("subroutine_decomposer", llm, ["add_subroutines"], store=store, role="subroutine decomposer",
                           instructions="Decompose the successful solution into named, reusable reasoning subroutines with numbered steps.", **kw)


def skill_reviser(llm: Any, store: str = "skills", **kw: Any) -> LLMEditProposer:
    """Writes a new skill or revises one that was in context."""
    return LLMEditProposer("skill_reviser", llm, ["add_skill", "revise_skill"], store=store, role="skill author",
                           instructions="Write a new skill or revise a skill that was in context so the next attempt at this kind of task goes better. Executable procedures must set playbook true.", **kw)
