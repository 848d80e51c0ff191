"""The controller over the real behavior, concept and subroutine stores (opened by open_memory)."""

from __future__ import annotations

import json

from agentmem.environment import TaskSpec
from agentmem.learning.controller import ControllerConfig, ReflectiveController
from agentmem.learning.learners import LLMEditProposer, behavior_curator
from agentmem.learning.snapshots import scan_root
from agentmem.learning.wiring import open_memory
from agentmem.testing import ScriptedLLM
from agentmem.types import Lifecycle, Outcome

EDITS = {"edits": [
    {"kind": "add_behavior", "name": "check units", "instruction": "Convert every quantity to one unit before comparing.", "when": "comparing measurements", "reason": "mixed cm and m"},
    {"kind": "extend_concept", "store": "concepts", "concept": "unit conversion", "text": "Multiply by the ratio of the units; keep the unit next to the number.", "reason": "r"},
    {"kind": "add_subroutines", "store": "subroutines", "subroutines": [{"name": "convert", "description": "How do I convert a length to metres?", "steps": ["find the factor", "multiply"]}], "reason": "r"},
]}


def _tree(state):
    return {n: scan_root(r) for n, r in state.roots().items()}


def test_edits_reach_the_real_stores_and_roll_back(settings):
    state, registry = open_memory(settings)
    assert {"behaviors", "concepts", "subroutines", "skills"} <= set(state.stores)
    learner = LLMEditProposer("curator", ScriptedLLM([json.dumps(EDITS)]), ["add_behavior", "extend_concept", "add_subroutines"])
    ctl = ReflectiveController(state, settings.home, registry=registry, learners=[learner], config=ControllerConfig(mode="updating", write_gate="train_labels"))
    snap = ctl.snapshot("empty")
    tree = _tree(state)
    task = TaskSpec(id="t1", instruction="compare 30 cm and 0.4 m", metadata={"split": "train"})
    rep = ctl.after_task(task, ctl.before_task(task), ["answer: 0.4 m is longer"], Outcome(score=1.0, success=True), "run-1")
    assert [(a.kind, a.item_ids) for a in rep.apply.applied if a.kind != "update_utility"] == [("add_behavior", ["behavior_check_units"]), ("extend_concept", ["unit conversion"]), ("add_subroutines", ["sr-0"])]
    hb, cm, sr = state.stores["behaviors"], state.stores["concepts"], state.stores["subroutines"]
    assert hb.get("behavior_check_units").trust.value == "learned" and hb.get("behavior_check_units").provenance[0].run_id == "run-1"
    assert cm.get("unit conversion").implementation == ["Multiply by the ratio of the units; keep the unit next to the number."]
    assert "convert" in sr.get("sr-0").subroutine
    # the learned behavior is recalled for a similar task, through the store's hybrid search
    ctx = ctl.before_task(TaskSpec(id="t2", instruction="compare measurements in different units"))
    assert "behavior_check_units" in ctx.item_ids
    assert ctl.why("behaviors/behavior_check_units").written_by[0]["task_id"] == "t1"

    ctl.rollback(snap.id)
    assert _tree(state) == tree
    assert state.stores["behaviors"].get("behavior_check_units") is None
    assert "behavior_check_units" not in ctl.before_task(TaskSpec(id="t3", instruction="compare measurements in different units")).item_ids


def test_dry_run_on_real_stores_changes_nothing(settings):
    state, registry = open_memory(settings)
    ctl = ReflectiveController(state, settings.home, registry=registry, learners=[behavior_curator(ScriptedLLM([json.dumps({"edits": EDITS["edits"][:1]})]))],
                               config=ControllerConfig(mode="updating", write_gate="train_labels", dry_run=True))
    hb = state.stores["behaviors"]
    hb.search("warm up the index")  # the live index is built before the dry run
    tree = _tree(state)
    task = TaskSpec(id="t1", instruction="compare 30 cm and 0.4 m", metadata={"split": "train"})
    rep = ctl.after_task(task, ctl.before_task(task), [], Outcome(score=0.0, success=False), "run-1")
    assert _tree(state) == tree and hb.get("behavior_check_units") is None
    assert "behavior_check_units" in rep.apply.render() and "+" in rep.apply.render()
    assert [r.record.id for r in hb.search("convert every quantity to one unit")] == []  # the live index was not touched


def test_controller_retirement_reaches_a_real_store(settings):
    state, registry = open_memory(settings)
    from agentmem.stores.behaviors import Behavior

    hb = state.stores["behaviors"]
    hb.add(Behavior(name="behavior_guess", instruction="Guess the answer without checking."))
    cfg = ControllerConfig(mode="updating", write_gate="train_labels")
    cfg.credit.retire_after = 2

    def rescore(task, items):  # re-running the task: it fails whenever the guessing behavior is in context
        return 0.0 if any(r.record.id == "behavior_guess" for r in items) else 1.0

    ctl = ReflectiveController(state, settings.home, registry=registry, rescore=rescore, config=cfg)
    for i in range(2):
        task = TaskSpec(id=f"t{i}", instruction="guess the answer", metadata={"split": "train"})
        ctx = ctl.before_task(task)
        assert "behavior_guess" in ctx.item_ids
        ctl.after_task(task, ctx, [], Outcome(score=0.0, success=False), f"r{i}")
    assert hb.get("behavior_guess").state == Lifecycle.retired
    assert hb.usage.get("behavior_guess").uses == 2
    assert "behavior_guess" not in ctl.before_task(TaskSpec(id="t9", instruction="guess the answer")).item_ids


def test_unified_memory_recall_reads_for_the_controller(settings):
    from agentmem.memory import Memory

    state, registry = open_memory(settings)
    memory = Memory(state.stores, settings=settings)
    learner = behavior_curator(ScriptedLLM([json.dumps({"edits": EDITS["edits"][:1]})]))
    ctl = ReflectiveController(state, settings.home, registry=registry, recall=memory.recall, renderer=memory.render, learners=[learner],
                               config=ControllerConfig(mode="updating", write_gate="train_labels"))
    task = TaskSpec(id="t1", instruction="compare 30 cm and 0.4 m", metadata={"split": "train"})
    ctl.after_task(task, ctl.before_task(task), [], Outcome(score=0.0, success=False), "run-1")
    ctx = ctl.before_task(TaskSpec(id="t2", instruction="convert every quantity to one unit before comparing measurements"))
    assert "behavior_check_units" in ctx.item_ids and "Convert every quantity" in ctx.text
    assert ctx.tokens <= settings.recall.budget_tokens
