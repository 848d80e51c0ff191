"""The skill library: the folder tree of Agent Skills is the truth, the search index a cache.

:class:`SkillLibrary` loads, in increasing priority,

1. the shipped library (``agentmem.resources.skills_dir()``: ``skills/<group>/<name>/SKILL.md``),
2. the folders in ``settings.skill_paths``,
3. the user's library under ``settings.paths.skills`` (``<home>/skills``),

so a user skill of the same name shadows a shipped one. Folders are searched recursively
(any folder holding ``SKILL.md`` is a skill; hidden folders such as ``.versions`` are skipped).
A skill that breaks the format is collected in :attr:`SkillLibrary.problems` and never
stops the others from loading.

Writes (:meth:`~SkillLibrary.add`, :meth:`~SkillLibrary.create`, :meth:`~SkillLibrary.revise`,
:meth:`~SkillLibrary.remove`, :meth:`~SkillLibrary.rollback`) go to the user library only. Each
one takes the home's write lock, stages the new folder, validates it (format, then every
write gate, e.g. a unit-test gate), snapshots the folder it replaces, then swaps the staged
folder in. Shipped skills are never modified: revising one writes a user copy.

It implements the :class:`~agentmem.stores.base.Store` protocol (item ids are skill names),
with usage statistics and lifecycle state in a sidecar JSON store.

Example::

    lib = SkillLibrary(settings)
    for hit in lib.search("heat a mug in the microwave", k=3):
        print(hit.record.id, hit.score)
    lib.record_use("heat-object", reward=1.0, success=True)
    lib.revise("heat-object", body=new_body, note="mention closing the microwave")
    lib.rollback("heat-object")
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import SkillFormatError, StoreError
from ..fileio import home_lock
from ..tokens import approx_tokens
from ..types import Lifecycle, MemoryRecord, Recalled, Trust, UsageStats
from .skill_format import (
    SKILL_FILE,
    Skill,
    SkillKind,
    SkillProblem,
    check_name,
    check_skill_for_write,
    load_skill_dir,
    normalise_body,
    render_skill_md,
)
from .skill_lint import WriteGate, discover, lint_paths, playbook_test_gate, run_skill_tests
from .skill_stats import SkillStatsStore
from .skill_versions import SkillVersion, SkillVersions, read_folder, write_folder

if TYPE_CHECKING:
    from ..retrieval.base import Embedder, VectorIndex
    from ..retrieval.hybrid import HybridIndex
    from ..sandbox import Sandbox, SandboxLimits, SandboxResult
    from ..settings import Settings

__all__ = ["SkillLibrary", "WriteGate", "discover", "lint_paths", "playbook_test_gate", "run_skill_tests", "skill_to_json"]


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _check_rel(rel: str, skill: str) -> str:
    p = Path(rel)
    if not rel or p.is_absolute() or ".." in p.parts or rel.startswith(("/", "\\")) or any(part.startswith(".") for part in p.parts):
        raise SkillFormatError(f"skill {skill!r}: file path {rel!r} must be a relative path inside the skill folder", [(rel, "path outside the skill folder")])
    return p.as_posix()


def _as_bytes(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else bytes(data)


class SkillLibrary:
    """The skill store (shipped + extra + user skills), see the module docstring.

    Args:
        settings: where the home (user library, sidecar, lock) is and which extra paths to load.
        embedder: search embedder; default from settings via the retrieval factory, built
            lazily at the first search. The shipped skills' vectors come from their seed
            (:mod:`~agentmem.stores.skill_vectors`) when it was written by this embedder's model.
        index: vector index; default an exact in-process index (with an in-memory BM25), rebuilt
            from the files and the vector caches when the library first searches: skills are few
            and parsed in full anyway, and a first recall never waits for Chroma. A given index
            (with the home's persistent lexical index) is used instead.
        shipped: the shipped library folder; ``None`` = ``agentmem.resources.skills_dir()``,
            ``False`` = do not load shipped skills.
        extra_paths: extra skill folders; ``None`` = ``settings.skill_paths``.
        write_gates: callables run on every staged skill before a write (see :data:`WriteGate`).
        validate_write: one more gate (the controller's hook point, e.g. a unit-test gate).
        sandbox: sandbox for :meth:`run` (default :class:`~agentmem.sandbox.SubprocessSandbox`
            with ``settings.sandbox`` limits).
    """

    name = "skills"

    def __init__(
        self,
        settings: "Settings",
        *,
        embedder: "Embedder | None" = None,
        index: "VectorIndex | None" = None,
        shipped: Path | bool | None = None,
        extra_paths: list[Path] | None = None,
        write_gates: Iterable[WriteGate] = (),
        validate_write: WriteGate | None = None,
        sandbox: "Sandbox | None" = None,
    ) -> None:
        self.settings = settings
        self.root: Path = settings.paths.skills
        if shipped is False:
            self.shipped_root: Path | None = None
        elif shipped is None or shipped is True:
            from ..resources import skills_dir

            try:
                self.shipped_root = skills_dir()
            except FileNotFoundError:
                self.shipped_root = None
        else:
            self.shipped_root = Path(shipped)
        self.extra_paths = [Path(p) for p in (settings.skill_paths if extra_paths is None else extra_paths)]
        self.write_gates: list[WriteGate] = list(write_gates) + ([validate_write] if validate_write is not None else [])
        self._embedder = embedder
        self._index_backend = index
        self._sandbox = sandbox
        self.stats_store = SkillStatsStore(settings.paths.stores / "skills" / "usage.json", settings.paths.lock)
        self.versions = SkillVersions(self.root / ".versions")
        self._skills: dict[str, Skill] = {}
        self.shadowed: dict[str, list[Skill]] = {}
        self.problems: list[SkillProblem] = []
        self._hybrid: "HybridIndex | None" = None
        self._index_dirty = True
        self.reload()

    # ----- loading ----------------------------------------------------------------------------
    def sources(self) -> list[tuple[str, Path]]:
        """``(origin, folder)`` of every library, lowest priority first."""
        out: list[tuple[str, Path]] = []
        if self.shipped_root is not None:
            out.append(("shipped", self.shipped_root))
        out.extend(("extra", p) for p in self.extra_paths)
        out.append(("user", self.root))
        return out

    def reload(self) -> "SkillLibrary":
        """Re-read every library from disk (cheap: a few hundred small files)."""
        skills: dict[str, Skill] = {}
        shadowed: dict[str, list[Skill]] = {}
        problems: list[SkillProblem] = []
        for origin, root in self.sources():
            if not root.exists():
                if origin == "extra":
                    problems.append(SkillProblem(path=str(root), field="folder", message="skill path from settings does not exist", severity="warning"))
                continue
            folders, probs = discover(root)
            problems.extend(probs)
            here: dict[str, Path] = {}
            for folder, group in folders:
                skill, probs = load_skill_dir(folder, origin=origin, group=group)
                problems.extend(probs)
                if skill is None:
                    continue
                if skill.name in here:
                    problems.append(SkillProblem(path=str(folder / SKILL_FILE), field="name", message=f"duplicate skill name, also at {here[skill.name]}; this one is ignored", skill=skill.name))
                    continue
                here[skill.name] = folder
                if skill.name in skills:
                    shadowed.setdefault(skill.name, []).append(skills[skill.name])
                skills[skill.name] = skill
        self._skills = dict(sorted(skills.items()))
        self.shadowed = shadowed
        self.problems = problems
        self._index_dirty = True
        return self

    # ----- reading ----------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._skills)

    def __contains__(self, name: object) -> bool:
        return name in self._skills

    def names(self) -> list[str]:
        return list(self._skills)

    def skills(self, include_inactive: bool = False, kind: SkillKind | str | None = None, group: str | None = None) -> list[Skill]:
        """Loaded skills (active only unless ``include_inactive``), by name."""
        out = []
        for s in self._skills.values():
            if not include_inactive and self.state(s.name) is not Lifecycle.active:
                continue
            if kind is not None and s.kind is not SkillKind(kind):
                continue
            if group is not None and s.group != group and not (s.group or "").startswith(group + "/"):
                continue
            out.append(s)
        return out

    def find(self, name: str) -> Skill | None:
        return self._skills.get(name)

    def get(self, name: str) -> Skill:
        """The skill called ``name``; :class:`StoreError` naming it (and close names) otherwise."""
        reason = check_name(name)
        if reason:
            raise StoreError(f"skill name {name!r}: {reason}")
        skill = self._skills.get(name)
        if skill is None:
            import difflib

            close = difflib.get_close_matches(name, list(self._skills), n=3)
            bad = [p for p in self.problems if p.skill == name and p.severity == "error"]
            hint = f"; it failed to load: {bad[0]}" if bad else (f"; did you mean {', '.join(close)}?" if close else "")
            raise StoreError(f"no skill named {name!r}{hint}")
        return skill

    def state(self, name: str) -> Lifecycle:
        """Effective lifecycle state: the sidecar's, else ``metadata.state``, else active."""
        override = self.stats_store.state(name)
        if override is not None:
            return override
        skill = self._skills.get(name)
        declared = skill.metadata.get("state") if skill else None
        return Lifecycle(declared) if declared in {s.value for s in Lifecycle} else Lifecycle.active

    def stats(self, name: str, version: int | None = None) -> UsageStats:
        """Usage statistics of ``name`` at ``version`` (default: its current version)."""
        return self.stats_store.get(name, version if version is not None else self.get(name).version)

    def history(self, name: str) -> list[SkillVersion]:
        """Previous versions of ``name`` (oldest first); the current files are not included."""
        reason = check_name(name)
        if reason:
            raise StoreError(f"skill name {name!r}: {reason}")
        return self.versions.list(name)

    # ----- Store protocol ---------------------------------------------------------------------
    def _record(self, skill: Skill) -> MemoryRecord:
        trust_raw = skill.metadata.get("trust")
        trust = Trust(trust_raw) if trust_raw in {t.value for t in Trust} else (Trust.learned if skill.metadata.get("source") == "learned" else Trust.shipped)
        return MemoryRecord(
            id=skill.name,
            store=self.name,
            title=skill.name,
            text=skill.prompt_text(),
            namespace=skill.metadata.get("namespace", "default/default"),
            state=self.state(skill.name),
            trust=trust,
            metadata={
                "description": skill.description,
                "kind": skill.kind.value,
                "version": skill.version,
                "origin": skill.origin,
                "group": skill.group,
                "entry": skill.entry,
                "path": str(skill.path) if skill.path else None,
            },
        )

    def records(self, namespace: str | None = None, include_inactive: bool = False) -> list[MemoryRecord]:
        """Every skill as a :class:`MemoryRecord` (skills are shared by every namespace unless
        ``metadata.namespace`` pins one)."""
        out = []
        for s in self.skills(include_inactive=include_inactive):
            pinned = s.metadata.get("namespace")
            if namespace is not None and pinned is not None and pinned != namespace:
                continue
            rec = self._record(s)
            out.append(rec if namespace is None or pinned is not None else rec.model_copy(update={"namespace": namespace}))
        return out

    def get_record(self, item_id: str) -> MemoryRecord | None:
        skill = self._skills.get(item_id.split("@", 1)[0])
        return self._record(skill) if skill else None

    def _hybrid_index(self) -> "HybridIndex":
        from ..retrieval.hybrid import HybridIndex

        if self._hybrid is None or self._index_dirty:
            if self._hybrid is None:
                from ..retrieval.factory import make_embedder, make_lexical
                from ..retrieval.incremental_bm25 import IncrementalBM25
                from ..retrieval.memory_index import InMemoryIndex
                from .skill_vectors import seeded_for

                collection = "skill-library"
                given = self._index_backend is not None
                self._embedder = seeded_for(self.shipped_root, self._embedder or make_embedder(self.settings))
                self._index_backend = self._index_backend or InMemoryIndex()
                lexical = make_lexical(self.settings, collection) if given else IncrementalBM25()
                self._hybrid = HybridIndex(collection, self._embedder, self._index_backend, rrf_k=self.settings.recall.rrf_k, lexical=lexical)
            # only skills whose search text changed are re-indexed; vectors come from the seed or the caches
            active = self.skills()
            self._hybrid.sync([(s.name, s.search_text(), {"kind": s.kind.value, "group": s.group or ""}) for s in active])
            self._index_dirty = False
        return self._hybrid

    def candidates(self, query: str, k: int = 10, mode: str = "hybrid", kind: SkillKind | str | None = None) -> list[tuple[Skill, float]]:
        """Top-``k`` active skills for ``query`` by hybrid search over ``name | description``,
        with scores normalised to [0, 1] (``mode``: hybrid, bm25 or dense)."""
        where = {"kind": SkillKind(kind).value} if kind is not None else None
        hits = self._hybrid_index().search(query, k=k, where=where, mode=mode)
        if not hits:
            return []
        if mode == "hybrid":
            hx = self._hybrid_index()
            best = sum(hx.weights) / (hx.rrf_k + 1)  # the RRF score of an item ranked first by both lists
            scores = [min(1.0, h.score / best) for h in hits]
        elif mode == "dense":
            scores = [max(0.0, min(1.0, (h.score + 1) / 2)) for h in hits]
        else:
            top = max(h.score for h in hits) or 1.0
            scores = [max(0.0, h.score / top) for h in hits]
        return [(self._skills[h.id], s) for h, s in zip(hits, scores) if h.id in self._skills]

    def search(self, query: str, k: int = 10, namespace: str | None = None) -> list[Recalled]:
        """Store-protocol search: :meth:`candidates` as :class:`Recalled` records."""
        out = []
        for skill, score in self.candidates(query, k=k):
            pinned = skill.metadata.get("namespace")
            if namespace is not None and pinned is not None and pinned != namespace:
                continue
            rec = self._record(skill)
            if namespace is not None and pinned is None:  # shared by every namespace: seen from the caller's
                rec = rec.model_copy(update={"namespace": namespace})
            out.append(Recalled(record=rec, score=score, tokens=approx_tokens(rec.text), reasons=["hybrid search over name | description"]))
        return out

    def record_use(self, item_id: str, reward: float, success: bool) -> None:
        """Add one outcome to the sidecar statistics of the skill's current version."""
        name, _, ver = item_id.partition("@")
        skill = self.get(name)
        self.stats_store.record(name, int(ver) if ver.isdigit() else skill.version, reward, success)

    def set_state(self, item_id: str, state: Lifecycle) -> None:
        """Set the lifecycle state (kept in the sidecar, so shipped files stay untouched)."""
        name = item_id.split("@", 1)[0]
        self.get(name)
        self.stats_store.set_state(name, Lifecycle(state))
        self._index_dirty = True

    # ----- running ----------------------------------------------------------------------------
    def sandbox(self) -> "Sandbox":
        if self._sandbox is None:
            from ..sandbox import SubprocessSandbox

            self._sandbox = SubprocessSandbox.from_settings(self.settings)
        return self._sandbox

    def run(self, name: str, args: list[str] | None = None, *, stdin: str | bytes | None = None, files: dict[str, str | bytes] | None = None, limits: "SandboxLimits | None" = None) -> "SandboxResult":
        """Run playbook ``name``'s entry script in the sandbox (the skill folder copied into a
        fresh working folder, ``files`` added to it). A failing script is reported in the
        result, never raised; a knowledge skill or a missing entry raises :class:`StoreError`."""
        skill = self.get(name)
        if skill.kind is not SkillKind.playbook:
            raise StoreError(f"skill {name!r} is a knowledge skill (no scripts); its body is meant for the prompt")
        state = self.state(name)
        if state is not Lifecycle.active:
            raise StoreError(f"skill {name!r} is {state.value}: only active playbooks run (set it active first: skills set-state {name} active)")
        if skill.entry is None or skill.entry not in skill.files:
            raise StoreError(f"skill {name!r}: entry script {skill.entry or '(none)'} is missing in {skill.path}")
        assert skill.path is not None
        return self.sandbox().run(skill.entry, list(args or []), root=skill.path, stdin=stdin, files=files, limits=limits)

    # ----- writing ----------------------------------------------------------------------------
    def add_write_gate(self, gate: WriteGate) -> None:
        """Add a gate every future write must pass (e.g. :func:`playbook_test_gate`)."""
        self.write_gates.append(gate)

    def _user_target(self, name: str) -> Path:
        current = self._skills.get(name)
        if current is not None and current.origin == "user" and current.path is not None:
            return current.path
        return self.root / name

    def _write(self, name: str, files: dict[str, bytes], note: str, dry_run: bool = False) -> Skill:
        """Stage, validate, gate, snapshot and swap in a user skill folder holding ``files``.

        With ``dry_run`` everything up to the swap happens (validation and gates included) and
        the skill as it would be written is returned; nothing changes on disk."""
        reason = check_name(name)
        if reason:
            raise SkillFormatError(f"skill name {name!r}: {reason}", [("name", reason)])
        with home_lock(self.settings.paths.lock):
            self.reload()
            work = self.root / ".staging" / uuid.uuid4().hex
            staged = work / name
            try:
                write_folder(staged, files)
                skill, probs = load_skill_dir(staged, origin="user")
                errors = [p for p in probs if p.severity == "error"]
                if skill is None or errors:
                    raise SkillFormatError(f"skill {name!r} was not written, it would be invalid:\n" + "\n".join(f"  {p}" for p in errors), [(f"{p.path}: {p.field}", p.message) for p in errors])
                for gate in self.write_gates:
                    gate(skill)
                target = self._user_target(name)
                if dry_run:
                    return skill.model_copy(update={"path": target})
                current = self._skills.get(name)
                if current is not None and current.path is not None and current.path.is_dir():
                    self.versions.save(name, current.path, version=current.version, note=note, origin=current.origin)
                if target.exists():
                    trash = work / ".old"
                    os.replace(target, trash)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(staged, target)
            finally:
                shutil.rmtree(work, ignore_errors=True)
                with_parent = self.root / ".staging"
                if with_parent.is_dir() and not any(with_parent.iterdir()):
                    with_parent.rmdir()
            self.reload()
        return self.get(name)

    def _next_version(self, name: str) -> int:
        current = self._skills.get(name)
        known = [v.version for v in self.versions.list(name)] + ([current.version] if current else [])
        return max(known, default=0) + 1

    def create(
        self,
        name: str,
        description: str,
        body: str,
        *,
        scripts: dict[str, str | bytes] | None = None,
        references: dict[str, str | bytes] | None = None,
        assets: dict[str, str | bytes] | None = None,
        metadata: dict[str, str] | None = None,
        license: str | None = None,
        compatibility: str | None = None,
        allowed_tools: str | None = None,
        source: str = "learned",
        note: str = "",
        replace: bool = False,
        dry_run: bool = False,
    ) -> Skill:
        """Write a new user skill (``scripts``/``references``/``assets`` map file names inside
        those folders to contents). Refuses an existing name unless ``replace``; ``dry_run``
        validates and gates without writing."""
        reason = check_name(name)
        if reason:
            raise SkillFormatError(f"skill name {name!r}: {reason}", [("name", reason)])
        if name in self._skills and not replace:
            raise StoreError(f"skill {name!r} already exists ({self._skills[name].path}); use revise() or replace=True")
        meta = {"version": str(self._next_version(name)), "source": source, "created": _now_iso(), "updated": _now_iso()}
        if note:
            meta["note"] = note
        meta.update({str(k): str(v) for k, v in (metadata or {}).items()})
        skill = Skill(name=name, description=description, body=normalise_body(body), metadata=meta, license=license, compatibility=compatibility, allowed_tools=allowed_tools)  # pyright: ignore[reportCallIssue]  # field name accepted (populate_by_name); pyright sees only the alias
        files: dict[str, bytes] = {}
        for folder, group in (("scripts", scripts), ("references", references), ("assets", assets)):
            for rel, data in (group or {}).items():
                files[_check_rel(f"{folder}/{rel}", name)] = _as_bytes(data)
        return self._write_skill(skill, files, note or "create", dry_run)

    def _write_skill(self, skill: Skill, files: dict[str, bytes], note: str, dry_run: bool = False) -> Skill:
        probs = check_skill_for_write(skill)
        if probs:
            raise SkillFormatError(f"skill {skill.name!r} was not written, it would be invalid:\n" + "\n".join(f"  {p}" for p in probs), [(f"{p.path}: {p.field}", p.message) for p in probs])
        return self._write(skill.name, {SKILL_FILE: render_skill_md(skill.front_matter(), skill.body), **files}, note, dry_run)

    def revise(
        self,
        name: str,
        *,
        description: str | None = None,
        body: str | None = None,
        metadata: dict[str, str | None] | None = None,
        files: dict[str, str | bytes | None] | None = None,
        note: str = "",
        dry_run: bool = False,
    ) -> Skill:
        """Write a new version of ``name`` (the previous one goes to history). ``metadata``
        entries are merged (``None`` removes a key); ``files`` maps relative paths to new
        contents (``None`` deletes). Revising a shipped skill writes a user copy that shadows it.
        ``dry_run`` validates and gates without writing."""
        current = self.get(name)
        assert current.path is not None
        existing = read_folder(current.path)
        existing.pop(SKILL_FILE, None)
        for rel, data in (files or {}).items():
            rel = _check_rel(rel, name)
            if rel == SKILL_FILE:
                raise StoreError(f"skill {name!r}: change SKILL.md through description/body/metadata, not files")
            if data is None:
                existing.pop(rel, None)
            else:
                existing[rel] = _as_bytes(data)
        meta = dict(current.metadata)
        for k, v in (metadata or {}).items():
            if v is None:
                meta.pop(k, None)
            else:
                meta[str(k)] = str(v)
        meta["version"] = str(self._next_version(name))
        meta["updated"] = _now_iso()
        if note:
            meta["note"] = note
        updated = current.model_copy(update={"description": description if description is not None else current.description, "body": normalise_body(body) if body is not None else current.body, "metadata": meta}, deep=True)
        return self._write_skill(updated, existing, note or "revise", dry_run)

    def add(self, source: Path | str, *, replace: bool = False, note: str = "", dry_run: bool = False) -> Skill:
        """Import a skill folder from elsewhere into the user library, bytes unchanged.

        The folder is validated first; a name that exists already (shipped, extra or user)
        is refused unless ``replace`` (a user skill of the same name shadows a shipped one;
        the previous user copy goes to history)."""
        folder = Path(source)
        if folder.is_file() and folder.name == SKILL_FILE:
            folder = folder.parent
        skill, probs = load_skill_dir(folder, origin="user")
        errors = [p for p in probs if p.severity == "error"]
        if skill is None or errors:
            raise SkillFormatError(f"{folder}: not a valid skill:\n" + "\n".join(f"  {p}" for p in errors), [(f"{p.path}: {p.field}", p.message) for p in errors])
        if skill.name in self._skills and not replace:
            where = self._skills[skill.name]
            raise StoreError(f"skill {skill.name!r} already exists ({where.origin}: {where.path}); pass replace=True (CLI: --replace) to import it over")
        return self._write(skill.name, read_folder(folder), note or f"import from {folder}", dry_run)

    def remove(self, name: str, note: str = "") -> None:
        """Delete a user skill (snapshotted first, so ``rollback`` brings it back). A shipped
        skill cannot be removed; retire it with ``set_state`` instead."""
        current = self.get(name)
        if current.origin != "user" or current.path is None:
            raise StoreError(f"skill {name!r} is {current.origin}, not a user skill; use set_state(name, 'retired') to take it out of recall")
        with home_lock(self.settings.paths.lock):
            self.versions.save(name, current.path, version=current.version, note=note or "remove", origin="user")
            trash = self.root / ".staging" / f"{uuid.uuid4().hex}-removed"
            trash.parent.mkdir(parents=True, exist_ok=True)
            os.replace(current.path, trash)
            shutil.rmtree(trash, ignore_errors=True)
            self.reload()

    def rollback(self, name: str, version: int | None = None) -> Skill:
        """Restore the newest snapshot of ``version`` (default: the most recent snapshot),
        byte for byte; the current files are snapshotted first."""
        reason = check_name(name)
        if reason:
            raise StoreError(f"skill name {name!r}: {reason}")
        snap = self.versions.pick(name, version)
        files = self.versions.files(name, snap.seq)
        return self._write(name, files, f"rollback to version {snap.version} (snapshot {snap.seq})")

    def describe_problems(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def skill_to_json(lib: SkillLibrary, skill: Skill) -> dict[str, Any]:
    """A JSON-ready summary of a skill (for ``skills list --json`` and the MCP server)."""
    stats = lib.stats_store.get(skill.name, skill.version)
    return {
        "name": skill.name,
        "description": skill.description,
        "kind": skill.kind.value,
        "version": skill.version,
        "origin": skill.origin,
        "group": skill.group,
        "state": lib.state(skill.name).value,
        "path": str(skill.path) if skill.path else None,
        "entry": skill.entry,
        "files": skill.files,
        "metadata": skill.metadata,
        "shadows": [str(s.path) for s in lib.shadowed.get(skill.name, [])],
        "stats": {"uses": stats.uses, "successes": stats.successes, "mean_reward": stats.mean_reward, "recent_rewards": stats.recent_rewards},
    }
