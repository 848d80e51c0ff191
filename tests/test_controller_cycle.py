"""The reflective controller over a sequence of tasks with the scripted fake LLM."""

from __future__ import annotations

import json

import pytest

from agentmem.environment import TaskSpec
from agentmem.hooks import MemoryHook
from agentmem.errors import ConfigError
from agentmem.learning.controller import ControllerConfig, ReflectiveController
from agentmem.learning.learners import behavior_curator, skill_reviser
from agentmem.learning.recordstore import record_stores, seed_record
from agentmem.testing import ScriptedLLM
from agentmem.types import Lifecycle, Outcome, Trust


def _controller(home, learners=(), mode="updating", gate="train_labels", **cfg):
    state, registry = record_stores(home, ["behaviors", "skills"])
    seed_record(state.stores["behaviors"], "check-units", "Check units", "Convert all quantities to the same units before comparing them.")
    seed_record(state.stores["skills"], "unit-table", "Unit conversion table", "Use the table of unit factors to convert lengths and masses.")
    config = ControllerConfig(mode=mode, write_gate=gate, **cfg)
    return ReflectiveController(state, home, registry=registry, learners=list(learners), config=config), state


def _task(i, split="train", text="compare the lengths of two rods in different units"):
    return TaskSpec(id=f"t{i}", instruction=text, topic="units", metadata={"split": split})


def test_controller_is_a_memory_hook(home):
    ctl, _ = _controller(home)
    assert isinstance(ctl, MemoryHook)


def test_updating_mode_requires_an_explicit_write_gate(home):
    with pytest.raises(ConfigError, match="write_gate"):
        _controller(home, gate=None)


def test_sequence_of_tasks_proposes_validates_applies_and_records_provenance(home):
    replies = [
        json.dumps({"edits": [{"kind": "add_behavior", "name": "Write units next to numbers", "instruction": "Always write the unit next to every number.", "reason": "lost track of cm vs m"}]}),
        # second task: one valid edit, one schema-invalid edit, one duplicate of the first task's behavior
        json.dumps({"edits": [
            {"kind": "add_behavior", "name": "Estimate first", "instruction": "Estimate the answer before computing.", "reason": "sanity check"},
            {"kind": "add_behavior", "name": "No instruction"},
            {"kind": "add_behavior", "name": "Write units next to numbers", "instruction": "Always write the unit next to every number.", "reason": "again"},
        ]}),
        "I think the agent did fine, no edits needed.",  # third: not JSON at all
    ]
    llm = ScriptedLLM(replies)
    ctl, state = _controller(home, learners=[behavior_curator(llm)])
    reports = []
    for i, (score, ok) in enumerate([(0.0, False), (1.0, True), (1.0, True)]):
        task = _task(i)
        ctx = ctl.before_task(task)
        assert ctx.items, "recall found the seeded items"
        reports.append(ctl.after_task(task, ctx, [f"step of task {i}"], Outcome(score=score, success=ok), f"run-{i}"))
    llm.assert_complete()

    behaviors = state.stores["behaviors"]
    assert behaviors.get_record("write-units-next-to-numbers").trust == Trust.learned
    assert behaviors.get_record("estimate-first") is not None
    r1 = reports[1].apply
    reasons = " | ".join(r.reason for r in r1.refused)
    assert "instruction" in reasons and "Field required" in reasons  # schema failure names the field
    assert "duplicate" in reasons
    assert any("not JSON" in r.reason for r in reports[2].apply.refused)

    # audit: every applied and refused edit with its run
    audit = ctl.engine.audit
    applied = [e for e in audit.entries(status="applied") if e.kind == "add_behavior"]
    assert {e.run_id for e in applied} == {"run-0", "run-1"}
    invalid = audit.entries(status="invalid")
    assert {e.run_id for e in invalid} >= {"run-1", "run-2"} and all(e.reason for e in invalid)

    # provenance: task -> run -> edit -> item; item -> run -> outcome
    why = ctl.why("behaviors/write-units-next-to-numbers")
    assert why.found and why.written_by[0]["run_id"] == "run-0" and why.written_by[0]["task_id"] == "t0"
    assert why.uses >= 1  # recalled in later tasks
    seeded = ctl.why("check-units")
    assert [u["run_id"] for u in seeded.used_in][:1] == ["run-0"] and seeded.used_in[0]["score"] == 0.0
    assert "written by" in why.render()


def test_modes_none_and_frozen_write_nothing(home):
    llm = ScriptedLLM([])
    for mode in ("none", "frozen"):
        ctl, state = _controller(home / mode, learners=[behavior_curator(llm)], mode=mode, gate=None)
        task = _task(0)
        ctx = ctl.before_task(task)
        assert (ctx.items == []) == (mode == "none")
        before = {s: sorted(p.read_bytes() for p in r.rglob("*") if p.is_file()) for s, r in state.roots().items()}
        rep = ctl.after_task(task, ctx, [], Outcome(score=1.0, success=True), f"run-{mode}")
        after = {s: sorted(p.read_bytes() for p in r.rglob("*") if p.is_file()) for s, r in state.roots().items()}
        assert rep.apply is None and before == after
    assert llm.calls == []  # learners never consulted


def test_write_gate_refuses_test_split_and_oracle_outcomes(home):
    llm = ScriptedLLM([])
    ctl, _ = _controller(home, learners=[behavior_curator(llm)], gate="train_labels")
    task = _task(0, split="test")
    rep = ctl.after_task(task, ctl.before_task(task), [], Outcome(score=1.0, success=True), "run-test")
    assert not rep.gate_open and "split" in rep.gate_reason
    task = _task(1)
    rep = ctl.after_task(task, ctl.before_task(task), [], Outcome(score=1.0, success=True, source="oracle"), "run-oracle")
    assert not rep.gate_open and "oracle" in rep.gate_reason
    assert llm.calls == []
    assert {e.run_id for e in ctl.engine.audit.entries(status="refused")} == {"run-test", "run-oracle"}

    verified = _controller(home / "sv", gate="self_verification")[0]
    t = _task(2, split="test")
    assert not verified.after_task(t, verified.before_task(t), [], Outcome(score=1.0, success=True, source="environment"), "r-env").gate_open
    assert verified.after_task(t, verified.before_task(t), [], Outcome(score=1.0, success=True, source="verifier"), "r-ver").gate_open

    oracle = _controller(home / "oracle", gate="oracle")[0]
    rep = oracle.after_task(t, oracle.before_task(t), [], Outcome(score=1.0, success=True, source="oracle"), "r-orc")
    assert rep.gate_open
    assert all(e.write_gate == "oracle" for e in oracle.engine.audit.entries(run_id="r-orc"))


def test_learned_playbook_is_quarantined_until_verified(home):
    reply = json.dumps({"edits": [{"kind": "add_skill", "name": "measure-twice", "description": "Measure twice", "body": "Run scripts/measure.py twice.", "playbook": True, "files": {"scripts/measure.py": "print(1)"}, "reason": "worked"}]})
    ctl, state = _controller(home, learners=[skill_reviser(ScriptedLLM([reply]))])
    task = _task(0)
    rep = ctl.after_task(task, ctl.before_task(task), [], Outcome(score=1.0, success=True), "run-0")
    assert [a.state for a in rep.apply.quarantined] == [Lifecycle.quarantined]
    skills = state.stores["skills"]
    assert skills.get_record("measure-twice").state == Lifecycle.quarantined
    assert "measure-twice" not in [r.record.id for r in ctl.before_task(task).items]  # out of recall
    assert ctl.engine.audit.entries(status="quarantined")[0].item_id == "measure-twice"

    failing = ctl.verify_quarantined(lambda rec: False)
    assert failing.applied == [] and skills.get_record("measure-twice").state == Lifecycle.quarantined
    passing = ctl.verify_quarantined(lambda rec: rec.id == "measure-twice")
    assert [a.kind for a in passing.applied] == ["activate_item"]
    assert skills.get_record("measure-twice").state == Lifecycle.active


def test_low_score_blocks_new_skills_and_trust_is_capped(home):
    reply = json.dumps({"edits": [
        {"kind": "add_skill", "name": "bad-idea", "description": "x", "body": "y", "reason": "failed run", "trust": "shipped"},
        {"kind": "add_skill", "name": "claims-shipped", "description": "x", "body": "z", "reason": "r", "trust": "shipped"},
    ]})
    ctl, state = _controller(home, learners=[skill_reviser(ScriptedLLM([reply, reply.replace("failed run", "ok")]))])
    task = _task(0)
    rep = ctl.after_task(task, ctl.before_task(task), [], Outcome(score=0.0, success=False), "run-0")
    assert {r.stage for r in rep.apply.refused} == {"gate"} and "below" in rep.apply.refused[0].reason
    rep = ctl.after_task(_task(1), ctl.before_task(_task(1)), [], Outcome(score=1.0, success=True, source="llm_judge"), "run-1")
    # an LLM-judged outcome caps trust at 'untrusted' (and untrusted additions start quarantined)
    assert state.stores["skills"].get_record("bad-idea").trust == Trust.untrusted
    assert state.stores["skills"].get_record("bad-idea").state == Lifecycle.quarantined


def test_run_task_through_the_agent_runner(home, settings):
    from agentmem.agent.agent import Agent
    from agentmem.agent.runner import Runner
    from agentmem.evals.chat import ChatEnvironment

    reply = json.dumps({"edits": [{"kind": "add_behavior", "name": "Show the arithmetic", "instruction": "Write each arithmetic step.", "reason": "answered right"}]})
    ctl, state = _controller(home, learners=[behavior_curator(ScriptedLLM([reply]))])
    agent = Agent(name="solver", model=ScriptedLLM(["12"]))
    task = TaskSpec(id="t-run", instruction="compare units: what is 3 times 4?", metadata={"split": "train"})
    env = ChatEnvironment.from_task(task, checker=lambda answer: answer.strip() == "12")
    result, report = ctl.run_task(agent, env, runner=Runner(settings, log_runs=False))
    assert result.final_answer == "12" and result.memory_ids  # the runner recalled through the controller
    assert report is not None and report.run_id == result.run_id and report.gate_open
    assert state.stores["behaviors"].get_record("show-the-arithmetic") is not None
    assert ctl.why("behaviors/show-the-arithmetic").written_by[0]["run_id"] == result.run_id
