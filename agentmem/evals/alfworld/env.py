"""ALFWorld as an agentmem :class:`~agentmem.environment.Environment` with one tool, ``act(command)``.

The text games come from alfworld (``AlfredTWEnv`` finds the solvable games of a split; each
game is played through TextWorld with alfworld's own wrappers: the demangler that gives
objects readable names and the infos wrapper that reports the game file; alfworld's
handcoded expert proposes the next action through :mod:`.alfworld_expert`). The game engine sits behind a small protocol,
:class:`GameBackend`, with the real :class:`TextWorldGame` and a shipped fake,
:class:`FakeAlfworldGame`, so the environment and the agents are tested without alfworld.

Episode rules (what ReAct-style ALFWorld evaluations use): the task text is the game's first
observation (the room and "Your task is to: ..."); every ``act`` is one step; the episode ends
when the game is won or after ``max_steps`` (50) actions; success is alfworld's ``won``
flag. Each observation carries the admissible commands and, when the expert is on, its next
action (``info["expert_plan"]``).

Example::

    env = AlfworldEnv.from_split("unseen")           # the 134 out-of-distribution games
    task = env.reset(env.games[0].id)
    obs = env.step("act", {"command": "go to countertop 1"})
    env.evaluate(None).success
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from collections.abc import Callable
from typing import Any, Protocol, cast, runtime_checkable

from pydantic import BaseModel, Field

from agentmem.environment import Observation, TaskSpec
from agentmem.errors import ConfigError
from agentmem.llm.base import ToolSpec
from agentmem.types import Outcome
from agentmem.evals.alfworld.data import SPLIT_SPECS, GameRef, alfworld_config, canonical_split, gate_split, list_games, task_type_of

DEFAULT_MAX_STEPS = 50

ACT_TOOL = ToolSpec(
    name="act",
    description="Type one text command into the game, e.g. 'go to countertop 1', 'take mug 1 from countertop 1', 'heat mug 1 with microwave 1'.",
    parameters={"type": "object", "properties": {"command": {"type": "string", "description": "One admissible command."}}, "required": ["command"]},
)


class GameState(BaseModel):
    """What the game engine reports after a reset or a step."""

    feedback: str
    won: bool = False
    done: bool = False
    score: float = 0.0
    admissible_commands: list[str] = Field(default_factory=list)
    expert_plan: list[str] = Field(default_factory=list)


@runtime_checkable
class GameBackend(Protocol):
    """One text game at a time: load a game file, reset it, apply commands."""

    def load(self, gamefile: str) -> None: ...

    def reset(self) -> GameState: ...

    def step(self, command: str) -> GameState: ...

    def close(self) -> None: ...


def _require_alfworld() -> None:
    try:
        import alfworld  # noqa: F401
        import textworld  # noqa: F401
    except ImportError as exc:
        raise ConfigError("ALFWorld needs the 'alfworld' extra: pip install 'agentmem[alfworld]' (alfworld 0.4.2; builds from source, needs gcc, g++, cmake)") from exc


class TextWorldGame:
    """The real backend: a TextWorld game with alfworld's demangler and infos wrappers and,
    when ``expert`` is on, alfworld's handcoded expert proposing the next action
    (:class:`~agentmem.evals.alfworld.expert.HandcodedExpert`, bridged to the game files'
    command dialect)."""

    def __init__(self, expert: bool = True, seed: int = 0) -> None:
        _require_alfworld()
        self.expert = expert
        self.seed = seed
        self._env: Any = None
        self._gamefile = ""
        self._expert: Any = None

    def load(self, gamefile: str) -> None:
        import textworld
        from alfworld.agents.environment.alfred_tw_env import AlfredDemangler, AlfredInfos

        self.close()
        infos = textworld.EnvInfos(won=True, admissible_commands=True, facts=self.expert, extras=["gamefile"])
        with contextlib.redirect_stdout(io.StringIO()):
            self._env = textworld.start(gamefile, request_infos=infos, wrappers=[AlfredDemangler(shuffle=False), AlfredInfos])
        self._gamefile = gamefile

    def _state(self, state: Any, plan: list[str], score: float = 0.0, done: bool = False) -> GameState:
        return GameState(
            feedback=str(state["feedback"]),
            won=bool(state.get("won") or False),
            done=bool(done),
            score=float(score or 0.0),
            admissible_commands=list(state.get("admissible_commands") or []),
            expert_plan=plan,
        )

    def reset(self) -> GameState:
        if self._env is None:
            raise ConfigError("TextWorldGame.reset: no game loaded (call load(gamefile) first)")
        state = self._env.reset()
        plan: list[str] = []
        if self.expert:
            from agentmem.evals.alfworld.expert import HandcodedExpert

            self._expert = HandcodedExpert(self._gamefile, seed=self.seed)
            plan = self._expert.start(state)
        return self._state(state, plan)

    def step(self, command: str) -> GameState:
        state, score, done = self._env.step(command)
        plan = self._expert.next(state, command) if self._expert is not None and not state.get("won") else []
        return self._state(state, plan, score, done)

    def close(self) -> None:
        if self._env is not None:
            with contextlib.suppress(Exception):
                self._env.close()
            self._env = None
        self._expert = None


class FakeGame(BaseModel):
    """A tiny deterministic game for tests: won by issuing ``solution`` in order."""

    intro: str = "You are in the middle of a room. Looking quickly around you, you see a cabinet 1, a countertop 1, and a microwave 1."
    goal: str = "heat some mug and put it in cabinet."
    solution: list[str] = Field(default_factory=lambda: ["go to countertop 1", "take mug 1 from countertop 1", "go to microwave 1", "heat mug 1 with microwave 1", "go to cabinet 1", "move mug 1 to cabinet 1"])
    distractors: list[str] = Field(default_factory=lambda: ["go to cabinet 1", "go to countertop 1", "go to microwave 1"])


class FakeAlfworldGame:
    """The shipped fake backend: plays :class:`FakeGame` specs keyed by game file (same protocol as :class:`TextWorldGame`)."""

    def __init__(self, games: dict[str, FakeGame] | None = None) -> None:
        self.games = games or {}
        self.game = FakeGame()
        self.pos = 0
        self.loaded: list[str] = []

    def load(self, gamefile: str) -> None:
        self.game = self.games.get(gamefile, FakeGame())
        self.loaded.append(gamefile)

    def _state(self, feedback: str) -> GameState:
        won = self.pos >= len(self.game.solution)
        nxt = [] if won else [self.game.solution[self.pos]]
        adm = sorted(set(nxt + self.game.distractors + ["look", "inventory"]))
        return GameState(feedback=feedback, won=won, done=won, score=float(won), admissible_commands=adm, expert_plan=nxt)

    def reset(self) -> GameState:
        self.pos = 0
        return self._state(f"-= Welcome to TextWorld, ALFRED! =-\n\n{self.game.intro}\n\nYour task is to: {self.game.goal}")

    def step(self, command: str) -> GameState:
        if self.pos < len(self.game.solution) and command == self.game.solution[self.pos]:
            self.pos += 1
            return self._state(f"You {command}.")
        return self._state("Nothing happens.")

    def close(self) -> None:
        pass


_WELCOME = re.compile(r"^-= Welcome to TextWorld, ALFRED! =-\s*", re.MULTILINE)
_GOAL = re.compile(r"Your task is to:\s*(.+)")


def clean_intro(feedback: str) -> str:
    """The first observation without TextWorld's welcome banner."""
    return _WELCOME.sub("", feedback).strip()


def goal_of(text: str) -> str:
    """The goal sentence of a first observation ('put a clean cloth in countertop.')."""
    m = _GOAL.search(text)
    return m.group(1).strip() if m else ""


class AlfworldEnv:
    """ALFWorld games as an :class:`~agentmem.environment.Environment` (one episode at a time)."""

    name = "alfworld"

    def __init__(self, games: list[GameRef], backend: GameBackend | Callable[[], GameBackend] | None = None, *, max_steps: int = DEFAULT_MAX_STEPS) -> None:
        if max_steps <= 0:
            raise ConfigError(f"max_steps must be positive (got {max_steps})")
        self.games = list(games)
        self._by_id = {g.id: g for g in self.games}
        self._backend_arg = backend
        self._backend: GameBackend | None = None
        self.max_steps = max_steps
        self._next = 0
        self.game: GameRef | None = None
        self.state: GameState | None = None
        self.steps = 0
        self.history: list[tuple[str, str]] = []

    @classmethod
    def from_split(cls, split: str = "unseen", *, data_root: str | None = None, cache_dir: str | None = None, max_steps: int = DEFAULT_MAX_STEPS, expert: bool = True,
                   games: list[GameRef] | None = None, data: str | None = None) -> "AlfworldEnv":
        """The games of ``split`` ('valid_unseen'/'unseen': 134 evaluation games; 'train': the 200-game pool; any
        split of the data named by ``data``, see :func:`~agentmem.evals.alfworld.sources.resolve_alfworld_data`), with the real backend."""
        from agentmem.evals.alfworld.sources import resolve_alfworld_data

        src = resolve_alfworld_data(split, data, data_root=data_root, cache_dir=cache_dir)
        games = games if games is not None else collect_games(str(src.data_dir), src.split, data_root=data_root, games_dir=str(src.games_dir))
        return cls(games, lambda: TextWorldGame(expert=expert), max_steps=max_steps)

    @property
    def backend(self) -> GameBackend:
        if self._backend is None:
            arg = self._backend_arg
            if arg is None:
                self._backend = TextWorldGame()
            elif isinstance(arg, type) or not hasattr(arg, "load"):
                self._backend = cast(Callable[[], GameBackend], arg)()  # a class or a factory function
            else:
                self._backend = cast(GameBackend, arg)
        return self._backend

    # -- Environment protocol ---------------------------------------------------------
    def reset(self, task_id: str | None = None) -> TaskSpec:
        if task_id is None:
            if not self.games:
                raise ConfigError("AlfworldEnv.reset: no games")
            game = self.games[self._next % len(self.games)]
            self._next += 1
        elif task_id in self._by_id:
            game = self._by_id[task_id]
        else:
            raise ConfigError(f"AlfworldEnv.reset: unknown game id {task_id!r} ({len(self.games)} games loaded)")
        self.game = game
        self.backend.load(game.gamefile)
        self.state = self.backend.reset()
        self.steps = 0
        self.history = []
        intro = clean_intro(self.state.feedback)
        meta = {"goal": goal_of(intro), "task_type": game.task_type, "admissible_commands": self.state.admissible_commands, "max_steps": self.max_steps}
        split = gate_split(game.id)  # the game's own split folder: the train_labels gate learns only from training games
        if split is not None:
            meta["split"] = split
        return TaskSpec(id=game.id, instruction=intro, topic=game.task_type, metadata=meta)

    def tools(self) -> list[ToolSpec]:
        return [ACT_TOOL]

    def step(self, tool: str, arguments: dict[str, Any]) -> Observation:
        if self.state is None or self.game is None:
            raise ConfigError("AlfworldEnv.step called before reset()")
        if self.done:
            return Observation(text="The episode is over.", done=True, info=self._info())
        if tool != "act":
            return Observation(text=f"Unknown tool {tool!r}: the only tool is act(command).", info=self._info())
        command = str(arguments.get("command", "")).strip()
        if not command:
            return Observation(text="act needs a non-empty 'command'.", info=self._info())
        self.state = self.backend.step(command)
        self.steps += 1
        self.history.append((command, self.state.feedback))
        text = self.state.feedback
        if not self.state.won and self.steps >= self.max_steps:
            text += f"\n(step limit of {self.max_steps} reached)"
        return Observation(text=text, reward=float(self.state.won), done=self.done, info=self._info())

    def evaluate(self, final_answer: str | None = None) -> Outcome:
        won = bool(self.state and self.state.won)
        return Outcome(score=float(won), success=won, source="environment", detail={"game_id": self.game.id if self.game else None, "task_type": self.game.task_type if self.game else None, "steps": self.steps})

    # -- helpers ------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return bool(self.state and (self.state.won or self.state.done)) or self.steps >= self.max_steps

    @property
    def admissible_commands(self) -> list[str]:
        return list(self.state.admissible_commands) if self.state else []

    @property
    def expert_plan(self) -> list[str]:
        return list(self.state.expert_plan) if self.state else []

    def _info(self) -> dict[str, Any]:
        s = self.state
        return {"won": bool(s and s.won), "admissible_commands": self.admissible_commands, "expert_plan": self.expert_plan, "steps": self.steps, "gamefile": self.game.gamefile if self.game else None}

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None


def collect_games(data_dir: str | os.PathLike[str], split: str, *, data_root: str | None = None, games_dir: str | None = None) -> list[GameRef]:
    """The split's solvable games as alfworld's ``AlfredTWEnv`` collects them (sorted by id).

    Scans the folder (:func:`list_games`) when alfworld is not installed. ``games_dir``: the
    split's games folder when it is not the default one under ``data_dir``.
    """
    try:
        from alfworld.agents.environment.alfred_tw_env import AlfredTWEnv
    except ImportError:
        return list_games(data_dir, split, games_dir=games_dir)
    cfg = alfworld_config(data_dir, split, data_root=data_root, games_dir=games_dir)
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        tw = AlfredTWEnv(cfg, train_eval=SPLIT_SPECS[canonical_split(split)].train_eval)
    from agentmem.evals.alfworld.data import game_id_of

    refs = [GameRef(id=game_id_of(p), gamefile=str(p), task_type=task_type_of(p)) for p in tw.game_files]
    return sorted(refs, key=lambda g: g.id)
