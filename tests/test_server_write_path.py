"""The service's write path at scale: one fact store, reads not held back by a whole transaction,
a re-entrant read/write lock, and fact batches journalled without walking the store per edit
(still undone exactly when the writer is killed mid-batch)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from agentmem.server.limits import ReadWriteLock

REPO = Path(__file__).resolve().parents[1]


def test_rw_lock_writer_reenters_and_holds_readers_back():
    rw = ReadWriteLock()
    got: list[str] = []
    with rw.write():
        with rw.write():  # the same thread again: no deadlock
            reader = threading.Thread(target=lambda: (rw.read().__enter__(), got.append("read")))
            reader.start()
            time.sleep(0.1)
            assert got == []  # a reader waits while the write side is held (at any depth)
        time.sleep(0.05)
        assert got == []  # still held by the outer level
    reader.join(5)
    assert got == ["read"]


def test_service_uses_the_home_fact_store_once(settings):
    from agentmem.server.service import HomeService

    svc = HomeService(settings)
    try:
        assert svc.facts is svc.state.stores["facts"]  # open_memory's store, not a second one over the same folder
        assert svc.memory.stores["facts"] is svc.facts
        item_id = svc.remember("the spare key is under the blue pot", namespace="alice/default")
        assert svc.facts.get(item_id).namespace == "alice/default"
    finally:
        svc.close()


def test_recall_answers_while_a_transaction_runs(settings):
    """A transaction of the service (group commit, learn, snapshot) does not hold reads back; only
    the moments the fact store changes do."""
    from agentmem.server.service import HomeService

    svc = HomeService(settings)
    try:
        svc.remember("the red umbrella is in the car", namespace="bob/default")
        out: list[object] = []
        with svc._txn:  # as a commit in progress holds it
            t = threading.Thread(target=lambda: out.append(svc.recall("where is the red umbrella?", namespace="bob/default")))
            t.start()
            t.join(30)
            assert out, "recall waited for the transaction"
        assert any("umbrella" in r.record.text for r in out[0].items)  # type: ignore[attr-defined]
    finally:
        svc.close()


def test_fact_batches_skip_the_per_edit_store_walk(settings, monkeypatch):
    from agentmem.learning.engine import EditEngine
    from agentmem.server.service import HomeService

    calls = []
    real = EditEngine._scan_writes
    monkeypatch.setattr(EditEngine, "_scan_writes", lambda self, roots, last: (calls.append(1), real(self, roots, last))[1])
    svc = HomeService(settings)
    try:
        from agentmem.learning.edits import AddItem

        edits = [AddItem(store="facts", title=f"f{i}", text=f"fact number {i}", metadata={"namespace": "a/default"}) for i in range(5)]
        report = svc.controller.apply(edits)
        assert len(report.applied) == 5 and calls == []
    finally:
        svc.close()


_KILL = """
import sys, time
sys.path.insert(0, {repo!r})
from agentmem.settings import Settings
from agentmem.learning.controller import ReflectiveController
from agentmem.learning.edits import AddItem
from agentmem.learning.wiring import open_memory
settings = Settings.load(home=sys.argv[1], embedder={{"backend": "hash"}}, index={{"backend": "memory"}}).ensure_home()
state, registry = open_memory(settings)
engine = ReflectiveController(state, settings.home, registry=registry).engine
def pause(i, edit):
    if i == 3:
        open(sys.argv[1] + "/reached", "w").close()
        time.sleep(60)
engine.apply([AddItem(store="facts", title=f"batch {{i}}", text=f"batch fact {{i}}", metadata={{"namespace": "a/default"}}) for i in range(6)], on_applied=pause)
"""


def test_fact_batch_killed_mid_apply_is_undone(settings, kill_at_marker):
    from agentmem.learning.controller import ReflectiveController
    from agentmem.learning.snapshots import scan_root
    from agentmem.learning.wiring import open_memory
    from agentmem.stores.facts import FactStore

    FactStore.from_settings(settings).insert("an old fact", namespace="a/default", item_id="f_old")
    root = settings.paths.stores / "facts"
    before = scan_root(root)
    kill_at_marker(_KILL.format(repo=str(REPO)), settings.home)
    assert len(scan_root(root)) == len(before) + 4  # four facts of the batch were written, none committed
    state, registry = open_memory(settings)
    report = ReflectiveController(state, settings.home, registry=registry).engine.apply([])
    assert report.recovered and "rolled back" in report.recovered
    assert scan_root(root) == before  # the journal's observed writes were enough to undo them


@pytest.mark.parametrize("depth", [1, 3])
def test_rw_lock_other_writer_waits_for_all_levels(depth):
    rw = ReadWriteLock()
    order: list[str] = []

    def other() -> None:
        with rw.write():
            order.append("other")

    stack = [rw.write() for _ in range(depth)]
    for cm in stack:
        cm.__enter__()
    t = threading.Thread(target=other)
    t.start()
    time.sleep(0.1)
    order.append("mine")
    for cm in reversed(stack):
        cm.__exit__(None, None, None)
    t.join(5)
    assert order == ["mine", "other"]


def test_rw_lock_refuses_a_write_inside_a_read_instead_of_deadlocking():
    rw = ReadWriteLock()
    with rw.read():
        with pytest.raises(RuntimeError, match="holding a read"):
            with rw.write():
                pass
    with rw.write():  # the lock is still usable afterwards
        pass
