"""Grouped fsyncs (``fileio.fsync_group``). Policy ``overlap`` (one edit batch, issue 18): fsyncs
run on background threads, but every one is on disk before each rename, each journal line and the
end of the group; work handed to ``while_syncing`` runs at the first barrier; a remember's commit
line is written only after every fsync of its store writes completed. Policy ``sync_once`` (a bulk
import batch): no file is fsynced on its own, one sync at each flush and at the end, the commit
line after it. A group inside another joins it; leaving a group by an exception still syncs."""

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


def _record_syncs(monkeypatch) -> tuple[list[int], list[list[str]]]:  # noqa: ANN001
    """Count the fsyncs done in this thread (os.fsync) and record each group sync's folders."""
    fsyncs: list[int] = []
    syncs: list[list[str]] = []
    real_fsync = os.fsync
    main = threading.current_thread()

    def fsync(fd: int) -> None:
        if threading.current_thread() is main:
            fsyncs.append(fd)
        real_fsync(fd)

    monkeypatch.setattr(fileio.os, "fsync", fsync)
    real_syncfs = fileio._syncfs
    monkeypatch.setattr(fileio, "_syncfs", lambda dirs: (syncs.append(list(dirs)), real_syncfs(dirs))[1])
    return fsyncs, syncs


def test_a_sync_once_group_syncs_its_files_and_journal_lines_once_at_each_flush_and_at_its_end(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    fsyncs, syncs = _record_syncs(monkeypatch)
    (tmp_path / "x").mkdir()
    with fileio.fsync_group("sync_once"):
        fileio.atomic_write_bytes(tmp_path / "x" / "a.json", b"1")
        fileio.atomic_write_bytes(tmp_path / "y" / "b.json", b"2")
        with open(tmp_path / "log", "w") as fh:
            fh.write("line\n")
            fh.flush()
            fileio.fsync_barrier(fh.fileno(), tmp_path / "log")
        assert fsyncs == [] and syncs == []  # nothing synced one by one
        fileio.flush_group()
        assert syncs == [sorted(str(tmp_path / d) for d in ("", "x", "y"))]
        assert len(fsyncs) == 3  # then each folder written, once
        fileio.atomic_write_bytes(tmp_path / "x" / "c.json", b"3")
        assert len(syncs) == 1
    assert syncs[1] == [str(tmp_path / "x")] and len(fsyncs) == 4  # the end of the group syncs what came after the flush
    fileio.flush_group()  # outside a group: nothing to do
    assert len(syncs) == 2
    assert [(tmp_path / p).read_bytes() for p in ("x/a.json", "y/b.json", "x/c.json")] == [b"1", b"2", b"3"]


def test_a_group_inside_another_joins_it_and_its_end_waits_for_the_fsyncs_started_in_it(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """The edit engine's overlap group inside a bulk import's sync_once group: the item file is
    left to the outer sync, an appended line (provenance log) is fsynced and complete when the
    inner group ends (before the journal is deleted), and the outer group syncs once at its end."""
    counts = _slow_fsyncs(monkeypatch)
    fsyncs, syncs = _record_syncs(monkeypatch)
    with fileio.fsync_group("sync_once"):
        with fileio.fsync_group():  # overlap asked, sync_once given: the outer group's policy applies
            fileio.atomic_write_bytes(tmp_path / "item.json", b"{}")
            with open(tmp_path / "prov.log", "a") as fh:
                fh.write("edge\n")
                fh.flush()
                assert fileio.defer_fsync(fh.fileno())
            assert counts["started"] == 1
        assert counts == {"started": 1, "done": 1} and syncs == [] and fsyncs == []
    assert syncs == [[str(tmp_path)]]


def test_leaving_a_group_by_an_exception_still_completes_its_fsyncs(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    counts = _slow_fsyncs(monkeypatch)
    _, syncs = _record_syncs(monkeypatch)
    for policy in ("overlap", "sync_once"):
        try:
            with fileio.fsync_group(policy):  # type: ignore[arg-type]
                fileio.atomic_write_bytes(tmp_path / policy / "f.json", b"{}")
                raise KeyError(policy)
        except KeyError:
            pass
    assert counts == {"started": 2, "done": 2}  # overlap: the file and its folder, waited for
    assert syncs == [[str(tmp_path / "sync_once")]]


def test_a_bulk_import_batch_writes_its_commit_line_only_after_one_sync_of_its_files(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    """Through the product path: each batch's item files and journal lines are synced by one
    group sync (no fsync of each file), and the journal's commit line follows that sync."""
    import json

    from agentmem.learning.journal import WriteLog
    from agentmem.mcp_server import MemoryService
    from agentmem.settings import Settings

    s = Settings.load(home=tmp_path / "home", embedder={"backend": "hash"}, index={"backend": "memory"}).ensure_home()
    mem = MemoryService(s).memory()
    f = tmp_path / "rows.jsonl"
    f.write_text("".join(json.dumps({"text": f"imported heron note {j}"}) + "\n" for j in range(7)), encoding="utf-8")
    events: list[str] = []
    real_syncfs = fileio._syncfs
    monkeypatch.setattr(fileio, "_syncfs", lambda dirs: (events.append("sync:" + ",".join(dirs)), real_syncfs(dirs))[1])
    real_write = WriteLog._write

    def write(self, *lines: str) -> None:  # noqa: ANN001
        events.append("commit" if lines[0].startswith("C\t") else "line")
        real_write(self, *lines)

    monkeypatch.setattr(WriteLog, "_write", write)
    rep = mem.import_file(f, batch_size=4)
    assert rep.added == 7 and rep.batches == 2
    commits = [i for i, e in enumerate(events) if e == "commit"]
    assert len(commits) == 2
    items = str(s.paths.home / "stores" / "facts" / "items")
    for i in commits:
        assert events[i - 1].startswith("sync:") and items in events[i - 1].split(":", 1)[1].split(",")
        assert events[i + 1].startswith("sync:")  # the commit line itself, synced before the batch's bookkeeping
    assert sum(e.startswith("sync:") for e in events) <= 3 * rep.batches  # before and after the commit line, at the end: not one per item
