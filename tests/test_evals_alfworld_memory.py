"""Skills and behaviors in context for ALFWorld (needs the skill library and behavior handbook)."""

from __future__ import annotations

import pytest

pytest.importorskip("agentmem.stores.skill_library")
pytest.importorskip("agentmem.experience")

from agentmem.environment import TaskSpec  # noqa: E402
from agentmem.evals.alfworld.agents import ReactAgent  # noqa: E402
from agentmem.evals.alfworld.data import GameRef  # noqa: E402
from agentmem.evals.alfworld.env import AlfworldEnv, FakeAlfworldGame, FakeGame  # noqa: E402
from agentmem.evals.alfworld.memory import alfworld_memory  # noqa: E402
from agentmem.testing import ScriptedLLM  # noqa: E402


def test_alfworld_memory_recalls_alfworld_skills_and_credits_them(settings) -> None:
    mem = alfworld_memory(settings, skills_k=2)
    task = TaskSpec(id="g", instruction="You are in a room.\n\nYour task is to: heat some mug and put it in cabinet.", topic="pick_heat_then_place", metadata={"goal": "heat some mug and put it in cabinet."})
    ctx = mem.before_task(task)
    skill_ids = [r.record.id for r in ctx.items if r.record.store == "skills"]
    assert 0 < len(skill_ids) <= 2
    assert all(r.record.metadata.get("group") == "alfworld" for r in ctx.items if r.record.store == "skills")
    assert "heat-object" in skill_ids and "### skill: heat-object" in ctx.text
    assert ctx.tokens > 0
    from agentmem.types import Outcome

    mem.after_task(task, ctx, [], Outcome(score=1.0, success=True), "r1")
    assert mem.stores["skills"].stats("heat-object").uses == 1
    from agentmem.learning.audit import AuditLog

    credited = {(r.kind, r.item_id) for r in AuditLog(settings.paths.home / "audit.sqlite").entries(run_id="r1") if r.status == "applied"}
    assert ("update_utility", "heat-object") in credited  # through the reflective controller, audited with the run id
    frozen = alfworld_memory(settings, skills_k=2, mode="frozen")
    frozen.after_task(task, frozen.before_task(task), [], Outcome(score=1.0, success=True), "r2")
    assert mem.stores["skills"].stats("heat-object").uses == 1 and AuditLog(settings.paths.home / "audit.sqlite").entries(run_id="r2") == []


def test_alfworld_curation_goes_through_the_controller(settings) -> None:
    import json

    from agentmem.agent.steps import ActionStep
    from agentmem.learning.audit import AuditLog
    from agentmem.types import Outcome

    llm = ScriptedLLM([json.dumps({"behaviors": [{"name": "check the microwave first", "instruction": "open the microwave before heating anything", "topics": []}]})])
    mem = alfworld_memory(settings, skills_k=1, llm=llm, learn=True)
    task = TaskSpec(id="game-7", instruction="Your task is to: heat some mug and put it in cabinet.", topic="pick_heat_then_place", metadata={"goal": "heat some mug and put it in cabinet."})
    mem.after_task(task, mem.before_task(task), [ActionStep(thought="go to the microwave")], Outcome(score=1.0, success=True), "run-g7")
    llm.assert_complete()
    added = [r for r in AuditLog(settings.paths.home / "audit.sqlite").entries(run_id="run-g7") if r.kind == "add_behavior"]
    assert [(r.status, r.task_id) for r in added] == [("applied", "game-7")]
    b = mem.stores["behaviors"].get(added[0].item_id)
    assert b is not None and "pick_heat_then_place" in b.topics


def test_react_agent_puts_skills_in_the_system_prompt(settings) -> None:
    env = AlfworldEnv([GameRef(id="g", gamefile="g", task_type="pick_heat_then_place")], FakeAlfworldGame({"g": FakeGame()}), max_steps=1)
    llm = ScriptedLLM(["Action: look"])
    res = ReactAgent(llm, memory=alfworld_memory(settings, skills_k=2)).run(env, "g")
    assert "### skill: heat-object" in llm.calls[0]["messages"][0].content
    assert res.memory_tokens > 0 and "heat-object" in res.memory_ids
