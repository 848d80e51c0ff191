"""Sidecar store for what changes after every run: usage statistics and lifecycle state.

Keeping these out of ``SKILL.md`` keeps the skill files stable (no rewrite after every task)
and valid for other Agent Skills tools. One JSON file under the home
(``<home>/stores/skills/usage.json``), written atomically under the home's write lock::

    {"stats":  {"heat-object@2": {UsageStats fields}},
     "states": {"heat-object": "quarantined"}}

Statistics are keyed by ``name@version`` (a revised skill starts fresh; the old version's
record stays for comparison); state is keyed by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..fileio import atomic_write_json, home_lock, read_json
from ..types import Lifecycle, UsageStats


def stats_key(name: str, version: int) -> str:
    return f"{name}@{version}"


class SkillStatsStore:
    """Usage statistics per ``name@version`` and lifecycle state per name, in one JSON file."""

    def __init__(self, path: Path, lock_path: Path) -> None:
        self.path = Path(path)
        self.lock_path = Path(lock_path)
        self._cache: tuple[tuple[int, int, int], dict[str, Any]] | None = None

    def _read(self) -> dict[str, Any]:
        """The file's content (re-read only when the file changed; a copy each time)."""
        try:
            st = self.path.stat()
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)  # atomic replace = new inode
        except FileNotFoundError:
            return {"stats": {}, "states": {}}
        if self._cache is None or self._cache[0] != stamp:
            data = read_json(self.path, None) or {}
            if not isinstance(data, dict) or not isinstance(data.setdefault("stats", {}), dict) or not isinstance(data.setdefault("states", {}), dict):
                from ..errors import StoreError

                raise StoreError(f"{self.path}: expected an object with 'stats' and 'states' objects; not read (fix or remove the file)")
            self._cache = (stamp, data)
        import copy

        return copy.deepcopy(self._cache[1])

    def get(self, name: str, version: int) -> UsageStats:
        raw = self._read()["stats"].get(stats_key(name, version))
        return UsageStats.model_validate(raw) if raw else UsageStats()

    def all_versions(self, name: str) -> dict[int, UsageStats]:
        out: dict[int, UsageStats] = {}
        for key, raw in self._read()["stats"].items():
            base, _, ver = key.rpartition("@")
            if base == name and ver.isdigit():
                out[int(ver)] = UsageStats.model_validate(raw)
        return dict(sorted(out.items()))

    def record(self, name: str, version: int, reward: float, success: bool) -> UsageStats:
        """Add one outcome; return the updated statistics (utility = mean reward)."""
        with home_lock(self.lock_path):
            data = self._read()
            key = stats_key(name, version)
            stats = UsageStats.model_validate(data["stats"].get(key) or {})
            stats.record(float(reward), bool(success))
            stats.utility = stats.mean_reward
            data["stats"][key] = stats.model_dump(mode="json")
            atomic_write_json(self.path, data)
        return stats

    def state(self, name: str) -> Lifecycle | None:
        raw = self._read()["states"].get(name)
        return Lifecycle(raw) if raw else None

    def states(self) -> dict[str, Lifecycle]:
        return {k: Lifecycle(v) for k, v in self._read()["states"].items()}

    def set_state(self, name: str, state: Lifecycle) -> None:
        with home_lock(self.lock_path):
            data = self._read()
            data["states"][name] = Lifecycle(state).value
            atomic_write_json(self.path, data)
