"""A :class:`~agentmem.evals.alfworld.env.TextWorldGame` that skips TextWorld's repeated pure work.

Where an ALFWorld episode's CPU goes in TextWorld's PDDL engine (profiled on training games):
translating the game's PDDL to a planning task (fast-downward, twice per state: once as the
game, once optimised for re-planning), parsing the same grammar strings with TatSu at every
text derivation (every observation and every admissible command, every step), parsing the
same condition queries, and deep-copying the derivation context for every symbol.

All of these are pure functions of their text, so :func:`speed_up_textworld` memoises them
(process-wide, idempotent):

* the grammar and condition parsers (``textgen._parse_and_convert``, the game-logic parser,
  ``Rule.parse_conjunctive_query``): cached per input string (the text-grammar result is
  copied on each use, because derivation sets contexts on its symbols);
* ``fast_downward.pddl2sas``: cached per (domain, problem, optimise) in a small LRU, so a game
  reset or played again (every checkpoint of a benchmark) is translated once per process;
* the derivation context copy: its variable and mapping dicts are copied shallowly (their
  values, entity infos and variables, are never mutated while deriving text).

:class:`OnceTranslatedGame` (``expert=False``) also skips the second, re-planning translation:
the re-planner is only used by the expert and by ``policy_commands`` / walkthrough infos, none
of which this game requests, so the state gets the game's own translation in that slot.

The games play identically: ``tests/test_alfworld_playbook.py`` compares transcripts (every
observation and every admissible-command list) with the plain :class:`TextWorldGame` on real
games, including commands that do nothing.
"""

from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from typing import Any

from agentmem.evals.alfworld.env import GameState, TextWorldGame

_LOCK = threading.Lock()
_INSTALLED = False
_STATE = threading.local()  # .no_replan: inside a load/reset that needs no re-planning translation
TRANSLATIONS = 160  # PDDL translations kept per process (one per game is enough for 134 unseen games)


def _memo_parse(parse: Any, *, copy_result: bool) -> Any:
    cache: dict[Any, Any] = {}

    def memo(*args: Any, **kwargs: Any) -> Any:
        key = (args, tuple(sorted(kwargs.items())))
        try:
            hit = cache[key]
        except KeyError:
            hit = cache[key] = parse(*args, **kwargs)
        except TypeError:  # an unhashable argument: not cacheable
            return parse(*args, **kwargs)
        return copy.deepcopy(hit) if copy_result else hit

    memo.__wrapped__ = parse  # type: ignore[attr-defined]
    return memo


def _shallow_copy_context(context: dict[str, Any]) -> dict[str, Any]:
    return {"state": context["state"], "facts": context["facts"], "variables": dict(context["variables"]), "mapping": dict(context["mapping"]), "entity_infos": context["entity_infos"]}


def _memo_translate(translate: Any) -> Any:
    cache: OrderedDict[tuple[str, str, bool], Any] = OrderedDict()
    lock = threading.Lock()

    def pddl2sas(domain: str, problem: str, verbose: bool = False, optimize: bool = False) -> Any:
        if optimize and getattr(_STATE, "no_replan", False):
            optimize = False  # the re-planning slot is never used by this game (see the module docstring)
        key = (domain, problem, bool(optimize))
        with lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        out = translate(domain, problem, verbose=verbose, optimize=optimize)
        with lock:
            cache[key] = out
            while len(cache) > TRANSLATIONS:
                cache.popitem(last=False)
        return out

    pddl2sas.__wrapped__ = translate  # type: ignore[attr-defined]
    return pddl2sas


def speed_up_textworld() -> None:
    """Install the memoised TextWorld functions (see the module docstring); idempotent."""
    global _INSTALLED
    with _LOCK:
        if _INSTALLED:
            return
        import fast_downward
        import textworld.envs.pddl.logic as pddl_logic
        import textworld.envs.pddl.textgen as textgen
        from textworld.logic import Rule

        textgen._parse_and_convert = _memo_parse(textgen._parse_and_convert, copy_result=True)
        textgen.copy_context = _shallow_copy_context
        pddl_logic._parse_and_convert = _memo_parse(pddl_logic._parse_and_convert, copy_result=False)
        query = _memo_parse(Rule.parse_conjunctive_query.__func__, copy_result=False)
        Rule.parse_conjunctive_query = classmethod(lambda cls, expr: query(cls, expr))  # type: ignore[method-assign,assignment]
        fast_downward.pddl2sas = _memo_translate(fast_downward.pddl2sas)
        _INSTALLED = True


class OnceTranslatedGame(TextWorldGame):
    """The real game with :func:`speed_up_textworld` installed; without the expert, no re-planning translation."""

    def __init__(self, expert: bool = False, seed: int = 0) -> None:
        super().__init__(expert=expert, seed=seed)
        speed_up_textworld()

    def _fast(self, fn: Any, *args: Any) -> Any:
        _STATE.no_replan = not self.expert
        try:
            return fn(*args)
        finally:
            _STATE.no_replan = False

    def load(self, gamefile: str) -> None:
        self._fast(super().load, gamefile)

    def reset(self) -> GameState:
        return self._fast(super().reset)
