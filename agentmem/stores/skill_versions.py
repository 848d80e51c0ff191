"""Whole-folder snapshots of skills, for ``skills history`` and ``skills rollback``.

Before any write replaces (or removes) a skill folder, the folder is copied byte for byte to
``<user library>/.versions/<name>/<seq>/`` with ``<seq>.json`` beside it holding the skill's
version, the time, a note and the sha256 of every file. Restoring a snapshot rewrites the
folder with exactly those bytes (and the current folder is snapshotted first, so a rollback
can itself be rolled back).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from pydantic import BaseModel, Field

from ..errors import StoreError
from ..fileio import atomic_write_json, read_json, sha256_bytes


class SkillVersion(BaseModel):
    """One snapshot of a skill folder."""

    seq: int = Field(..., description="Snapshot number (1 = oldest).")
    version: int = Field(..., description="The skill's metadata.version at the time of the snapshot.")
    saved_at: float
    note: str = ""
    origin: str = Field("user", description="Library the snapshotted folder came from (shipped, user, extra).")
    files: dict[str, str] = Field(default_factory=dict, description="Relative path -> sha256 of every file, SKILL.md included.")


MAX_SKILL_FILE_BYTES = 16 * 1024 * 1024
MAX_SKILL_TOTAL_BYTES = 64 * 1024 * 1024


def read_folder(folder: Path) -> dict[str, bytes]:
    """All regular files of a skill folder as ``{relative posix path: bytes}`` (caches skipped).

    FIFOs, sockets, devices and symlinks are refused without being opened (a FIFO would hang the
    read, ``/dev/zero`` would never end); files past 16 MiB, or 64 MiB in all, are refused.
    Raises :class:`~agentmem.errors.StoreError` naming the file."""
    import stat

    from ..errors import StoreError

    out: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for d in dirnames:
            if os.path.islink(os.path.join(dirpath, d)):
                raise StoreError(f"{Path(dirpath) / d}: a symlink; skill folders hold regular files only")
        for fn in sorted(filenames):
            if fn.endswith(".pyc"):
                continue
            p = Path(dirpath) / fn
            st = os.lstat(p)
            if not stat.S_ISREG(st.st_mode):
                raise StoreError(f"{p}: not a regular file (a FIFO, device, socket or symlink); skill folders hold regular files only")
            if st.st_size > MAX_SKILL_FILE_BYTES:
                raise StoreError(f"{p}: {st.st_size} bytes, over the {MAX_SKILL_FILE_BYTES}-byte limit per skill file")
            total += st.st_size
            if total > MAX_SKILL_TOTAL_BYTES:
                raise StoreError(f"{folder}: over {MAX_SKILL_TOTAL_BYTES} bytes in all")
            fd = os.open(p, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
            with os.fdopen(fd, "rb") as fh:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise StoreError(f"{p}: not a regular file")
                data = fh.read(MAX_SKILL_FILE_BYTES + 1)
            if len(data) > MAX_SKILL_FILE_BYTES:
                raise StoreError(f"{p}: grew past {MAX_SKILL_FILE_BYTES} bytes while read")
            out[p.relative_to(folder).as_posix()] = data
    return out


def write_folder(folder: Path, files: dict[str, bytes]) -> None:
    """Create ``folder`` holding exactly ``files`` (it must not exist yet)."""
    folder.mkdir(parents=True, exist_ok=False)
    for rel, data in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        if rel.startswith("scripts/") and data.startswith(b"#!"):
            target.chmod(0o755)


class SkillVersions:
    """Snapshots under ``root/<name>/``."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _dir(self, name: str) -> Path:
        from .skill_format import check_name

        reason = check_name(name)
        if reason:
            raise StoreError(f"skill name {name!r}: {reason}")
        return self.root / name

    def list(self, name: str) -> list[SkillVersion]:
        d = self._dir(name)
        if not d.is_dir():
            return []
        out = []
        for meta in sorted(d.glob("*.json"), key=lambda p: int(p.stem) if p.stem.isdigit() else -1):
            if not meta.stem.isdigit():
                continue
            out.append(SkillVersion.model_validate({**(read_json(meta, {}) or {}), "seq": int(meta.stem)}))
        return out

    def save(self, name: str, folder: Path, *, version: int, note: str = "", origin: str = "user") -> SkillVersion:
        """Snapshot ``folder`` as the next sequence number of ``name``."""
        files = read_folder(folder)
        d = self._dir(name)
        d.mkdir(parents=True, exist_ok=True)
        seq = max((v.seq for v in self.list(name)), default=0) + 1
        tmp = d / f".{seq}.partial"
        if tmp.exists():
            shutil.rmtree(tmp)
        write_folder(tmp, files)
        os.replace(tmp, d / str(seq))
        info = SkillVersion(seq=seq, version=version, saved_at=time.time(), note=note, origin=origin, files={k: sha256_bytes(v) for k, v in files.items()})
        atomic_write_json(d / f"{seq}.json", info.model_dump(mode="json", exclude={"seq"}))
        return info

    def pick(self, name: str, version: int | None) -> SkillVersion:
        """The newest snapshot of ``version`` (or the newest snapshot when ``version`` is None)."""
        versions = self.list(name)
        if not versions:
            raise StoreError(f"skill {name!r}: no previous versions in history")
        if version is None:
            return versions[-1]
        matching = [v for v in versions if v.version == version]
        if not matching:
            raise StoreError(f"skill {name!r}: no version {version} in history (known: {sorted({v.version for v in versions})})")
        return matching[-1]

    def files(self, name: str, seq: int) -> dict[str, bytes]:
        """The exact bytes of snapshot ``seq``; raises :class:`StoreError` when a file's hash no longer matches."""
        folder = self._dir(name) / str(seq)
        meta = next((v for v in self.list(name) if v.seq == seq), None)
        if meta is None or not folder.is_dir():
            raise StoreError(f"skill {name!r}: snapshot {seq} is missing from {self._dir(name)}")
        files = read_folder(folder)
        bad = [k for k, v in files.items() if meta.files.get(k) != sha256_bytes(v)] + [k for k in meta.files if k not in files]
        if bad:
            raise StoreError(f"skill {name!r}: snapshot {seq} is damaged (files differ from their recorded hash: {bad})")
        return files
