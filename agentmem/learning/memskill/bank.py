"""MemSkill's memory skills and the skill bank that holds them.

A memory skill describes *how to remember*: what to extract from a span of interaction and
whether to insert, update, delete or skip. On disk it is a valid Agent Skills folder
``<bank>/<name>/SKILL.md`` whose body has the sections ``Description``, ``Purpose``, ``When to
use``, ``How to apply``, ``Constraints`` and ``Action type``; the action type is also kept in
the front matter's ``metadata.action_type`` (a string, as the spec requires), together with
``origin`` (seed, evolved, designer) and ``version``.

Per-skill usage statistics (usage count, average reward, last 20 rewards, EMA, created and
modified times) live in the sidecar ``<bank>/stats.json``, so a skill file changes only when
its instructions change.

Every evolution step snapshots the whole bank (skill files and stats, byte for byte) under
``snapshots_dir/<nnnn>/`` with its mean reward; :meth:`MemorySkillBank.rollback` restores a
snapshot exactly and :meth:`MemorySkillBank.rollback_to_best` the best one.
"""

from __future__ import annotations

import re
import shutil
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ...errors import SkillFormatError, StoreError
from ...fileio import atomic_write_bytes, atomic_write_json, atomic_write_text, read_json, sha256_file
from ..skill_cards import SkillCard, check_name, read_skill_file, scan_skill_folders

ActionType = Literal["INSERT", "UPDATE", "DELETE", "NOOP"]
ACTION_TYPES: tuple[str, ...] = ("INSERT", "UPDATE", "DELETE", "NOOP")
SECTION_TITLES: dict[str, str] = {
    "description": "Description",
    "purpose": "Purpose",
    "when_to_use": "When to use",
    "how_to_apply": "How to apply",
    "constraints": "Constraints",
}
SEED_SKILLS = ("insert-memory", "update-memory", "delete-memory", "skip-memory")


class SkillSections(BaseModel):
    """The body sections every memory skill has (markdown text each)."""

    description: str = Field(..., min_length=1)
    purpose: str = Field(..., min_length=1)
    when_to_use: str = Field(..., min_length=1)
    how_to_apply: str = Field(..., min_length=1)
    constraints: str = Field(..., min_length=1)


class MemorySkill(BaseModel):
    """One memory skill: name, description, action type and body sections."""

    name: str
    description: str = Field(..., min_length=1, max_length=1024)
    action_type: ActionType
    sections: SkillSections
    origin: str = "seed"
    version: int = 1

    @property
    def title(self) -> str:
        return self.name.replace("-", " ").capitalize()

    @property
    def encoder_text(self) -> str:
        """What the controller's skill encoder embeds."""
        return f"{self.name} ({self.action_type}): {self.description} When to use: {self.sections.when_to_use}"

    def validate_format(self) -> None:
        """Raise :class:`SkillFormatError` naming the field when the skill breaks the format."""
        check_name(self.name, f"memory skill {self.name!r}: name")
        for key, title in SECTION_TITLES.items():
            if not getattr(self.sections, key).strip():
                raise SkillFormatError(f"memory skill {self.name!r}: section '{title}' is empty", [(f"{self.name}: {title}", "empty")])

    def render(self) -> str:
        """The SKILL.md text (front matter + body) in the Agent Skills format."""
        import yaml

        self.validate_format()
        front = {"name": self.name, "description": self.description,
                 "metadata": {"action_type": self.action_type, "origin": self.origin, "version": str(self.version)}}
        head = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=10_000).strip()
        body = [f"# {self.title}", ""]
        for key, title in SECTION_TITLES.items():
            body += [f"## {title}", getattr(self.sections, key).strip(), ""]
        body += ["## Action type", self.action_type, ""]
        return f"---\n{head}\n---\n" + "\n".join(body)

    @classmethod
    def from_card(cls, card: SkillCard) -> "MemorySkill":
        """Parse a skill card; raise :class:`SkillFormatError` naming the file and section."""
        where = str(card.path or card.name)
        found = _sections(card.body)
        missing = [t for t in (*SECTION_TITLES.values(), "Action type") if not found.get(t.lower(), "").strip()]
        if missing:
            raise SkillFormatError(f"{where}: memory skill is missing section(s) {missing}", [(where, m) for m in missing])
        action = (card.metadata.get("action_type") or found["action type"].split()[0]).upper()
        if action not in ACTION_TYPES:
            raise SkillFormatError(f"{where}: action type {action!r} is not one of {ACTION_TYPES}", [(where, "action_type")])
        version = card.metadata.get("version", "1")
        return cls(
            name=card.name, description=card.description, action_type=action,  # type: ignore[arg-type]
            sections=SkillSections(**{k: found[t.lower()].strip() for k, t in SECTION_TITLES.items()}),
            origin=card.metadata.get("origin", "seed"), version=int(version) if version.isdigit() else 1,
        )


_HEADER = re.compile(r"^##\s+(.+?)\s*$", re.MULTILINE)


def _sections(body: str) -> dict[str, str]:
    marks = list(_HEADER.finditer(body))
    out = {}
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(body)
        out[m.group(1).strip().lower()] = body[m.end():end].strip()
    return out


class MemSkillStats(BaseModel):
    """Usage statistics of one memory skill (MemSkill's bookkeeping)."""

    usage_count: int = 0
    reward_sum: float = 0.0
    recent_rewards: list[float] = Field(default_factory=list, description="Last 20 rewards, newest last.")
    ema: float = 0.0
    created_at: float = Field(default_factory=time.time)
    modified_at: float = Field(default_factory=time.time)

    @property
    def average_reward(self) -> float:
        return self.reward_sum / self.usage_count if self.usage_count else 0.0

    def record(self, reward: float, alpha: float = 0.1, window: int = 20) -> None:
        self.usage_count += 1
        self.reward_sum += reward
        self.recent_rewards = (self.recent_rewards + [float(reward)])[-window:]
        self.ema = reward if self.usage_count == 1 else (1 - alpha) * self.ema + alpha * reward


class SnapshotInfo(BaseModel):
    """One saved state of the bank."""

    id: int
    mean_reward: float
    note: str = ""
    created_at: float = Field(default_factory=time.time)
    skills: list[str] = Field(default_factory=list)
    files: dict[str, str] = Field(default_factory=dict, description="Relative path -> sha256 of every file saved.")


class MemorySkillBank:
    """The memory skills of one agent: a folder of skill folders, a stats sidecar, snapshots.

    ``root`` is the bank folder; ``snapshots_dir`` holds the evolution snapshots. A new bank is
    seeded from ``seed_from`` (default: the shipped ``skills/memory``) when ``root`` is empty.
    """

    STATS = "stats.json"

    def __init__(self, root: str | Path, snapshots_dir: str | Path | None = None, *, seed_from: str | Path | None = None) -> None:
        self.root = Path(root)
        self.snapshots_dir = Path(snapshots_dir) if snapshots_dir else self.root.parent / (self.root.name + "-snapshots")
        if not self.root.exists() or not any(self.root.glob("*/SKILL.md")):
            src = Path(seed_from) if seed_from else _shipped_memory_skills()
            self.root.mkdir(parents=True, exist_ok=True)
            for f in sorted(src.glob("*/SKILL.md")):
                atomic_write_bytes(self.root / f.parent.name / "SKILL.md", f.read_bytes())
        self.problems: list[str] = []
        self._skills: dict[str, MemorySkill] = {}
        self.reload()

    @classmethod
    def from_settings(cls, settings: "object") -> "MemorySkillBank":
        paths = settings.paths  # type: ignore[attr-defined]
        return cls(paths.stores / "memskill" / "bank", paths.snapshots / "memskill")

    # ------------------------------------------------------------------ reading
    def reload(self) -> None:
        """Re-read every skill folder; a malformed one is listed in :attr:`problems` and skipped."""
        cards, problems = scan_skill_folders([self.root])
        skills: dict[str, MemorySkill] = {}
        for card in cards:
            try:
                skills[card.name] = MemorySkill.from_card(card)
            except SkillFormatError as exc:
                problems.append(str(exc))
        self._skills, self.problems = skills, problems

    def names(self) -> list[str]:
        return sorted(self._skills)

    def skills(self) -> list[MemorySkill]:
        return [self._skills[n] for n in self.names()]

    def get(self, name: str) -> MemorySkill:
        try:
            return self._skills[name]
        except KeyError:
            raise StoreError(f"memory skill bank {self.root}: no skill named {name!r} (known: {self.names()})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._skills

    def __len__(self) -> int:
        return len(self._skills)

    # ------------------------------------------------------------------ writing
    def write(self, skill: MemorySkill) -> Path:
        """Create or replace a skill folder atomically (validated first); bumps the version on replace."""
        skill.validate_format()
        if skill.name in self._skills:
            skill = skill.model_copy(update={"version": self._skills[skill.name].version + 1})
        path = self.root / skill.name / "SKILL.md"
        atomic_write_text(path, skill.render())
        read_skill_file(path)  # the written file must load as an Agent Skill
        self._skills[skill.name] = skill
        stats = self.stats()
        entry = stats.get(skill.name) or MemSkillStats()
        entry.modified_at = time.time()
        stats[skill.name] = entry
        self._save_stats(stats)
        return path

    # ------------------------------------------------------------------ stats
    def stats(self) -> dict[str, MemSkillStats]:
        raw = read_json(self.root / self.STATS, {}) or {}
        out = {k: MemSkillStats.model_validate(v) for k, v in raw.items()}
        for name in self.names():
            out.setdefault(name, MemSkillStats())
        return out

    def _save_stats(self, stats: dict[str, MemSkillStats]) -> None:
        atomic_write_json(self.root / self.STATS, {k: v.model_dump(mode="json") for k, v in sorted(stats.items())})

    def record_rewards(self, rewards: dict[str, list[float]]) -> None:
        """Add rewards per skill name (one entry per use) and save the sidecar once."""
        stats = self.stats()
        for name, values in rewards.items():
            entry = stats.setdefault(name, MemSkillStats())
            for r in values:
                entry.record(r)
        self._save_stats(stats)

    # ------------------------------------------------------------------ snapshots
    def _files(self) -> list[Path]:
        return sorted(p for p in self.root.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.relative_to(self.root).parts))

    def snapshot(self, mean_reward: float, note: str = "") -> SnapshotInfo:
        """Copy the bank (skill files and stats) into a new numbered snapshot with its mean reward."""
        self.snapshots_dir.mkdir(parents=True, exist_ok=True)
        existing = [int(p.name) for p in self.snapshots_dir.iterdir() if p.name.isdigit()]
        sid = max(existing, default=0) + 1
        dest = self.snapshots_dir / f"{sid:04d}"
        files = {}
        for f in self._files():
            rel = f.relative_to(self.root).as_posix()
            atomic_write_bytes(dest / "bank" / rel, f.read_bytes())
            files[rel] = sha256_file(f)
        info = SnapshotInfo(id=sid, mean_reward=float(mean_reward), note=note, skills=self.names(), files=files)
        atomic_write_json(dest / "snapshot.json", info.model_dump(mode="json"))
        return info

    def snapshots(self) -> list[SnapshotInfo]:
        if not self.snapshots_dir.is_dir():
            return []
        out = []
        for d in sorted(p for p in self.snapshots_dir.iterdir() if p.name.isdigit()):
            meta = read_json(d / "snapshot.json")
            if meta:
                out.append(SnapshotInfo.model_validate(meta))
        return out

    def rollback(self, snapshot_id: int) -> SnapshotInfo:
        """Restore the bank to snapshot ``snapshot_id`` exactly (files not in it are removed)."""
        info = next((s for s in self.snapshots() if s.id == snapshot_id), None)
        if info is None:
            raise StoreError(f"memory skill bank: no snapshot {snapshot_id} in {self.snapshots_dir} (known: {[s.id for s in self.snapshots()]})")
        src = self.snapshots_dir / f"{snapshot_id:04d}" / "bank"
        for rel, digest in info.files.items():
            if sha256_file(src / rel) != digest:
                raise StoreError(f"memory skill bank: snapshot {snapshot_id} file {rel} is corrupt (checksum mismatch); bank left unchanged")
        for f in self._files():
            if f.relative_to(self.root).as_posix() not in info.files:
                f.unlink()
        for d in sorted((p for p in self.root.iterdir() if p.is_dir() and not p.name.startswith(".")), reverse=True):
            if not any(d.rglob("*")):
                shutil.rmtree(d)
        for rel in info.files:
            atomic_write_bytes(self.root / rel, (src / rel).read_bytes())
        self.reload()
        return info

    def best_snapshot(self) -> SnapshotInfo | None:
        snaps = self.snapshots()
        return max(snaps, key=lambda s: (s.mean_reward, -s.id)) if snaps else None

    def rollback_to_best(self) -> SnapshotInfo:
        """Restore the snapshot with the highest mean reward (the earliest on ties)."""
        best = self.best_snapshot()
        if best is None:
            raise StoreError(f"memory skill bank: no snapshots in {self.snapshots_dir} to roll back to")
        return self.rollback(best.id)


def _shipped_memory_skills() -> Path:
    from ...resources import skills_dir

    return skills_dir() / "memory"
