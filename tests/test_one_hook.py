"""One configured hook: each evaluation loop's memory is ``Memory`` configured by a profile, it reads
through ``Memory.recall`` (the one read path), and what recall returned is what reached the model.

``Memory.recall`` is wrapped by a spy for each test; the loops run with the shipped fakes.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from agentmem.environment import TaskSpec
from agentmem.learning.audit import AuditLog
from agentmem.memory import Memory
from agentmem.profiles import PROFILES, MemoryProfile, memory_for
from agentmem.prompts import as_block
from agentmem.testing import FunctionLLM, HashEmbedder, ScriptedLLM
from agentmem.types import Outcome


@pytest.fixture
def recalls(monkeypatch):
    """Every ``Memory.recall`` call as ``(profile name, task, context)``."""
    seen: list[tuple[str | None, object, object]] = []
    real = Memory.recall

    def spy(self, task, *args, **kwargs):
        ctx = real(self, task, *args, **kwargs)
        seen.append((getattr(self.profile, "name", None), task, ctx))
        return ctx

    monkeypatch.setattr(Memory, "recall", spy)
    return seen


FLIP = "The rule mirrors left-right.\n```python\ndef transform(grid):\n    return [row[::-1] for row in grid]\n```\n"


def test_arc_llm_solver_reads_concepts_and_hints_through_recall(tmp_path, settings, recalls):
    from agentmem.evals.arc.data import ArcTask, Pair
    from agentmem.evals.arc.harness import eval_tasks, run_llm_eval
    from agentmem.evals.arc.memory import SkillHints, arc_memory
    from agentmem.evals.arc.runner import InProcessGridRunner
    from agentmem.evals.core import EvalConfig
    from agentmem.stores.concepts import ConceptMemory

    concepts = ConceptMemory(settings)
    concepts.seed_from_shipped()
    task = ArcTask(id="t1", train=[Pair(input=[[1, 2], [3, 4]], output=[[2, 1], [4, 3]]), Pair(input=[[5, 0, 0]], output=[[0, 0, 5]])],
                   test=[Pair(input=[[1, 2, 3]], output=[[3, 2, 1]])])
    reply = {"concepts": [{"name": "mirror rows", "kind": "routine", "description": "reverse every row", "cues": ["output mirrors input"], "implementation": ["row[::-1]"]}]}
    writer, solver = ScriptedLLM([json.dumps(reply)]), ScriptedLLM([FLIP])
    memory = arc_memory(settings, concepts=concepts, skill_hints=SkillHints(), llm=writer, concept_selection="embedding")
    cfg = EvalConfig(benchmark="arc", model="scripted", memory="updating", write_gate="self_verification", split="toy", out_dir=tmp_path / "run",
                     options={"solver": "llm", "attempts": 2})
    rep = run_llm_eval(cfg, solver, tasks=eval_tasks("toy", tasks=[task]), memory=memory, runner=InProcessGridRunner(), progress=False)
    assert [(name, t.id) for name, t, _ in recalls] == [("arc", "t1")]
    ctx = recalls[0][2]
    assert {r.record.store for r in ctx.items} == {"skill_hints", "concepts"}  # one budget over the hint source and concept memory
    assert "`flip(axis=h)`" in ctx.text and as_block(ctx.text.strip()) in solver.calls[0].prompt  # the prompt puts recall's text in a memory block
    assert rep.tasks[0]["detail"]["memory_ids"] == ctx.item_ids
    # the write half of the same hook: the concepts in context are credited and the abstraction is applied, audited with the run id
    rows = AuditLog(settings.paths.home / "audit.sqlite").entries()
    run_id = next(r.run_id for r in rows if r.kind == "add_concepts")
    assert run_id.startswith("arc-") and {(r.kind, r.store) for r in rows if r.run_id == run_id and r.status == "applied"} >= {("add_concepts", "concepts"), ("update_utility", "concepts")}
    assert not [r for r in rows if r.store == "skill_hints"]  # computed hints are read-only


def test_alfworld_react_agent_reads_through_recall(settings, recalls):
    from agentmem.evals.alfworld.agents import ReactAgent
    from agentmem.evals.alfworld.data import GameRef
    from agentmem.evals.alfworld.env import AlfworldEnv, FakeAlfworldGame, FakeGame
    from agentmem.evals.alfworld.memory import alfworld_memory

    env = AlfworldEnv([GameRef(id="g", gamefile="g", task_type="pick_heat_then_place")], FakeAlfworldGame({"g": FakeGame()}), max_steps=1)
    llm = ScriptedLLM(["Action: look"])
    res = ReactAgent(llm, memory=alfworld_memory(settings, skills_k=2)).run(env, "g")
    assert [name for name, _, _ in recalls] == ["alfworld"]
    ctx = recalls[0][2]
    assert ctx.items and as_block(ctx.text.strip()) in llm.calls[0]["messages"][0].content
    assert res.memory_ids == ctx.item_ids


def test_locomo_qa_reads_turns_and_facts_through_recall(settings, tmp_path, recalls):
    from agentmem.evals.locomo.data import Conversation, QAItem, Turn
    from agentmem.evals.locomo.memskill import MemSkillIngestor
    from agentmem.evals.locomo.qa import LocomoQA, turn_memory_factory

    d1 = "8 May, 2023"
    turns = [Turn(dia_id="D1:1", session=1, index=0, speaker="Ann", text="I adopted a beagle called Rufus last week!", date=d1),
             Turn(dia_id="D1:2", session=1, index=1, speaker="Bob", text="Congrats! I run marathons.", date=d1)]
    conv = Conversation(sample_id="conv-h", speaker_a="Ann", speaker_b="Bob", turns=turns, session_dates={1: d1},
                        qa=[QAItem(question="What is the name of Ann's dog?", answer="Rufus", category=4, evidence=["D1:1"])])
    answer = ScriptedLLM(["Rufus"])
    rec = LocomoQA(answer, turn_memory_factory(HashEmbedder(), k=1, settings=settings)).answer_item(conv, 0)
    name, task, ctx = recalls[-1]
    assert name == "locomo_turns" and task.instruction == "What is the name of Ann's dog?"
    assert rec.recalled_ids == ctx.item_ids == ["D1:1"] and ctx.text in answer.calls[0].prompt and rec.f1 == 1.0

    def executor(msgs, info) -> str:
        ops = [{"op": "INSERT", "content": "Ann adopted a beagle named Rufus."}] if "beagle called Rufus" in msgs[-1].content else []
        return json.dumps({"operations": ops or [{"op": "NOOP", "reason": "nothing"}]})

    MemSkillIngestor(settings, FunctionLLM(executor), HashEmbedder(), tmp_path / "ms")(conv)  # ingestion writes the facts (audited next to the store)
    answer = ScriptedLLM(["Rufus"])
    rec = LocomoQA(answer, MemSkillIngestor(settings, ScriptedLLM([]), HashEmbedder(), tmp_path / "ms")).answer_item(conv, 0)
    name, task, ctx = recalls[-1]
    assert name == "locomo_facts" and [r.record.store for r in ctx.items] == ["facts"]
    assert ctx.text.strip() == "- Ann adopted a beagle named Rufus." and ctx.text.strip() in answer.calls[0].prompt and rec.f1 == 1.0
    audit = AuditLog(tmp_path / "ms" / "conv-h" / "audit.sqlite").entries()
    assert [(r.kind, r.status) for r in audit] == [("add_item", "applied")] and audit[0].run_id.startswith("conv-h-s1")


def test_experience_memory_is_the_experience_profile(settings, recalls):
    from agentmem.experience import ExperienceMemory
    from agentmem.stores.behaviors import BehaviorHandbook

    hb = BehaviorHandbook(settings)
    hb.seed_from_shipped()
    mem = ExperienceMemory(behaviors=hb)
    assert isinstance(mem, Memory) and mem.profile.name == "experience"
    ctx = mem.before_task(TaskSpec(id="a", instruction="recolour each object by its size", topic="arc"))
    assert recalls[0][0] == "experience" and ctx.items and all(r.record.store == "behaviors" for r in ctx.items)
    assert ctx.text.startswith("Useful behaviors from earlier problems")  # the handbook's own prompt block


def test_eval_cli_builds_locomo_memory_through_the_profile(shared_data, tmp_path, monkeypatch, recalls):
    pytest.importorskip("agentmem.llm.factory")
    from agentmem.cli import app

    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["Not mentioned in the conversation", "7 May 2023"]))
    res = CliRunner().invoke(app, ["--json", "eval", "locomo", "--model", f"scripted:{replies}", "--mode", "rag", "--no-judge", "--limit", "2",
                                   "--data", str(shared_data / "locomo" / "locomo10.json"), "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    data = json.loads(res.output)
    assert [name for name, _, _ in recalls] == ["locomo_turns", "locomo_turns"]
    assert [t["metrics"]["memory_tokens"] for t in data["tasks"]] == [ctx.tokens for _, _, ctx in recalls]


def test_profiles_validate_their_configuration(settings):
    from agentmem.errors import ConfigError

    assert {"run", "experience", "alfworld", "arc", "locomo_facts", "locomo_turns"} <= set(PROFILES)
    with pytest.raises(ConfigError, match="unknown view"):
        MemoryProfile(name="x", views={"behaviors": "psychic"})
    with pytest.raises(ConfigError, match="unknown memory profile"):
        memory_for(settings, "nope")
    mem = memory_for(settings, "alfworld", overrides={"budget_tokens": 400})
    assert mem.profile.budget_tokens == 400 and mem.settings.recall.budget_tokens == 400 and mem.settings.recall.max_store_share == 0.6
    assert sorted(mem.stores) == ["behaviors", "skills"] and mem.mode == "updating"
    # the same hook, frozen: recall works, the outcome is logged, nothing is written
    frozen = memory_for(settings, "alfworld", mode="frozen")
    task = TaskSpec(id="g", instruction="Your task is to: heat some mug and put it in cabinet.", topic="pick_heat_then_place", metadata={"goal": "heat some mug and put it in cabinet."})
    ctx = frozen.before_task(task)
    frozen.after_task(task, ctx, [], Outcome(score=1.0, success=True), "r-frozen")
    assert ctx.items and AuditLog(settings.paths.home / "audit.sqlite").entries(run_id="r-frozen") == []


def test_eval_alfworld_react_updating_writes_only_through_the_controller(shared_data, tmp_path, monkeypatch, recalls):
    """``agentmem eval alfworld --agent react --memory updating`` (scripted model): the hook is the
    ``alfworld`` profile, recall is the one read path, and the game's credit and curation are in the
    audit log with the run and game ids."""
    pytest.importorskip("alfworld")
    from agentmem.cli import app

    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    curation = {"behaviors": [{"name": "look before acting", "instruction": "look around before the first move", "topics": []}]}
    replies = tmp_path / "replies.json"
    replies.write_text(json.dumps(["Action: look", "Action: inventory", json.dumps(curation)]))
    res = CliRunner().invoke(app, ["--json", "eval", "alfworld", "--agent", "react", "--memory", "updating", "--split", "train", "--limit", "1", "--max-steps", "2",
                                   "--model", f"scripted:{replies}", "--data", str(shared_data), "--out", str(tmp_path / "run")])
    assert res.exit_code == 0, res.output
    game = json.loads(res.output)["tasks"][0]
    assert [name for name, _, _ in recalls] == ["alfworld"] and game["detail"]["memory_ids"] == recalls[0][2].item_ids
    from agentmem.settings import Settings

    rows = [r for r in AuditLog(Settings.load().paths.home / "audit.sqlite").entries() if r.status == "applied"]
    credited = sorted(r.item_id for r in rows if r.kind == "update_utility")
    assert credited == sorted(game["detail"]["memory_ids"])
    assert [r.item_id for r in rows if r.kind == "add_behavior"] == ["behavior_look_before_acting"]
    assert {r.run_id for r in rows} == {"eval-alfworld"} and {r.task_id for r in rows} == {game["task_id"]}


def test_eval_arc_builds_its_memory_through_the_arc_profile(settings, tmp_path):
    from agentmem.evals.arc.memory import default_arc_memory
    from agentmem.evals.core import EvalConfig

    def config(memory: str, gate: str) -> EvalConfig:
        return EvalConfig(benchmark="arc", model="scripted", memory=memory, write_gate=gate, split="toy", out_dir=tmp_path / memory, options={"solver": "llm"})  # type: ignore[arg-type]

    mem = default_arc_memory(settings, config("updating", "self_verification"), llm=ScriptedLLM([]))
    assert mem.profile.name == "arc" and sorted(mem.stores) == ["concepts", "skill_hints"]
    assert (mem.mode, mem.write_gate) == ("updating", "self_verification") and [type(x).__name__ for x in mem.learners] == ["ConceptAbstractionLearner"]
    assert mem.stores["skill_hints"].root is None  # read, never written
    assert default_arc_memory(settings, config("updating", "none")).mode == "frozen"  # --write-gate none: nothing is written
    assert default_arc_memory(settings, config("frozen", "self_verification")).mode == "frozen"
