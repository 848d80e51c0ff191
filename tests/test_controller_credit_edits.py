"""An ``update_utility`` edit applied through ``ReflectiveController.apply`` records its credit once, where
``agentmem memory why`` reads it (outcome log -> utility table, provenance), and no caller records it twice."""

from __future__ import annotations



from agentmem.environment import TaskSpec
from agentmem.learning.credit import UtilityTable
from agentmem.learning.edits import UpdateUtility
from agentmem.types import Outcome


def test_apply_records_the_credit_once_where_memory_why_reads_it(home, monkeypatch, credit_kit):
    monkeypatch.setenv("AGENTMEM_EMBEDDER__BACKEND", "hash")
    monkeypatch.setenv("AGENTMEM_INDEX__BACKEND", "memory")
    ctl = credit_kit.controller(home)
    task = TaskSpec(id="t1", instruction="convert 3 km to m", topic="units")
    rep = ctl.apply([credit_kit.credit(0.5)], run_id="r1", task=task, outcome=Outcome(score=1.0, success=True, source="environment"))
    assert [a.kind for a in rep.applied] == ["update_utility"]

    rows = [r for r in ctl.outcomes.rows() if r.store == "notes"]
    assert [(r.run_id, r.task_id, r.topic, r.item_id, r.reward, r.success, r.extra["credit"], r.extra["credit_method"]) for r in rows] == [
        ("r1", "t1", "units", "b0", 1.0, True, 0.5, "marginal")]
    assert ctl.utilities.uses("notes", "b0") == 1
    # the in-process table is what a later process rebuilds from the log (nothing counted twice or left out)
    rebuilt = UtilityTable.from_rows(ctl.outcomes.rows(), ctl.config.credit)
    assert rebuilt.uses("notes", "b0") == 1 and rebuilt.utility("notes", "b0") == ctl.utilities.utility("notes", "b0") > 0
    assert rebuilt.baseline("units") == ctl.utilities.baseline("units") == 1.0
    # the audit row names the task; the store saw one use
    audit = ctl.engine.audit.entries(store="notes", item_id="b0")
    assert [(a.kind, a.status, a.run_id, a.task_id) for a in audit] == [("update_utility", "applied", "r1", "t1")]
    assert ctl.state.stores["notes"].usage("b0").uses == 1

    why = credit_kit.why(home)  # a fresh process's view: `agentmem memory why`
    assert why["attributes"]["credited_uses"] == 1 and why["attributes"]["utility"] == round(ctl.utilities.utility("notes", "b0"), 4)
    assert [(u["run_id"], u["task_id"], u["credit"], u["score"]) for u in why["used_in"]] == [("r1", "t1", 0.5, 1.0)]

    # a dry run and a use without credit record no credit; a second credited run adds exactly one more
    ctl.apply([credit_kit.credit(0.25)], run_id="r2", dry_run=True)
    ctl.apply([UpdateUtility(store="notes", item_id="b0", reward=1.0, success=True)], run_id="r3")
    assert ctl.utilities.uses("notes", "b0") == 1 and len([r for r in ctl.outcomes.rows() if r.store == "notes"]) == 1
    ctl.apply([credit_kit.credit(-0.25)], run_id="r4")
    assert [r.extra["credit"] for r in ctl.outcomes.rows() if r.store == "notes"] == [0.5, -0.25]
    assert credit_kit.why(home)["attributes"]["credited_uses"] == 2 == ctl.utilities.uses("notes", "b0")


def test_after_task_credit_is_recorded_once(home, credit_kit):
    # after_task credits each item in context in its own context rows; its credit edits do not record a second row
    ctl = credit_kit.controller(home, mode="updating", write_gate="train_labels")
    task = TaskSpec(id="t1", instruction="check the units", metadata={"split": "train"})
    rep = ctl.after_task(task, ctl.before_task(task), ["..."], Outcome(score=1.0, success=True), "run-1")
    assert rep.apply is not None and [a.kind for a in rep.apply.applied] == ["update_utility"]
    rows = [r for r in ctl.outcomes.rows(run_id="run-1") if r.store == "notes"]
    assert len(rows) == 1 and "credit" in rows[0].extra
    assert ctl.utilities.uses("notes", "b0") == 1 == UtilityTable.from_rows(ctl.outcomes.rows(), ctl.config.credit).uses("notes", "b0")
    assert ctl.why("notes/b0").attributes["credited_uses"] == 1
