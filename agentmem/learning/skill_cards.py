"""The small skill interface the learners depend on: a skill is ``(name, description, body)``.

The skill router and MemSkill only need a skill's name, its description and its markdown body.
:class:`SkillCard` is that triple; anything with those three attributes (such as the
``SkillLibrary``'s own skill objects) satisfies :class:`SkillLike` and can be passed instead.

There is one implementation of the Agent Skills format, in :mod:`agentmem.stores.skill_format`
(parsing, name rules, validation) and :mod:`agentmem.stores.skill_lint` (finding skill folders).
:func:`read_skill_file`, :func:`scan_skill_folders` and :func:`check_name` here are thin views
of it that return cards: a folder that breaks the format is reported in the returned problems
and skipped; it never stops the others from loading.

Example::

    cards, problems = scan_skill_folders([skills_dir() / "memory"])
    [c.name for c in cards]   # ['delete-memory', 'insert-memory', ...]
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from ..errors import SkillFormatError
from ..stores import skill_format as _fmt
from ..stores.skill_format import NAME_RE  # noqa: F401  (re-exported for callers of the old module)

@runtime_checkable
class SkillLike(Protocol):
    name: str
    description: str
    body: str


class SkillCard(BaseModel):
    """One skill as the learners see it."""

    name: str
    description: str
    body: str = ""
    metadata: dict[str, str] = Field(default_factory=dict, description="The front matter's `metadata` map (strings).")
    path: Path | None = Field(default=None, description="The SKILL.md it was read from, if any.")

    @property
    def route_text(self) -> str:
        """What routing indexes: ``name | description``."""
        return f"{self.name} | {self.description}"


def as_card(skill: Any) -> SkillCard:
    """A :class:`SkillCard` from a card, or from any object with name/description/body attributes.

    A library :class:`~agentmem.stores.skill_format.Skill` (whose ``path`` is its folder) gives a
    card whose ``path`` is its ``SKILL.md``.
    """
    if isinstance(skill, SkillCard):
        return skill
    meta = getattr(skill, "metadata", None) or {}
    path = getattr(skill, "skill_file", None) or getattr(skill, "path", None)
    return SkillCard(
        name=str(skill.name),
        description=str(skill.description).strip(),
        body=str(getattr(skill, "body", "") or "").lstrip("\n"),
        metadata={str(k): str(v) for k, v in dict(meta).items()} if isinstance(meta, dict) else {},
        path=path,
    )


def check_name(name: str, where: str = "name") -> None:
    """Raise :class:`SkillFormatError` when ``name`` is not a valid Agent Skills name.

    The rules are :func:`agentmem.stores.skill_format.check_name`'s; the message says why.
    """
    reason = _fmt.check_name(name)
    if reason:
        raise SkillFormatError(f"{where}: {name!r} is not a valid skill name ({reason})", [(where, "invalid name")])


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """Split ``---`` YAML front matter from the markdown body; raise naming ``where`` if malformed."""
    yaml_text, body = _fmt.split_front_matter(text, where)
    return _fmt._yaml_load(yaml_text, where), body.lstrip("\n")


def read_skill_file(path: str | Path) -> SkillCard:
    """Read one ``<name>/SKILL.md`` as the skill library does; raise :class:`SkillFormatError` naming the file and field."""
    p = Path(path)
    skill = _fmt.parse_skill_dir(p.parent if p.name == _fmt.SKILL_FILE else p, strict=True)
    assert skill is not None  # strict parsing raises instead
    return as_card(skill)


def scan_skill_folders(roots: Iterable[str | Path]) -> tuple[list[SkillCard], list[str]]:
    """Every valid skill under ``roots`` (first root wins on a name clash) and one line per error."""
    from ..stores.skill_lint import discover

    cards: dict[str, SkillCard] = {}
    problems: list[str] = []
    for root in roots:
        r = Path(root)
        if not r.is_dir():
            continue
        folders, probs = discover(r)
        problems.extend(str(p) for p in probs if p.severity == "error")
        for folder, group in folders:
            skill, probs = _fmt.load_skill_dir(folder, group=group)
            problems.extend(str(p) for p in probs if p.severity == "error")
            if skill is not None:
                cards.setdefault(skill.name, as_card(skill))
    return sorted(cards.values(), key=lambda c: c.name), problems
