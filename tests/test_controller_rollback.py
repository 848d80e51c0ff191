"""Snapshots, diffs, byte-identical rollback, dry runs, and all-or-nothing batches."""

from __future__ import annotations

import json

import pytest

from agentmem.environment import TaskSpec
from agentmem.learning.appliers import ApplierRegistry
from agentmem.learning.controller import ControllerConfig, ReflectiveController
from agentmem.learning.edits import AddItem, RetireItem
from agentmem.learning.learners import behavior_curator
from agentmem.learning.recordstore import RecordApplier, record_stores, seed_record
from agentmem.learning.snapshots import scan_root
from agentmem.testing import ScriptedLLM
from agentmem.types import Outcome


def _tree(state):
    return {name: scan_root(root) for name, root in state.roots().items()}


def _setup(home, replies=(), dry_run=False):
    state, registry = record_stores(home, ["behaviors", "facts"])
    for i in range(3):
        seed_record(state.stores["behaviors"], f"b{i}", f"Behavior {i}", f"Do thing number {i} carefully.")
    cfg = ControllerConfig(mode="updating", write_gate="train_labels", dry_run=dry_run)
    return ReflectiveController(state, home, registry=registry, learners=[behavior_curator(ScriptedLLM(list(replies)))], config=cfg), state


def _reply(name):
    return json.dumps({"edits": [{"kind": "add_behavior", "name": name, "instruction": f"Instruction for {name}.", "reason": "test"}]})


def _run(ctl, i, score=1.0):
    task = TaskSpec(id=f"t{i}", instruction="do thing carefully", metadata={"split": "train"})
    return ctl.after_task(task, ctl.before_task(task), ["..."], Outcome(score=score, success=score > 0.5), f"run-{i}")


def test_snapshot_diff_rollback_byte_identical(home):
    ctl, state = _setup(home, [_reply("First new"), _reply("Second new")])
    a = ctl.snapshot("before")
    tree_a = _tree(state)
    _run(ctl, 0)
    _run(ctl, 1, score=0.0)
    b = ctl.snapshot("after")
    tree_b = _tree(state)
    assert tree_a != tree_b

    d = ctl.diff("before", "after")
    added = {(c.store, c.path) for c in d.changes if c.change == "added"}
    assert ("behaviors", "items/first-new.md") in added and ("behaviors", "items/second-new.md") in added
    assert any(c.change == "changed" or c.path.startswith("usage/") for c in d.changes)  # credit touched usage files
    text = d.render()
    assert "+Instruction for First new." in text and "items/first-new.md (added)" in text
    assert ctl.diff("after", "current").empty

    ctl.rollback(a.id)
    assert _tree(state) == tree_a  # byte-identical, extra files removed
    assert not (state.roots()["behaviors"] / "items" / "first-new.md").exists()
    # the rollback itself was snapshotted first, so it can be undone
    pre = [s for s in ctl.engine.snapshots.list() if s.name == "pre-rollback"][-1]
    ctl.rollback(pre.id)
    assert _tree(state) == tree_b
    assert {e.status for e in ctl.engine.audit.entries()} >= {"snapshot", "rollback", "applied"}
    assert b.id in {s.id for s in ctl.engine.snapshots.list()}


def test_dry_run_changes_nothing_and_shows_the_diff(home):
    ctl, state = _setup(home, [_reply("Would be added")], dry_run=True)
    tree = _tree(state)
    audit_before = len(ctl.engine.audit.entries())
    rep = _run(ctl, 0, score=0.0)
    assert _tree(state) == tree
    assert len(ctl.engine.audit.entries()) == audit_before
    assert not ctl.engine.provenance_path.exists()
    assert rep.apply.dry_run and {a.kind for a in rep.apply.applied} == {"add_behavior", "update_utility"}
    text = rep.apply.render()
    assert "DRY RUN" in text and "items/would-be-added.md (added)" in text and "+Instruction for Would be added." in text
    assert ctl.utilities.uses("behaviors", "b0") == 0  # credit not kept either


def test_dry_run_without_opener_shows_the_edit(home):
    ctl, state = _setup(home)
    state.openers.pop("facts")
    tree = _tree(state)
    rep = ctl.apply([AddItem(store="facts", title="Paris", text="Paris is the capital of France.")], dry_run=True)
    assert _tree(state) == tree
    assert "Paris is the capital of France." in rep.render()


def test_failing_batch_is_rolled_back_and_logged(home):
    ctl, state = _setup(home)

    class Exploding(RecordApplier):
        def apply(self, edit, store, *, state):
            if edit.title == "boom":
                raise RuntimeError("disk on fire")
            return super().apply(edit, store, state=state)

    ctl.engine.registry = ApplierRegistry().register("facts", Exploding()).register("behaviors", RecordApplier())
    tree = _tree(state)
    rep = ctl.apply([AddItem(store="facts", title="fine", text="first item"), RetireItem(store="behaviors", item_id="b0", trust="shipped"), AddItem(store="facts", title="boom", text="second")])
    assert _tree(state) == tree
    assert rep.applied == [] and {r.stage for r in rep.refused} == {"apply"} and "disk on fire" in rep.refused[0].reason
    assert len(ctl.engine.audit.entries(status="refused")) == 3
    assert ctl.engine.journal.pending() is None


def test_unknown_snapshot_names_the_known_ones(home):
    ctl, _ = _setup(home)
    ctl.snapshot("one")
    from agentmem.errors import StoreError

    with pytest.raises(StoreError, match="one"):
        ctl.rollback("nope")
