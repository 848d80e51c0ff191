"""Overlapped fsyncs of one edit batch (issue 18): inside ``fileio.fsync_group`` fsyncs run on
background threads, but every one is on disk before each rename, each journal line and the end of
the group; work handed to ``while_syncing`` runs at the first barrier; a remember's commit line is
written only after every fsync of its store writes completed."""

from __future__ import annotations

import os
import threading
import time

from agentmem import fileio


def _slow_fsyncs(monkeypatch, seconds: float = 0.05) -> dict[str, int]:  # noqa: ANN001
    """Make every deferred fsync take ``seconds`` longer and count them as they start and finish."""
    counts = {"started": 0, "done": 0}
    real = fileio._fsync_and_close
    lock = threading.Lock()

    def slow(fd: int, best_effort: bool) -> None:
        with lock:
            counts["started"] += 1
        time.sleep(seconds)
        real(fd, best_effort)
        with lock:
            counts["done"] += 1

    monkeypatch.setattr(fileio, "_fsync_and_close", slow)
    return counts


def test_an_atomic_write_in_a_group_is_on_disk_before_its_rename_and_its_folder_by_the_end(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    counts = _slow_fsyncs(monkeypatch, seconds=0.3)
    renamed_after: list[int] = []
    real_replace = os.replace

    def replace(src, dst) -> None:  # noqa: ANN001
        renamed_after.append(counts["done"])
        real_replace(src, dst)

    monkeypatch.setattr(fileio.os, "replace", replace)
    with fileio.fsync_group():
        fileio.atomic_write_bytes(tmp_path / "a.json", b"{}")
        assert renamed_after == [1]  # the temp file's fsync finished before the rename
        assert counts["done"] == 1  # the folder's fsync was started, not waited for
    assert counts == {"started": 2, "done": 2}  # and finished when the group ended
    assert (tmp_path / "a.json").read_bytes() == b"{}"


def test_outside_a_group_nothing_is_deferred(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    counts = _slow_fsyncs(monkeypatch)
    fileio.atomic_write_bytes(tmp_path / "b.json", b"[]")
    assert counts == {"started": 0, "done": 0}
    assert fileio.while_syncing(lambda: None) is False
    assert fileio.defer_fsync(0) is False


def test_idle_work_runs_at_the_first_barrier_while_the_fsyncs_run_and_its_failure_is_only_logged(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    counts = _slow_fsyncs(monkeypatch)
    ran: list[int] = []
    with fileio.fsync_group():
        assert fileio.while_syncing(lambda: ran.append(counts["done"]))
        assert fileio.while_syncing(lambda: 1 / 0)
        with open(tmp_path / "log", "w") as fh:
            fh.write("line\n")
            fh.flush()
            fileio.fsync_barrier(fh.fileno())
        assert ran == [0] and counts["done"] == 1  # ran before the line's fsync ended; the barrier waited for it
    assert counts == {"started": 1, "done": 1}


def test_a_remember_commits_only_after_every_fsync_of_its_writes(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Through the product path (a home's default back ends, hash embedder): the item file, its
    folder and the write buffer's line are fsynced concurrently, and all of them are on disk
    before the journal's commit line."""
    from agentmem.learning.journal import WriteLog
    from agentmem.mcp_server import MemoryService
    from agentmem.settings import Settings

    s = Settings.load(home=tmp_path / "home", embedder={"backend": "hash"}).ensure_home()
    svc = MemoryService(s)
    try:
        mem = svc.memory()
        mem.remember("warm up: the controller is built on the first write")
        counts = _slow_fsyncs(monkeypatch)
        at_commit: list[dict[str, int]] = []
        real_commit = WriteLog.commit

        def commit(self, record) -> None:  # noqa: ANN001
            at_commit.append(dict(counts))
            real_commit(self, record)

        monkeypatch.setattr(WriteLog, "commit", commit)
        item = mem.remember("the heron stands still in the shallow water")
        assert len(at_commit) == 1 and at_commit[0]["started"] >= 3 and at_commit[0]["started"] == at_commit[0]["done"]
        assert counts["started"] == counts["done"]  # the provenance log's too, before remember returned
        assert svc.facts.hybrid.search("heron shallow water", k=1)[0].id == item
    finally:
        svc.close()
