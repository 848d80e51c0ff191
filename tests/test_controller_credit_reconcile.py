"""A writer killed at any point of ``ReflectiveController.apply`` loses no credit: the next open of the home
records what the audit log says was applied (exactly once), and opening again records nothing more."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agentmem.cli import app
from agentmem.environment import TaskSpec
from agentmem.learning.audit import AuditLog
from agentmem.learning.credit import UtilityTable
from agentmem.learning.outcome_log import OutcomeLog
from agentmem.types import Outcome

REPO = Path(__file__).resolve().parents[1]


def _credit_rows(home):
    return [r for r in OutcomeLog(Path(home) / "outcomes.sqlite").rows() if r.store == "notes"]


# The writer stops at {stop}: its kill point creates <home>/reached, then it sleeps until SIGKILLed.
_KILL = """
import sys, time
sys.path.insert(0, {repo!r})
from agentmem.environment import TaskSpec
from agentmem.learning.controller import ControllerConfig, ReflectiveController
from agentmem.learning.edits import UpdateUtility
from agentmem.learning.engine import EditEngine
from agentmem.learning.outcome_log import OutcomeLog
from agentmem.learning.recordstore import record_stores, seed_record
from agentmem.types import Outcome
home = sys.argv[1]
state, registry = record_stores(home, ["notes"])
if state.stores["notes"].get_record("b0") is None:
    seed_record(state.stores["notes"], "b0", "Check units", "Check the units of every quantity.")
ctl = ReflectiveController(state, home, registry=registry, config=ControllerConfig())
def stop(*a, **k):
    open(home + "/reached", "w").close()
    time.sleep(60)
stop_at = {stop!r}
if stop_at == "before_record_credits":  # the engine committed and finished the batch (audit row, store use)
    ReflectiveController._record_credits = stop
elif stop_at == "after_commit_line":  # the journal's commit line is on disk; no audit row yet
    EditEngine._finish = stop
elif stop_at == "between_provenance_and_row":  # provenance written, outcome row not
    OutcomeLog.record = stop
edit = UpdateUtility(store="notes", item_id="b0", reward=1.0, success=True, credit=0.5, credit_method="marginal", proposer="controller:test", reason="killed writer")
ctl.apply([edit], run_id="r1", task=TaskSpec(id="t1", instruction="convert 3 km to m", topic="units"), outcome=Outcome(score=1.0, success=True, source="environment"))
print("the writer was not stopped", file=sys.stderr)
sys.exit(3)
"""


@pytest.mark.parametrize("stop_at", ["before_record_credits", "after_commit_line", "between_provenance_and_row"])
def test_killed_writer_credit_is_recorded_once_on_reopen(home, monkeypatch, kill_at_marker, stop_at, credit_kit):
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    credit_kit.controller(home)  # seed the item before the writer runs
    kill_at_marker(_KILL.format(repo=str(REPO), stop=stop_at), home)
    assert _credit_rows(home) == []  # the kill left the credit unrecorded
    statuses = [(a.kind, a.status) for a in AuditLog(home / "audit.sqlite").entries(store="notes")]
    assert statuses == ([] if stop_at == "after_commit_line" else [("update_utility", "applied")])

    if stop_at == "after_commit_line":  # the batch is committed but unfinished: the next writer finishes it
        rep = credit_kit.controller(home).apply([])
        assert rep.recovered and "completed committed" in rep.recovered
    why = credit_kit.why(home)  # a fresh process opens the home and records the credit
    assert why["attributes"]["credited_uses"] == 1
    assert [(u["run_id"], u["task_id"], u["credit"], u["score"], u["source"]) for u in why["used_in"]] == [("r1", "t1", 0.5, 1.0, "environment")]
    rows = _credit_rows(home)
    assert [(r.run_id, r.task_id, r.reward, r.success, r.outcome_source, r.extra["credit"], r.extra["credit_method"]) for r in rows] == [
        ("r1", "t1", 1.0, True, "environment", 0.5, "marginal")]
    ctl = credit_kit.controller(home)
    assert ctl.state.stores["notes"].usage("b0").uses == 1  # the store saw the use once
    assert [(a.kind, a.status) for a in ctl.engine.audit.entries(store="notes")] == [("update_utility", "applied")]

    # opening twice more records nothing again
    assert ctl.reconcile_credits() == 0
    assert credit_kit.why(home)["attributes"]["credited_uses"] == 1
    assert len(_credit_rows(home)) == 1 and ctl.utilities.uses("notes", "b0") == 1
    assert len(credit_kit.why(home)["used_in"]) == 1


def test_recording_is_idempotent_by_edit_id(home, credit_kit):
    ctl = credit_kit.controller(home)
    out = Outcome(score=1.0, success=True, source="environment")
    task = TaskSpec(id="t1", instruction="convert 3 km to m", topic="units")
    rep = ctl.apply([credit_kit.credit(0.5)], run_id="r1", task=task, outcome=out)
    ctl._record_credits(rep, out, "r1", task)  # a second recording of the same edit (e.g. after a reconcile) writes no row
    assert len(_credit_rows(home)) == 1
    other = credit_kit.controller(home)  # another process that reconciled first: this one's table still counts its edit
    assert other.reconcile_credits() == 0 and other.utilities.uses("notes", "b0") == 1
    assert UtilityTable.from_rows(ctl.outcomes.rows(), ctl.config.credit).uses("notes", "b0") == 1


def test_reconcile_leaves_after_task_credits_to_their_context_rows(home, credit_kit):
    # after_task's credit edits are audited in mode 'updating' and recorded in the run's context rows: a
    # reopen must not add a second row for them
    ctl = credit_kit.controller(home, mode="updating", write_gate="train_labels")
    task = TaskSpec(id="t1", instruction="check the units", metadata={"split": "train"})
    ctl.after_task(task, ctl.before_task(task), ["..."], Outcome(score=1.0, success=True), "run-1")
    again = credit_kit.controller(home)
    assert len([r for r in again.outcomes.rows(run_id="run-1") if r.store == "notes"]) == 1
    assert again.utilities.uses("notes", "b0") == 1


def test_reconcile_reads_only_audit_rows_past_its_marker(home, monkeypatch, credit_kit):
    ctl = credit_kit.controller(home)
    ctl.apply([credit_kit.credit(0.5)], run_id="r1")
    assert ctl.outcomes.mark("credits_reconciled_audit_id") == ctl.engine.audit.max_id() > 0

    def boom(self, after_id, upto_id):
        raise AssertionError("scanned the audit log with nothing new in it")

    monkeypatch.setattr(AuditLog, "credited_manual_since", boom)
    assert credit_kit.controller(home).reconcile_credits() == 0  # settled: one max-id read, no scan, no lock


def test_cli_memory_apply_records_the_credit(home, monkeypatch, tmp_path, credit_kit):
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    credit_kit.controller(home)
    f = tmp_path / "edits.json"
    f.write_text(json.dumps({"edits": [credit_kit.credit(0.25).model_dump(mode="json")]}))
    res = CliRunner().invoke(app, ["--home", str(home), "memory", "apply", str(f)])
    assert res.exit_code == 0, res.output
    assert [r.extra["credit"] for r in _credit_rows(home)] == [0.25]
    assert credit_kit.why(home)["attributes"]["credited_uses"] == 1


def test_an_audit_row_without_a_usable_payload_does_not_stop_the_open(home, caplog, credit_kit):
    from agentmem.learning.audit import AuditEntry

    AuditLog(home / "audit.sqlite").record([AuditEntry(edit_id="e-odd", status="applied", kind="update_utility", store="notes", item_id="b0", mode="manual", payload={"credit": 0.3})])
    ctl = credit_kit.controller(home)  # opens; the row is named in a warning, not recorded, and not read again
    assert _credit_rows(home) == [] and "e-odd" in caplog.text
    assert ctl.outcomes.mark("credits_reconciled_audit_id") == ctl.engine.audit.max_id()
