"""MemSkill (arXiv 2602.02474): learned memory skills with a controller, an executor and a designer.

* :mod:`.bank` -- memory skills as Agent Skills folders, their usage stats, snapshots and rollback.
* :mod:`.chunker` -- spans of about 512 estimated tokens (characters / 4) with 64 overlap.
* :mod:`.executor` -- one LLM call applies the selected skills to a span; typed operations on the fact store.
* :mod:`.controller` -- the torch policy that picks the top-K skills, trained with PPO from delayed rewards.
* :mod:`.designer` -- hard-case pool, clustering, LLM-proposed skill refinements, evolution with rollback.
* :mod:`.pipeline` -- the pieces wired together over a conversation.
* :mod:`.synthetic` -- a task with known best skills, for tests and the controller benchmark.

Heavy libraries (torch) are imported inside the functions that need them.
"""

from .bank import ACTION_TYPES, MemorySkill, MemorySkillBank, MemSkillStats, SkillSections, SnapshotInfo
from .chunker import Span, chunk_text, estimate_tokens

__all__ = ["ACTION_TYPES", "MemSkillStats", "MemorySkill", "MemorySkillBank", "SkillSections", "SnapshotInfo", "Span", "chunk_text", "estimate_tokens"]
