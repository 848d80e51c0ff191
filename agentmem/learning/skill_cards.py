"""The small skill interface the learners depend on: a skill is ``(name, description, body)``.

The skill router and MemSkill only need a skill's name, its description and its markdown body.
:class:`SkillCard` is that triple; anything with those three attributes (such as the
``SkillLibrary``'s own skill objects) satisfies :class:`SkillLike` and can be passed instead.

:func:`scan_skill_folders` reads ``<root>/**/<name>/SKILL.md`` files in the public Agent Skills
format (YAML front matter with ``name`` and ``description``, optional ``license``,
``compatibility``, ``allowed-tools``, ``metadata``), enough for the learners to run before the
full skill library is wired in. A folder that breaks the format is reported in the returned
problems and skipped; it never stops the others from loading.

Example::

    cards, problems = scan_skill_folders([skills_dir() / "memory"])
    [c.name for c in cards]   # ['delete-memory', 'insert-memory', ...]
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, Field

from ..errors import SkillFormatError

NAME_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
"""Agent Skills names: lowercase letters and digits, single inner hyphens, 1-64 characters."""


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
    path: Path | None = Field(None, description="The SKILL.md it was read from, if any.")

    @property
    def route_text(self) -> str:
        """What routing indexes: ``name | description``."""
        return f"{self.name} | {self.description}"


def as_card(skill: Any) -> SkillCard:
    """A :class:`SkillCard` from a card, or from any object with name/description/body attributes."""
    if isinstance(skill, SkillCard):
        return skill
    meta = getattr(skill, "metadata", None) or {}
    return SkillCard(
        name=str(skill.name),
        description=str(skill.description),
        body=str(getattr(skill, "body", "") or ""),
        metadata={str(k): str(v) for k, v in dict(meta).items()} if isinstance(meta, dict) else {},
        path=getattr(skill, "path", None),
    )


def check_name(name: str, where: str = "name") -> None:
    """Raise :class:`SkillFormatError` when ``name`` is not a valid Agent Skills name."""
    if not isinstance(name, str) or not 1 <= len(name) <= 64 or not NAME_RE.match(name):
        raise SkillFormatError(
            f"{where}: {name!r} is not a valid skill name (1-64 chars: lowercase letters, digits, single inner hyphens)",
            [(where, "invalid name")],
        )


def split_front_matter(text: str, where: str) -> tuple[dict[str, Any], str]:
    """Split ``---`` YAML front matter from the markdown body; raise naming ``where`` if malformed."""
    import yaml

    if not text.startswith("---"):
        raise SkillFormatError(f"{where}: missing YAML front matter (the file must start with '---')", [(where, "front matter")])
    parts = text.split("\n---", 1)
    if len(parts) != 2:
        raise SkillFormatError(f"{where}: front matter is not closed by a '---' line", [(where, "front matter")])
    head = parts[0][3:]
    body = parts[1].split("\n", 1)[1] if "\n" in parts[1] else ""
    try:
        data = yaml.safe_load(head) or {}
    except yaml.YAMLError as exc:
        raise SkillFormatError(f"{where}: front matter is not valid YAML ({exc})", [(where, "front matter")]) from exc
    if not isinstance(data, dict):
        raise SkillFormatError(f"{where}: front matter must be a mapping", [(where, "front matter")])
    return data, body.lstrip("\n")


def read_skill_file(path: str | Path) -> SkillCard:
    """Read one ``SKILL.md``; raise :class:`SkillFormatError` naming the file and field."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SkillFormatError(f"{p}: cannot read ({exc})", [(str(p), "file")]) from exc
    data, body = split_front_matter(text, str(p))
    name = data.get("name")
    check_name(name, f"{p}: name")
    if name != p.parent.name:
        raise SkillFormatError(f"{p}: name {name!r} must equal the folder name {p.parent.name!r}", [(f"{p}: name", "folder")])
    desc = data.get("description")
    if not isinstance(desc, str) or not 1 <= len(desc.strip()) <= 1024:
        raise SkillFormatError(f"{p}: description must be a string of 1-1024 characters", [(f"{p}: description", "length")])
    meta = data.get("metadata") or {}
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise SkillFormatError(f"{p}: metadata must map strings to strings", [(f"{p}: metadata", "type")])
    return SkillCard(name=name, description=desc.strip(), body=body, metadata=meta, path=p)


def scan_skill_folders(roots: Iterable[str | Path]) -> tuple[list[SkillCard], list[str]]:
    """Every valid skill under ``roots`` (first root wins on a name clash) and one line per problem."""
    cards: dict[str, SkillCard] = {}
    problems: list[str] = []
    for root in roots:
        r = Path(root)
        if not r.is_dir():
            continue
        for f in sorted(r.rglob("SKILL.md")):
            if any(part.startswith(".") for part in f.relative_to(r).parts):
                continue  # history and snapshot folders
            try:
                card = read_skill_file(f)
            except SkillFormatError as exc:
                problems.append(str(exc))
                continue
            cards.setdefault(card.name, card)
    return sorted(cards.values(), key=lambda c: c.name), problems
