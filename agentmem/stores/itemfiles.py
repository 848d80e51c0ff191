"""One readable YAML file per item, with byte-exact version history.

Shared by the behavior handbook and the concept memory, whose items are few (hundreds to
thousands) and edited in place. :class:`ItemFiles` maps an item key to
``<dir>/<safe key>.yaml``; every overwrite or delete first copies the current bytes into a
:class:`~agentmem.fileio.FileHistory`, so :meth:`ItemFiles.rollback` restores exactly the bytes
an item had (and can itself be rolled back). Writes are atomic (temp file + rename); callers
hold the home lock. A file that is not valid YAML or does not validate raises
:class:`~agentmem.errors.StoreError` naming the file and field, and nothing is written over it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from ..errors import StoreError, ValidationFailed
from ..fileio import FileHistory, atomic_write_bytes, safe_name
from ._common import dump_yaml

T = TypeVar("T", bound=BaseModel)
_log = logging.getLogger(__name__)


class ItemFiles(Generic[T]):
    """Typed items of ``model`` kept as ``<dir>/<key>.yaml``."""

    def __init__(self, directory: Path, model: type[T], key: Callable[[T], str], *, max_bytes: int = 64_000, history_root: Path | None = None) -> None:
        self.problems: list[str] = []
        self.dir = Path(directory)
        self.model = model
        self.key = key
        self.max_bytes = max_bytes
        self.history = FileHistory(history_root or self.dir)
        self._parsed: dict[str, tuple[bytes, T]] = {}  # path -> (bytes, item): a file read again unchanged is not re-parsed

    def path(self, key: str) -> Path:
        return self.dir / f"{safe_name(key)}.yaml"

    def _hkey(self, key: str) -> str:
        return f"{self.dir.name}/{safe_name(key)}"

    def parse(self, path: Path, data: bytes | None = None) -> T:
        from ..safe_yaml import YamlLimitError, load, short_error

        try:
            if data is None:
                if path.stat().st_size > 4 * self.max_bytes:
                    raise StoreError(f"{path}: {path.stat().st_size} bytes, over the {4 * self.max_bytes}-byte limit for one item")
                data = path.read_bytes()
            hit = self._parsed.get(str(path))
            if hit is not None and hit[0] == data:
                return hit[1].model_copy(deep=True)
            raw = load(data.decode("utf-8"), str(path), max_bytes=4 * self.max_bytes)
        except YamlLimitError as exc:
            raise StoreError(str(exc)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise StoreError(f"{path}: not readable YAML ({short_error(exc)})") from None
        if not isinstance(raw, dict):
            raise StoreError(f"{path}: expected a mapping of fields, found {type(raw).__name__}")
        try:
            item = self.model.model_validate(raw)
        except ValidationError as exc:
            where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()[:5])
            raise StoreError(f"{path}: invalid {self.model.__name__} ({where})") from exc
        self._parsed[str(path)] = (data, item.model_copy(deep=True))
        return item

    def load(self, key: str) -> T | None:
        p = self.path(key)
        return self.parse(p) if p.exists() else None

    def load_all(self) -> list[T]:
        """Every readable item; a file that cannot be parsed is skipped and named in
        :attr:`problems` (and logged), so one bad file never hides the rest of the store."""
        self.problems: list[str] = []
        if not self.dir.is_dir():
            return []
        out: list[T] = []
        for p in sorted(self.dir.glob("*.yaml")):
            try:
                out.append(self.parse(p))
            except StoreError as exc:
                msg = str(exc)
                self.problems.append(msg if len(msg) <= 400 else msg[:397] + "...")
                _log.warning("skipped an unreadable item file: %s", self.problems[-1])
        return out

    def serialise(self, item: T) -> bytes:
        data = dump_yaml(item.model_dump(mode="json", exclude_none=True)).encode("utf-8")
        if len(data) > self.max_bytes:
            raise ValidationFailed(
                f"{self.model.__name__} {self.key(item)!r} would take {len(data)} bytes on disk (limit {self.max_bytes}); not written",
                [(self.key(item), "oversized")],
            )
        return data

    def write(self, item: T, note: str = "") -> Path:
        """Write ``item`` atomically, keeping the previous bytes in history (caller holds the lock)."""
        key = self.key(item)
        data = self.serialise(item)
        p = self.path(key)
        if p.exists():
            old = p.read_bytes()
            existing = self.parse(p, old)
            if self.key(existing) != key:
                raise StoreError(f"{p}: holds {self.key(existing)!r}, which maps to the same file name as {key!r}; rename one of them")
            if old == data:
                return p
            self.history.save(self._hkey(key), old, note=note)
        atomic_write_bytes(p, data)
        return p

    def delete(self, key: str, note: str = "") -> None:
        p = self.path(key)
        if p.exists():
            self.history.save(self._hkey(key), p.read_bytes(), note=note or "deleted")
            p.unlink()

    def versions(self, key: str) -> list[dict[str, Any]]:
        """Previous versions of ``key``, oldest first (``version``, ``sha256``, ``saved_at``, ``note``)."""
        return self.history.versions(self._hkey(key))

    def rollback(self, key: str, version: int) -> T:
        """Restore version ``version`` of ``key`` byte for byte (the current bytes become a new version)."""
        data = self.history.load(self._hkey(key), version)
        p = self.path(key)
        item = self.parse(p, data)
        if p.exists():
            self.history.save(self._hkey(key), p.read_bytes(), note=f"before rollback to v{version}")
        atomic_write_bytes(p, data)
        return item
