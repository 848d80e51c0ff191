"""The ARC transform library: playbook skills whose entry script exposes grid transforms.

A transform skill is an Agent Skills folder ``<name>/SKILL.md`` with ``metadata.kind:
playbook``, ``metadata.domain: arc`` and ``metadata.entry: scripts/transform.py``; the script
defines ``transform(grid, **params)``, a ``PARAMS`` list of settings worth trying and, where
parameters are learned from examples, ``fit(train_pairs) -> list[params]``. Optional metadata
``shape`` and ``colors`` (``same`` or ``changes``) let the search prune.

Learned compositions written through the reflective controller (:mod:`.sleep`) live in the
home's skill library; their ARC metadata sits in ``references/composition.json`` (the
controller's ``add_skill`` writes agentmem's own provenance fields into ``metadata``), and
``only`` restricts loading to the skills the library lists as active (not quarantined or
retired).

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

def read_skill_md(path: Path) -> tuple[dict[str, Any], str]:
    """Front matter and body of a SKILL.md, through the one SKILL.md parser
    (:func:`agentmem.stores.skill_format.read_front_matter`); :class:`SkillFormatError` naming the file otherwise."""
    from agentmem.stores.skill_format import read_front_matter

    return read_front_matter(path)


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

    def fit(self, pairs: list[tuple[Any, Any]], hint: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """Fitted settings on ``pairs``; ``hint``: a fixed slot's parameters, of which those the module names in
        ``FIT_HINT`` restrict its fit (a learned member of a family, e.g. ``cell-lookup``' feature subset)."""
        keys = getattr(self.module, "FIT_HINT", ()) or ()
        kw = {k: hint[k] for k in keys if hint and k in hint}
        return list(self.module.fit(pairs, **kw) or [])


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


COMPOSITION_FILE = "references/composition.json"


def _arc_metadata(skill_md: Path, meta: dict[str, Any]) -> dict[str, str] | None:
    """ARC metadata of a skill: its front-matter ``metadata`` (shipped transforms) or, for a
    composition learned through the controller, ``references/composition.json``."""
    md = {str(k): str(v) for k, v in (meta.get("metadata") or {}).items()}
    if md.get("kind") == "playbook" and md.get("domain") == "arc":
        return md
    comp = skill_md.parent / COMPOSITION_FILE
    if comp.is_file():
        import json

        try:
            info = json.loads(comp.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise SkillFormatError(f"{comp}: not JSON ({exc})", [(str(comp), "json")]) from exc
        if info.get("domain") == "arc":
            return {**md, "kind": "playbook", "domain": "arc", "entry": str(info.get("entry", "scripts/transform.py")),
                    "shape": str(info.get("shape", "changes")), "colors": str(info.get("colors", "changes"))}
    return None


def load_transforms(folder: Path, *, learned: bool = False, only: set[str] | None = None) -> list[Transform]:
    """Every ARC playbook skill directly under ``folder`` (sorted by name); ``only``: just these names."""
    out = []
    if not folder.is_dir():
        return out
    for skill_md in sorted(folder.glob("*/SKILL.md")):
        if only is not None and skill_md.parent.name not in only:
            continue
        if (skill_md.parent / COMPOSITION_FILE).is_file():
            continue  # a learned composition: load_compositions builds it without executing its script
        meta, _ = read_skill_md(skill_md)
        md = _arc_metadata(skill_md, meta)
        if md is None:
            continue
        name = str(meta.get("name") or skill_md.parent.name)
        entry = skill_md.parent / md.get("entry", "scripts/transform.py")
        out.append(Transform(name=name, module=_load_module(name, entry), path=skill_md.parent, shape=md.get("shape", "changes"),
                             colors=md.get("colors", "changes"), learned=learned, metadata=md))
    return out


def _composite_module(name: str, steps: list[dict[str, Any]], prims: dict[str, Transform], parameterised: bool = False) -> ModuleType:
    """A module-like namespace running ``steps`` over the shipped ``prims`` (no learned code is executed).

    ``parameterised``: only the skill sequence is fixed; the search (:mod:`.search`) enumerates each
    step's settings per task from ``STEPS`` and ``PARAMETERISED`` (the functions here run the stored
    parameters, which a parameterised composition leaves empty)."""
    import numpy as np

    mod = ModuleType(f"agentmem_arc_composition_{re.sub(r'[^a-z0-9_]', '_', name)}")
    fits = bool(steps) and bool(steps[-1].get("fit"))

    def run(grid: Any, seq: list[dict[str, Any]]) -> Any:
        g = np.asarray(grid)
        for s in seq:
            g = np.asarray(prims[s["skill"]].apply(g, s["params"]))
        return g

    def transform(grid: Any, last: dict[str, Any] | None = None) -> Any:
        seq = [dict(s) for s in steps]
        if last is not None:
            seq[-1] = dict(seq[-1], params=last)
        return run(grid, seq)

    def fit(train_pairs: list[tuple[Any, Any]]) -> list[dict[str, Any]]:
        mids = [(run(i, steps[:-1]), np.asarray(o)) for i, o in train_pairs]
        return [{"last": p} for p in prims[steps[-1]["skill"]].fit(mids, steps[-1].get("params"))]

    mod.STEPS = [dict(s) for s in steps]  # type: ignore[attr-defined]
    mod.PARAMETERISED = parameterised  # type: ignore[attr-defined]
    mod.transform = transform  # type: ignore[attr-defined]
    mod.PARAMS = [] if fits else [{}]  # type: ignore[attr-defined]
    if fits:
        mod.fit = fit  # type: ignore[attr-defined]
    return mod


def load_compositions(folder: Path, prims: dict[str, Transform], *, only: set[str] | None = None) -> list[Transform]:
    """Learned compositions under ``folder`` (``references/composition.json``), built over the shipped
    transforms in-process; their own scripts (for the sandbox and other tools) are not executed here."""
    import json

    out: list[Transform] = []
    if not folder.is_dir():
        return out
    for comp in sorted(folder.glob(f"*/{COMPOSITION_FILE}")):
        name = comp.parent.parent.name
        if only is not None and name not in only:
            continue
        try:
            info = json.loads(comp.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise SkillFormatError(f"{comp}: not JSON ({exc})", [(str(comp), "json")]) from exc
        if info.get("domain") != "arc":
            continue
        steps = info.get("steps") or []
        unknown = sorted({str(s.get("skill")) for s in steps} - set(prims))
        if not steps or unknown:
            raise SkillFormatError(f"{comp}: steps must name shipped transforms (unknown: {unknown or 'no steps'})", [(str(comp), "steps")])
        md = {"kind": "playbook", "domain": "arc", "shape": str(info.get("shape", "changes")), "colors": str(info.get("colors", "changes")),
              "origin": "learned"}
        out.append(Transform(name=name, module=_composite_module(name, steps, prims, bool(info.get("parameterised"))), path=comp.parent.parent, shape=md["shape"],
                             colors=md["colors"], learned=True, metadata=md))
    return out


def shipped_arc_dir() -> Path:
    return skills_dir() / "arc"


class TransformLibrary:
    """Shipped transforms plus, optionally, a folder of learned compositions."""

    def __init__(self, shipped: Path | None = None, learned: Path | None = None, *, only: set[str] | None = None) -> None:
        self.shipped_dir = shipped or shipped_arc_dir()
        self.learned_dir = learned
        self.primitives = load_transforms(self.shipped_dir)
        prims = {t.name: t for t in self.primitives}
        composed = load_compositions(learned, prims, only=only) if learned else []
        scripted = [t for t in (load_transforms(learned, learned=True, only=only) if learned else []) if t.name not in {c.name for c in composed}]
        self.learned = composed + scripted
        self.by_name = {t.name: t for t in self.primitives + self.learned}

    @property
    def all(self) -> list[Transform]:
        return self.primitives + self.learned

    def __len__(self) -> int:
        return len(self.primitives) + len(self.learned)
