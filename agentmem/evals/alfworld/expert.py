"""alfworld's handcoded expert, bridged to the game files' command dialect.

alfworld 0.4.2's handcoded expert (``HandCodedTWAgent``) speaks the json_2.1.3 grammar:
it proposes ``move <obj> to <recep>`` and checks for that command among the admissible ones.
The json_2.1.1 game files we evaluate on (see ``/work/shared/data/README.md``) say
``put <obj> in/on <recep>`` instead. alfworld's own ``AlfredExpert`` wrapper drops every
proposal that is not admissible and plans ``look``; the expert then falls back to a
*random* admissible command, so through that wrapper it wanders and often fails on these
files. :class:`HandcodedExpert` does what the wrapper does (observe the first feedback,
propose the expert's next action after each step) with a two-way translation of that one
command, and keeps the expert's random tie-breaks on a private, per-game seeded stream, so
runs are reproducible and do not disturb the global ``random`` state.
"""

from __future__ import annotations

import random
import re
import threading
from typing import Any

_PUT = re.compile(r"^put (.+?) in/on (.+)$")
_MOVE = re.compile(r"^move (.+?) to (.+)$")
_RANDOM_LOCK = threading.Lock()


def to_expert_dialect(command: str) -> str:
    """``put X in/on Y`` -> ``move X to Y`` (other commands unchanged)."""
    m = _PUT.match(command)
    return f"move {m.group(1)} to {m.group(2)}" if m else command


def to_game_dialect(command: str, admissible: list[str]) -> str:
    """``move X to Y`` -> ``put X in/on Y`` when that is what the game accepts (else unchanged)."""
    m = _MOVE.match(command)
    if m:
        put = f"put {m.group(1)} in/on {m.group(2)}"
        if put in admissible or command not in admissible:
            return put
    return command


class _StateView(dict):
    """The game state as the expert should see it: admissible commands in its dialect."""


class HandcodedExpert:
    """Next-action oracle for one game: ``start(state)`` after reset, ``next(state, last_command)`` after each step."""

    def __init__(self, gamefile: str, seed: int | str = 0, max_steps: int = 200) -> None:
        from alfworld.agents.expert import HandCodedTWAgent

        self._agent = HandCodedTWAgent(max_steps=max_steps)
        self._agent.reset(gamefile)
        rng = random.Random(f"{seed}:{gamefile}")
        self._rng_state = rng.getstate()
        self.failed: str | None = None

    def start(self, state: Any) -> list[str]:
        """The plan after reset (the expert first looks around, as alfworld's wrapper does)."""
        self._agent.observe(state["feedback"])
        return ["look"]

    def next(self, state: Any, last_command: str) -> list[str]:
        """The expert's next action in the game's dialect ([] when it has none or gave up)."""
        if self.failed:
            return []
        admissible = list(state.get("admissible_commands") or [])
        view = _StateView(state)
        view["admissible_commands"] = [to_expert_dialect(c) for c in admissible]
        try:
            with _RANDOM_LOCK:
                saved = random.getstate()
                random.setstate(self._rng_state)
                try:
                    action = self._agent.act(view, 0, bool(state.get("won")), last_command)
                finally:
                    self._rng_state = random.getstate()
                    random.setstate(saved)
        except Exception as exc:  # the expert raises on timeout or when its subgoals run out
            self.failed = f"{type(exc).__name__}: {exc}"
            return []
        if not action:
            return []
        action = to_game_dialect(str(action), admissible)
        return [action] if action in admissible else []
