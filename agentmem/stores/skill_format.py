"""The Agent Skills file format: parse, validate and write one ``<name>/SKILL.md`` folder.

A skill is a folder whose ``SKILL.md`` starts with YAML front matter between two ``---``
lines, followed by a markdown body. The front matter follows the public Agent Skills
specification exactly:

* ``name`` (required): 1-64 characters, lowercase letters, digits and single hyphens, not
  starting or ending with a hyphen, equal to the folder's name;
* ``description`` (required): 1-1024 characters, what the skill does and when to use it;
* ``license``, ``compatibility`` (at most 500 characters), ``allowed-tools`` (optional strings);
* ``metadata`` (optional): a map of string keys to *string* values.

No other top-level field is allowed. agentmem's own fields live under ``metadata`` as
strings (see :data:`AGENTMEM_KEYS`), so every file agentmem writes stays valid for other
tools; statistics that change after every run live in a sidecar store instead (see
:mod:`agentmem.stores.skill_stats`).

A folder with nothing besides ``SKILL.md`` (or only ``references/`` and ``assets/``) is a
*knowledge* skill whose body goes into the prompt; a folder with files under ``scripts/`` is
a *playbook* whose entry script runs in a sandbox. The entry is ``metadata.entry`` when set,
else ``scripts/run.py``, ``scripts/run.sh``, or the only script in ``scripts/``.

Untouched skills re-serialise byte-identically: :meth:`Skill.to_markdown` returns the bytes
that were read unless a field was changed.

Example::

    skill = parse_skill_dir(Path("skills/general/decompose-problem"))
    skill.kind, skill.version, skill.prompt_text()
    problems = lint_skill_dir(Path("my-skill"))   # [] when valid
"""

from __future__ import annotations

import os
import re
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from ..errors import SkillFormatError

SKILL_FILE = "SKILL.md"
NAME_MAX = 64
MAX_SKILL_MD_BYTES = 1024 * 1024  # the whole SKILL.md (front matter + body)
MAX_FRONT_MATTER_BYTES = 64 * 1024
DESCRIPTION_MAX = 1024
COMPATIBILITY_MAX = 500
NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
ALLOWED_FIELDS = ("name", "description", "license", "compatibility", "allowed-tools", "metadata")
SUBFOLDERS = ("scripts", "references", "assets")
ENTRY_CONVENTIONS = ("scripts/run.py", "scripts/run.sh")
SCRIPT_SUFFIXES = {".py": "python", ".sh": "shell", ".bash": "shell"}

#: Keys agentmem reads and writes under ``metadata`` (all values are strings).
AGENTMEM_KEYS = {
    "version": "integer version, bumped by every agentmem write ('1' when absent)",
    "kind": "'knowledge' or 'playbook' (default: playbook when scripts/ holds files)",
    "entry": "entry script of a playbook, relative to the skill folder (e.g. scripts/run.py)",
    "test": "test script of a playbook (default: scripts/test_*.py), run by `skills lint --test` and write gates",
    "source": "provenance: shipped, user, learned or import",
    "trust": "shipped, verified, learned or untrusted",
    "state": "initial lifecycle state: active, quarantined or retired (the sidecar overrides it)",
    "created": "creation time, ISO 8601 UTC",
    "updated": "time of the last agentmem write, ISO 8601 UTC",
    "task-id": "task the skill was learned from, if any",
    "run-id": "run the skill was learned in, if any",
    "note": "one-line reason of the last change",
    "tags": "comma-separated tags",
}


class SkillKind(str, Enum):
    knowledge = "knowledge"
    playbook = "playbook"


class SkillProblem(BaseModel):
    """One thing wrong with a skill folder; ``str()`` gives ``path: field: message``."""

    path: str = Field(..., description="File (or folder) the problem is in.")
    field: str = Field(..., description="Front-matter field, 'front-matter', 'folder', 'scripts', 'test', ...")
    message: str
    skill: str | None = Field(default=None, description="Skill name (the folder's name when the front matter is unreadable).")
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        prefix = "" if self.severity == "error" else "warning: "
        return f"{self.path}: {self.field}: {prefix}{self.message}"


class Skill(BaseModel):
    """One skill: the front matter fields, the body, and where it was loaded from.

    The front matter fields map one-to-one to the spec (``allowed-tools`` is ``allowed_tools``).
    ``path`` is the skill folder; ``origin`` says which library it came from; ``files`` lists
    the files beside ``SKILL.md`` (relative POSIX paths, sorted).
    """

    model_config = ConfigDict(populate_by_name=True)

    name: str
    description: str
    license: str | None = None
    compatibility: str | None = None
    allowed_tools: str | None = Field(default=None, alias="allowed-tools")
    metadata: dict[str, str] = Field(default_factory=dict)
    body: str = ""
    path: Path | None = Field(default=None, description="The skill folder on disk (None for a skill not written yet).")
    origin: Literal["shipped", "user", "extra", "memory"] = "memory"
    group: str | None = Field(default=None, description="Parent folder inside its library (e.g. 'alfworld' for skills/alfworld/heat-object).")
    files: list[str] = Field(default_factory=list, description="Files beside SKILL.md, relative POSIX paths, sorted.")

    _raw: bytes | None = PrivateAttr(None)
    _raw_fields: dict[str, Any] | None = PrivateAttr(None)

    # ----- derived views -------------------------------------------------------------------
    @property
    def version(self) -> int:
        """agentmem's integer version (``metadata.version``; ``1`` when absent or not a number)."""
        return version_number(self.metadata.get("version"))

    @property
    def scripts(self) -> list[str]:
        return [f for f in self.files if f.startswith("scripts/")]

    @property
    def kind(self) -> SkillKind:
        declared = self.metadata.get("kind")
        if declared in (SkillKind.knowledge.value, SkillKind.playbook.value):
            return SkillKind(declared)
        return SkillKind.playbook if self.scripts else SkillKind.knowledge

    @property
    def entry(self) -> str | None:
        """Relative path of the entry script of a playbook (None for knowledge or when unresolvable)."""
        if self.metadata.get("entry"):
            return self.metadata["entry"]
        for conv in ENTRY_CONVENTIONS:
            if conv in self.files:
                return conv
        runnable = [f for f in self.scripts if Path(f).suffix in SCRIPT_SUFFIXES and not Path(f).name.startswith("test_") and f.count("/") == 1]
        return runnable[0] if len(runnable) == 1 else None

    @property
    def tests(self) -> list[str]:
        """Test scripts of a playbook: ``metadata.test`` or ``scripts/test_*.py``."""
        if self.metadata.get("test"):
            return [self.metadata["test"]]
        return [f for f in self.scripts if Path(f).name.startswith("test_") and Path(f).suffix in SCRIPT_SUFFIXES]

    @property
    def skill_file(self) -> Path | None:
        return self.path / SKILL_FILE if self.path is not None else None

    def front_matter(self) -> dict[str, Any]:
        """The front matter as written (spec field names, optional fields only when set)."""
        out: dict[str, Any] = {"name": self.name, "description": self.description}
        if self.license is not None:
            out["license"] = self.license
        if self.compatibility is not None:
            out["compatibility"] = self.compatibility
        if self.allowed_tools is not None:
            out["allowed-tools"] = self.allowed_tools
        if self.metadata:
            out["metadata"] = dict(self.metadata)
        return out

    def prompt_text(self) -> str:
        """The text a knowledge skill contributes to a prompt (name, description, body)."""
        return f"## Skill: {self.name}\n{self.description.strip()}\n\n{self.body.strip()}\n"

    def search_text(self) -> str:
        """What hybrid search indexes: ``name | description``."""
        return f"{self.name} | {self.description}"

    # ----- serialisation -------------------------------------------------------------------
    def _fields_now(self) -> dict[str, Any]:
        return {"fm": self.front_matter(), "body": self.body}

    def is_untouched(self) -> bool:
        """True when this skill was parsed from a file and none of its fields changed since."""
        return self._raw is not None and self._raw_fields == self._fields_now()

    def to_markdown(self) -> bytes:
        """``SKILL.md`` bytes: the original bytes when untouched, else canonical YAML front matter + body."""
        if self.is_untouched():
            assert self._raw is not None
            return self._raw
        return render_skill_md(self.front_matter(), self.body)

    def remember_raw(self, raw: bytes) -> None:
        """Record ``raw`` as the file this skill was read from (for byte-identical re-writes)."""
        self._raw = raw
        self._raw_fields = self._fields_now()


def version_number(text: str | None) -> int:
    """Parse ``metadata.version`` leniently: ``"3"`` -> 3, ``"1.0"`` -> 1, anything else -> 1."""
    if not text:
        return 1
    m = re.match(r"\s*(\d+)", str(text))
    return max(1, int(m.group(1))) if m else 1


# ----- front matter ------------------------------------------------------------------------
def split_front_matter(text: str, where: str) -> tuple[str, str]:
    """Split ``SKILL.md`` text into (YAML text, body). Raises :class:`SkillFormatError` naming ``where``."""
    if text.startswith("\ufeff"):
        text = text[1:]
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip("\r\n").rstrip() != "---":
        raise SkillFormatError(f"{where}: front-matter: file must start with a '---' line", [(where, "front-matter: file must start with a '---' line")])
    for i in range(1, len(lines)):
        if lines[i].rstrip("\r\n").rstrip() == "---":
            return "".join(lines[1:i]), "".join(lines[i + 1 :])
    raise SkillFormatError(f"{where}: front-matter: no closing '---' line", [(where, "front-matter: no closing '---' line")])


def _yaml_load(text: str, where: str) -> dict[str, Any]:
    from ..safe_yaml import YamlLimitError, load

    try:
        data = load(text, where, max_bytes=MAX_FRONT_MATTER_BYTES) if text.strip() else {}
    except YamlLimitError as exc:
        msg = str(exc)[len(where) + 2 :] if str(exc).startswith(where) else str(exc)
        raise SkillFormatError(f"{where}: front-matter: {msg}", [(where, f"front-matter: {msg}")]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SkillFormatError(f"{where}: front-matter: must be a mapping of fields, got {type(data).__name__}", [(where, "front-matter: not a mapping")])
    return data


def read_front_matter(path: Path) -> tuple[dict[str, Any], str]:
    """Front matter (a mapping) and body of a ``SKILL.md`` file, parsed the one way agentmem parses
    SKILL.md (safe YAML with limits); :class:`SkillFormatError` naming the file otherwise. No field
    validation: :func:`parse_skill_dir` validates a whole skill folder."""
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SkillFormatError(f"{where}: cannot read ({type(exc).__name__}: {exc})", [(where, "read")]) from exc
    front, body = split_front_matter(text, where)
    return _yaml_load(front, where), body


def check_name(name: Any) -> str | None:
    """The reason ``name`` breaks the spec's name rules, or None when it is valid."""
    if not isinstance(name, str):
        return f"must be a string, got {type(name).__name__}"
    if not name:
        return "must not be empty"
    if len(name) > NAME_MAX:
        return f"is {len(name)} characters, at most {NAME_MAX} allowed"
    if "/" in name or "\\" in name or name in (".", "..") or name.startswith("."):
        return f"{name!r} looks like a path; a name is lowercase letters, digits and single hyphens"
    if name.startswith("-") or name.endswith("-"):
        return f"{name!r} must not start or end with a hyphen"
    if "--" in name:
        return f"{name!r} must not contain two hyphens in a row"
    if not NAME_RE.match(name):
        return f"{name!r} may only hold lowercase letters, digits and single hyphens"
    return None


def validate_front_matter(data: dict[str, Any], *, where: str, folder_name: str | None) -> list[SkillProblem]:
    """Every spec violation in parsed front matter ``data`` (empty list when valid)."""
    skill = data.get("name") if isinstance(data.get("name"), str) else folder_name
    probs: list[SkillProblem] = []

    def bad(field: str, message: str, severity: Literal["error", "warning"] = "error") -> None:
        probs.append(SkillProblem(path=where, field=field, message=message, skill=skill, severity=severity))

    for key in data:
        if key not in ALLOWED_FIELDS:
            hint = " (agentmem fields go under 'metadata' as strings)" if isinstance(key, str) else ""
            bad(str(key), f"unknown top-level field; allowed: {', '.join(ALLOWED_FIELDS)}{hint}")
    if "name" not in data:
        bad("name", "missing (required)")
    else:
        reason = check_name(data["name"])
        if reason:
            bad("name", reason)
        elif folder_name is not None and data["name"] != folder_name:
            bad("name", f"{data['name']!r} must equal the folder name {folder_name!r}")
    if "description" not in data:
        bad("description", "missing (required)")
    elif not isinstance(data["description"], str):
        bad("description", f"must be a string, got {type(data['description']).__name__}")
    elif not data["description"].strip():
        bad("description", "must not be empty")
    elif len(data["description"]) > DESCRIPTION_MAX:
        bad("description", f"is {len(data['description'])} characters, at most {DESCRIPTION_MAX} allowed")
    for key in ("license", "compatibility", "allowed-tools"):
        if key in data and not isinstance(data[key], str):
            bad(key, f"must be a string, got {type(data[key]).__name__}")
    if isinstance(data.get("compatibility"), str):
        if not data["compatibility"].strip():
            bad("compatibility", "must not be empty when present")
        elif len(data["compatibility"]) > COMPATIBILITY_MAX:
            bad("compatibility", f"is {len(data['compatibility'])} characters, at most {COMPATIBILITY_MAX} allowed")
    if "metadata" in data:
        meta = data["metadata"]
        if not isinstance(meta, dict):
            bad("metadata", f"must be a map of string keys to string values, got {type(meta).__name__}")
        else:
            for k, v in meta.items():
                if not isinstance(k, str):
                    bad(f"metadata.{k}", f"key must be a string, got {type(k).__name__}")
                if not isinstance(v, str):
                    bad(f"metadata.{k}", f"value must be a string, got {type(v).__name__} (quote it: {k}: \"{v}\")")
    return probs


def _scan_files(folder: Path, where: str, skill: str | None) -> tuple[list[str], list[SkillProblem]]:
    files: list[str] = []
    probs: list[SkillProblem] = []
    real_root = folder.resolve()
    for dirpath, dirnames, filenames in os.walk(folder, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in ("__pycache__",))
        for d in list(dirnames):
            p = Path(dirpath) / d
            if p.is_symlink() and not _inside(p.resolve(), real_root):
                probs.append(SkillProblem(path=str(p), field="folder", message="symlink points outside the skill folder", skill=skill))
                dirnames.remove(d)
        for fn in sorted(filenames):
            p = Path(dirpath) / fn
            rel = p.relative_to(folder).as_posix()
            if rel == SKILL_FILE or fn.endswith((".pyc", ".tmp")) or fn == ".DS_Store":
                continue
            if p.is_symlink() and not _inside(p.resolve(), real_root):
                probs.append(SkillProblem(path=str(p), field="folder", message="symlink points outside the skill folder", skill=skill))
                continue
            files.append(rel)
    return sorted(files), probs


def _inside(path: Path, root: Path) -> bool:
    try:
        path.relative_to(root)
        return True
    except ValueError:
        return False


def _check_agentmem_metadata(skill: Skill, where: str) -> list[SkillProblem]:
    probs: list[SkillProblem] = []
    meta = skill.metadata

    def bad(field: str, message: str, path: str = where) -> None:
        probs.append(SkillProblem(path=path, field=field, message=message, skill=skill.name))

    if "kind" in meta and meta["kind"] not in ("knowledge", "playbook"):
        bad("metadata.kind", f"{meta['kind']!r} is not 'knowledge' or 'playbook'")
    if "version" in meta and not re.match(r"\s*\d+", meta["version"]):
        probs.append(SkillProblem(path=where, field="metadata.version", message=f"{meta['version']!r} does not start with a number; agentmem treats it as 1", skill=skill.name, severity="warning"))
    if "state" in meta and meta["state"] not in ("active", "quarantined", "retired"):
        bad("metadata.state", f"{meta['state']!r} is not active, quarantined or retired")
    for key in ("entry", "test"):
        rel = meta.get(key)
        if rel is None:
            continue
        if rel.startswith("/") or ".." in Path(rel).parts:
            bad(f"metadata.{key}", f"{rel!r} must be a path inside the skill folder")
        elif rel not in skill.files:
            bad(f"metadata.{key}", f"script {rel!r} does not exist in the skill folder")
    if skill.kind is SkillKind.playbook:
        if not skill.scripts:
            bad("scripts", "a playbook skill needs at least one file under scripts/ (the entry script is missing)")
        elif skill.entry is None:
            bad("metadata.entry", f"cannot tell which script is the entry among {skill.scripts}; set metadata.entry (or name it scripts/run.py)")
        elif skill.entry in skill.files and Path(skill.entry).suffix not in SCRIPT_SUFFIXES:
            probs.append(SkillProblem(path=where, field="metadata.entry", message=f"{skill.entry!r} is neither .py nor .sh; it will be run directly (needs a shebang and the executable bit)", skill=skill.name, severity="warning"))
    return probs


def parse_skill_text(raw: bytes, *, where: str, folder_name: str | None) -> tuple[Skill | None, list[SkillProblem]]:
    """Parse ``SKILL.md`` bytes into a :class:`Skill` (None when invalid) and its problems."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [SkillProblem(path=where, field="front-matter", message=f"not UTF-8 text ({exc.reason} at byte {exc.start})", skill=folder_name)]
    try:
        yaml_text, body = split_front_matter(text, where)
        data = _yaml_load(yaml_text, where)
    except SkillFormatError as exc:
        msg = str(exc).split(": ", 2)[-1]
        return None, [SkillProblem(path=where, field="front-matter", message=msg, skill=folder_name)]
    probs = validate_front_matter(data, where=where, folder_name=folder_name)
    if any(p.severity == "error" for p in probs):
        return None, probs
    skill = Skill(
        name=data["name"],
        description=data["description"],
        license=data.get("license"),
        compatibility=data.get("compatibility"),
        allowed_tools=data.get("allowed-tools"),  # pyright: ignore[reportCallIssue]  # field name accepted (populate_by_name); pyright sees only the alias
        metadata=dict(data.get("metadata") or {}),
        body=body,
    )
    if not body.strip():
        probs.append(SkillProblem(path=where, field="body", message="empty body (a knowledge skill has nothing to inject)", skill=skill.name, severity="warning"))
    return skill, probs


def parse_skill_dir(folder: Path, *, origin: str = "memory", group: str | None = None, strict: bool = True) -> Skill | None:
    """Load one skill folder; raise :class:`SkillFormatError` (strict) or return None when invalid."""
    skill, probs = load_skill_dir(folder, origin=origin, group=group)
    errors = [p for p in probs if p.severity == "error"]
    if errors and strict:
        raise SkillFormatError(f"skill {folder.name!r} is invalid:\n" + "\n".join(f"  {p}" for p in errors), [(f"{p.path}: {p.field}", p.message) for p in errors])
    return skill if not errors else None


def load_skill_dir(folder: Path, *, origin: str = "memory", group: str | None = None) -> tuple[Skill | None, list[SkillProblem]]:
    """Load one skill folder; return the skill (None when invalid) and every problem found."""
    folder = Path(folder)
    skill_md = folder / SKILL_FILE
    where = str(skill_md)
    if not folder.is_dir():
        return None, [SkillProblem(path=str(folder), field="folder", message="not a folder", skill=folder.name)]
    if not skill_md.is_file():
        return None, [SkillProblem(path=str(folder), field="folder", message=f"no {SKILL_FILE} in the folder", skill=folder.name)]
    try:
        size = skill_md.stat().st_size
        if size > MAX_SKILL_MD_BYTES:
            return None, [SkillProblem(path=where, field="front-matter", message=f"{size} bytes, over the {MAX_SKILL_MD_BYTES}-byte limit for {SKILL_FILE}", skill=folder.name)]
        with open(skill_md, "rb") as fh:
            raw = fh.read(MAX_SKILL_MD_BYTES + 1)
        if len(raw) > MAX_SKILL_MD_BYTES:
            return None, [SkillProblem(path=where, field="front-matter", message=f"over the {MAX_SKILL_MD_BYTES}-byte limit for {SKILL_FILE}", skill=folder.name)]
    except OSError as exc:
        return None, [SkillProblem(path=where, field="front-matter", message=f"cannot read ({exc})", skill=folder.name)]
    skill, probs = parse_skill_text(raw, where=where, folder_name=folder.name)
    files, file_probs = _scan_files(folder, where, skill.name if skill else folder.name)
    probs.extend(file_probs)
    if skill is None:
        return None, probs
    skill.path = folder
    skill.origin = origin  # type: ignore[assignment]
    skill.group = group
    skill.files = files
    skill.remember_raw(raw)
    probs.extend(_check_agentmem_metadata(skill, where))
    if any(p.severity == "error" for p in probs):
        return None, probs
    return skill, probs


def lint_skill_dir(folder: Path) -> list[SkillProblem]:
    """Every problem of one skill folder (errors and warnings)."""
    return load_skill_dir(folder)[1]


# ----- writing ----------------------------------------------------------------------------
def render_skill_md(front: dict[str, Any], body: str) -> bytes:
    """Canonical ``SKILL.md`` bytes: YAML front matter (spec field order, strings quoted as YAML needs) + body."""
    import yaml

    ordered = {k: front[k] for k in ALLOWED_FIELDS if k in front}
    yaml_text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=1_000_000, default_flow_style=False)
    return f"---\n{yaml_text}---\n{body}".encode("utf-8")


def normalise_body(body: str) -> str:
    """Body as agentmem writes it: one blank line after the front matter, one trailing newline."""
    body = body.strip("\n")
    return f"\n{body}\n" if body else ""


def check_skill_for_write(skill: Skill) -> list[SkillProblem]:
    """Validate a skill about to be written (front matter round-trips through the validator)."""
    where = f"{skill.name}/{SKILL_FILE}"
    reason = check_name(skill.name)
    if reason:
        return [SkillProblem(path=where, field="name", message=reason, skill=skill.name)]
    raw = render_skill_md(skill.front_matter(), skill.body) if not skill.is_untouched() else skill.to_markdown()
    parsed, probs = parse_skill_text(raw, where=where, folder_name=skill.name)
    return [p for p in probs if p.severity == "error"]
