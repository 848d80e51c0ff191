"""Copy-on-write pre-images: a batch on a store whose writes the journal observes (the fact store)
copies only the files it writes, never walks or snapshots the whole store, and is still undone
exactly when it fails or its writer is killed mid-batch."""

from __future__ import annotations

import os
from pathlib import Path

from agentmem.learning.controller import ReflectiveController
from agentmem.learning.edits import AddItem, ReviseItem
from agentmem.learning.snapshots import SnapshotStore, scan_root
from agentmem.learning.wiring import open_memory
from agentmem.stores.facts import FactStore

REPO = Path(__file__).resolve().parents[1]


def _engine(settings):
    state, registry = open_memory(settings)
    return ReflectiveController(state, settings.home, registry=registry).engine


def _seed(settings, n: int = 3) -> None:
    store = FactStore.from_settings(settings)
    for i in range(n):
        store.insert(f"old fact {i}", namespace="a/default", item_id=f"f_old{i}")


def test_fact_batch_never_hashes_the_store(settings, monkeypatch):
    _seed(settings, 5)
    root = os.path.realpath(settings.paths.stores / "facts")
    hashed: list[str] = []
    real = SnapshotStore._hash_root
    monkeypatch.setattr(SnapshotStore, "_hash_root", lambda self, r: (hashed.append(os.path.realpath(r)), real(self, r))[1])
    engine = _engine(settings)
    report = engine.apply([
        AddItem(store="facts", title="n", text="a new fact", metadata={"namespace": "a/default"}),
        ReviseItem(store="facts", item_id="f_old1", text="old fact 1, revised"),
    ])
    assert len(report.applied) == 2, report.render()
    assert root not in hashed  # no whole-store pre-image, no per-edit walk, no blob collection walk
    blobs = settings.home / "journal" / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))  # its pre-image blobs were dropped
    assert not engine.journal.path.exists() and not engine.journal.writes.path.exists()


def test_failed_fact_batch_restores_revised_and_removes_added(settings, monkeypatch):
    _seed(settings)
    root = settings.paths.stores / "facts"
    before = scan_root(root)
    engine = _engine(settings)
    applier = engine.registry.find("facts", "add_item")
    assert applier is not None
    real_apply = type(applier).apply
    seen = {"n": 0}

    def flaky(self, edit, store, *, state):
        seen["n"] += 1
        if seen["n"] == 3:
            raise RuntimeError("disk full (simulated)")
        return real_apply(self, edit, store, state=state)

    monkeypatch.setattr(type(applier), "apply", flaky)
    report = engine.apply([
        ReviseItem(store="facts", item_id="f_old0", text="old fact 0, revised"),
        AddItem(store="facts", title="n", text="a fact that must not stay", metadata={"namespace": "a/default"}),
        AddItem(store="facts", title="m", text="never written", metadata={"namespace": "a/default"}),
    ])
    assert not report.applied and any("disk full" in r.reason for r in report.refused)
    assert scan_root(root) == before  # the revised file has its old bytes back, the added one is gone


_KILL = """
import sys, time
sys.path.insert(0, {repo!r})
from agentmem.settings import Settings
from agentmem.learning.controller import ReflectiveController
from agentmem.learning.edits import AddItem, ReviseItem
from agentmem.learning.wiring import open_memory
settings = Settings.load(home=sys.argv[1], embedder={{"backend": "hash"}}, index={{"backend": "memory"}}).ensure_home()
state, registry = open_memory(settings)
engine = ReflectiveController(state, settings.home, registry=registry).engine
def pause(i, edit):
    if i == 2:
        open(sys.argv[1] + "/reached", "w").close()
        time.sleep(60)
edits = [ReviseItem(store="facts", item_id="f_old0", text="revised by the killed writer"),
         ReviseItem(store="facts", item_id="f_old2", text="revised too")]
edits += [AddItem(store="facts", title=f"b{{i}}", text=f"batch fact {{i}}", metadata={{"namespace": "a/default"}}) for i in range(3)]
engine.apply(edits, on_applied=pause)
"""


def test_killed_writer_revisions_are_undone_from_copy_on_write_blobs(settings, kill_at_marker):
    _seed(settings)
    root = settings.paths.stores / "facts"
    before = scan_root(root)
    kill_at_marker(_KILL.format(repo=str(REPO)), settings.home)
    assert scan_root(root) != before  # two revisions and one new fact are on disk, uncommitted
    assert not (settings.home / "learning.journal.json").exists()  # begun in the write log: recovery reads it there
    report = _engine(settings).apply([])
    assert report.recovered and "rolled back" in report.recovered
    assert scan_root(root) == before
    old = FactStore.from_settings(settings).get("f_old0")
    assert old is not None and old.content == "old fact 0"


_KILL_AFTER_COMMIT = """
import sys, time
sys.path.insert(0, {repo!r})
from agentmem.settings import Settings
from agentmem.learning.controller import ReflectiveController
from agentmem.learning.edits import AddItem
from agentmem.learning.engine import EditEngine
from agentmem.learning.wiring import open_memory
settings = Settings.load(home=sys.argv[1], embedder={{"backend": "hash"}}, index={{"backend": "memory"}}).ensure_home()
state, registry = open_memory(settings)
engine = ReflectiveController(state, settings.home, registry=registry).engine
def stop(self, rec):  # the commit line is fsynced; the audit and provenance are not written yet
    open(sys.argv[1] + "/reached", "w").close()
    time.sleep(60)
EditEngine._finish = stop
engine.apply([AddItem(store="facts", title="c", text="committed before the kill", metadata={{"namespace": "a/default"}}, id_hint="f-kept", reason="kept")])
"""


def test_a_writer_killed_after_its_commit_line_is_completed_not_rolled_back(settings, kill_at_marker):
    """Begin and commit are lines of the write log (no journal file written, renamed, deleted): a
    writer killed right after its commit line leaves a batch that recovery finishes (audit rows
    written, the fact kept)."""
    _seed(settings)
    kill_at_marker(_KILL_AFTER_COMMIT.format(repo=str(REPO)), settings.home)
    engine = _engine(settings)
    assert not engine.journal.path.exists()  # the batch was begun and committed in the write log alone
    pending = engine.journal.pending()
    assert pending is not None and pending.state == "committed"
    report = engine.apply([])
    assert report.recovered and "completed committed" in report.recovered
    kept = [i for i in FactStore.from_settings(settings).items() if i.content == "committed before the kill"]
    assert len(kept) == 1
    assert [e.status for e in engine.audit.entries(item_id=kept[0].id)] == ["applied"]
    assert not engine.journal.path.exists()
