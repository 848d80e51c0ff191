"""A :class:`~agentmem.evals.alfworld.env.TextWorldGame` that translates each game's PDDL once.

textworld's PDDL environment builds the game's planning state (a fast-downward translation,
about a second of CPU) in ``load`` and again in ``reset``. An episode here is always one
``load`` followed by one ``reset``, so :class:`OnceTranslatedGame` lets that first ``reset``
reuse the fresh state ``load`` built (later resets translate as usual). It swaps the
PDDL module's ``PddlState`` constructor for the duration of the reset, under a lock, so use
it in processes that play one game at a time per thread (the benchmark's workers), not
with threads sharing games. The games play identically (a test compares transcripts).
"""

from __future__ import annotations

import threading
import types
from typing import Any

from agentmem.evals.alfworld.env import GameState, TextWorldGame

_LOCK = threading.Lock()


class OnceTranslatedGame(TextWorldGame):
    def load(self, gamefile: str) -> None:
        super().load(gamefile)
        self._fresh = True

    def reset(self) -> GameState:
        inner: Any = self._env
        while inner is not None and not hasattr(inner, "_pddl_state") and hasattr(inner, "_wrapped_env"):
            inner = inner._wrapped_env
        fresh = getattr(inner, "_pddl_state", None)
        if not getattr(self, "_fresh", False) or fresh is None:
            return super().reset()
        self._fresh = False
        import textworld.envs.pddl.pddl as tw_pddl

        real = tw_pddl.pddl_logic
        shim = types.SimpleNamespace(**{k: getattr(real, k) for k in dir(real) if not k.startswith("__")})
        shim.PddlState = lambda *args, **kwargs: fresh
        with _LOCK:
            tw_pddl.pddl_logic = shim
            try:
                return super().reset()
            finally:
                tw_pddl.pddl_logic = real
