"""Each experience store is read in the agent loop's read step (MemoryHook) and credited after it."""

from __future__ import annotations

import json

from agentmem.environment import TaskSpec
from agentmem.hooks import MemoryHook
from agentmem.agent.steps import TaskStep
from agentmem.prompts import PromptLibrary
from agentmem.stores.behaviors import BehaviorHandbook
from agentmem.stores.concepts import ConceptMemory
from agentmem.experience import ExperienceMemory, ExperienceRecallConfig
from agentmem.stores.subroutines import Subroutine, SubroutineStore
from agentmem.testing import ScriptedLLM
from agentmem.types import Outcome


def _stores(settings):
    hb = BehaviorHandbook(settings)
    hb.seed_from_shipped()
    cm = ConceptMemory(settings)
    cm.seed_from_shipped()
    sr = SubroutineStore(settings)
    sr.add([Subroutine(subquestion="how to recolour each object of a grid by its size", subroutine="rank objects by cell count, map rank to colour")])
    return hb, cm, sr


def test_read_step_uses_every_store(settings):
    hb, cm, sr = _stores(settings)
    mem = ExperienceMemory(behaviors=hb, concepts=cm, subroutines=sr)
    assert isinstance(mem, MemoryHook)
    task = TaskSpec(id="arc-1", instruction="recolour each object of the grid by its size", topic="arc")
    ctx = mem.before_task(task)
    stores = {r.record.store for r in ctx.items}
    assert stores == {"behaviors", "concepts", "subroutines"}
    assert "behavior_verify_on_examples" in ctx.text  # topic-tagged behavior
    assert "### recolor objects" in ctx.text and "### find objects" in ctx.text  # selected concept and its helper
    assert "rank objects by cell count" in ctx.text
    msg = TaskStep(task=task.instruction, memory_text=ctx.text, memory_ids=ctx.item_ids).to_messages()[0]
    assert msg.content.startswith(ctx.text.strip()[:30]) and msg.content.endswith(task.instruction)


def test_budget_is_respected_and_llm_selection(settings):
    hb, cm, sr = _stores(settings)
    llm = ScriptedLLM(['{"names": ["tile pattern", "no such concept"]}'])
    mem = ExperienceMemory(behaviors=hb, concepts=cm, subroutines=sr, llm=llm, config=ExperienceRecallConfig(budget_tokens=400))
    ctx = mem.before_task(TaskSpec(id="t", instruction="the output repeats the input", topic="arc"))
    llm.assert_complete()
    assert ctx.tokens <= 400 + 40  # section headers sit outside the per-store shares
    assert "### tile pattern" in ctx.text and "no such concept" not in ctx.text


def test_after_task_credits_items_and_learns(settings):
    hb, cm, sr = _stores(settings)
    llm = ScriptedLLM([
        json.dumps({"behaviors": [{"name": "behavior_rank_then_map", "instruction": "rank objects by a property, then map ranks to outputs", "topics": ["arc"]}]}),
        json.dumps({"pairs": [{"subquestion": "how to order objects by size", "subroutine": "count cells per object and sort", "steps": [0]}]}),
    ])
    # concepts by embedding, so the model's only calls are the two learners' after the task
    mem = ExperienceMemory(behaviors=hb, concepts=cm, subroutines=sr, llm=llm, config=ExperienceRecallConfig(learn=True, concept_selection="embedding"))
    task = TaskSpec(id="arc-2", instruction="recolour each object of the grid by its size", topic="arc")
    ctx = mem.before_task(task)
    assert llm.calls == []
    mem.after_task(task, ctx, ["find objects", "rank by size and recolour"], Outcome(score=1.0, success=True), run_id="r1")
    llm.assert_complete()
    for r in ctx.items:
        store = {"behaviors": hb, "concepts": cm, "subroutines": sr}[r.record.store]
        assert store.usage.get(r.record.id).uses == 1
    assert hb.get("behavior_rank_then_map") is not None and len(sr) == 2 and sr.get("sr-1").source_run == "r1"
    # every write went through the reflective controller: audited with the run and task ids
    from agentmem.learning.audit import AuditLog

    rows = {(r.kind, r.status, r.run_id, r.task_id) for r in AuditLog(settings.paths.home / "audit.sqlite").entries()}
    assert {("add_behavior", "applied", "r1", "arc-2"), ("add_subroutines", "applied", "r1", "arc-2"), ("update_utility", "applied", "r1", "arc-2")} <= rows


def test_context_template_renders_with_typed_inputs():
    text = PromptLibrary().render("experience_context.j2", behaviors="B", concepts="C", subroutines="")
    assert "B" in text and "Concepts from earlier tasks" in text and "Procedures" not in text
