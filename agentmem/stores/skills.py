"""Skills store: the public names in one place.

* :mod:`agentmem.stores.skill_format`: the Agent Skills file format (:class:`Skill`, parsing,
  validation, canonical writing, lint of one folder).
* :mod:`agentmem.stores.skill_library`: :class:`SkillLibrary` (loading, search, statistics,
  versioned atomic writes, running playbooks).
* :mod:`agentmem.stores.skill_lint`: :func:`discover`, :func:`lint_paths`, :func:`playbook_test_gate`.
* :mod:`agentmem.stores.skill_versions`, :mod:`agentmem.stores.skill_stats`: folder snapshots
  and the usage/state sidecar.

See ``docs/skills.md``.
"""

from __future__ import annotations

from .skill_format import (
    AGENTMEM_KEYS,
    SKILL_FILE,
    Skill,
    SkillKind,
    SkillProblem,
    check_name,
    lint_skill_dir,
    load_skill_dir,
    parse_skill_dir,
    render_skill_md,
)
from .skill_library import SkillLibrary, skill_to_json
from .skill_lint import WriteGate, discover, lint_paths, playbook_test_gate, run_skill_tests
from .skill_stats import SkillStatsStore
from .skill_versions import SkillVersion, SkillVersions

__all__ = [
    "AGENTMEM_KEYS",
    "SKILL_FILE",
    "Skill",
    "SkillKind",
    "SkillLibrary",
    "SkillProblem",
    "SkillStatsStore",
    "SkillVersion",
    "SkillVersions",
    "WriteGate",
    "check_name",
    "discover",
    "lint_paths",
    "lint_skill_dir",
    "load_skill_dir",
    "parse_skill_dir",
    "playbook_test_gate",
    "render_skill_md",
    "run_skill_tests",
    "skill_to_json",
]
