"""Content-addressed snapshots of every store, their diffs, and byte-identical rollback.

A snapshot is a manifest (``<home>/snapshots/manifests/<id>.json``: for each store its root and
``{relative path: sha256}`` of every file) plus the file contents stored once by hash under
``<home>/snapshots/blobs/``. Taking a snapshot of an unchanged home costs only hashing; restoring
one writes back every file byte for byte (atomically) and removes files the snapshot did not have.

Example::

    snaps = SnapshotStore(settings.paths.snapshots)
    before = snaps.take(state, name="before-training")
    ...  # learning changes the stores
    print(snaps.diff(before.id, "current", state).render())
    snaps.restore(before.id, state)     # byte-identical again
"""

from __future__ import annotations

import contextlib
import difflib
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from ..errors import StoreError
from ..fileio import atomic_write_bytes, atomic_write_json, read_json, safe_name, sha256_bytes
from ..types import new_id
from .state import IGNORED_NAMES, MemoryState, ignored


class StoreManifest(BaseModel):
    root: str
    files: dict[str, str] = Field(default_factory=dict, description="relative path -> sha256")


class Snapshot(BaseModel):
    """One snapshot's manifest."""

    id: str
    name: str = ""
    created_at: float = Field(default_factory=time.time)
    reason: str = ""
    stores: dict[str, StoreManifest] = Field(default_factory=dict)

    @property
    def n_files(self) -> int:
        return sum(len(m.files) for m in self.stores.values())


class FileChange(BaseModel):
    store: str
    path: str
    change: Literal["added", "removed", "changed"]
    diff: str = ""


class StateDiff(BaseModel):
    """What differs between two states, file by file, with unified text diffs."""

    a: str
    b: str
    changes: list[FileChange] = Field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.changes

    def counts(self) -> dict[str, int]:
        out = {"added": 0, "removed": 0, "changed": 0}
        for c in self.changes:
            out[c.change] += 1
        return out

    def render(self, max_lines_per_file: int = 80) -> str:
        """A readable diff: one header per changed file, then its unified diff."""
        if not self.changes:
            return f"no differences between {self.a} and {self.b}\n"
        c = self.counts()
        lines = [f"diff {self.a} -> {self.b}: {c['added']} added, {c['removed']} removed, {c['changed']} changed"]
        for ch in self.changes:
            lines.append(f"{'+' if ch.change == 'added' else '-' if ch.change == 'removed' else '~'} {ch.store}/{ch.path} ({ch.change})")
            if ch.diff:
                body = ch.diff.splitlines()
                if len(body) > max_lines_per_file:
                    body = body[:max_lines_per_file] + [f"... ({len(ch.diff.splitlines()) - max_lines_per_file} more lines)"]
                lines.extend("    " + ln for ln in body)
        return "\n".join(lines) + "\n"


def scan_root(root: Path) -> dict[str, bytes]:
    """Every state file under ``root`` as ``{relative posix path: bytes}`` (empty if absent)."""
    out: dict[str, bytes] = {}
    for rel, p in state_files(root):
        try:
            out[rel.as_posix()] = p.read_bytes()
        except FileNotFoundError:  # removed while scanning (another reader's temp file)
            continue
    return out


def state_files(root: Path) -> Iterator[tuple[Path, Path]]:
    """``(relative path, path)`` of every state file under ``root`` in sorted walk order
    (ignored names and symlinks skipped; nothing when ``root`` is not a folder)."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            rel = p.relative_to(root)
            if ignored(rel.parts) or p.is_symlink():
                continue
            yield rel, p


def _state_entries(root: Path) -> Iterator[tuple[str, str, os.stat_result]]:
    """``(relative posix path, path, stat)`` of the files :func:`state_files` yields, in the same
    order, from ``os.scandir`` (no ``Path`` object and one ``stat`` per file: the engine hashes a
    store root after every applied edit, so this walk is on the write path)."""
    if not root.is_dir():
        return

    def walk(d: str, rel: str) -> Iterator[tuple[str, str, os.stat_result]]:
        with os.scandir(d) as it:
            entries = sorted(it, key=lambda e: e.name)
        subdirs = []
        for e in entries:
            if e.is_symlink():
                continue
            if e.is_dir(follow_symlinks=False):
                subdirs.append(e)
                continue
            r = f"{rel}{e.name}"
            if ignored(tuple(r.split("/"))):
                continue
            try:
                yield r, e.path, e.stat(follow_symlinks=False)
            except FileNotFoundError:
                continue
        for e in subdirs:
            if e.name not in IGNORED_NAMES:
                yield from walk(e.path, f"{rel}{e.name}/")

    yield from walk(str(root), "")


def _text(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def text_diff(a: bytes | None, b: bytes | None, label_a: str, label_b: str) -> str:
    """Unified diff of two file versions (``None`` = absent); binary files are summarised."""
    ta = "" if a is None else _text(a)
    tb = "" if b is None else _text(b)
    if ta is None or tb is None:
        return f"binary file: {len(a or b'')} -> {len(b or b'')} bytes"
    return "".join(difflib.unified_diff(ta.splitlines(keepends=True), tb.splitlines(keepends=True), label_a, label_b, n=2))


def diff_trees(a: dict[str, dict[str, bytes]], b: dict[str, dict[str, bytes]], label_a: str, label_b: str) -> StateDiff:
    """Diff two ``{store: {path: bytes}}`` trees."""
    out = StateDiff(a=label_a, b=label_b)
    for store in sorted(set(a) | set(b)):
        fa, fb = a.get(store, {}), b.get(store, {})
        for path in sorted(set(fa) | set(fb)):
            va, vb = fa.get(path), fb.get(path)
            if va == vb:
                continue
            change: Literal["added", "removed", "changed"] = "added" if va is None else "removed" if vb is None else "changed"
            out.changes.append(FileChange(store=store, path=path, change=change, diff=text_diff(va, vb, f"{label_a}/{store}/{path}", f"{label_b}/{store}/{path}")))
    return out


class SnapshotStore:
    """Snapshots under one folder (``<home>/snapshots``): manifests plus content-addressed blobs."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.manifests = self.root / "manifests"
        # (path) -> (inode, mtime_ns, size, sha256): files whose stat is unchanged are not re-read
        # (the same trade-off git's index makes; atomic writes always change the inode).
        self._stat_cache: dict[str, tuple[int, int, int, str]] = {}

    def _hash_root(self, root: Path) -> dict[str, str]:
        """``{relative path: sha256}`` of every state file under ``root``, storing new contents as blobs."""
        out: dict[str, str] = {}
        blobs = str(self.blobs)
        for rel, path, st in _state_entries(root):
            hit = self._stat_cache.get(path)
            if hit is not None and hit[:3] == (st.st_ino, st.st_mtime_ns, st.st_size) and os.path.exists(os.path.join(blobs, hit[3][:2], hit[3])):
                out[rel] = hit[3]
                continue
            try:
                with open(path, "rb") as fh:
                    data = fh.read()
            except FileNotFoundError:
                continue
            digest = self._put_blob(data)
            self._stat_cache[path] = (st.st_ino, st.st_mtime_ns, st.st_size, digest)
            out[rel] = digest
        return out

    # ---- blobs -------------------------------------------------------------------------
    def _blob_path(self, digest: str) -> Path:
        return self.blobs / digest[:2] / digest

    def _put_blob(self, data: bytes) -> str:
        digest = sha256_bytes(data)
        p = self._blob_path(digest)
        if not p.exists():
            atomic_write_bytes(p, data)
        return digest

    def _get_blob(self, digest: str, where: str) -> bytes:
        p = self._blob_path(digest)
        try:
            data = p.read_bytes()
        except FileNotFoundError as exc:
            raise StoreError(f"snapshot blob {digest} for {where} is missing from {self.blobs}") from exc
        if sha256_bytes(data) != digest:
            raise StoreError(f"snapshot blob {p} is corrupt (sha256 mismatch) for {where}")
        return data

    # ---- manifests ---------------------------------------------------------------------
    def take(self, state: MemoryState, name: str = "", reason: str = "") -> Snapshot:
        """Snapshot every root of ``state``; return the manifest (already saved)."""
        snap = Snapshot(id=time.strftime("%Y%m%d-%H%M%S") + "-" + new_id()[:6], name=name, reason=reason)
        for store, root in state.roots().items():
            snap.stores[store] = StoreManifest(root=str(root), files=self._hash_root(root))
        atomic_write_json(self.manifests / f"{snap.id}.json", snap.model_dump(mode="json"))
        return snap

    def list(self) -> list[Snapshot]:
        if not self.manifests.is_dir():
            return []
        snaps = [Snapshot(**read_json(p)) for p in self.manifests.glob("*.json")]
        return sorted(snaps, key=lambda s: (s.created_at, s.id))

    def get(self, ref: str) -> Snapshot:
        """A snapshot by id, by name (the newest with that name), or ``latest``."""
        p = self.manifests / f"{safe_name(ref)}.json"
        if p.exists():
            return Snapshot(**read_json(p))
        snaps = self.list()
        if ref == "latest" and snaps:
            return snaps[-1]
        named = [s for s in snaps if s.name == ref]
        if named:
            return named[-1]
        known = ", ".join(f"{s.id}" + (f" ({s.name})" if s.name else "") for s in snaps[-10:]) or "none"
        raise StoreError(f"no snapshot {ref!r} in {self.manifests} (recent: {known})")

    def delete(self, ref: str) -> None:
        snap = self.get(ref)
        with contextlib.suppress(FileNotFoundError):
            (self.manifests / f"{snap.id}.json").unlink()

    def files_of(self, snap: Snapshot) -> dict[str, dict[str, bytes]]:
        return {store: {rel: self._get_blob(d, f"{snap.id}:{store}/{rel}") for rel, d in m.files.items()} for store, m in snap.stores.items()}

    def tree(self, ref: str, state: MemoryState | None = None) -> tuple[str, dict[str, dict[str, bytes]]]:
        """``(label, {store: {path: bytes}})`` of a snapshot, or of the live state for ``current``."""
        if ref == "current":
            if state is None:
                raise StoreError("diffing against 'current' needs the memory state")
            return "current", {store: scan_root(root) for store, root in state.roots().items()}
        snap = self.get(ref)
        return snap.id, self.files_of(snap)

    def diff(self, a: str, b: str, state: MemoryState | None = None) -> StateDiff:
        """Differences from snapshot ``a`` to ``b`` (either may be ``current``)."""
        la, ta = self.tree(a, state)
        lb, tb = self.tree(b, state)
        return diff_trees(ta, tb, la, lb)

    def restore(self, ref: str, state: MemoryState | None = None, stores: list[str] | None = None) -> Snapshot:
        """Write every file of snapshot ``ref`` back byte for byte and remove files it did not have.

        Roots come from the snapshot's manifest (a store the live ``state`` has but the snapshot
        lacks is emptied, since it did not exist then). ``stores`` limits the restore to some stores.
        """
        snap = self.get(ref)
        targets: dict[str, Path] = {name: Path(m.root) for name, m in snap.stores.items()}
        if state is not None:
            for name, root in state.roots().items():
                targets.setdefault(name, root)
        for name, root in targets.items():
            if stores is not None and name not in stores:
                continue
            manifest = snap.stores.get(name, StoreManifest(root=str(root)))
            wanted = {rel: self._get_blob(d, f"{snap.id}:{name}/{rel}") for rel, d in manifest.files.items()}
            current = scan_root(root)
            for rel, data in wanted.items():
                if current.get(rel) != data:
                    atomic_write_bytes(root / rel, data)
            for rel in sorted(set(current) - set(wanted), reverse=True):
                with contextlib.suppress(FileNotFoundError):
                    (root / rel).unlink()
                _prune_empty_parents(root, root / rel)
        if state is not None:
            state.reload()
        return snap

    def gc(self, keep: set[str] | frozenset[str] = frozenset()) -> int:
        """Delete blobs no manifest refers to (and not in ``keep``); return how many."""
        live = {d for s in self.list() for m in s.stores.values() for d in m.files.values()} | set(keep)
        n = 0
        if self.blobs.is_dir():
            for p in self.blobs.glob("*/*"):
                if p.name not in live:
                    p.unlink()
                    n += 1
        return n


def _prune_empty_parents(root: Path, removed: Path) -> None:
    """Remove folders left empty by removing ``removed`` (up to, not including, ``root``)."""
    p = removed.parent
    while p != root and root in p.parents:
        try:
            p.rmdir()  # only succeeds when empty
        except OSError:
            break
        p = p.parent


def snapshot_summary(snap: Snapshot) -> dict[str, Any]:
    return {"id": snap.id, "name": snap.name, "created_at": snap.created_at, "reason": snap.reason, "stores": {k: len(v.files) for k, v in snap.stores.items()}}
