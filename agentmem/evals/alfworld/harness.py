"""``agentmem eval alfworld``: the ALFWorld harness on the shared evaluation framework.

One :class:`~agentmem.evals.core.EvalTask` per game (category = task type); the solve
function plays the game in a fresh :class:`~agentmem.evals.alfworld.env.AlfworldEnv` (so
games can run on worker threads) with the expert or the ReAct agent, and returns success as
the score. Memory protocol (the paper's "build memory, then evaluate"):

1. ``--split train --memory updating``: play the 200-game training pool; after each game the
   memory's ``after_task`` learns from the trajectory and the environment's success flag;
2. ``--split unseen --memory frozen``: evaluate on the 134 unseen games, memory read only.

Example::

    harness = AlfworldHarness.from_split("unseen", agent="expert")
    report = run_eval(cfg, harness.tasks(), harness.solve)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from agentmem.hooks import MemoryHook
from agentmem.errors import ConfigError
from agentmem.llm.base import LLM
from agentmem.evals.alfworld.agents import EpisodeResult, ExpertAgent, ReactAgent
from agentmem.evals.alfworld.data import GameRef, GameResult, summarise_games, summary_markdown
from agentmem.evals.alfworld.env import DEFAULT_MAX_STEPS, AlfworldEnv, GameBackend, TextWorldGame, collect_games

AgentKind = Literal["react", "expert", "playbook"]


class AlfworldHarness:
    """Games plus how to play one; :meth:`solve` is the framework's solve function."""

    def __init__(self, games: list[GameRef], *, agent: AgentKind = "react", backend_factory: Callable[[], GameBackend] | None = None, memory: MemoryHook | None = None, update_memory: bool = False, max_steps: int = DEFAULT_MAX_STEPS, llm: LLM | None = None, examples: dict[str, list[str]] | None = None) -> None:
        if agent not in ("react", "expert", "playbook"):
            raise ConfigError(f"--agent {agent!r}: expected 'react', 'expert' or 'playbook'")
        self.games = games
        self.agent = agent
        self.backend_factory = backend_factory or (lambda: TextWorldGame(expert=agent == "expert"))
        self.memory = memory
        self.update_memory = update_memory
        self.max_steps = max_steps
        self.llm = llm
        self.examples = examples or {}
        self.data_info: Any = None  # the DataInfo of the games (set by from_split), recorded in the run's config

    @classmethod
    def from_split(cls, split: str, *, data_root: str | None = None, cache_dir: str | None = None, data: str | None = None, **kwargs: Any) -> "AlfworldHarness":
        """The games of ``split`` from the data ``data`` names (``--data``: a folder in ALFWorld's layout or a
        tarball), else ``data_root``, ``$ALFWORLD_DATA`` or the bundled archive; ``harness.data_info``
        says which (see :func:`~agentmem.evals.alfworld.sources.resolve_alfworld_data`)."""
        from agentmem.evals.alfworld.sources import resolve_alfworld_data

        src = resolve_alfworld_data(split, data, data_root=data_root, cache_dir=cache_dir)
        games = collect_games(str(src.data_dir), src.split, data_root=data_root, games_dir=str(src.games_dir))
        if not games:
            raise ConfigError(f"{src.info.source}: alfworld found no solvable games for --split {src.split} in {src.games_dir}")
        harness = cls(games, **kwargs)
        notes = list(src.info.notes)
        if len(games) != src.info.n_items:
            notes.append(f"{src.info.n_items} game folders, {len(games)} collected as solvable by alfworld")
        harness.data_info = src.info.model_copy(update={"n_items": len(games), "notes": notes})
        return harness

    def tasks(self) -> list[Any]:
        from agentmem.evals.core import EvalTask

        from agentmem.evals.alfworld.data import gate_split

        return [EvalTask(id=g.id, category=g.task_type, payload=g, metadata={"split": gate_split(g.id)} if gate_split(g.id) else {}) for g in self.games]

    def play(self, game: GameRef, llm: LLM | None = None, run_id: str = "alfworld") -> EpisodeResult:
        """Play one game in its own environment."""
        env = AlfworldEnv([game], self.backend_factory, max_steps=self.max_steps)
        try:
            if self.agent == "expert":
                return ExpertAgent().run(env, game.id)
            if self.agent == "playbook":  # LLM-free: the shipped skills' scripts, decisions from memory
                from agentmem.evals.alfworld.playbook import PlaybookAgent

                return PlaybookAgent(self.memory, update_memory=self.update_memory).run(env, game.id, run_id=run_id)
            model = llm or self.llm
            if model is None:
                raise ConfigError("--agent react needs a model: pass --model (or use --agent expert for the LLM-free check)")
            return ReactAgent(model, memory=self.memory, update_memory=self.update_memory, examples=self.examples).run(env, game.id, run_id=run_id)
        finally:
            env.close()

    def solve(self, task: Any, ctx: Any) -> Any:
        from agentmem.evals.core import TaskOutcome

        res = self.play(task.payload, llm=getattr(ctx, "llm", None), run_id=f"eval-{getattr(ctx.config, 'benchmark', 'alfworld')}")
        return TaskOutcome(
            score=float(res.won),
            success=res.won,
            metrics={"steps": float(res.steps), "memory_tokens": float(res.memory_tokens), "invalid_replies": float(res.invalid_replies), "inadmissible_actions": float(res.inadmissible_actions)},
            detail={"task_type": res.task_type, "actions": res.actions, "turns": res.turns, "memory_ids": res.memory_ids},
        )


def expert_examples(games: list[GameRef], per_type: int, *, backend_factory: Callable[[], GameBackend] | None = None, max_steps: int = DEFAULT_MAX_STEPS, cache_file: str | None = None) -> dict[str, list[str]]:
    """In-context examples per task type: the handcoded expert's won episodes on ``games``
    (use the training pool), the first ``per_type`` of each type in id order. LLM-free and
    deterministic; cached as JSON in ``cache_file`` when given."""
    import json
    from pathlib import Path

    from agentmem.fileio import atomic_write_json

    if per_type <= 0:
        return {}
    key = f"{per_type}:{max_steps}:{len(games)}"
    if cache_file and Path(cache_file).exists():
        cached = json.loads(Path(cache_file).read_text(encoding="utf-8"))
        if cached.get("key") == key:
            return {k: list(v) for k, v in cached["examples"].items()}
    out: dict[str, list[str]] = {}
    env = AlfworldEnv(games, backend_factory or (lambda: TextWorldGame(expert=True)), max_steps=max_steps)
    agent = ExpertAgent()
    try:
        for g in games:
            if len(out.get(g.task_type, [])) >= per_type:
                continue
            res = agent.run(env, g.id)
            if res.won:
                out.setdefault(g.task_type, []).append(agent.as_example(res))
    finally:
        env.close()
    if cache_file:
        atomic_write_json(cache_file, {"key": key, "examples": out})
    return out


def summary_from_report(report: Any) -> str:
    """The per-task-type success table of a finished framework run (Markdown)."""
    results = [GameResult(game_id=t["task_id"], task_type=t["category"], won=bool(t["success"]), steps=int(t.get("metrics", {}).get("steps", 0)), error=t.get("error")) for t in report.tasks]
    return summary_markdown(summarise_games(results), title=f"ALFWorld ({report.config.get('split')}, agent={report.config.get('options', {}).get('agent')})")
