"""The SQLite run log: round trip, listing, id prefixes, and clear errors."""

from __future__ import annotations

import pytest

from agentmem.agent.runlog import RunLog, RunNotFoundError
from agentmem.agent.steps import ActionStep, ErrorStep, FinalAnswerStep, ObservationStep, TaskStep
from agentmem.errors import StoreError
from agentmem.llm.base import ToolCall, Usage
from agentmem.types import Outcome


def _record(log: RunLog, run_id: str, started: float, status: str = "final") -> None:
    log.start(run_id, task=f"task {run_id}", agent="a", task_id="t", model="m", environment="chat", memory_ids=["k1"], started_at=started)
    steps = [
        TaskStep(task="t"),
        ActionStep(thought="hm", tool_calls=[ToolCall(id="c", name="add", arguments={"a": 1})], usage=Usage(prompt_tokens=3, completion_tokens=1, calls=1)),
        ObservationStep(tool_call_id="c", tool_name="add", observation="1", reward=0.5),
        ErrorStep(error="oops", error_type="EmptyReply"),
        FinalAnswerStep(answer="1"),
    ]
    for i, s in enumerate(steps):
        s.index = i
        log.add_step(run_id, s)
    log.finish(run_id, status=status, final_answer="1", outcome=Outcome(score=1.0, success=True), usage=Usage(prompt_tokens=3, completion_tokens=1, cost_usd=0.01, calls=1), ended_at=started + 2)


def test_round_trip_typed_steps(settings):
    log = RunLog(settings.paths.runs_db)
    _record(log, "run-abc123", 100.0)
    rec = log.get("run-abc123")
    assert [type(s) for s in rec.steps] == [TaskStep, ActionStep, ObservationStep, ErrorStep, FinalAnswerStep]
    assert rec.steps[1].tool_calls[0].arguments == {"a": 1} and rec.steps[2].reward == 0.5
    assert rec.outcome == Outcome(score=1.0, success=True) and rec.usage.cost_usd == 0.01 and rec.memory_ids == ["k1"]
    assert rec.seconds == 2 and rec.n_steps == 5 and rec.status == "final"
    # A second RunLog on the same file (another process, later) reads the same.
    assert RunLog(settings.paths.runs_db).get("run-abc123") == rec


def test_list_newest_first_with_limit_and_status(settings):
    log = RunLog(settings.paths.runs_db)
    _record(log, "run-1", 1.0)
    _record(log, "run-2", 2.0, status="budget")
    _record(log, "run-3", 3.0)
    assert [r.id for r in log.list()] == ["run-3", "run-2", "run-1"]
    assert [r.id for r in log.list(limit=1)] == ["run-3"]
    assert [r.id for r in log.list(status="budget")] == ["run-2"]
    assert log.list()[0].n_steps == 5 and log.count() == 3


def test_prefix_lookup_and_clear_errors(settings):
    log = RunLog(settings.paths.runs_db)
    _record(log, "run-aa1", 1.0)
    _record(log, "run-aa2", 2.0)
    _record(log, "run-b_1", 3.0)
    assert log.get("run-aa1").id == "run-aa1" and log.resolve("run-b") == "run-b_1"
    with pytest.raises(RunNotFoundError, match="ambiguous: run-aa1, run-aa2"):
        log.get("run-aa")
    with pytest.raises(RunNotFoundError, match="no run 'zzz'"):
        log.get("zzz")
    assert log.resolve("run-b_") == "run-b_1"
    with pytest.raises(RunNotFoundError):
        log.resolve("run-%")  # LIKE wildcards are escaped
    with pytest.raises(RunNotFoundError, match="never started"):
        log.finish("run-nope", status="final")


def test_corrupt_file_is_a_store_error_naming_it(tmp_path):
    bad = tmp_path / "runs.sqlite"
    bad.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreError, match="runs.sqlite"):
        RunLog(bad)
