"""Crash-safe file primitives shared by every store.

* :func:`atomic_write_bytes` / :func:`atomic_write_text` / :func:`atomic_write_json` write to a
  temporary file in the same folder, ``fsync`` it, then ``os.replace`` it over the target, so
  a reader (or a crash) sees either the old or the new file, never half of one.
* :func:`home_lock` is an inter-process lock (``filelock``) that serialises writers of the
  same home, so two processes never lose each other's updates.
* :func:`fsync_group` groups the fsyncs of one batch of writes, with one of two policies:
  ``overlap`` (they run concurrently, and each :func:`fsync_barrier` waits for those before it:
  the durability of one fsync after another, at about the cost of one) or ``sync_once`` (one
  ``syncfs`` at the group's commit points: a bulk import's batch).
* :class:`FileHistory` keeps every previous version of a file under a ``.history`` folder, so
  stores can list versions and roll back byte-for-byte.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import json
import logging
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from .errors import StoreError

if TYPE_CHECKING:
    import sqlite3

#: how an :func:`fsync_group` makes its writes durable (see there)
SyncPolicy = Literal["overlap", "sync_once"]


def fsync_dir(path: Path) -> None:
    """fsync a folder, so a file created or renamed in it survives a crash (best effort: some file systems refuse)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class _FsyncGroup:
    """One :func:`fsync_group`: its policy, the fsyncs in flight, the CPU work to do while they
    run, and (``sync_once``) the folders whose files the group's one sync must cover."""

    def __init__(self, policy: SyncPolicy) -> None:
        self.policy = policy
        self.pending: list[Any] = []
        self.idle: list[Callable[[], Any]] = []
        self.dirs: set[str] = set()


_FSYNC_GROUP: "contextvars.ContextVar[_FsyncGroup | None]" = contextvars.ContextVar("agentmem_fsync_group", default=None)
_FSYNC_POOL: Any = None
_log = logging.getLogger(__name__)


def _fsync_pool() -> Any:
    global _FSYNC_POOL
    if _FSYNC_POOL is None:
        from concurrent.futures import ThreadPoolExecutor

        _FSYNC_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="agentmem-fsync")
    return _FSYNC_POOL


def _forget_fsync_pool() -> None:
    global _FSYNC_POOL
    _FSYNC_POOL = None  # a forked child has none of the parent's threads: it starts its own pool


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_fsync_pool)


def _fsync_and_close(fd: int, best_effort: bool) -> None:
    try:
        os.fsync(fd)
    except OSError:
        if not best_effort:
            raise
    finally:
        os.close(fd)


@contextlib.contextmanager
def fsync_group(policy: SyncPolicy = "overlap") -> Iterator[None]:
    """Group the fsyncs of one batch of writes: :func:`atomic_write_bytes`, the appends that call
    :func:`defer_fsync` (write buffer, provenance log) and the lines passed to
    :func:`fsync_barrier` (the edit journal's). On leaving the context (normally or by an
    exception) everything written in it is on disk.

    ``policy="overlap"`` (:meth:`EditEngine.apply <agentmem.learning.engine.EditEngine.apply>`,
    one ``remember``): each fsync starts on a background thread instead of being waited for in
    turn, and every :func:`fsync_barrier` waits for all those started before it. An atomic
    write's temporary file is on disk before its rename, and every journal line is on disk with
    everything written before it, so the on-disk order, and what a crash or a power loss can
    leave, is exactly that of one fsync after another. Concurrent fsyncs cost about one (the
    file system commits them together). Work handed to :func:`while_syncing` runs at the first
    barrier, while the disk works.

    ``policy="sync_once"`` (a bulk-import batch, :mod:`agentmem.bulk_import`): atomic writes and
    barrier lines are not fsynced one by one; :func:`flush_group` (the journal calls it before and
    after its commit line) and the end of the group make all of them durable with one ``syncfs``
    per file system, then one fsync per folder written. Writes stay atomic (temporary file +
    rename) and a killed process loses nothing the kernel holds, so a crash of the process leaves
    what the ``overlap`` policy leaves. A committed batch is durable (its commit line is written
    after the sync). What it gives up is the order on disk before the sync: a *power loss* then
    may keep any of the group's writes without the journal lines that would undo them, so it is
    for batches that only create files (nothing stored before is touched; ``docs/import.md``).
    Appends that call :func:`defer_fsync` are still fsynced (overlapped; barriers wait for them).

    A group opened inside another joins it (the outer group's policy applies); leaving it is a
    barrier: every fsync started in it is complete, and what the outer group syncs once stays
    for the outer group's sync."""
    outer = _FSYNC_GROUP.get()
    if outer is not None:
        try:
            yield
        finally:
            fsync_barrier()
        return
    group = _FsyncGroup(policy)
    token = _FSYNC_GROUP.set(group)
    try:
        yield
    finally:
        _FSYNC_GROUP.reset(token)
        _flush(group)


def _flush(group: _FsyncGroup) -> None:
    """Everything written in ``group`` on disk: its idle work run, its fsyncs in flight waited
    for, and (``sync_once``) one sync of its file systems and folders."""
    _run_idle(group)
    _wait(group.pending)
    if group.dirs:
        dirs, group.dirs = sorted(group.dirs), set()
        _syncfs(dirs)
        for d in dirs:
            fsync_dir(Path(d))


def flush_group() -> None:
    """Make everything written so far in the current :func:`fsync_group` durable now (a commit
    point: the edit journal calls it around its commit line); nothing outside a group."""
    group = _FSYNC_GROUP.get()
    if group is not None:
        _flush(group)


def _wait(pending: list[Any]) -> None:
    futures, pending[:] = list(pending), []
    errors = []
    for f in futures:
        try:
            f.result()
        except OSError as exc:
            errors.append(exc)
    if errors:
        raise errors[0]


def _run_idle(group: _FsyncGroup) -> None:
    work, group.idle = group.idle, []
    for fn in work:
        try:
            fn()
        except Exception as exc:  # noqa: BLE001 - idle work is an optimisation (e.g. warming a cache); its owner redoes it
            _log.warning("work done while syncing failed (done again later): %s", exc)


def while_syncing(fn: Callable[[], Any]) -> bool:
    """Run ``fn`` at the next :func:`fsync_barrier` of the current :func:`fsync_group` (in this
    thread, while the disk completes the fsyncs in flight) and return True; return False outside
    a group (``fn`` is not run). For work whose result is only a cache (e.g. an embedding)."""
    group = _FSYNC_GROUP.get()
    if group is None:
        return False
    group.idle.append(fn)
    return True


def defer_fsync(fd: int, *, best_effort: bool = False) -> bool:
    """Start fsyncing ``fd`` (a duplicate of it: the caller may close its own) on a background
    thread when inside an :func:`fsync_group` (either policy) and return True; the next
    :func:`fsync_barrier` or the group's end waits for it. Return False (nothing done) outside."""
    group = _FSYNC_GROUP.get()
    if group is None:
        return False
    group.pending.append(_fsync_pool().submit(_fsync_and_close, os.dup(fd), best_effort))
    return True


def fsync_barrier(fd: int | None = None, path: str | os.PathLike[str] | None = None) -> None:
    """An ordering point: fsync ``fd`` (if given) and return when it and every fsync started
    before it in the current :func:`fsync_group` are on disk (the :func:`while_syncing` work runs
    meanwhile). Outside a group: ``os.fsync(fd)``. In a ``sync_once`` group, ``fd`` is left to
    the group's sync when ``path`` names its file (so the folder is synced too)."""
    group = _FSYNC_GROUP.get()
    if group is None:
        if fd is not None:
            os.fsync(fd)
        return
    if fd is not None and group.policy == "sync_once" and path is not None:
        group.dirs.add(os.path.dirname(os.path.abspath(path)))
        fd = None
    if group.idle:
        if fd is not None:
            defer_fsync(fd)
        _run_idle(group)
    elif fd is not None:
        os.fsync(fd)
    _wait(group.pending)


def _sync_dir(group: _FsyncGroup | None, path: Path) -> None:
    """:func:`fsync_dir` now (no group), started (``overlap``) or left to the group's sync (``sync_once``)."""
    if group is not None and group.policy == "sync_once":
        group.dirs.add(str(path.absolute()))
        return
    if group is not None:
        try:
            dfd = os.open(path, os.O_RDONLY)
        except OSError:
            return  # best effort, as fsync_dir
        try:
            if defer_fsync(dfd, best_effort=True):
                return
        finally:
            os.close(dfd)
    fsync_dir(path)


_WRITE_OBSERVER: "contextvars.ContextVar[Callable[[Path, str], None] | None]" = contextvars.ContextVar("agentmem_write_observer", default=None)


@contextlib.contextmanager
def observe_writes(observer: Callable[[Path, str], None]) -> Iterator[None]:
    """Call ``observer(path, sha256)`` before every :func:`atomic_write_bytes` in this context
    replaces a file (the edit engine journals its own writes this way, so recovery can undo
    exactly those and nothing another writer did)."""
    token = _WRITE_OBSERVER.set(observer)
    try:
        yield
    finally:
        _WRITE_OBSERVER.reset(token)


def _syncfs(paths: list[str]) -> None:
    """``syncfs(2)`` on the file system of each path (Linux), else ``sync(2)``."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.syncfs
    except (OSError, AttributeError):
        os.sync()
        return
    seen: set[int] = set()
    for p in paths:
        try:
            dev = os.stat(p).st_dev
            if dev in seen:
                continue
            seen.add(dev)
            fd = os.open(p, os.O_RDONLY)
        except OSError:
            continue
        try:
            if fn(fd) != 0:
                os.sync()
        finally:
            os.close(fd)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temporary file, fsync, rename, fsync of the folder
    (inside an :func:`fsync_group` the fsyncs overlap, or are left to the group's one sync)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    group = _FSYNC_GROUP.get()
    sync_once = group is not None and group.policy == "sync_once"
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if not sync_once and not defer_fsync(handle.fileno()):
                os.fsync(handle.fileno())
        observer = _WRITE_OBSERVER.get()
        if observer is not None:
            observer(target.absolute(), sha256_bytes(data))
        if not sync_once:
            fsync_barrier()  # the new bytes (and the journal's record of them) are on disk before the rename
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_dir(group, target.parent)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike[str], obj: Any, *, indent: int | None = 2) -> None:
    """Serialise ``obj`` as JSON (sorted keys, UTF-8) and write it atomically."""
    atomic_write_text(path, json.dumps(obj, indent=indent, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def read_json(path: str | os.PathLike[str], default: Any = None) -> Any:
    """Read a JSON file; return ``default`` if it does not exist; raise :class:`StoreError` naming the file if it is corrupt."""
    p = Path(path)
    if not p.exists():
        return default
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise StoreError(f"{p}: cannot read JSON ({exc})") from exc


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | os.PathLike[str]) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@contextlib.contextmanager
def home_lock(lock_path: str | os.PathLike[str], timeout: float = 60.0) -> Iterator[None]:
    """Hold an exclusive inter-process lock on ``lock_path`` (re-entrant within a process)."""
    from filelock import FileLock, Timeout

    path = Path(lock_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # One FileLock object per path in this process (``is_singleton``), so a nested
    # ``home_lock`` in the same thread re-enters instead of deadlocking on its own flock.
    lock = FileLock(str(path), is_singleton=True)
    try:
        lock.acquire(timeout=timeout)
    except Timeout as exc:
        raise StoreError(f"{path}: could not acquire the write lock within {timeout}s (another agentmem process is writing)") from exc
    try:
        yield
    finally:
        lock.release()


_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def safe_name(name: str) -> str:
    """A file-name-safe rendering of ``name`` (no separators, no ``..``)."""
    cleaned = _SAFE.sub("_", name).strip("._") or "_"
    return cleaned[:120]


class FileHistory:
    """Keeps numbered previous versions of files under ``root/.history/<key>/``.

    ``save(key, path)`` copies the current bytes of ``path`` as the next version before it is
    overwritten; ``versions(key)`` lists them oldest first; ``restore(key, version, path)``
    writes that version back atomically (saving the current one first, so a rollback can
    itself be rolled back).
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root) / ".history"

    def _dir(self, key: str) -> Path:
        return self.root / safe_name(key)

    def versions(self, key: str) -> list[dict[str, Any]]:
        d = self._dir(key)
        if not d.exists():
            return []
        out = []
        for meta in sorted(d.glob("v*.json"), key=lambda p: int(p.stem[1:])):
            info = read_json(meta, {})
            info["version"] = int(meta.stem[1:])
            out.append(info)
        return out

    def save(self, key: str, data: bytes, note: str = "") -> int:
        """Store ``data`` as a new version of ``key``; return its number."""
        d = self._dir(key)
        d.mkdir(parents=True, exist_ok=True)
        existing = [int(p.stem[1:]) for p in d.glob("v*.json")]
        version = max(existing, default=0) + 1
        atomic_write_bytes(d / f"v{version}.bin", data)
        atomic_write_json(d / f"v{version}.json", {"sha256": sha256_bytes(data), "saved_at": time.time(), "note": note, "size": len(data)})
        return version

    def prune(self, key: str, keep: int) -> int:
        """Delete all but the newest ``keep`` versions of ``key``; return how many went."""
        d = self._dir(key)
        if not d.is_dir():
            return 0
        versions = sorted(int(p.stem[1:]) for p in d.glob("v*.json"))
        gone = versions[:-keep] if keep > 0 else versions
        for v in gone:
            for suffix in (".bin", ".json"):
                with contextlib.suppress(FileNotFoundError):
                    (d / f"v{v}{suffix}").unlink()
        return len(gone)

    def load(self, key: str, version: int) -> bytes:
        blob = self._dir(key) / f"v{version}.bin"
        if not blob.exists():
            known = [v["version"] for v in self.versions(key)]
            raise StoreError(f"no version {version} of {key!r} in history (known: {known or 'none'})")
        return blob.read_bytes()


def connect_index_sqlite(path: Path | None) -> "sqlite3.Connection":
    """A search index's database (``None``: in memory): its folder made, WAL + busy timeout for
    several processes, NORMAL sync (durable at checkpoints, never corrupt), autocommit, any thread."""
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    return connect_sqlite(str(path) if path is not None else ":memory:", synchronous="NORMAL", check_same_thread=False, isolation_level=None)


def connect_sqlite(path: str | os.PathLike[str], *, synchronous: str | None = None, **kwargs: Any) -> "sqlite3.Connection":
    """Open the SQLite database at ``path`` in WAL mode (several reader and writer processes).

    ``synchronous`` sets ``PRAGMA synchronous`` (e.g. ``"NORMAL"``: durable at checkpoints,
    never corrupt); other keyword arguments go to :func:`sqlite3.connect` (``timeout`` defaults
    to 30 s).
    """
    import sqlite3

    kwargs.setdefault("timeout", 30)
    con = sqlite3.connect(path, **kwargs)
    con.execute(f"PRAGMA busy_timeout = {int(float(kwargs['timeout']) * 1000)}")
    for attempt in range(50):  # switching to WAL needs a moment alone with the file
        try:
            con.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or attempt == 49:
                raise
            time.sleep(0.05)
    if synchronous is not None:
        con.execute(f"PRAGMA synchronous={synchronous}")
    return con
