"""The ARC transform library: playbook skills whose entry script exposes grid transforms.

A transform skill is an Agent Skills folder ``<name>/SKILL.md`` with ``metadata.kind:
playbook``, ``metadata.domain: arc`` and ``metadata.entry: scripts/transform.py``; the script
defines ``transform(grid, **params)``, a ``PARAMS`` list of settings worth trying and, where
parameters are learned from examples, ``fit(train_pairs) -> list[params]``. Optional metadata
``shape`` and ``colors`` (``same`` or ``changes``) let the search prune.

Shipped transforms (``skills/arc``) are trusted code and load in-process (the search itself
runs in a worker subprocess). Learned compositions are loaded the same way inside the search
worker; on their own they are executed through the sandbox seam (:mod:`.runner`).

This module parses only what the solver needs; the general skill loader and linter live in
the skills store.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from agentmem.errors import SkillFormatError
from agentmem.resources import skills_dir

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*\n?(.*)\Z", re.S)


def read_skill_md(path: Path) -> tuple[dict[str, Any], str]:
    """Front matter and body of a SKILL.md; :class:`SkillFormatError` naming the file otherwise."""
    import yaml

    text = path.read_text(encoding="utf-8")
    m = _FRONT.match(text)
    if not m:
        raise SkillFormatError(f"{path}: no YAML front matter (--- ... ---)", [(str(path), "front matter")])
    try:
        meta = yaml.safe_load(m.group(1)) or {}
    except yaml.YAMLError as exc:
        raise SkillFormatError(f"{path}: front matter is not YAML ({exc})", [(str(path), "front matter")]) from exc
    if not isinstance(meta, dict):
        raise SkillFormatError(f"{path}: front matter must be a mapping", [(str(path), "front matter")])
    return meta, m.group(2)


@dataclass
class Transform:
    """One loaded transform skill."""

    name: str
    module: ModuleType
    path: Path
    shape: str = "changes"
    colors: str = "changes"
    learned: bool = False
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def params(self) -> list[dict[str, Any]]:
        return list(getattr(self.module, "PARAMS", []) or [])

    @property
    def can_fit(self) -> bool:
        return callable(getattr(self.module, "fit", None))

    def apply(self, grid: Any, params: dict[str, Any]) -> Any:
        return self.module.transform(grid, **params)

    def fit(self, pairs: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
        return list(self.module.fit(pairs) or [])


def _load_module(name: str, path: Path) -> ModuleType:
    mod_name = f"agentmem_arc_skill_{re.sub(r'[^a-z0-9_]', '_', name)}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    if spec is None or spec.loader is None:
        raise SkillFormatError(f"{path}: cannot load as a Python module", [(str(path), "entry")])
    module = importlib.util.module_from_spec(spec)
    sys.modules[mod_name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:  # a broken script is a malformed skill
        raise SkillFormatError(f"{path}: failed to import ({type(exc).__name__}: {exc})", [(str(path), "entry")]) from exc
    if not callable(getattr(module, "transform", None)):
        raise SkillFormatError(f"{path}: defines no transform(grid, **params)", [(str(path), "transform")])
    return module


def load_transforms(folder: Path, *, learned: bool = False) -> list[Transform]:
    """Every ARC playbook skill directly under ``folder`` (sorted by name)."""
    out = []
    if not folder.is_dir():
        return out
    for skill_md in sorted(folder.glob("*/SKILL.md")):
        meta, _ = read_skill_md(skill_md)
        md = {str(k): str(v) for k, v in (meta.get("metadata") or {}).items()}
        if md.get("kind") != "playbook" or md.get("domain") != "arc":
            continue
        name = str(meta.get("name") or skill_md.parent.name)
        entry = skill_md.parent / md.get("entry", "scripts/transform.py")
        out.append(Transform(name=name, module=_load_module(name, entry), path=skill_md.parent, shape=md.get("shape", "changes"),
                             colors=md.get("colors", "changes"), learned=learned, metadata=md))
    return out


def shipped_arc_dir() -> Path:
    return skills_dir() / "arc"


class TransformLibrary:
    """Shipped transforms plus, optionally, a folder of learned compositions."""

    def __init__(self, shipped: Path | None = None, learned: Path | None = None) -> None:
        self.shipped_dir = shipped or shipped_arc_dir()
        self.learned_dir = learned
        self.primitives = load_transforms(self.shipped_dir)
        self.learned = load_transforms(learned, learned=True) if learned else []
        self.by_name = {t.name: t for t in self.primitives + self.learned}

    @property
    def all(self) -> list[Transform]:
        return self.primitives + self.learned

    def __len__(self) -> int:
        return len(self.primitives) + len(self.learned)
