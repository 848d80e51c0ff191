"""Locate the shipped ``prompts/`` and ``skills/`` folders.

In a wheel they live inside the package (``agentmem/_shipped/...``, see pyproject's
force-include); in a source checkout or editable install they are the repository's top-level
folders next to ``agentmem/``.
"""

from __future__ import annotations

from pathlib import Path

_PKG = Path(__file__).resolve().parent


def shipped_dir(name: str) -> Path:
    """Path of the shipped ``name`` folder (``"prompts"`` or ``"skills"``)."""
    inside = _PKG / "_shipped" / name
    if inside.is_dir():
        return inside
    beside = _PKG.parent / name
    if beside.is_dir():
        return beside
    raise FileNotFoundError(f"shipped folder {name!r} not found in {inside} or {beside}; is agentmem installed correctly?")


def prompts_dir() -> Path:
    return shipped_dir("prompts")


def skills_dir() -> Path:
    return shipped_dir("skills")
