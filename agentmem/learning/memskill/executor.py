"""MemSkill's executor: one LLM call applies the selected memory skills to a span.

The prompt (``prompts/memskill_executor.j2``) shows the span, the memories retrieved for it
(with their ids) and the selected skills (description, when to use, how to apply,
constraints, action type). The model replies with JSON ``{"operations": [...]}``; each
operation is typed (:class:`InsertOp`, :class:`UpdateOp`, :class:`DeleteOp`, :class:`NoopOp`)
and validated on its own, so one malformed operation is reported and skipped without losing
the others. UPDATE and DELETE must name the id of a memory that was shown to the model (and is
still active); anything else is reported and skipped. The valid operations are applied exactly,
in order, to the :class:`~agentmem.stores.facts.FactStore`, each revision recording the span
id and the skill the model credits (only a skill that was selected for the span is recorded;
any other name is recorded as ``None``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from ...llm.base import LLM, Message
from ...prompts import PromptLibrary
from ...stores.facts import FactStore
from ..edits import AddItem, EditLimits, RetireItem, ReviseItem
from .bank import MemorySkill
from .chunker import Span
from .jsonreply import complete_json


class _Op(BaseModel):
    skill: str | None = Field(default=None, description="Name of the selected skill that motivated this operation.")


class InsertOp(_Op):
    op: Literal["INSERT"] = "INSERT"
    content: str = Field(..., min_length=1)


class UpdateOp(_Op):
    op: Literal["UPDATE"] = "UPDATE"
    id: str
    content: str = Field(..., min_length=1)


class DeleteOp(_Op):
    op: Literal["DELETE"] = "DELETE"
    id: str
    reason: str = ""


class NoopOp(_Op):
    op: Literal["NOOP"] = "NOOP"
    reason: str = ""


MemoryOperation = Annotated[InsertOp | UpdateOp | DeleteOp | NoopOp, Field(discriminator="op")]
_OP_ADAPTER: TypeAdapter[Any] = TypeAdapter(MemoryOperation)


class ExecutorReply(BaseModel):
    """The JSON shape the executor asks for."""

    operations: list[dict[str, Any]] = Field(default_factory=list, description="Memory operations, each validated separately.")


class AppliedOp(BaseModel):
    op: str
    item_id: str | None = None
    skill: str | None = None
    content: str = ""


class SkippedOp(BaseModel):
    operation: dict[str, Any]
    reason: str


class ExecutionReport(BaseModel):
    """What one executor call did to the fact store."""

    span_id: str
    skills: list[str]
    applied: list[AppliedOp] = Field(default_factory=list)
    skipped: list[SkippedOp] = Field(default_factory=list)
    raw_reply: str = ""

    @property
    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for a in self.applied:
            out[a.op] = out.get(a.op, 0) + 1
        return out


def parse_operations(raw_ops: list[Any]) -> tuple[list[Any], list[SkippedOp]]:
    """Validate each raw operation separately; return the typed ones and the skipped ones with reasons."""
    ops, skipped = [], []
    for raw in raw_ops:
        if isinstance(raw, dict) and isinstance(raw.get("op"), str):
            raw = {**raw, "op": raw["op"].upper()}
        try:
            ops.append(_OP_ADAPTER.validate_python(raw))
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(x) for x in first["loc"]) or "operation"
            skipped.append(SkippedOp(operation=raw if isinstance(raw, dict) else {"value": raw}, reason=f"invalid operation ({where}: {first['msg']})"))
    return ops, skipped


class Executor:
    """Applies selected memory skills to a span with one LLM call and writes the result to a fact store."""

    TEMPLATE = "memskill_executor.j2"

    def __init__(self, llm: LLM, store: FactStore, prompts: PromptLibrary | None = None, *, max_tokens: int | None = 1024) -> None:
        self.llm = llm
        self.store = store
        self.prompts = prompts or PromptLibrary()
        self.max_tokens = max_tokens
        self._engine: Any = None

    def engine(self) -> Any:
        """The edit engine that writes the fact store (audit, journal and provenance next to the store:
        ``<store root>/..``). The executor's operations are the paper's own memory edits, so the
        per-run caps on new and retired items do not apply to them; validation, the audit and the
        journal do."""
        if self._engine is None:
            from ..gate import AdmissionPolicy
            from ..wiring import controller_over

            ctl = controller_over([self.store], Path(self.store.root).parent, mode="frozen",
                                  policy=AdmissionPolicy(max_adds_per_run=10_000, max_retire_per_run=10_000), limits=EditLimits(max_edits_per_run=10_000))
            self._engine = ctl.engine
        return self._engine

    def render(self, span: Span, skills: list[MemorySkill], memories: list[dict[str, str]]) -> str:
        return self.prompts.render(
            self.TEMPLATE,
            span={"id": span.id, "text": span.text, "date": span.date},
            memories=memories,
            skills=[{"name": s.name, "action_type": s.action_type, "description": s.description, "when_to_use": s.sections.when_to_use,
                     "how_to_apply": s.sections.how_to_apply, "constraints": s.sections.constraints} for s in skills],
        )

    def run(self, span: Span, skills: list[MemorySkill], memories: list[dict[str, str]], *, namespace: str | None = None) -> ExecutionReport:
        """Ask the LLM for operations and apply them; ``memories`` are ``{"id", "content"}`` dicts shown to it."""
        prompt = self.render(span, skills, memories)
        reply, raw = complete_json(self.llm, [Message(role="user", content=prompt)], ExecutorReply, max_tokens=self.max_tokens)
        ops, skipped = parse_operations(reply.operations)
        report = ExecutionReport(span_id=span.id, skills=[s.name for s in skills], skipped=skipped, raw_reply=raw)
        shown = {m["id"] for m in memories}
        selected = {s.name for s in skills}
        edits: list[tuple[Any, str, str | None]] = []  # (edit, op name, skill)
        where = {"span_id": span.id}
        for op in ops:
            skill = op.skill if op.skill in selected else None
            if isinstance(op, (UpdateOp, DeleteOp)) and op.id not in shown:
                known = self.store.get(op.id) is not None
                why = "not among the retrieved memories shown for this span" if known else "unknown memory id"
                report.skipped.append(SkippedOp(operation=op.model_dump(), reason=f"{op.op} {op.id!r}: {why}"))
                continue
            meta = {**where, "skill": skill}
            if isinstance(op, InsertOp):
                edits.append((AddItem(store=self.store.name, title=op.content[:80] or "fact", text=op.content, id_hint=f"{span.id}-{len(edits)}",
                                      metadata={**meta, **({"namespace": namespace} if namespace else {})}, proposer="memskill:executor", reason=f"INSERT by {skill or 'the executor'}"), "INSERT", skill))
            elif isinstance(op, UpdateOp):
                edits.append((ReviseItem(store=self.store.name, item_id=op.id, text=op.content, metadata=meta, proposer="memskill:executor", reason=f"UPDATE by {skill or 'the executor'}"), "UPDATE", skill))
            elif isinstance(op, DeleteOp):
                edits.append((RetireItem(store=self.store.name, item_id=op.id, metadata=meta, proposer="memskill:executor", reason=op.reason), "DELETE", skill))
            else:
                edits.append((AppliedOp(op="NOOP", skill=skill, content=op.reason), "NOOP", skill))
        real = [e for e, name, _ in edits if name != "NOOP"]
        if edits:
            applied = self.engine().apply(real, run_id=span.id, context={"mode": "memskill"}) if real else None
            by_edit = {a.edit["edit_id"]: a for a in applied.applied} if applied else {}
            refused = {r.edit_id: r for r in applied.refused} if applied else {}
            for edit, name, skill in edits:
                if name == "NOOP":
                    report.applied.append(edit)
                    continue
                a = by_edit.get(edit.edit_id)
                if a is None:
                    r = refused.get(edit.edit_id)
                    report.skipped.append(SkippedOp(operation={"op": name, **edit.model_dump(mode="json", include={"item_id", "text"})}, reason=r.reason if r else "not applied"))
                    continue
                item = self.store.get(a.item_ids[0])
                report.applied.append(AppliedOp(op=name, item_id=a.item_ids[0], skill=skill, content=edit.reason if name == "DELETE" else (item.content if item else "")))
        return report
