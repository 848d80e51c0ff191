"""One spine: every loop reads through Memory.recall and writes through the reflective controller.

Each loop runs in updating mode and its writes are found in the audit log with their run id:
``agentmem run`` (scripted model, --check), ``agentmem runs rate``, ``Memory.learn`` /
``remember`` / ``rollback``, and MCP ``record_outcome``.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

import agentmem
from agentmem.cli import app
from agentmem.learning.audit import AuditLog
from agentmem.learning.learners import LearningContext
from agentmem.learning.lessons import RunLessonLearner, parse_lesson, rule_lesson
from agentmem.testing import HashEmbedder, ScriptedLLM


@pytest.fixture
def cli(monkeypatch):
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    return CliRunner()


def _script(tmp_path, name, replies) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(replies))
    return f"scripted:{path}"


def _audit(path) -> list:
    return AuditLog(path / "audit.sqlite").entries()


def test_run_lesson_is_recalled_by_the_next_run(cli, tmp_path, home):
    first = cli.invoke(app, ["run", "What is 6 * 7?", "--model", _script(tmp_path, "r1", ["The answer is 42."]), "--check", "true", "--memory", "updating", "--json"])
    assert first.exit_code == 0, first.output
    run1 = json.loads(first.output)
    assert run1["outcome"]["success"] is True and run1["outcome"]["source"] == "verifier"
    lesson_edits = [e for e in run1["memory"]["edits"] if e.startswith("add_item facts/")]
    assert len(lesson_edits) == 1, run1["memory"]
    lesson_id = lesson_edits[0].split("/", 1)[1]

    second = cli.invoke(app, ["run", "What is 6 * 7 times one?", "--model", _script(tmp_path, "r2", ["42"]), "--json"])
    assert second.exit_code == 0, second.output
    run2 = json.loads(second.output)
    assert lesson_id in run2["memory"]["recalled"].get("facts", []), run2["memory"]
    memory_text = run2["steps"][0]["memory_text"]
    assert "passed the check" in memory_text and "The answer is 42." in memory_text
    assert not run2["memory"].get("edits")  # frozen: nothing written

    # Provenance: the audit log names run 1 and its task; `memory why` names the task and outcome.
    audit = json.loads(cli.invoke(app, ["--json", "memory", "audit", "--limit", "1000"]).output)
    rows = [r for r in audit if r.get("kind") == "add_item"]
    assert [(r["run_id"], r["status"]) for r in rows] == [(run1["run_id"], "applied")] and rows[0]["task_id"] == run1["task"]["id"]
    why = cli.invoke(app, ["memory", "why", f"facts/{lesson_id}"])
    assert why.exit_code == 0, why.output
    assert run1["run_id"] in why.output and "What is 6 * 7?" in why.output

    shown = cli.invoke(app, ["runs", "show", run1["run_id"]])
    assert f"add_item facts/{lesson_id}" in shown.output


def test_runs_rate_learns_after_the_run(cli, tmp_path, home):
    first = cli.invoke(app, ["run", "Name the capital of Australia.", "--model", _script(tmp_path, "r1", ["Sydney"]), "--json"])
    run1 = json.loads(first.output)
    assert run1["outcome"]["detail"].get("judged") is False and run1["memory"]["mode"] == "frozen"
    rated = cli.invoke(app, ["--json", "runs", "rate", run1["run_id"], "--failure", "--note", "it is Canberra"])
    assert rated.exit_code == 0, rated.output
    got = json.loads(rated.output)
    assert got["outcome"]["success"] is False and any(e.startswith("add_item facts/") for e in got["edits"])
    listed = json.loads(cli.invoke(app, ["--json", "runs", "show", run1["run_id"]]).output)
    assert listed["outcome"]["source"] == "user" and listed["meta"]["memory"]["rate_edits"] == got["edits"]

    second = cli.invoke(app, ["run", "What is the capital of Australia?", "--model", _script(tmp_path, "r2", ["Canberra"]), "--json"])
    text = json.loads(second.output)["steps"][0]["memory_text"]
    assert "failed the check" in text and "Canberra" in text and "Sydney" in text
    assert cli.invoke(app, ["runs", "rate", run1["run_id"]]).exit_code == 2  # neither --success nor --failure


def test_run_without_memory_and_bad_memory_option(cli, tmp_path):
    res = cli.invoke(app, ["run", "hi", "--model", _script(tmp_path, "r", ["hello"]), "--memory", "none", "--json"])
    assert res.exit_code == 0 and "memory" not in json.loads(res.output)
    bad = cli.invoke(app, ["run", "hi", "--model", _script(tmp_path, "r", ["hello"]), "--memory", "sometimes"])
    assert bad.exit_code == 2 and "--memory 'sometimes'" in bad.output


def test_check_command_failure_keeps_feedback(cli, tmp_path):
    res = cli.invoke(app, ["run", "Say the magic word.", "--model", _script(tmp_path, "r", ["abracadabra"]), "--check", "grep -q please || (echo 'you forgot please'; exit 3)",
                           "--memory", "updating", "--json"])
    data = json.loads(res.output)
    assert data["outcome"]["success"] is False and data["outcome"]["detail"]["exit_status"] == 3
    assert "you forgot please" in data["outcome"]["detail"]["feedback"]
    assert any(e.startswith("add_item facts/") for e in data["memory"]["edits"])


def _facts_memory(settings, **kw):
    facts = agentmem.FactStore(settings.paths.stores / "facts", HashEmbedder())
    return facts, agentmem.Memory([facts], settings=settings, outcome_log=agentmem.OutcomeLog(settings.paths.home / "o.sqlite"), namespace="alice", **kw)


def test_memory_learn_remember_rollback_are_audited(settings):
    facts, memory = _facts_memory(settings, learners=[RunLessonLearner()])
    before = memory.snapshot("empty")
    fid = memory.remember("The spare key is in the blue flowerpot.", run_id="run-remember")
    ctx = memory.recall("where is the spare key?", budget_tokens=200)
    rid = memory.learn("where is the spare key?", ctx, agentmem.Outcome(score=1.0, success=True, source="verifier", detail={"feedback": "found it"}))
    rows = _audit(settings.paths.home)
    by_run = {(r.run_id, r.kind, r.status) for r in rows}
    assert ("run-remember", "add_item", "applied") in by_run
    assert (rid, "update_utility", "applied") in by_run and (rid, "add_item", "applied") in by_run
    assert facts.get(fid).usage.uses == 1
    lessons = [i for i in facts.items(namespace="alice/default") if i.id != fid]
    assert len(lessons) == 1 and "found it" in lessons[0].content and lessons[0].provenance.run_id == rid
    memory.rollback(before.id)
    assert facts.get(fid) is None
    statuses = [r.status for r in _audit(settings.paths.home)]
    assert "rollback" in statuses


def test_memory_test_split_and_unjudged_outcomes_write_nothing(settings):
    facts, memory = _facts_memory(settings, learners=[RunLessonLearner()])
    fid = memory.remember("Bob's birthday is in May.")
    ctx = memory.recall("when is bob's birthday", budget_tokens=200)
    memory.learn(agentmem.TaskSpec(id="t-test", instruction="when is bob's birthday", metadata={"split": "test"}), ctx, agentmem.Outcome(score=1.0, success=True))
    memory.learn("when is bob's birthday", ctx, agentmem.Outcome(score=0.0, success=False, source="user", detail={"judged": False}))
    assert facts.get(fid).usage.uses == 0 and len(facts.items(namespace="alice/default")) == 1


def test_frozen_memory_hook_logs_but_does_not_write(settings):
    facts, memory = _facts_memory(settings, mode="frozen")
    fid = memory.remember("Carol drinks tea, not coffee.")
    task = agentmem.TaskSpec(id="t1", instruction="what does carol drink", metadata={"namespace": "alice"})
    ctx = memory.before_task(task)
    memory.after_task(task, ctx, [], agentmem.Outcome(score=1.0, success=True), "run-frozen")
    assert facts.get(fid).usage.uses == 0
    assert [r.item_id for r in memory.outcome_log.rows(run_id="run-frozen")] == [fid]
    with pytest.raises(agentmem.ConfigError, match="mode must be"):
        agentmem.Memory([facts], settings=settings, mode="sometimes")


def test_lesson_learner_with_a_model_and_its_fallback(settings):
    task = agentmem.TaskSpec(id="t", instruction="sum the numbers in data.csv")
    outcome = agentmem.Outcome(score=0.0, success=False, source="verifier", detail={"feedback": "expected 10, got 9"})
    llm = ScriptedLLM([json.dumps({"lessons": [{"situation": "summing a CSV column", "suggestion": "skip the header row before adding"}]}), "no json here"])
    ctx = LearningContext(task=task, outcome=outcome, run_id="run-1234567890")
    edit = RunLessonLearner(llm).propose(ctx).edits[0]
    assert edit.text == "When summing a CSV column: skip the header row before adding" and edit.provenance.run_id == "run-1234567890"
    assert "expected 10, got 9" in llm.calls[0].prompt  # the verifier's feedback is in the prompt
    fallback = RunLessonLearner(llm).propose(ctx).edits[0]
    llm.assert_complete()
    assert "failed the check" in fallback.text and "expected 10, got 9" in fallback.text and "held no lesson" in fallback.reason
    assert RunLessonLearner().propose(LearningContext(task=task, outcome=agentmem.Outcome(score=0, success=False, detail={"judged": False}), run_id="r")).edits == []
    assert parse_lesson('```json\n{"lessons": [{"situation": "a", "suggestion": "b"}]}\n```').text() == "When a: b"
    assert parse_lesson('{"lessons": []}') is None
    assert "passed the check" in rule_lesson("t", "42", True).suggestion


def test_mcp_record_outcome_and_remember_go_through_the_controller(settings):
    from agentmem.mcp_server import MemoryService

    svc = MemoryService(settings, namespace="alice", with_experience=False)
    saved = svc.remember("The VPN config lives in vault://net/vpn.")
    got = svc.recall("where is the vpn config?", k=3)
    ids = [f"{it['store']}:{it['id']}" for it in got["items"] if it["store"] == "facts"]
    assert ids == [f"facts:{saved['id']}"]
    rec = svc.record_outcome("vpn question", ids, 1.0, True, run_id="mcp-run-1")
    assert rec["recorded"] == ids
    rows = _audit(settings.paths.home)
    assert ("mcp-run-1", "update_utility", f"{saved['id']}") in {(r.run_id, r.kind, r.item_id) for r in rows}
    assert svc.facts.get(saved["id"]).usage.uses == 1
    assert [r.run_id for r in svc.outcome_log.rows(store="facts")] == ["mcp-run-1"]
