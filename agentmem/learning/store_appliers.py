"""Edit appliers for the real stores, and the plugin functions that open them for the controller.

* :class:`SkillApplier`: ``add_skill`` / ``revise_skill`` on the
  :class:`~agentmem.stores.skill_library.SkillLibrary` (validation and the library's own write
  gates run as a dry run in ``check``; learned provenance and trust go into the skill's
  ``metadata``; a quarantined playbook is written, then set ``quarantined`` in the sidecar).
* :func:`skill_test_verifier`: a verifier for ``ReflectiveController.verify_quarantined`` that
  runs a playbook's test scripts in the sandbox.
* ``open_*`` functions: ``(store, applier, opener)`` for :data:`agentmem.learning.wiring.STORE_PLUGINS`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import AgentmemError
from ..types import Lifecycle

_SKILL_FOLDERS = ("scripts", "references", "assets")


def _skill_meta(edit: Any) -> dict[str, str]:
    prov = edit.provenance
    meta = {"trust": str(getattr(edit.trust, "value", edit.trust)), "edit_id": edit.edit_id, "reason": edit.reason[:300]}
    if prov.run_id:
        meta["run_id"] = prov.run_id
    if prov.task_id:
        meta["task_id"] = prov.task_id
    if edit.proposer:
        meta["proposer"] = edit.proposer
    return meta


def _split_files(files: dict[str, str]) -> tuple[dict[str, dict[str, str]], list[str]]:
    out: dict[str, dict[str, str]] = {k: {} for k in _SKILL_FOLDERS}
    bad = []
    for rel, text in files.items():
        head, _, rest = rel.replace("\\", "/").partition("/")
        if head not in _SKILL_FOLDERS or not rest:
            bad.append(rel)
        else:
            out[head][rest] = text
    return out, bad


class SkillApplier:
    """``add_skill`` and ``revise_skill`` for a :class:`~agentmem.stores.skill_library.SkillLibrary`."""

    kinds = frozenset({"add_skill", "revise_skill"})

    def check(self, edit: Any, lib: Any) -> list[str]:
        try:
            if edit.kind == "add_skill":
                if lib.find(edit.name) is not None:
                    return [f"skills/{edit.name}: duplicate (a skill with this name exists; propose revise_skill)"]
                groups, bad = _split_files(edit.files)
                if bad:
                    return [f"skills/{edit.name}: files {bad} must be under scripts/, references/ or assets/"]
                lib.create(edit.name, edit.description, edit.body, source="learned", metadata=_skill_meta(edit), note=edit.reason, dry_run=True, **groups)
            else:
                if lib.find(edit.item_id) is None:
                    return [f"skills/{edit.item_id}: no such skill to revise"]
                if edit.body is None and edit.description is None:
                    return [f"skills/{edit.item_id}: revise_skill changes nothing (no body or description)"]
                lib.revise(edit.item_id, description=edit.description, body=edit.body, metadata=_skill_meta(edit), note=edit.reason, dry_run=True)
        except AgentmemError as exc:
            return [f"skills/{getattr(edit, 'item_id', '?')}: {exc}"]
        return []

    def apply(self, edit: Any, lib: Any, *, state: Lifecycle) -> list[str]:
        if edit.kind == "add_skill":
            groups, _ = _split_files(edit.files)
            skill = lib.create(edit.name, edit.description, edit.body, source="learned", metadata=_skill_meta(edit), note=edit.reason or "learned", **groups)
        else:
            skill = lib.revise(edit.item_id, description=edit.description, body=edit.body, metadata=_skill_meta(edit), note=edit.reason or "revised")
        if state != Lifecycle.active:
            lib.set_state(skill.name, state)
        return [skill.name]


def skill_test_verifier(lib: Any, sandbox: Any = None) -> Any:
    """``verifier(record) -> bool``: True when the skill is a playbook whose test scripts all pass."""
    from ..stores.skill_format import SkillKind
    from ..stores.skill_lint import run_skill_tests

    def verify(record: Any) -> bool:
        if record.store != lib.name:
            return False
        skill = lib.find(record.id)
        if skill is None or skill.kind is not SkillKind.playbook or not skill.tests:
            return False
        return not run_skill_tests(skill, sandbox)

    return verify


def open_skills(settings: Any) -> tuple[Any, Any, Any] | None:
    """The home's skill library, its applier, and an opener that re-opens it on a copied root (dry runs)."""
    try:
        from ..stores.skill_library import SkillLibrary
    except ImportError:  # pragma: no cover - the skills slice is part of agentmem
        return None

    def opener(root: Path) -> Any:
        # a dry-run copy lives at <tmp>/skills: a library whose home is <tmp> reads and writes there
        return SkillLibrary(settings.model_copy(update={"home": Path(root).parent}))

    return SkillLibrary(settings), SkillApplier(), opener
