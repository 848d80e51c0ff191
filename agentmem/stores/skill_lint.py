"""Finding and linting skill folders, and the write gate that runs playbook tests.

* :func:`discover` finds every skill folder under a library tree;
* :func:`lint_paths` checks folders, files or whole trees (format, duplicates, optionally
  playbook tests run in the sandbox) and returns one :class:`SkillProblem` per problem;
* :func:`playbook_test_gate` is a :data:`WriteGate` refusing playbooks whose tests fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import ValidationFailed
from .skill_format import SKILL_FILE, Skill, SkillKind, SkillProblem, load_skill_dir

if TYPE_CHECKING:
    from ..sandbox import Sandbox, SandboxLimits

WriteGate = Callable[[Skill], None]
"""A write gate gets the staged skill (its ``path`` is the staged folder) and raises
:class:`~agentmem.errors.ValidationFailed` to refuse the write."""

_HIDDEN = (".", "__pycache__")
_SKILL_LIKE = ("scripts", "references", "assets", "skill.md", "Skill.md")


def discover(root: Path) -> tuple[list[tuple[Path, str | None]], list[SkillProblem]]:
    """Skill folders under ``root`` as ``(folder, group)`` pairs, plus folders that look like
    skills but lack ``SKILL.md``. ``root`` may itself be a skill folder."""
    root = Path(root)
    if (root / SKILL_FILE).is_file():
        return [(root, None)], []
    found: list[tuple[Path, str | None]] = []
    probs: list[SkillProblem] = []
    if not root.is_dir():
        return found, probs
    for dirpath, dirnames, filenames in os.walk(root):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(_HIDDEN))
        if here == root:
            continue
        if SKILL_FILE in filenames:
            rel_parent = here.parent.relative_to(root).as_posix()
            found.append((here, None if rel_parent == "." else rel_parent))
            dirnames[:] = []  # a skill's own subfolders are not skills
        elif any(n in dirnames or n in filenames for n in _SKILL_LIKE):
            probs.append(SkillProblem(path=str(here), field="folder", message=f"looks like a skill but has no {SKILL_FILE}", skill=here.name))
            dirnames[:] = []
    return found, probs


def lint_paths(paths: Iterable[Path], *, sandbox: "Sandbox | None" = None, run_tests: bool = False, allow_empty: bool = False) -> list[SkillProblem]:
    """Lint every skill under ``paths`` (files, skill folders or library trees).

    Reports format errors, warnings, duplicate names inside one tree, and (with
    ``run_tests``) failing playbook tests, run in ``sandbox``. A path holding no skill at all
    is an error unless ``allow_empty`` (used when linting the whole library).
    """
    problems: list[SkillProblem] = []
    for path in paths:
        path = Path(path)
        if path.is_file() and path.name == SKILL_FILE:
            path = path.parent
        if not path.exists():
            problems.append(SkillProblem(path=str(path), field="folder", message="does not exist"))
            continue
        folders, probs = discover(path)
        problems.extend(probs)
        if not folders and not probs and not allow_empty:
            problems.append(SkillProblem(path=str(path), field="folder", message=f"no {SKILL_FILE} found under this path"))
        seen: dict[str, Path] = {}
        for folder, _group in folders:
            skill, probs = load_skill_dir(folder)
            problems.extend(probs)
            if skill is None:
                continue
            if skill.name in seen:
                problems.append(SkillProblem(path=str(folder / SKILL_FILE), field="name", message=f"duplicate skill name, also at {seen[skill.name]}", skill=skill.name))
            seen.setdefault(skill.name, folder)
            if run_tests and skill.kind is SkillKind.playbook:
                problems.extend(run_skill_tests(skill, sandbox))
    return problems


def run_skill_tests(skill: Skill, sandbox: "Sandbox | None" = None, limits: "SandboxLimits | None" = None) -> list[SkillProblem]:
    """Run a playbook's test scripts in the sandbox; one problem per failing (or missing) test."""
    from ..sandbox import SubprocessSandbox

    sandbox = sandbox or SubprocessSandbox()
    probs: list[SkillProblem] = []
    assert skill.path is not None
    for test in skill.tests:
        where = str(skill.path / test)
        if test not in skill.files:
            probs.append(SkillProblem(path=where, field="test", message="test script does not exist", skill=skill.name))
            continue
        result = sandbox.run(test, [], root=skill.path, limits=limits)
        if not result.ok:
            tail = (result.stderr.strip() or result.stdout.strip()).splitlines()[-3:]
            probs.append(SkillProblem(path=where, field="test", message=f"failed ({result.describe()}): {' | '.join(tail)}", skill=skill.name))
    return probs


def playbook_test_gate(sandbox: "Sandbox | None" = None, limits: "SandboxLimits | None" = None) -> WriteGate:
    """A write gate that refuses a playbook whose test scripts fail (Memento's unit-test gate)."""

    def gate(skill: Skill) -> None:
        if skill.kind is not SkillKind.playbook:
            return
        probs = run_skill_tests(skill, sandbox, limits)
        if probs:
            raise ValidationFailed(f"skill {skill.name!r}: tests failed:\n" + "\n".join(f"  {p}" for p in probs), [(f"{p.path}: {p.field}", p.message) for p in probs])

    return gate
